// The worker AttemptRunner: one attempt of go(handle, args) on a pool's worker
// thread. Keeps the contract in ./attempt.ts: never rejects, settles once, one
// span per attempt.
//
// Tracing: with an SDK registered on main, the attempt's caller context travels
// as W3C traceparent/tracestate/baggage, with the task span's id chosen here;
// the worker records the task span and the user's spans (when sampled) and
// returns them in the response. When main settles the attempt itself (timeout,
// abort, crash, not started), the worker's task span never arrives (an
// abandoned task drops it), so main records it here with the same id.
// With no caller span, main takes the sampling decision with the application's
// tracer's sampler (SDK 2.x internals, best effort; sampled when unreachable).
//
// Inside a worker task, go(handle, ...) with no explicit pool runs the child on
// this thread (no nested pools), as an in-thread task.

import type { TransferListItem } from 'node:worker_threads';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { classifyError } from '../observe/classify.js';
import type { ErrorKind } from '../observe/error-kind.js';
import { KindError } from '../observe/kind-error.js';
import {
  deserializeError,
  type EncodedSpan,
  findUncloneable,
  parseTraceparent,
  RESPONSE_ELAPSED,
  RESPONSE_KIND,
  RESPONSE_OK,
  RESPONSE_SPAN_ID,
  RESPONSE_SPANS,
  RESPONSE_START,
  RESPONSE_THREAD,
  RESPONSE_TRACE_ID,
  RESPONSE_TYPE,
  RESPONSE_VALUE,
  type SerializedError,
  type WireResponse,
  type WireTrace,
} from '../wire.js';
import type { AttemptContext, AttemptOutcome } from './attempt.js';
import type { JobFailure, JobOutcome } from './call.js';
import { getDefaultPool } from './default-pool.js';
import { isTransfer, type WorkerTask } from './define-task.js';
import { InlineRunner } from './inline-runner.js';
import { Job, type JobOwner } from './job.js';
import { type Pool, Pool as PoolClass } from './pool.js';
import { type SingleAttemptRunner, singleResult, type Task } from './task.js';
import { recordTaskSpan, wireTrace } from './task-trace.js';
import { activeTracer } from './tracer.js';

const IN_WORKER = Symbol.for('threadline.worker');

/**
 * WorkerRunner runs attempts of a defineTask task on a pool.
 *
 * @example
 * startTask(new WorkerRunner(fib, [30], undefined, undefined), 'fib', options, host);
 */
export class WorkerRunner<R> implements SingleAttemptRunner<R>, JobOwner {
  readonly #handle: WorkerTask<readonly unknown[], unknown>;
  readonly #args: readonly unknown[];
  readonly #pool: Pool | undefined;
  readonly #transfer: readonly TransferListItem[] | undefined;

  constructor(
    handle: WorkerTask<readonly unknown[], unknown>,
    args: readonly unknown[],
    pool: Pool | undefined,
    transfer: readonly TransferListItem[] | undefined,
  ) {
    this.#handle = handle;
    this.#args = args;
    this.#pool = pool;
    this.#transfer = transfer;
  }

  /** `threadline.task.location` of the duration metric. */
  get location(): 'worker' {
    return 'worker';
  }

  /** `threadline.pool.name` of the duration metric. */
  get poolName(): string {
    return this.#pool?.name ?? 'default';
  }

  run(attempt: AttemptContext): Promise<AttemptOutcome<R>> {
    return this.#attempt(attempt, -1) as Promise<AttemptOutcome<R>>;
  }

  /**
   * runOnce runs the only attempt of an unhosted task straight to its result
   * (SingleAttemptRunner): the Job resolves the Task itself. Never rejects.
   */
  runOnce(attempt: AttemptContext, goNow: number): Task<R> {
    try {
      return this.#attempt(attempt, goNow) as Task<R>;
    } catch (err) {
      return Promise.resolve(singleResult<R>(this, undefined, err, attempt.source, goNow));
    }
  }

  /** One attempt; with `goNow` >= 0 it resolves with the final result (runOnce). */
  #attempt(attempt: AttemptContext, goNow: number): Promise<unknown> {
    if (
      goNow >= 0 &&
      (globalThis as { [IN_WORKER]?: boolean })[IN_WORKER] === true &&
      this.#pool === undefined
    ) {
      return this.#runHere(attempt).then(
        (o) => singleResult(this, o, undefined, attempt.source, goNow),
        (err: unknown) => singleResult<R>(this, undefined, err, attempt.source, goNow),
      );
    }
    if (this.#pool === undefined && (globalThis as { [IN_WORKER]?: boolean })[IN_WORKER] === true) {
      return this.#runHere(attempt);
    }
    const tracer = activeTracer();
    const wt = tracer === undefined ? undefined : wireTrace(tracer, attempt);
    const bad = findUncloneable(this.#args);
    if (bad !== undefined) {
      const error = new KindError(
        'Validation',
        `threadline: task "${this.#handle.name}" arguments cannot be cloned: ${bad}`,
      );
      const now = performance.timeOrigin + performance.now();
      const failure = {
        error,
        kind: 'Validation' as const,
        startTime: now,
        endTime: now,
        elapsedMs: 0,
        threadId: 0,
      };
      const outcome = failureOutcome<R>(failure, attempt, wt, this.#handle.name);
      return Promise.resolve(
        goNow >= 0 ? singleResult(this, outcome, undefined, attempt.source, goNow) : outcome,
      );
    }
    // One Job per attempt: the request, the pool's record and the promise's resolver.
    const job = new Job(
      this,
      attempt,
      this.#handle.url,
      this.#handle.name,
      this.#args as unknown[],
      attempt.source,
      attempt.retryCount,
      wt,
      this.#transfer,
      attempt.timeoutMs,
      attempt.signal,
      attempt.abortKind,
    );
    job.goNow = goNow;
    return job.start(this.#pool ?? getDefaultPool());
  }

  /**
   * The job's outcome as this attempt's AttemptOutcome, or for runOnce as the
   * task's result (JobOwner). Internal.
   */
  finish(job: Job, o: JobOutcome): unknown {
    const attempt = job.context as AttemptContext;
    if (job.goNow < 0) {
      if (Array.isArray(o)) return responseOutcome<R>(o, attempt, job.trace, job.name);
      return failureOutcome<R>((o as JobFailure).failure, attempt, job.trace, job.name);
    }
    let outcome: AttemptOutcome<R>;
    try {
      outcome = Array.isArray(o)
        ? responseOutcome<R>(o, attempt, job.trace, job.name)
        : failureOutcome<R>((o as JobFailure).failure, attempt, job.trace, job.name);
    } catch (err) {
      return singleResult<R>(this, undefined, err, attempt.source, job.goNow);
    }
    return singleResult(this, outcome, undefined, attempt.source, job.goNow);
  }

  #runHere(attempt: AttemptContext): Promise<AttemptOutcome<R>> {
    const fn = this.#handle.fn as (...args: unknown[]) => unknown;
    const args = structuredClone(this.#args) as unknown[];
    const inline = new InlineRunner<R>(async () => {
      const out = await fn(...args);
      return (isTransfer(out) ? out.value : out) as R;
    });
    return inline.run(attempt);
  }
}

/** A worker's response, decoded straight into the attempt's outcome. */
function responseOutcome<R>(
  w: WireResponse,
  attempt: AttemptContext,
  wt: WireTrace | undefined,
  taskName: string,
): AttemptOutcome<R> {
  const outcome = decodeOutcome<R>(w, attempt, wt);
  if (wt !== undefined) {
    // A task span user code did not touch stays in the worker: record it here.
    const p = parseTraceparent(wt.traceparent);
    if (p !== undefined && (p.traceFlags & 1) === 1 && !carriesSpan(w, wt.spanId)) {
      recordTaskSpan(wt, p, attempt, taskName, outcome);
    }
  }
  return outcome;
}

/** Whether the response brings the span `spanId` back (EncodedSpan index 3: its id). */
function carriesSpan(w: WireResponse, spanId: string): boolean {
  const spans = w[RESPONSE_SPANS] as EncodedSpan[] | undefined;
  if (spans === undefined) return false;
  for (let i = 0; i < spans.length; i++) if ((spans[i] as EncodedSpan)[3] === spanId) return true;
  return false;
}

function decodeOutcome<R>(
  w: WireResponse,
  attempt: AttemptContext,
  wt: WireTrace | undefined,
): AttemptOutcome<R> {
  let traceId: string;
  let spanId: string;
  if (wt === undefined) {
    const p = trace.getSpanContext(attempt.parentContext);
    if (p !== undefined && isSpanContextValid(p)) {
      traceId = p.traceId;
      spanId = p.spanId;
    } else {
      traceId = '';
      spanId = '';
    }
  } else {
    traceId = w[RESPONSE_TRACE_ID] as string;
    spanId = w[RESPONSE_SPAN_ID] as string;
  }
  const startTime = w[RESPONSE_START] as number;
  const elapsedMs = w[RESPONSE_ELAPSED] as number;
  if (w[RESPONSE_OK] === 1) {
    return {
      ok: true,
      value: w[RESPONSE_VALUE] as R,
      error: undefined,
      errorKind: undefined,
      resultType: w[RESPONSE_TYPE] as string,
      elapsedMs,
      startTime,
      endTime: startTime + elapsedMs,
      traceId,
      spanId,
      threadId: w[RESPONSE_THREAD] as number,
    };
  }
  const serialized = w[RESPONSE_VALUE] as SerializedError | undefined;
  const error =
    serialized === undefined
      ? new KindError('Unknown', 'threadline: task failed')
      : deserializeError(serialized);
  return {
    ok: false,
    value: undefined,
    error,
    errorKind: (w[RESPONSE_KIND] as ErrorKind | undefined) ?? classifyError(error),
    resultType: w[RESPONSE_TYPE] as string,
    elapsedMs,
    startTime,
    endTime: startTime + elapsedMs,
    traceId,
    spanId,
    threadId: w[RESPONSE_THREAD] as number,
  };
}

/** An attempt main settled itself (not run, aborted, lost with its worker). */
function failureOutcome<R>(
  f: JobFailure['failure'],
  attempt: AttemptContext,
  wt: WireTrace | undefined,
  taskName: string,
): AttemptOutcome<R> {
  let traceId: string;
  let spanId: string;
  if (wt === undefined) {
    [traceId, spanId] = parentIds(attempt);
  } else {
    const p = parseTraceparent(wt.traceparent);
    traceId = p?.traceId ?? '';
    spanId = wt.spanId;
    if (p !== undefined && (p.traceFlags & 1) === 1) {
      recordTaskSpan(wt, p, attempt, taskName, {
        ok: false,
        error: f.error,
        errorKind: f.kind,
        resultType: 'undefined',
        elapsedMs: f.elapsedMs,
        startTime: f.startTime,
        threadId: f.threadId,
      });
    }
  }
  return {
    ok: false,
    value: undefined,
    error: f.error,
    errorKind: f.kind,
    resultType: 'undefined',
    elapsedMs: f.elapsedMs,
    startTime: f.startTime,
    endTime: f.endTime,
    traceId,
    spanId,
    threadId: f.threadId,
  };
}

function parentIds(attempt: AttemptContext): [string, string] {
  const p = trace.getSpanContext(attempt.parentContext);
  return p !== undefined && isSpanContextValid(p) ? [p.traceId, p.spanId] : ['', ''];
}

/** The options go() takes for a worker task, on top of GoOptions. */
export interface WorkerGoOptions {
  /** The pool to run on; default: the default pool (inside a worker task: this thread). */
  pool?: Pool;
  /** Transferables among the arguments to move instead of copy (not usable by retries). */
  transfer?: readonly TransferListItem[];
}

/**
 * createWorkerRunner validates go(handle, args, options)'s worker-only parts
 * and returns the runner. Throws TypeError synchronously for args that are not
 * an array, a `pool` that is not a Pool, or a `transfer` that is not an array.
 *
 * @example
 * const runner = createWorkerRunner(fib, [30], { pool });
 */
export function createWorkerRunner<R>(
  handle: WorkerTask<readonly unknown[], unknown>,
  args: unknown,
  options: unknown,
): WorkerRunner<R> {
  if (typeof handle.url !== 'string' || typeof handle.name !== 'string') {
    throw new TypeError('threadline: go expects a defineTask handle with a url and a name');
  }
  if (!Array.isArray(args)) {
    throw new TypeError(
      `threadline: go of task "${handle.name}" expects args as an array, got ${args === null ? 'null' : typeof args}`,
    );
  }
  let pool: Pool | undefined;
  let transfer: readonly TransferListItem[] | undefined;
  if (typeof options === 'object' && options !== null) {
    const o = options as WorkerGoOptions;
    if (o.pool !== undefined) {
      if (!(o.pool instanceof PoolClass)) {
        throw new TypeError(
          `threadline: go option pool must be a Pool from createPool(), got ${String(o.pool)}`,
        );
      }
      pool = o.pool;
    }
    if (o.transfer !== undefined) {
      if (!Array.isArray(o.transfer)) {
        throw new TypeError(
          `threadline: go option transfer must be an array, got ${typeof o.transfer}`,
        );
      }
      transfer = o.transfer;
    }
  }
  return new WorkerRunner<R>(handle, args, pool, transfer);
}
