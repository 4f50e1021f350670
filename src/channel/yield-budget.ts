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
// one unit of the window's budget. Every BUDGET units the window checks its
// clock; once it has run for SLICE_MS, further resumptions are queued and
// released by that setImmediate: the loops pause for one event-loop turn, so
// timers and I/O run, then go on. Timers and I/O therefore wait at most about
// SLICE_MS (plus BUDGET operations) behind a busy channel loop; Go preempts a
// goroutine after 10 ms.
// Commits stay synchronous (values move at once, in FIFO order); only the
// notification of the caller is delayed, and it keeps its order.
// Why a time slice and not a plain count: every event-loop turn lets V8 run
// its pending GC tasks (a scavenge job is posted when the young generation is
// 80% full). Yielding every 1024 operations (~0.2 ms) ran a small scavenge at
// nearly every turn and kept the young generation from growing: unbuffered
// producer→consumer then measured ~230 instead of ~140 ns per message in about
// half the processes (bench/channel.bench.ts). A 4 ms slice costs one
// performance.now() per BUDGET operations of a busy loop, nothing otherwise.
// The price: a driver that spins on microtasks waiting for such a resumption
// (fc.scheduler().waitFor without a macrotask-yielding act, a busy
// `await Promise.resolve()` loop) never lets the setImmediate run: it livelocks.
//
// Invariants:
//   `open` is true from a window's first resumption until its flush(); the
//   window's one setImmediate is scheduled when `open` goes false -> true.
//   `spent` counts the window's resumptions since its last clock check.
//   `sliceStart` is the clock reading at the window's first check, -1 before it.
//   `pending` holds (resolve, value) pairs in the order they were deferred; it
//   is non-empty only while a flush is scheduled, and once it is non-empty
//   every resumption of the window is deferred (order is kept).
//   Cost: one setImmediate per window (per event-loop turn that used a
//   channel, or per SLICE_MS of a busy loop), one counter update per operation.

/** Resumptions between two checks of the window's clock. */
export const BUDGET = 1024;
/** How long a window may keep resuming callers before they are made to yield. */
export const SLICE_MS = 4;

const RESOLVED: Promise<void> = Promise.resolve();

let spent = 0;
let open = false;
let sliceStart = -1;
let pending: unknown[] = [];

function flush(): void {
  spent = 0;
  open = false;
  sliceStart = -1;
  if (pending.length === 0) return;
  const batch = pending;
  pending = [];
  for (let i = 0; i < batch.length; i += 2) (batch[i] as (v: unknown) => void)(batch[i + 1]);
}

/** take spends one unit; false when the caller must be resumed after the next turn. */
function take(): boolean {
  if (!open) {
    open = true;
    setImmediate(flush);
  }
  return ++spent <= BUDGET || checkSlice();
}

/** Every BUDGET units: true (go on) while the window's slice has time left. */
function checkSlice(): boolean {
  if (pending.length > 0) return false;
  const now = performance.now();
  if (sliceStart < 0) sliceStart = now;
  else if (now - sliceStart >= SLICE_MS) return false;
  spent = 1;
  return true;
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
