// Reading a schedule file (JSON/YAML) for the CLI and SCHEDULE_FILE: a missing file is reported as data too.
import { readFile } from 'node:fs/promises';
import { err, parseScheduleFile, type Result, type Schedule } from '../routing/index.js';
import { fromRoutingError, type ScheduleStoreError } from './errors.js';

export type FileError = ScheduleStoreError | { readonly code: 'ERR_FILE_UNREADABLE'; readonly message: string; readonly issues: readonly [] };

export async function readTextFile(path: string): Promise<Result<string, FileError>> {
  try {
    return { ok: true, value: await readFile(path, 'utf8') };
  } catch (e) {
    return err({ code: 'ERR_FILE_UNREADABLE', message: `cannot read ${path} (${(e as { code?: string }).code ?? 'error'})`, issues: [] });
  }
}

export async function readScheduleFile(path: string): Promise<Result<Schedule, FileError>> {
  const text = await readTextFile(path);
  if (!text.ok) return text;
  const parsed = parseScheduleFile(text.value, path);
  return parsed.ok ? parsed : err(fromRoutingError(parsed.error));
}

