// IdleReaper: ends a pool's threads above minThreads once the whole pool has
// been idle for idleTimeout. It replaces piscina's idle timeout, which piscina
// runs per thread and would fire on a thread that runs a direct call (src/wire.ts
// "Direct calls"), since piscina does not see those.
//
// Invariants:
//   At most one timer, unref'd: an idle pool never keeps the process alive.
//   Threads end only while the pool is idle (nothing running, posted or
//     queued), so no call is ever lost to the reaper; a thread already ending
//     is not counted as one to keep.

import type { Worker } from 'node:worker_threads';

/** What the reaper needs from its pool. Internal. */
export interface ReaperHost {
  /** Whether nothing runs, is posted or waits in the queue, and the pool is open. */
  isIdle(): boolean;
  /** The pool's live threads. */
  threads(): readonly Worker[];
  /** Ends `worker` as idle; false when it is already ending or gone. */
  end(worker: Worker): boolean;
  /** The thread to keep when one is kept (the last one used), 0 for none. */
  preferred(): number;
}

/**
 * IdleReaper times the pool's idleness; the pool calls `idle()` each time it
 * becomes idle and `stop()` when it closes.
 *
 * @example
 * const reaper = new IdleReaper(30_000, 1, host); reaper.idle();
 */
export class IdleReaper {
  readonly #idleTimeout: number;
  readonly #minThreads: number;
  readonly #host: ReaperHost;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** performance.now() when the pool last became idle. */
  #since = 0;

  constructor(idleTimeout: number, minThreads: number, host: ReaperHost) {
    this.#idleTimeout = idleTimeout;
    this.#minThreads = minThreads;
    this.#host = host;
  }

  /** The pool has just become idle: arms the timer when there are threads to end. */
  idle(): void {
    // Nothing to time (no clock read) when no thread is above minThreads and no timer runs.
    if (this.#timer === undefined && this.#host.threads().length <= this.#minThreads) return;
    this.#since = performance.now();
    if (this.#timer === undefined) this.#arm(this.#idleTimeout); // else it re-arms for the rest when it fires
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), ms);
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    if (!this.#host.isIdle()) return; // armed again the next time the pool becomes idle
    const idleFor = performance.now() - this.#since;
    if (idleFor < this.#idleTimeout) {
      this.#arm(this.#idleTimeout - idleFor);
      return;
    }
    const threads = this.#host.threads();
    const keep = this.#minThreads > 0 ? this.#host.preferred() : 0;
    let extra = threads.length - this.#minThreads;
    for (const worker of threads) {
      if (extra <= 0) break;
      if (worker.threadId === keep) continue;
      if (this.#host.end(worker)) extra--;
    }
  }
}
