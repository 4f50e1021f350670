// Job: one attempt of a worker task inside a pool, from go() to its settlement.
//
// A Job is also the attempt's request (its fields are what the worker needs) and
// its promise's resolver: one object per attempt on the hot path, no separate
// spec, request or callback closures (main-thread allocations are most of a
// pool's overhead at high throughput: they cost GC time).
//
// Invariants:
//   settle() resolves the attempt exactly once (`done`), and removes the
//     job's subscription to its signal.
//   `call`/`index` name the in-flight call holding the job, or are unset while
//     the job waits in the pool's queue.

import { KindError } from '../observe/kind-error.js';
import type { WireTrace } from '../wire.js';
import type { AbortKind } from './attempt.js';
import type { CallRecord, JobOutcome } from './call.js';
import type { Pool } from './pool.js';
import { type AbortSubscriber, unsubscribe } from './signals.js';

/** Turns a job's outcome into what its promise resolves with (the worker runner). */
export interface JobOwner {
  finish(job: Job, outcome: JobOutcome): unknown;
}

/** One attempt of a task in a pool. Internal. */
export class Job implements AbortSubscriber {
  /** The task module's URL. */
  readonly url: string;
  /** The task's name in its module. */
  readonly name: string;
  readonly args: unknown[];
  /** `ObservableResult.source`, the span name. */
  readonly source: string;
  /** Retries made before this attempt. */
  readonly attempt: number;
  /** The caller context for the worker; absent when no SDK is registered. */
  readonly trace: WireTrace | undefined;
  readonly transferList: readonly unknown[] | undefined;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly abortKind: (reason: unknown) => AbortKind;
  /** Opaque to the pool: the owner's per-attempt context. */
  readonly context: unknown;
  readonly #owner: JobOwner;
  #pool: Pool | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  done = false;
  call: CallRecord | undefined;
  index = -1;
  /** Times the job went back to the queue after its worker died before starting it. */
  requeues = 0;
  /** Set when a batch could not be posted: dispatch this job alone. */
  alone = false;
  /** Opaque to the pool: the owner's go() time for a job it settles to a final result, else -1. */
  goNow = -1;

  constructor(
    owner: JobOwner,
    context: unknown,
    url: string,
    name: string,
    args: unknown[],
    source: string,
    attempt: number,
    trace: WireTrace | undefined,
    transferList: readonly unknown[] | undefined,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
    abortKind: (reason: unknown) => AbortKind,
  ) {
    this.#owner = owner;
    this.context = context;
    this.url = url;
    this.name = name;
    this.args = args;
    this.source = source;
    this.attempt = attempt;
    this.trace = trace;
    this.transferList = transferList;
    this.timeoutMs = timeoutMs;
    this.signal = signal;
    this.abortKind = abortKind;
  }

  /**
   * start hands the job to `pool` and returns the promise of its owner's
   * result (`owner.finish(job, outcome)`); it never rejects.
   */
  start<T>(pool: Pool): Promise<T> {
    this.#pool = pool;
    const promise = new Promise<T>(capture);
    this.#resolve = captured;
    captured = undefined;
    pool.submit(this);
    return promise;
  }

  onAbort(reason: unknown): void {
    this.#pool?.cancel(this, reason);
  }

  /** Settles the job; false when it was already settled. */
  settle(outcome: JobOutcome): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.signal !== undefined) unsubscribe(this.signal, this);
    const resolve = this.#resolve as (value: unknown) => void;
    this.#resolve = undefined;
    let value: unknown;
    try {
      value = this.#owner.finish(this, outcome);
    } catch (err) {
      // finish() is threadline code; a throw is a bug: the attempt still settles.
      value = Promise.reject(err);
    }
    resolve(value);
    return true;
  }
}

// new Promise(capture) hands its resolve function over without a closure per job.
let captured: ((value: unknown) => void) | undefined;
function capture(resolve: (value: never) => void): void {
  captured = resolve as (value: unknown) => void;
}

/** The error of a task settled by its signal. */
export function abortError(kind: AbortKind, source: string, reason: unknown): KindError {
  const message =
    kind === 'Timeout'
      ? `threadline: task "${source}" deadline exceeded`
      : `threadline: task "${source}" canceled`;
  return new KindError(kind, message, { cause: reason });
}
