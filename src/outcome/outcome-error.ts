// Errors as data, independent of any transport (as Medplum's core OperationOutcomeError): a `kind`
// that says what went wrong in the caller's terms, a stable `code`, and the OperationOutcome that
// explains it. src/http maps `kind` to a status once (src/http/error-response.ts); the pipeline reads
// `code` to fail a row; nothing below src/http knows HTTP.
import type { OperationOutcome } from 'fhir/r4.js';
import { outcome, type IssueCode, type IssueDetail } from './operation-outcome.js';

/**
 * What the caller did wrong, or what is wrong on our side. Closed: src/http has one status per kind,
 * and a new kind fails its exhaustive table at compile time.
 */
export type OutcomeKind =
  | 'invalid'                 // the input breaks a rule (schema, syntax, a parameter)
  | 'not-supported'           // well formed, but asks for something we do not do
  | 'unsupported-media-type'  // the body's content type is not one we read
  | 'not-found'
  | 'conflict'                // a version precondition or an idempotency key does not match
  | 'precondition-failed'     // a conditional request matched more than one resource (http.html#ccreate)
  | 'too-large'               // a size or count limit
  | 'unprocessable'           // valid, but a business rule refuses it
  | 'unauthenticated'
  | 'forbidden'
  | 'throttled'
  | 'unavailable'             // a dependency (the store) cannot be reached now: try again later
  | 'internal';

/** The issue code each kind carries when the thrower does not name a more precise one. */
const DEFAULT_ISSUE: Record<OutcomeKind, IssueCode> = {
  invalid: 'invalid',
  'not-supported': 'not-supported',
  'unsupported-media-type': 'not-supported',
  'not-found': 'not-found',
  conflict: 'conflict',
  'precondition-failed': 'multiple-matches',
  'too-large': 'too-costly',
  unprocessable: 'business-rule',
  unauthenticated: 'login',
  forbidden: 'forbidden',
  throttled: 'throttled',
  unavailable: 'transient',
  internal: 'exception',
};

export interface OutcomeErrorOptions {
  /** Stable machine code (`ERR_SCHEDULE_CONFLICT`); default `ERR_` + the kind. */
  code?: string;
  /** A more precise issue code than the kind's default (e.g. 'structure' for a syntax error). */
  issue?: IssueCode;
  /** One issue per bad path. */
  details?: readonly IssueDetail[];
}

export class OperationOutcomeError extends Error {
  override readonly name = 'OperationOutcomeError';
  readonly code: string;
  readonly outcome: OperationOutcome;

  constructor(readonly kind: OutcomeKind, diagnostics: string, opts: OutcomeErrorOptions = {}) {
    super(diagnostics);
    this.code = opts.code ?? `ERR_${kind.toUpperCase().replace(/-/g, '_')}`;
    this.outcome = outcome(opts.issue ?? DEFAULT_ISSUE[kind], diagnostics, opts.details ?? []);
  }

  /** The first issue's code (FHIR R4 valueset-issue-type). */
  get issueCode(): IssueCode {
    return this.outcome.issue[0]?.code ?? DEFAULT_ISSUE[this.kind];
  }
}

export const isOutcomeError = (e: unknown): e is OperationOutcomeError => e instanceof OperationOutcomeError;

// The common kinds, named for what the caller reads (FHIR R4 http.html#summary lists the HTTP side).
export const badRequest = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('invalid', diagnostics, opts);
export const notSupported = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('not-supported', diagnostics, opts);
export const notFound = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('not-found', diagnostics, opts);
export const conflict = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('conflict', diagnostics, opts);
export const preconditionFailed = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('precondition-failed', diagnostics, opts);
export const tooLarge = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('too-large', diagnostics, opts);
export const unsupportedMediaType = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('unsupported-media-type', diagnostics, opts);
export const unprocessable = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('unprocessable', diagnostics, opts);
export const unavailable = (diagnostics: string, opts?: OutcomeErrorOptions): OperationOutcomeError => new OperationOutcomeError('unavailable', diagnostics, opts);
