// The yield budget: how channel operations avoid starving timers and I/O.
//
// Why: every channel operation that does not block hands its result back
// through an already-resolved promise, and waking a parked peer resolves its
// promise too. Two async loops ping-ponging over channels therefore run
// entirely inside one microtask checkpoint: the event loop never turns, and
// timers, I/O callbacks and setImmediate wait until the loops end (ts-chan's
// "microtask queue footgun"; Go's scheduler preempts instead).
//
// How: every operation that resumes a caller (a non-blocking send/recv/select
// or the wake-up of a parked one) counts down `budget`. Every BUDGET
// resumptions the count runs out and check() reads the clock: the first check
// opens a slice and schedules one setImmediate that ends it; a check that finds
// its slice older than SLICE_MS defers this and every further resumption to
// that setImmediate: the loops pause for one event-loop turn, so timers and I/O
// run, then go on. A program whose event loop turns anyway ends each slice
// before it is SLICE_MS old and is never deferred. Timers and I/O therefore
// wait at most about SLICE_MS (plus 2 * BUDGET operations) behind a busy
// channel loop; Go preempts a goroutine after 10 ms.
// Commits stay synchronous (values move at once, in FIFO order); only the
// notification of the caller is delayed, and it keeps its order.
// Why a countdown with the clock and the setImmediate off the hot path: an
// earlier version opened a window (one setImmediate) at the first operation of
// every event-loop turn and counted up against a limit. In buffered
// producer→consumer (two or three resumptions per message) code with no
// budget at all ran 12-30% faster than that version; this one executes 4%
// fewer instructions per message than it (callgrind), and about 3% more than
// no budget.
// Why a time slice and not a plain count: every event-loop turn lets V8 run
// its pending GC tasks (a scavenge job is posted when the young generation is
// 80% full). Yielding every 1024 operations (~0.2 ms) ran a small scavenge at
// nearly every turn and kept the young generation from growing: unbuffered
// producer→consumer then measured ~230 instead of ~140 ns per message in about
// half the processes (bench/channel.bench.ts).
// The price: a driver that spins on microtasks waiting for such a resumption
// (fc.scheduler().waitFor without a macrotask-yielding act, a busy
// `await Promise.resolve()` loop) never lets the setImmediate run: it livelocks.
//
// Invariants:
//   `budget` > 0: resumptions may run now; check() runs when it reaches 0.
//   `sliceStart` >= 0 exactly while a slice is open, and then one
//   setImmediate(endSlice) is scheduled; endSlice closes the slice.
//   `pending` holds (resolve, value) pairs in the order they were deferred; it
//   is non-empty only while a slice is open, and while it is non-empty
//   `budget` stays <= 0, so every further resumption is deferred (order kept).
//   Cost: one counter update per operation; per BUDGET operations one clock
//   read, and one setImmediate per slice.

/** Resumptions between two checks of the window's clock. */
export const BUDGET = 1024;
/** How long a window may keep resuming callers before they are made to yield. */
export const SLICE_MS = 4;

const RESOLVED: Promise<void> = Promise.resolve();

let budget = BUDGET;
let sliceStart = -1;
let pending: unknown[] = [];

function endSlice(): void {
  budget = BUDGET;
  sliceStart = -1;
  if (pending.length === 0) return;
  const batch = pending;
  pending = [];
  for (let i = 0; i < batch.length; i += 2) (batch[i] as (v: unknown) => void)(batch[i + 1]);
}

/** Every BUDGET resumptions: true (go on) unless the slice has run for SLICE_MS. */
function check(): boolean {
  if (pending.length > 0) return false;
  const now = performance.now();
  if (sliceStart < 0) {
    sliceStart = now;
    setImmediate(endSlice);
  } else if (now - sliceStart >= SLICE_MS) {
    return false;
  }
  budget = BUDGET;
  return true;
}

function deferred<V>(value: V): Promise<V> {
  return new Promise<V>((resolve) => {
    pending.push(resolve, value);
  });
}

/** take spends one unit; false when the caller must be resumed after the next turn. */
function take(): boolean {
  // A call, not `--budget > 0 || check()` spelled out in each caller: spelled
  // out, buffered producer→consumer executed 14% more instructions per message.
  return --budget > 0 || check();
}

/**
 * resolvedVoid is the result of a send that completed without blocking.
 * Counted like any resumption although a loop of such sends alone cannot run
 * forever (it fills the buffer): left uncounted, a buffered producer runs on
 * while its deferred consumer waits, fills the buffer and parks, and from then
 * on every message costs a park and a wake-up: 99% of 1M sends found the
 * buffer full (test/channel.test.ts, "scheduling"), and buffered
 * producer→consumer ran 1.4-1.5x slower per message.
 */
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
