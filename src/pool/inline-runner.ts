// The in-thread AttemptRunner: one attempt of `go(fn)` calls `fn({ signal })` on
// this thread, under its own span. Keeps the contract in ./attempt.ts.
//
// Two shapes, chosen per attempt:
//   runUnbounded: no signal and no timeoutMs. Nothing can end the attempt but
//     fn itself, so it is a plain `await fn()` between two clock readings (the
//     hot path: no listener, no timer, no controller).
//   BoundedAttempt: the attempt settles at whichever comes first of fn's
//     outcome, the signal's abort and the timeoutMs timer; the losers are
//     discarded and every listener and timer is removed when it settles.
// A synchronous fn cannot be preempted: an abort or timeout is seen only once it
// returns (documented in the README's "Differences from Go").

import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import {
  context,
  INVALID_SPANID,
  INVALID_TRACEID,
  type Span,
  type SpanContext,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { classifyError } from '../observe/classify.js';
import type { ErrorKind } from '../observe/error-kind.js';
import { KindError } from '../observe/kind-error.js';
import { resultType } from '../observe/result-type.js';
import { endTaskSpan, taskSpanAttributes, toHrTime } from '../observe/span-outcome.js';
import type { AttemptContext, AttemptOutcome, AttemptRunner } from './attempt.js';
import { type AbortSubscriber, subscribe, unsubscribe } from './signals.js';
import { activeTracer } from './tracer.js';

// Constant per thread; reading performance.timeOrigin costs a getter call.
const TIME_ORIGIN = performance.timeOrigin;

/**
 * What an in-thread task function receives.
 *
 * @example
 * go(({ signal }) => fetch(url, { signal }));
 */
export interface TaskFunctionContext {
  /** Aborts when the caller's signal, the Group's signal or the attempt's timeoutMs fires. */
  readonly signal: AbortSignal;
}

/**
 * A function go() runs on this thread: sync or async, it gets `{ signal }`.
 *
 * @example
 * const job: TaskFunction<number> = async ({ signal }) => (await fetch(url, { signal })).status;
 */
export type TaskFunction<R> = (ctx: TaskFunctionContext) => R | PromiseLike<R>;

/**
 * Passed to fn when nothing can abort the attempt: the signal, never aborted, is
 * made only if fn reads it.
 */
class IdleContext implements TaskFunctionContext {
  #signal: AbortSignal | undefined;
  get signal(): AbortSignal {
    if (this.#signal === undefined) this.#signal = new AbortController().signal;
    return this.#signal;
  }
}

/**
 * InlineRunner runs attempts of an in-thread task function.
 *
 * @example
 * const outcome = await new InlineRunner(() => 42).run(attemptContext);
 */
export class InlineRunner<R> implements AttemptRunner<R> {
  readonly location = 'loop';
  readonly #fn: TaskFunction<R>;

  constructor(fn: TaskFunction<R>) {
    this.#fn = fn;
  }

  run(attempt: AttemptContext): Promise<AttemptOutcome<R>> {
    const tracer = activeTracer();
    if (attempt.signal === undefined && attempt.timeoutMs === undefined) {
      return runUnbounded(this.#fn, attempt, tracer, identity);
    }
    return new BoundedAttempt(this.#fn, attempt, tracer).promise;
  }

  /**
   * runUnbounded is run() for an attempt with no signal and no timeoutMs whose
   * outcome `finish` maps to the caller's final value. go()'s hot path uses it
   * to build the ObservableResult in the same async frame: one promise hop
   * less than `run().then(finish)`.
   */
  runUnbounded<T>(
    attempt: AttemptContext,
    finish: (outcome: AttemptOutcome<R>, attempt: AttemptContext) => T,
  ): Promise<T> {
    return runUnbounded(this.#fn, attempt, activeTracer(), finish);
  }
}

function identity<T>(value: T): T {
  return value;
}

async function runUnbounded<R, T>(
  fn: TaskFunction<R>,
  attempt: AttemptContext,
  tracer: Tracer | undefined,
  finish: (outcome: AttemptOutcome<R>, attempt: AttemptContext) => T,
): Promise<T> {
  const args = new IdleContext();
  let span: Span | undefined;
  let value: R | undefined;
  let thrown = false;
  let error: unknown;
  const t0 = performance.now();
  try {
    if (tracer === undefined) {
      value = await fn(args);
    } else {
      span = startSpan(tracer, attempt, t0);
      value = await context.with(trace.setSpan(attempt.parentContext, span), fn, undefined, args);
    }
  } catch (err) {
    thrown = true;
    error = err;
  }
  return finish(settle(attempt, span, t0, performance.now(), thrown, value, error), attempt);
}

function startSpan(tracer: Tracer, attempt: AttemptContext, t0: number): Span {
  return tracer.startSpan(
    attempt.source,
    {
      startTime: toHrTime(t0),
      attributes: taskSpanAttributes(
        attempt.source,
        attempt.taskName,
        attempt.retryCount,
        threadId,
      ),
    },
    attempt.parentContext,
  );
}

/** settle turns fn's outcome into an AttemptOutcome and ends the span at t1. */
function settle<R>(
  attempt: AttemptContext,
  span: Span | undefined,
  t0: number,
  t1: number,
  thrown: boolean,
  value: R | undefined,
  thrownValue: unknown,
): AttemptOutcome<R> {
  const elapsedMs = t1 - t0;
  let error: Error | undefined;
  let errorKind: ErrorKind | undefined;
  let type: string;
  if (thrown) {
    error = toError(thrownValue);
    errorKind = classifyError(error);
    value = undefined;
    type = 'undefined';
  } else {
    type = resultType(value);
  }
  const ok = !thrown;
  const spanContext =
    span !== undefined ? span.spanContext() : trace.getSpanContext(attempt.parentContext);
  const valid = spanContext !== undefined && hasIds(spanContext);
  if (span !== undefined) {
    endTaskSpan(span, { ok, error, errorKind, resultType: type, elapsedMs }, toHrTime(t1));
  }
  return {
    ok,
    value,
    error,
    errorKind,
    resultType: type,
    elapsedMs,
    startTime: TIME_ORIGIN + t0,
    endTime: TIME_ORIGIN + t1,
    traceId: valid ? spanContext.traceId : '',
    spanId: valid ? spanContext.spanId : '',
    threadId,
  };
}

// Ids reach a span context through the SDK's generator or a propagator, both of
// which validate them; comparing with the invalid ids is all that is left (the
// API's isSpanContextValid runs two regular expressions per call).
function hasIds(spanContext: SpanContext): boolean {
  return spanContext.traceId !== INVALID_TRACEID && spanContext.spanId !== INVALID_SPANID;
}

/** toError keeps Errors as thrown; anything else becomes KindError('Unknown') with it as cause. */
function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new KindError('Unknown', `threadline: task threw a non-Error value: ${describe(thrown)}`, {
    cause: thrown,
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}

/**
 * One attempt that a signal or timeoutMs can end before fn does.
 * `#done` is set once, by whichever of fn's outcome, the abort and the timer
 * comes first; the others find it set and do nothing.
 */
class BoundedAttempt<R> implements AbortSubscriber {
  readonly promise: Promise<AttemptOutcome<R>>;
  readonly #attempt: AttemptContext;
  readonly #span: Span | undefined;
  readonly #t0: number;
  #resolve!: (outcome: AttemptOutcome<R>) => void;
  #done = false;
  // With timeoutMs, fn's signal is this attempt's own, made only when fn reads
  // it (an AbortController costs more than the rest of the attempt). An abort
  // before that is kept in #abortedWith and applied when it is made.
  #controller: AbortController | undefined;
  #abortedWith: unknown = NOT_ABORTED;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(fn: TaskFunction<R>, attempt: AttemptContext, tracer: Tracer | undefined) {
    this.promise = new Promise<AttemptOutcome<R>>((resolve) => {
      this.#resolve = resolve;
    });
    this.#attempt = attempt;
    const outer = attempt.signal;
    const t0 = performance.now();
    this.#t0 = t0;
    this.#span = tracer === undefined ? undefined : startSpan(tracer, attempt, t0);
    if (outer !== undefined && !subscribe(outer, this)) {
      this.onAbort(outer.reason);
      return;
    }
    if (attempt.timeoutMs !== undefined) {
      this.#timer = setTimeout(onTimeout, attempt.timeoutMs, this);
    }
    const args: TaskFunctionContext =
      attempt.timeoutMs === undefined
        ? { signal: outer as AbortSignal }
        : new AttemptSignalContext(this);
    let returned: R | PromiseLike<R>;
    try {
      returned =
        this.#span === undefined
          ? fn(args)
          : context.with(trace.setSpan(attempt.parentContext, this.#span), fn, undefined, args);
    } catch (err) {
      this.#finish(true, undefined, err);
      return;
    }
    if (isPromiseLike(returned)) {
      Promise.resolve(returned).then(
        (value) => this.#finish(false, value, undefined),
        (err: unknown) => this.#finish(true, undefined, err),
      );
    } else {
      this.#finish(false, returned, undefined);
    }
  }

  /** The caller's or the Group's signal aborted. */
  onAbort(reason: unknown): void {
    if (this.#done) return;
    const kind = this.#attempt.abortKind(reason);
    const message =
      kind === 'Timeout'
        ? `threadline: task "${this.#attempt.source}" deadline exceeded`
        : `threadline: task "${this.#attempt.source}" canceled`;
    this.#finish(true, undefined, new KindError(kind, message, { cause: reason }));
    // fn sees the abort through its own signal (the outer one, already aborted,
    // or this attempt's).
    this.#abortFnSignal(reason);
  }

  /** fn's signal when the attempt has a timeout: made on first use. */
  fnSignal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortedWith !== NOT_ABORTED) this.#controller.abort(this.#abortedWith);
    }
    return this.#controller.signal;
  }

  #abortFnSignal(reason: unknown): void {
    if (this.#controller !== undefined) this.#controller.abort(reason);
    else this.#abortedWith = reason;
  }

  timeout(): void {
    if (this.#done) return;
    const ms = this.#attempt.timeoutMs;
    const reason = new DOMException(`threadline: task timed out after ${ms}ms`, 'TimeoutError');
    this.#finish(
      true,
      undefined,
      new KindError(
        'Timeout',
        `threadline: task "${this.#attempt.source}" timed out after ${ms}ms`,
        {
          cause: reason,
        },
      ),
    );
    this.#abortFnSignal(reason);
  }

  #finish(thrown: boolean, value: R | undefined, error: unknown): void {
    if (this.#done) return;
    const t1 = performance.now();
    this.#done = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#attempt.signal !== undefined) unsubscribe(this.#attempt.signal, this);
    this.#resolve(settle(this.#attempt, this.#span, this.#t0, t1, thrown, value, error));
  }
}

const NOT_ABORTED = Symbol('not aborted');

/** What fn receives when its attempt has a timeout: the signal is made on first read. */
class AttemptSignalContext implements TaskFunctionContext {
  readonly #attempt: { fnSignal(): AbortSignal };
  constructor(attempt: { fnSignal(): AbortSignal }) {
    this.#attempt = attempt;
  }
  get signal(): AbortSignal {
    return this.#attempt.fnSignal();
  }
}

function onTimeout(attempt: { timeout(): void }): void {
  attempt.timeout();
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<T>).then === 'function'
  );
}
