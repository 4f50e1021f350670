// WaitGroup: Go's sync.WaitGroup, with Go 1.25's wg.Go.
//
// Invariants (tested in test/wait-group.test.ts):
//   #count >= 0 always: an add() that would make it negative throws
//     WaitGroupError and changes nothing.
//   #waiters is empty whenever #count is 0: reaching 0 releases every waiter
//     and clears the list, so the WaitGroup is reusable at once.
//   A waiter leaves #waiters exactly once: released, or withdrawn by its abort.

import { WaitGroupError } from '../observe/kind-error.js';
import type { ObservableResult } from '../observe/result.js';
import { dispatch, type go } from '../pool/go.js';
import { describeValue } from '../pool/options.js';
import { type AbortSubscriber, subscribe, unsubscribe } from '../pool/signals.js';
import { defaultAbortKind, type HostedTask, type TaskHost } from '../pool/task.js';

/**
 * Options of WaitGroup.wait(), Group.ready() and Group.wait().
 *
 * @example
 * await wg.wait({ signal: AbortSignal.timeout(5_000) });
 */
export interface WaitOptions {
  /** Abandons the wait: the promise rejects with `signal.reason`, untouched. */
  signal?: AbortSignal;
}

class Waiter implements AbortSubscriber {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly #owner: Set<Waiter>;
  readonly #signal: AbortSignal | undefined;

  constructor(
    owner: Set<Waiter>,
    signal: AbortSignal | undefined,
    resolve: () => void,
    reject: (reason: unknown) => void,
  ) {
    this.#owner = owner;
    this.#signal = signal;
    this.resolve = resolve;
    this.reject = reject;
  }

  release(): void {
    if (this.#signal !== undefined) unsubscribe(this.#signal, this);
    this.resolve();
  }

  onAbort(reason: unknown): void {
    this.#owner.delete(this);
    this.reject(reason);
  }
}

/**
 * WaitGroup waits for a collection of tasks to finish. `add` increments the
 * counter, `done` decrements it, `wait` resolves when it is zero. `go(fn)` (Go
 * 1.25's `wg.Go`) is `add(1)`, go(fn), `done()` when its task settles, and
 * returns the Task. A WaitGroup has no results: use a Group for them.
 *
 * Ordering, as in Go: an `add` with a positive delta while the counter is zero
 * must happen before the `wait` it should hold back. A WaitGroup can be reused
 * once `wait()` resolved.
 *
 * @throws WaitGroupError `threadline: negative WaitGroup counter` from add()/done()
 *   when the counter would go below zero.
 * @example
 * const wg = new WaitGroup();
 * for (const url of urls) wg.go(({ signal }) => fetch(url, { signal }));
 * await wg.wait();
 */
export class WaitGroup {
  #count = 0;
  readonly #waiters = new Set<Waiter>(); // empty whenever #count is 0
  readonly #host: TaskHost;

  /**
   * go runs `fn` like go() and counts it: `add(1)` now, `done()` when its task
   * settles. Takes go()'s overloads; returns the Task.
   *
   * @example
   * const task = wg.go(async () => compute());
   */
  declare readonly go: typeof go;

  constructor() {
    const wg = this;
    this.#host = {
      signal: undefined,
      abortKind: defaultAbortKind,
      admit(): boolean {
        wg.add(1);
        return true;
      },
      release(_task: HostedTask, _result: ObservableResult<unknown>): void {
        wg.done();
      },
    };
  }

  static {
    Object.defineProperty(WaitGroup.prototype, 'go', {
      value: function go(this: WaitGroup, target: unknown, second?: unknown, third?: unknown) {
        return dispatch(this.#host, target, second, third);
      },
      writable: true,
      configurable: true,
    });
  }

  /** The counter: tasks (or add() units) not yet done. */
  get count(): number {
    return this.#count;
  }

  /**
   * add adds `delta` (default 1; may be negative) to the counter. Reaching zero
   * releases every `wait()`.
   *
   * @throws TypeError when `delta` is not a number; RangeError when it is not an integer;
   *   WaitGroupError when the counter would go negative (nothing changes).
   * @example
   * wg.add(3);
   */
  add(delta = 1): void {
    if (typeof delta !== 'number') {
      throw new TypeError(
        `threadline: WaitGroup.add delta must be an integer, got ${describeValue(delta)}`,
      );
    }
    if (!Number.isSafeInteger(delta)) {
      throw new RangeError(
        `threadline: WaitGroup.add delta must be an integer, got ${describeValue(delta)}`,
      );
    }
    const next = this.#count + delta;
    if (next < 0) throw new WaitGroupError('threadline: negative WaitGroup counter');
    this.#count = next;
    if (next === 0 && this.#waiters.size > 0) {
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const waiter of waiters) waiter.release();
    }
  }

  /**
   * done decrements the counter by one.
   *
   * @throws WaitGroupError when the counter is already zero.
   * @example
   * wg.add(1); setTimeout(() => wg.done(), 10); await wg.wait();
   */
  done(): void {
    this.add(-1);
  }

  /**
   * wait resolves when the counter is zero (at once if it already is).
   * Rejects with `signal.reason`, untouched, when `signal` aborts first.
   *
   * @example
   * await wg.wait({ signal: AbortSignal.timeout(5_000) });
   */
  wait(options: WaitOptions = {}): Promise<void> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#count === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter(this.#waiters, signal, resolve, reject);
      this.#waiters.add(waiter);
      if (signal !== undefined) subscribe(signal, waiter);
    });
  }
}
