// Where a command writes: stdout for results, stderr for diagnostics. Commands take an Io so tests
// can capture both; processIo() is the real one.

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/**
 * The process's own streams. A reader that goes away (`switchboard inbox list | head`) makes the next
 * write fail with EPIPE; that is the reader's choice, not an error of ours, so the command ends quietly
 * (exit 0, as when every line was read) instead of dying with a stack trace.
 */
export function processIo(): Io {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  return { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
}
