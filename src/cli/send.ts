import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readAck, sniffHeader } from '../hl7/index.js';
import { MllpClient } from '../mllp/index.js';
import type { Io } from './io.js';

/** Splits a file into messages: each MSH (or FHS/BHS for a batch, sent whole) starts one. */
export function splitMessages(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/).filter((l) => l.trim() !== '');
  if (lines[0]?.startsWith('FHS') || lines[0]?.startsWith('BHS')) return [lines.join('\r') + '\r'];
  const out: string[][] = [];
  for (const l of lines) {
    if (l.startsWith('MSH') || !out.length) out.push([]);
    out[out.length - 1]!.push(l);
  }
  return out.map((m) => m.join('\r') + '\r');
}

export async function sendCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: {
    host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: process.env.MLLP_PORT ?? '2575' },
    tls: { type: 'boolean', default: false }, ca: { type: 'string' }, timeout: { type: 'string', default: '30000' },
  } });
  if (!positionals.length) { io.stderr('usage: switchboard send FILE... [--host H] [--port P]\n'); return 2; }
  const client = new MllpClient({
    host: values.host!, port: Number(values.port), timeoutMs: Number(values.timeout),
    ...(values.tls ? { tls: { ...(values.ca ? { ca: readFileSync(values.ca) } : {}), servername: values.host! } } : {}),
  });
  await client.connect();
  let failed = 0;
  try {
    for (const file of positionals) {
      for (const msg of splitMessages(readFileSync(file, 'latin1'))) {
        let reply = (await client.send(Buffer.from(msg, 'latin1'))).toString('latin1');
        // an enhanced-mode application ACK for an earlier message may arrive first: show it, read on
        // MSH-10 as written: the ACK echoes it in MSA-2
        const expected = msg.startsWith('MSH') ? sniffHeader(msg).controlId : '';
        while (expected && !msg.startsWith('FHS') && !msg.startsWith('BHS') && readAck(reply).controlId !== expected) {
          io.stdout(`(application ACK for ${readAck(reply).controlId})\n` + reply.replace(/\r/g, '\n'));
          reply = (await client.nextReply()).toString('latin1');
        }
        const ack = readAck(reply);
        io.stdout(reply.replace(/\r/g, '\n') + (reply.endsWith('\r') ? '' : '\n'));
        if (!['AA', 'CA'].includes(ack.code)) failed++;
      }
    }
  } finally {
    client.close();
  }
  return failed ? 1 : 0;
}
