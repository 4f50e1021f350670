// after() and timer(): Go's time.After and time.NewTimer (Go >= 1.23 semantics).
//
// Invariants (tested in test/after.test.ts):
//   The channel has capacity 1, receives Date.now() at most once and is never
//   closed (a closed channel is always ready: a select loop would spin).
//   The Node timer is unref'd except while at least one receiver (a recv, a
//   select case, an iterator) is parked on the channel: waiting on it keeps the
//   process alive, an unawaited after() never does.
//   After stop() returns, no value is received from `c`: a value already
//   buffered but not yet received is taken back (stop() then returns true).

import { Channel, internals } from './channel.js';
import type { ReceiveChannel } from './types.js';

/** The longest delay setTimeout accepts (2^31 - 1 ms, about 24.8 days). */
const MAX_DELAY = 2_147_483_647;

/**
 * Timer is Go's `*time.Timer`: `c` receives `Date.now()` once after the delay,
 * unless `stop()` was called first.
 *
 * @example
 * const t: Timer = timer(100);
 * await t.c.recv();
 */
export interface Timer {
  /** Receives the firing time (`Date.now()`) once; never closed. */
  readonly c: ReceiveChannel<number>;
  /**
   * stop prevents the delivery: it returns `true` when it did (the value had not
   * been received yet), `false` when it was already received or the timer was
   * already stopped. After stop() returns, no value is received from `c`.
   */
  stop(): boolean;
}

class NodeTimer implements Timer {
  readonly c: Channel<number>;
  #handle: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(ms: number) {
    this.c = new Channel<number>(1);
    const handle = setTimeout(() => this.#fire(), Math.max(ms, 0));
    handle.unref();
    this.#handle = handle;
    internals.watchReceivers(
      this.c,
      () => handle.ref(),
      () => handle.unref(),
    );
  }

  stop(): boolean {
    if (this.#stopped) return false;
    this.#stopped = true;
    const handle = this.#handle;
    if (handle !== undefined) {
      clearTimeout(handle);
      this.#handle = undefined;
      internals.unwatchReceivers(this.c);
      return true;
    }
    // Fired: the value is either still buffered (take it back) or received.
    return this.c.tryRecv() !== undefined;
  }

  #fire(): void {
    this.#handle = undefined;
    internals.unwatchReceivers(this.c);
    this.c.trySend(Date.now());
  }
}

function checkDelay(fn: string, ms: unknown): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms > MAX_DELAY) {
    const got = typeof ms === 'string' ? JSON.stringify(ms) : String(ms);
    throw new RangeError(`threadline: ${fn}() ms must be a number <= ${MAX_DELAY}, got ${got}`);
  }
  return ms;
}

/**
 * after is Go's `time.After`: a receive-only channel that receives `Date.now()`
 * once, `ms` milliseconds from now, and is never closed. Its timer keeps the
 * process alive only while something waits on the channel, so
 * `await after(200).recv()` works at top level and a forgotten after() never
 * holds the process open. A delay <= 0 fires on the next timer tick. Throws
 * RangeError for NaN, a non-number or a delay above 2^31 - 1 ms.
 *
 * @example
 * const r = await select([recv(results), recv(after(1000))]);
 * if (r.index === 1) console.log('timed out');
 */
export function after(ms: number): ReceiveChannel<number> {
  return new NodeTimer(checkDelay('after', ms)).c;
}

/**
 * timer is Go's `time.NewTimer`: `{ c, stop() }`, where `c` receives
 * `Date.now()` once after `ms` milliseconds and `stop()` cancels it (Go 1.23:
 * once stop() returns, nothing is received from `c`). Keeps the process alive
 * only while something waits on `c`. Throws RangeError like `after()`.
 *
 * @example
 * const t = timer(500);
 * const r = await select([recv(done), recv(t.c)]);
 * t.stop();
 */
export function timer(ms: number): Timer {
  return new NodeTimer(checkDelay('timer', ms));
}
