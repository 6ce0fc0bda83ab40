// Errors of the HL7 v2 layer: data with stable codes, never strings to switch on.
// Each carries the HL7 table 0357 condition code that goes into ERR-3 of the ACK, and whether the
// sender should retry (a store outage) or not (the message itself is wrong).

/** HL7 table 0357 (message error condition codes), the subset we emit. */
export const HL7_ERROR = {
  segmentSequence: '100',
  requiredFieldMissing: '101',
  dataType: '102',
  tableValueNotFound: '103',
  unsupportedMessageType: '200',
  unsupportedEventCode: '201',
  unsupportedProcessingId: '202',
  unsupportedVersionId: '203',
  applicationInternalError: '207',
} as const;
export type Hl7ErrorCondition = (typeof HL7_ERROR)[keyof typeof HL7_ERROR];

export const HL7_ERROR_TEXT: Record<Hl7ErrorCondition, string> = {
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '207': 'Application internal error',
};

export type Hl7ErrorCode =
  | 'ERR_HL7_EMPTY'
  | 'ERR_HL7_NO_MSH'
  | 'ERR_HL7_BAD_DELIMITERS'
  | 'ERR_HL7_BAD_CHARSET'
  | 'ERR_HL7_MISSING_FIELD'
  | 'ERR_HL7_FIELD_TOO_LONG'
  | 'ERR_HL7_BAD_SEGMENT'
  | 'ERR_HL7_MISSING_SEGMENT'
  | 'ERR_HL7_UNSUPPORTED_VERSION'
  | 'ERR_HL7_UNSUPPORTED_TYPE'
  | 'ERR_HL7_UNSUPPORTED_PROCESSING_ID'
  | 'ERR_HL7_FRAME_TOO_LARGE'
  | 'ERR_HL7_BAD_BATCH'
  | 'ERR_SENDER_NOT_ALLOWED'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_INTERNAL';

/** Where in the message the problem is (ERR-2: segment id, sequence, field position). */
export interface Hl7Location {
  segment: string;
  sequence?: number;
  field?: number;
}

export class Hl7Error extends Error {
  override readonly name = 'Hl7Error';
  constructor(
    readonly code: Hl7ErrorCode,
    readonly condition: Hl7ErrorCondition,
    message: string,
    readonly location?: Hl7Location,
    /** true: the sender should send the same message again later (AE/CE); false: fix it (AR/CR). */
    readonly retryable = false,
  ) {
    super(message);
  }
}

export const isHl7Error = (e: unknown): e is Hl7Error => e instanceof Hl7Error;
