import { readFileSync } from 'node:fs';
import { compileSchedule, parseScheduleFile, type CompiledSchedule, type Schedule } from '../../src/routing/index.js';

/** fixtures/schedules/example.json, parsed and compiled (the documented example). */
export const EXAMPLE_TEXT = readFileSync(new URL('../../fixtures/schedules/example.json', import.meta.url), 'utf8');

export const exampleSchedule = (): Schedule => {
  const p = parseScheduleFile(EXAMPLE_TEXT, 'example.json');
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
};

export const exampleCompiled = (): CompiledSchedule => {
  const c = compileSchedule(exampleSchedule());
  if (!c.ok) throw new Error(c.error.message);
  return c.value;
};
