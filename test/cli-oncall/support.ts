// A captured io for calling CLI command functions directly.
export interface Captured {
  io: { stdout(s: string): void; stderr(s: string): void };
  out: () => string;
  err: () => string;
}

export const capture = (): Captured => {
  let out = '';
  let err = '';
  return { io: { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } }, out: () => out, err: () => err };
};

export const fixture = (name: string): string => new URL(`../../fixtures/schedules/${name}`, import.meta.url).pathname;
