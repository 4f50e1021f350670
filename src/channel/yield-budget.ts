// The yield budget: how channel operations avoid starving timers and I/O.
//
// Why: every channel operation that does not block hands its result back
// through an already-resolved promise, and waking a parked peer resolves its
// promise too. Two async loops ping-ponging over channels therefore run
// entirely inside one microtask checkpoint: the event loop never turns, and
// timers, I/O callbacks and setImmediate wait until the loops end (ts-chan's
// "microtask queue footgun"; Go's scheduler preempts instead).
//
// How: a window opens with the first operation after the event loop turned and
// schedules one setImmediate that closes it. Each operation that resumes a
// caller (a non-blocking send/recv/select or the wake-up of a parked one) takes
// one unit of the window's budget. Once BUDGET units are spent inside a single
// window, further resumptions are queued and released by that setImmediate:
// the loops pause for one event-loop turn, so timers and I/O run, then go on.
// Commits stay synchronous (values move at once, in FIFO order); only the
// notification of the caller is delayed, and it keeps its order.
// The price: a driver that spins on microtasks waiting for such a resumption
// (fc.scheduler().waitFor without a macrotask-yielding act, a busy
// `await Promise.resolve()` loop) never lets the setImmediate run: it livelocks.
//
// Invariants:
//   #spent counts resumptions in the current window; the window's setImmediate
//   is scheduled exactly when #spent goes 0 -> 1, and flush() resets it to 0.
//   #pending holds (resolve, value) pairs in the order they were deferred;
//   it is non-empty only while a flush is scheduled.
//   Cost: one setImmediate per window (per event-loop turn that used a
//   channel, or per BUDGET operations in a busy loop), one counter update per
//   operation.

/** Resumptions allowed in one event-loop turn before callers are made to yield. */
export const BUDGET = 1024;

const RESOLVED: Promise<void> = Promise.resolve();

let spent = 0;
let pending: unknown[] = [];

function flush(): void {
  spent = 0;
  if (pending.length === 0) return;
  const batch = pending;
  pending = [];
  for (let i = 0; i < batch.length; i += 2) (batch[i] as (v: unknown) => void)(batch[i + 1]);
}

/** take spends one unit; false when the caller must be resumed after the next turn. */
function take(): boolean {
  if (spent === 0) setImmediate(flush);
  return ++spent <= BUDGET;
}

function deferred<V>(value: V): Promise<V> {
  return new Promise<V>((resolve) => {
    pending.push(resolve, value);
  });
}

/** resolvedVoid is the result of an operation that completed without blocking. */
export function resolvedVoid(): Promise<void> {
  return take() ? RESOLVED : deferred<void>(undefined);
}

/** resolvedWith is `Promise.resolve(value)` within the yield budget. */
export function resolvedWith<V>(value: V): Promise<V> {
  return take() ? Promise.resolve(value) : deferred(value);
}

/** resume calls `resolve(value)` now, or after the next event-loop turn when the budget is spent. */
export function resume(resolve: (value: never) => void, value: unknown): void {
  if (take()) (resolve as (v: unknown) => void)(value);
  else pending.push(resolve, value);
}
