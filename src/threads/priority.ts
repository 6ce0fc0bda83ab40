// CPU priority of background work. The routine processing (its thread, its mapping threads and its
// database connections) runs at a lower priority than intake, the critical lane and delivery, so
// when both cores are busy draining a backlog an ACK or a page still gets a core at once and the
// drain takes what is left: with nothing else to run, a lowered thread runs as fast as before.
// Linux only: a thread is a task with its own id there (/proc/thread-self), and setpriority takes
// it; elsewhere nothing changes.
import { readlinkSync } from 'node:fs';
import os from 'node:os';

/** This thread's task id on Linux, else undefined. */
function threadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lowers the calling thread's CPU priority to `nice` (1-19; 0 leaves it). Returns whether it took
 * effect: raising a priority needs privileges, lowering one never does.
 */
export function lowerThisThread(nice: number): boolean {
  if (nice <= 0) return false;
  const tid = threadId();
  if (tid === undefined) return false;
  return lowerTask(tid, nice);
}

/** Lowers another task of this machine (a process or a thread) to `nice`; false when not permitted or gone. */
export function lowerTask(pid: number, nice: number): boolean {
  if (nice <= 0 || process.platform !== 'linux') return false;
  try {
    if (os.getPriority(pid) >= nice) return true;
    os.setPriority(pid, nice);
    return true;
  } catch {
    return false;
  }
}
