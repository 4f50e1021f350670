// Group: golang.org/x/sync/errgroup (WithContext + SetLimit + TryGo), with the
// results kept: wait() returns every result, the errors and the batch's stats.
//
// Terms: a task is *running* when it holds one of the `limit` slots, *queued*
// when go() accepted it but no slot was free. #pending counts tasks submitted
// and not yet released (settled, `into` delivered).
//
// Invariants (tested in test/group.test.ts):
//   #running <= #limit; #queue is non-empty only when #running === #limit
//     (at every point outside #pump()).
//   Queued tasks start in submission order.
//   #controller aborts at most once: with the first failure's error, or with
//     the parent signal's reason, or with GROUP_FINISHED when wait() resolves.
//   After #finished, go()/tryGo() throw and nothing is admitted.
//   #results[i] is the result of the i-th submitted task once it is released.

import { KindError } from '../observe/kind-error.js';
import type { ObservableResult } from '../observe/result.js';
import type { AbortKind } from '../pool/attempt.js';
import type { Cloneable, WorkerTask } from '../pool/define-task.js';
import { dispatch, type go } from '../pool/go.js';
import type { TaskFunction } from '../pool/inline-runner.js';
import type { GoOptions } from '../pool/options.js';
import { describeValue } from '../pool/options.js';
import { type AbortSubscriber, subscribe, unsubscribe } from '../pool/signals.js';
import { defaultAbortKind, type HostedTask, type Task, type TaskHost } from '../pool/task.js';
import type { WorkerGoOptions } from '../pool/worker-runner.js';
import { type GroupStats, groupStats } from './group-stats.js';
import type { WaitOptions } from './wait-group.js';

/**
 * Group.tryGo's call signatures: go()'s, returning `undefined` when no slot is free.
 *
 * @example
 * const task = g.tryGo(job); // undefined at the limit
 */
export interface TryGo {
  <R>(fn: TaskFunction<R>, options?: GoOptions<Awaited<R>>): Task<Awaited<R>> | undefined;
  <A extends readonly Cloneable[], R extends Cloneable>(
    handle: WorkerTask<A, R>,
    args: A,
    options?: GoOptions<R> & WorkerGoOptions,
  ): Task<R> | undefined;
}

/**
 * Options of `new Group()`.
 *
 * @example
 * const stop = new AbortController();
 * const g = new Group({ limit: 8, signal: stop.signal });
 */
export interface GroupOptions {
  /** Most tasks running at once; absent or negative: no limit (Go's SetLimit(-1)). */
  limit?: number;
  /** Parent signal: its abort aborts `g.signal` with the same reason. */
  signal?: AbortSignal;
}

/**
 * What Group.wait() resolves to.
 *
 * @example
 * const { firstError, errors, results, stats } = await g.wait();
 */
export interface GroupSummary<R = unknown> {
  /** The first failure's error (in completion order); `undefined` when none failed. */
  firstError: Error | undefined;
  /** Every failure's error, in completion order. */
  errors: Error[];
  /** Every task's result, in submission order. */
  results: ObservableResult<R>[];
  stats: GroupStats;
}

class ReadyWaiter implements AbortSubscriber {
  readonly #owner: Set<ReadyWaiter>;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: () => void;
  readonly #reject: (reason: unknown) => void;

  constructor(
    owner: Set<ReadyWaiter>,
    signal: AbortSignal | undefined,
    resolve: () => void,
    reject: (reason: unknown) => void,
  ) {
    this.#owner = owner;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  release(): void {
    if (this.#signal !== undefined) unsubscribe(this.#signal, this);
    this.#resolve();
  }

  onAbort(reason: unknown): void {
    this.#owner.delete(this);
    this.#reject(reason);
  }
}

/**
 * Group runs a batch of tasks and waits for all of them, like errgroup: the
 * first failure aborts `g.signal` (with that error as its reason) so siblings
 * can stop, `limit` bounds how many run at once, and `wait()` returns every
 * result with the first error and the batch's stats. A zero Group
 * (`new Group()`) is valid: no limit, no parent signal.
 *
 * Tasks not started when `g.signal` aborts settle `Canceled` without running;
 * running ones see the abort through their `signal` and settle `Canceled`
 * (whatever the first failure's kind). `g.signal` also aborts when wait()
 * resolves (reason `KindError('Canceled', 'group finished')`), as errgroup
 * cancels its context. A Group is single-use: go() after wait() resolved throws.
 *
 * @throws TypeError / RangeError for a bad `limit` (0, 1.5, '2'), naming the value.
 * @example
 * const g = new Group({ limit: 4 });
 * for (const id of ids) g.go(({ signal }) => fetchUser(id, { signal }), { source: 'user-api/v3' });
 * const { firstError, results, stats } = await g.wait();
 */
export class Group<R = unknown> {
  readonly #limit: number; // Infinity when unlimited
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  #selfReason: unknown; // the reason this group aborted its signal with, if it did
  #running = 0;
  #queue: HostedTask[] = []; // FIFO from #queueHead
  #queueHead = 0;
  #pending = 0;
  readonly #index = new Map<HostedTask, number>(); // submission index of unreleased tasks
  readonly #results: ObservableResult<R>[] = [];
  readonly #errors: Error[] = [];
  #firstError: Error | undefined;
  #finished = false;
  #done: Promise<GroupSummary<R>> | undefined;
  #resolveDone: ((summary: GroupSummary<R>) => void) | undefined;
  readonly #readyWaiters = new Set<ReadyWaiter>();
  readonly #host: TaskHost;
  readonly #parentSubscriber: AbortSubscriber;

  /**
   * go runs a task in the group like go() (same overloads) and returns its
   * Task. Beyond `limit` the task is queued and starts when a slot frees, in
   * submission order; `waitMs` includes that queueing.
   *
   * @throws Error when wait() already resolved; go()'s TypeErrors for bad arguments.
   * @example
   * const g = new Group();
   * const task = g.go(async ({ signal }) => fetch(url, { signal }), { source: 'work' });
   */
  declare readonly go: typeof go;

  /**
   * tryGo is go() when a slot is free now (nothing queued, fewer than `limit`
   * running), else returns `undefined` without looking at its arguments
   * (Go's TryGo). Never queues.
   *
   * @example
   * if (g.tryGo(job) === undefined) await g.ready();
   */
  declare readonly tryGo: TryGo;

  constructor(options: GroupOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        `threadline: Group options must be an object, got ${describeValue(options)}`,
      );
    }
    this.#limit = checkLimit(options.limit);
    const group = this;
    this.#host = {
      get signal() {
        return group.#controller.signal;
      },
      abortKind: (reason: unknown): AbortKind =>
        reason === this.#selfReason && reason !== undefined ? 'Canceled' : defaultAbortKind(reason),
      admit: (task) => this.#admit(task),
      release: (task, result, heldSlot) =>
        this.#release(task, result as ObservableResult<R>, heldSlot),
    };
    this.#parentSubscriber = { onAbort: (reason) => this.#abort(reason, false) };
    const parent = options.signal;
    if (parent !== undefined && !(parent instanceof AbortSignal)) {
      throw new TypeError(
        `threadline: Group option signal must be an AbortSignal, got ${describeValue(parent)}`,
      );
    }
    this.#parent = parent;
    if (parent !== undefined && !subscribe(parent, this.#parentSubscriber)) {
      this.#abort(parent.reason, false);
    }
  }

  static {
    Object.defineProperty(Group.prototype, 'go', {
      value: function go(this: Group, target: unknown, second?: unknown, third?: unknown) {
        this.#checkOpen('go');
        return dispatch(this.#host, target, second, third);
      },
      writable: true,
      configurable: true,
    });
    Object.defineProperty(Group.prototype, 'tryGo', {
      value: function tryGo(this: Group, target: unknown, second?: unknown, third?: unknown) {
        this.#checkOpen('tryGo');
        if (!this.#hasFreeSlot()) return undefined;
        return dispatch(this.#host, target, second, third);
      },
      writable: true,
      configurable: true,
    });
  }

  /**
   * The group's signal (errgroup.WithContext's ctx): aborted on the first
   * failure with that error as reason, when the parent signal aborts, and when
   * wait() resolves.
   */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The limit: a positive integer, or Infinity for none. */
  get limit(): number {
    return this.#limit;
  }

  /** Tasks holding a slot now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks accepted by go() and waiting for a slot. */
  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * ready resolves when a slot is free (nothing queued, fewer than `limit`
   * running): Go's blocking `Go` as backpressure. Rejects with `signal.reason`,
   * untouched, when `signal` aborts first.
   *
   * @example
   * for (const job of jobs) { await g.ready(); g.go(job); }
   */
  ready(options: WaitOptions = {}): Promise<void> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#hasFreeSlot()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = new ReadyWaiter(this.#readyWaiters, signal, resolve, reject);
      this.#readyWaiters.add(waiter);
      if (signal !== undefined) subscribe(signal, waiter);
    });
  }

  /**
   * wait resolves when every task submitted so far has settled (tasks added
   * while it waits included), with their results, errors and stats; it never
   * rejects because a task failed. When it resolves, `g.signal` aborts and the
   * group accepts no more tasks. `signal` abandons this wait only (rejecting
   * with `signal.reason`); the group goes on.
   *
   * @example
   * const { firstError, stats } = await g.wait();
   * if (firstError) throw firstError;
   */
  wait(options: WaitOptions = {}): Promise<GroupSummary<R>> {
    if (this.#done === undefined) {
      this.#done = new Promise<GroupSummary<R>>((resolve) => {
        this.#resolveDone = resolve;
      });
      if (this.#pending === 0) this.#finish();
    }
    const signal = options.signal;
    if (signal === undefined) return this.#done;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<GroupSummary<R>>((resolve, reject) => {
      const sub: AbortSubscriber = { onAbort: reject };
      subscribe(signal, sub);
      this.#done!.then((summary) => {
        unsubscribe(signal, sub);
        resolve(summary);
      });
    });
  }

  #checkOpen(method: string): void {
    if (this.#finished) {
      throw new KindError('Panic', `threadline: Group.${method} called after wait returned`);
    }
  }

  #hasFreeSlot(): boolean {
    return this.#running < this.#limit && this.#queue.length === this.#queueHead;
  }

  #admit(task: HostedTask): boolean {
    this.#index.set(task, this.#results.length);
    this.#results.length++;
    this.#pending++;
    if (this.#hasFreeSlot()) {
      this.#running++;
      return true;
    }
    this.#queue.push(task);
    return false;
  }

  #release(task: HostedTask, result: ObservableResult<R>, heldSlot: boolean): void {
    const index = this.#index.get(task);
    if (index === undefined) throw new Error('threadline: internal: release of unknown task');
    this.#index.delete(task);
    this.#results[index] = result;
    if (!result.ok) {
      const error = result.error!;
      this.#errors.push(error);
      if (this.#firstError === undefined) {
        this.#firstError = error;
        this.#abort(error, true);
      }
    }
    if (heldSlot) {
      this.#running--;
      this.#pump();
    }
    this.#pending--;
    if (this.#pending === 0 && this.#resolveDone !== undefined) this.#finish();
  }

  /** Hands free slots to queued tasks in order, then wakes ready() waiters. */
  #pump(): void {
    while (this.#running < this.#limit && this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as HostedTask;
      this.#running++;
      // A task settled while queued (aborted) declines the slot.
      if (!next.start()) this.#running--;
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    if (this.#readyWaiters.size > 0 && this.#hasFreeSlot()) {
      const waiters = [...this.#readyWaiters];
      this.#readyWaiters.clear();
      for (const waiter of waiters) waiter.release();
    }
  }

  #abort(reason: unknown, self: boolean): void {
    if (this.#controller.signal.aborted) return;
    if (self) this.#selfReason = reason;
    if (this.#parent !== undefined) unsubscribe(this.#parent, this.#parentSubscriber);
    this.#controller.abort(reason);
  }

  #finish(): void {
    this.#finished = true;
    this.#abort(new KindError('Canceled', 'group finished'), true);
    const results = this.#results;
    this.#resolveDone!({
      firstError: this.#firstError,
      errors: this.#errors,
      results,
      stats: groupStats(results),
    });
  }
}

function checkLimit(limit: unknown): number {
  if (limit === undefined || limit === Infinity) return Infinity;
  if (typeof limit !== 'number') {
    throw new TypeError(
      `threadline: Group limit must be a positive integer (negative for no limit), got ${describeValue(limit)}`,
    );
  }
  if (!Number.isInteger(limit) || limit === 0) {
    throw new RangeError(
      `threadline: Group limit must be a positive integer (negative for no limit), got ${describeValue(limit)}`,
    );
  }
  return limit < 0 ? Infinity : limit;
}
