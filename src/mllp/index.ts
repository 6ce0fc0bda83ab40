// src/mllp: HL7 v2 over MLLP sockets (TCP or TLS): the listener intake answers on, and the client that
// sends a frame and reads its answer. The I/O edge of src/hl7, whose framer and ACKs it uses.
export { MllpClient, deliverFrame } from './client.js';
export { MllpListener } from './listener.js';
export type { MllpHandlers } from './listener.js';
