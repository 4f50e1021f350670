// The seam between go() and whatever runs one attempt of a task.
//
// go() (src/pool/go.ts, src/pool/task.ts) owns everything that spans attempts:
// argument validation, the Task, waitMs, combining the caller's and the Group's
// signals, retries and backoff, `into`, and building the ObservableResult. An
// AttemptRunner runs exactly one attempt: the in-thread runner
// (src/pool/inline-runner.ts) calls `fn({ signal })` on this thread; the worker
// runner (issue 4) runs a defineTask task on a worker thread.
//
// Contract every runner keeps (go() relies on it):
//   run() never rejects and resolves exactly once.
//   When `signal` aborts before the attempt settled, run() resolves at once with
//     a failure whose error is KindError(abortKind(reason), ..., { cause: reason });
//     when `timeoutMs` passes first, with KindError('Timeout', ..., { cause }).
//     A later outcome of the task is discarded.
//   One span per attempt (a child of `parentContext`), ended with the same two
//     clock readings that give `startTime` and `elapsedMs`.
//   `startTime`/`endTime` are epoch ms with sub-ms precision
//     (performance.timeOrigin + performance.now() of the thread that ran it), so
//     they compare across threads; `elapsedMs` is the monotonic difference.

import type { Context } from '@opentelemetry/api';
import type { ErrorKind } from '../observe/error-kind.js';
import type { TaskLocation } from '../observe/metrics.js';

/** The kind an abort settles as: `Timeout` for a deadline, else `Canceled`. */
export type AbortKind = 'Timeout' | 'Canceled';

/** What one attempt is given. Built by go() for every attempt; runners must not keep it. */
export interface AttemptContext {
  /**
   * The task's combined signal (the caller's `signal` and the Group's signal), or
   * `undefined` when there is none. Does not include `timeoutMs`: the runner arms
   * that per attempt.
   */
  readonly signal: AbortSignal | undefined;
  /** Run-time limit of this attempt in ms, or `undefined` for none. */
  readonly timeoutMs: number | undefined;
  /** `ObservableResult.source`; also the span name. */
  readonly source: string;
  /** The defineTask name or the function's name (`app.task.name`). */
  readonly taskName: string;
  /** 0 for the first attempt, then 1, 2, ... (`app.retry.count`). */
  readonly retryCount: number;
  /** The OpenTelemetry context active when go() was called: the span's parent. */
  readonly parentContext: Context;
  /**
   * Decides the kind of an abort of `signal` from its reason (a Group maps the
   * reason it aborted with, a sibling's failure, to `Canceled`).
   */
  readonly abortKind: (reason: unknown) => AbortKind;
}

/** How one attempt ended. */
export interface AttemptOutcome<R> {
  readonly ok: boolean;
  /** The value; `undefined` on failure. */
  readonly value: R | undefined;
  /** The failure, always an Error; `undefined` on success. */
  readonly error: Error | undefined;
  /** The failure's kind; `undefined` on success. */
  readonly errorKind: ErrorKind | undefined;
  /** resultType(value), computed where the value was produced. */
  readonly resultType: string;
  /** endTime − startTime on the monotonic clock of the running thread. */
  readonly elapsedMs: number;
  /** Epoch ms (sub-ms precision) when the attempt started running. */
  readonly startTime: number;
  /** Epoch ms (sub-ms precision) when the attempt settled. */
  readonly endTime: number;
  /** The attempt span's trace id when its context is valid, '' otherwise. */
  readonly traceId: string;
  /** The attempt span's span id when its context is valid, '' otherwise. */
  readonly spanId: string;
  /** The thread that ran it: 0 for the main thread. */
  readonly threadId: number;
}

/**
 * AttemptRunner runs one attempt of a task. Implementations: the in-thread
 * runner (`fn({ signal })`) and the worker runner (a defineTask task).
 *
 * @example
 * const runner: AttemptRunner<number> = { run: async (ctx) => runSomewhere(ctx) };
 */
export interface AttemptRunner<R> {
  /** Where attempts run, for the `threadline.task.duration` metric; default `'loop'`. */
  readonly location?: TaskLocation;
  /** The pool's name (`threadline.pool.name`), for worker runners. */
  readonly poolName?: string;
  /** Runs one attempt; never rejects (see the file-top contract). */
  run(attempt: AttemptContext): Promise<AttemptOutcome<R>>;
}
