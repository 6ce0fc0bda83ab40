// Errors of the mapping stage: data with stable codes, never thrown strings. mapHl7Message
// throws only MappingError; anything unexpected inside a mapper is wrapped as ERR_MAPPING_INTERNAL
// with its reason.

export type MappingErrorCode =
  | 'ERR_MAPPING_UNSUPPORTED'
  | 'ERR_MAPPING_MISSING_SEGMENT'
  | 'ERR_MAPPING_BAD_FIELD'
  | 'ERR_MAPPING_DUPLICATE_IDENTITY'
  | 'ERR_MAPPING_TOO_LARGE'
  | 'ERR_MAPPING_BAD_ID_KEY'
  | 'ERR_MAPPING_INTERNAL'
  | 'ERR_CONFIG_INVALID';

export class MappingError extends Error {
  override readonly name = 'MappingError';
  constructor(
    readonly code: MappingErrorCode,
    /** Short, PHI-free reason (segment and field positions, never values). */
    readonly reason: string,
    /** For ERR_CONFIG_INVALID: one line per bad path. */
    readonly details: readonly string[] = [],
  ) {
    super(details.length > 0 ? `${reason}: ${details.join('; ')}` : reason);
  }
}

export const isMappingError = (e: unknown): e is MappingError => e instanceof MappingError;
