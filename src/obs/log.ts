// One structured JSON logger that only takes allow-listed fields: ids, codes, counts, durations,
// hashes. Free text (which might carry PHI) cannot be logged; a message is a fixed event name.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Fields that may appear in a log line. Anything else is dropped before writing. */
const ALLOWED = new Set([
  'inboxId', 'controlIdHash', 'messageType', 'source', 'code', 'condition', 'ack', 'state', 'attempts', 'count',
  'ms', 'port', 'host', 'peer', 'connections', 'batch', 'duplicates', 'version', 'path', 'method', 'status',
  'setting', 'dataDir', 'pid', 'mode', 'worker', 'thread', 'errorName', 'errorCode', 'requestId', 'issuer', 'signal',
  // delivery: ids and codes only (a webhook secret or a payload can never be a field)
  'attemptId', 'notificationId', 'channel', 'step',
  // PHI keys: a key's id and a table's name (never key bytes)
  'keyId', 'table',
]);

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, event: string, fields: LogFields = {}) => {
    if (ORDER[lvl] < min) return;
    const safe: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, event };
    for (const [k, v] of Object.entries(fields)) if (ALLOWED.has(k) && v !== undefined) safe[k] = v;
    write(JSON.stringify(safe));
  };
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
