// Thread placement for the worker benches. On a small VM, whether a worker
// wakes on the main thread's vCPU or on the other, halted one decides most of a
// sequential round trip: the same code took 16-22 or 42-48 µs of main-thread
// CPU per task depending on placement alone (read per thread from /proc), and
// a process can switch between the two mid-run. Pinning the threads with
// taskset, the same way for every contender, takes that variable out.
//
//   cross: the main thread on CPU 0, every other thread of the process on CPU 1
//          (a worker pool as meant: tasks run beside the event loop)
//   same:  every thread on CPU 0
//   none:  the OS places them (what an application gets)

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type Placement = 'none' | 'cross' | 'same';

/** Pins every thread the process has now; call it once the pools' threads exist. */
export function pinThreads(placement: Placement): void {
  if (placement === 'none') return;
  for (const tid of readdirSync('/proc/self/task')) {
    const cpu = tid === String(process.pid) || placement === 'same' ? '0' : '1';
    execFileSync('taskset', ['-pc', cpu, tid], { stdio: 'ignore' });
  }
}

/** Whether threads can be pinned here: Linux, taskset present, two CPUs or more. */
export function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The `--pin=<placement>` argument, `none` without one; throws on a bad value. */
export function placementArg(argv: readonly string[]): Placement {
  const v = argv.find((a) => a.startsWith('--pin='))?.slice('--pin='.length) ?? 'none';
  if (v !== 'none' && v !== 'cross' && v !== 'same') {
    throw new Error(`--pin must be none, cross or same, got ${JSON.stringify(v)}`);
  }
  return v;
}
