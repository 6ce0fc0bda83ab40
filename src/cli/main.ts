// The entry of the `switchboard` command (bin/switchboard.js imports this module): runs the command
// named on the command line with the process's streams and exits with its code. Nothing imports this
// file; the commands live in commands.ts and its neighbours.
import { runCli } from './commands.js';
import { processIo } from './io.js';

const io = processIo();
runCli(process.argv.slice(2), io).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    io.stderr(`switchboard: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
