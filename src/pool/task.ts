// Task: one go() from submission to its ObservableResult, across attempts.
//
// Owns what spans attempts (see ./attempt.ts for the split): the combined
// caller + Group signal, admission to a host's slots (a Group's limit), retries
// with backoff, `into`, and the result's waitMs/retryCount.
//
// Invariants:
//   The Task's promise resolves exactly once and never rejects.
//   A task that holds a host slot releases it exactly once, after its result is
//     final (after `into`); a task that never got a slot releases none.
//   A queued task whose signal aborts settles at once without running
//     (KindError(abortKind(reason)), elapsedMs 0, no span).
//   Every subscription on a caller's or Group's signal is gone once the task settled.

import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { context } from '@opentelemetry/api';
import { classifyError } from '../observe/classify.js';
import { KindError } from '../observe/kind-error.js';
import { recordTaskDuration } from '../observe/metrics.js';
import type { ObservableResult } from '../observe/result.js';
import type { AbortKind, AttemptContext, AttemptOutcome, AttemptRunner } from './attempt.js';
import { InlineRunner } from './inline-runner.js';
import type { ResolvedGoOptions } from './options.js';
import { backoffDelay } from './retry.js';
import { type AbortSubscriber, CombinedSignal, sleep, subscribe, unsubscribe } from './signals.js';

// Constant per thread; reading performance.timeOrigin costs a getter call.
const TIME_ORIGIN = performance.timeOrigin;

/**
 * Task is what go() returns: a Promise of the task's ObservableResult that
 * never rejects (failures are in the result; `unwrap()` rethrows them).
 *
 * @example
 * const task: Task<number> = go(() => 6 * 7);
 * const { ok, value, elapsedMs } = await task;
 */
export type Task<R> = Promise<ObservableResult<R>>;

/** A hosted task as its host sees it. */
export interface HostedTask {
  /** Gives a queued task its slot. False when it had already settled (the slot stays free). */
  start(): boolean;
}

/**
 * TaskHost is what a WaitGroup or Group lends the tasks submitted through it.
 * Internal: go() calls `admit` once, synchronously, and `release` once.
 */
export interface TaskHost {
  /** Combined into every task's signal; `undefined` for none. */
  readonly signal: AbortSignal | undefined;
  /** Maps an abort reason to the kind the task settles with. */
  readonly abortKind: (reason: unknown) => AbortKind;
  /** True: the task takes a slot now. False: it is queued until the host calls `start()`. */
  admit(task: HostedTask): boolean;
  /** The task's result is final; `heldSlot` says whether it held a slot. */
  release(task: HostedTask, result: ObservableResult<unknown>, heldSlot: boolean): void;
}

/**
 * defaultAbortKind: `Timeout` when the reason is a deadline (a TimeoutError, or
 * anything classifyError calls Timeout), else `Canceled`.
 *
 * @example
 * defaultAbortKind(AbortSignal.timeout(0).reason); // 'Timeout' (once fired)
 * defaultAbortKind(new Error('shutdown'));          // 'Canceled'
 */
export function defaultAbortKind(reason: unknown): AbortKind {
  return classifyError(reason) === 'Timeout' ? 'Timeout' : 'Canceled';
}

/**
 * startTask submits one task. Called by go()'s dispatch once the arguments are
 * valid; `taskName` is the defineTask name or fn.name ('anonymous' if none).
 *
 * @example
 * return startTask(new InlineRunner(fn), fn.name || 'anonymous', resolveGoOptions(options), host);
 */
export function startTask<R>(
  runner: AttemptRunner<R>,
  taskName: string,
  options: ResolvedGoOptions,
  host: TaskHost | undefined,
): Task<R> {
  const parentContext = context.active();
  const source = options.source ?? taskName;
  const signal = options.signal;
  if (
    host === undefined &&
    options.retries === 0 &&
    options.into === undefined &&
    signal?.aborted !== true // an aborted one settles without running: TaskRun
  ) {
    if (signal === undefined && options.timeoutMs === undefined && runner instanceof InlineRunner) {
      // The hottest path: `go(fn)`. The attempt starts now, so waitMs is 0, and
      // the runner builds the result in its own async frame.
      return runner.runUnbounded(
        {
          signal: undefined,
          timeoutMs: undefined,
          source,
          taskName,
          retryCount: 0,
          parentContext,
          abortKind: defaultAbortKind,
        },
        immediateResult,
      );
    }
    // One attempt, nothing to combine, admit or deliver.
    const goNow = performance.now();
    const attempt: AttemptContext = {
      signal,
      timeoutMs: options.timeoutMs,
      source,
      taskName,
      retryCount: 0,
      parentContext,
      abortKind: defaultAbortKind,
    };
    // A runner that builds the result itself (the worker runner) saves an async frame per task.
    const once = (runner as SingleAttemptRunner<R>).runOnce;
    if (once !== undefined) return once.call(runner, attempt, goNow);
    return runSingle(runner, attempt, goNow);
  }
  return new TaskRun(runner, taskName, source, options, host, performance.now(), parentContext)
    .promise;
}

/**
 * A runner that can run an unhosted, single-attempt task to its final result
 * itself, with singleResult() (what runSingle does, without its async frame).
 * runOnce must never reject. Internal.
 */
export interface SingleAttemptRunner<R> extends AttemptRunner<R> {
  runOnce?(attempt: AttemptContext, goNow: number): Task<R>;
}

/**
 * singleResult is the result of an unhosted single attempt that went through
 * SingleAttemptRunner.runOnce (`outcome`, or `err` when the runner failed);
 * records the task duration, as runSingle does. Internal.
 */
export function singleResult<R>(
  runner: AttemptRunner<R>,
  outcome: AttemptOutcome<R> | undefined,
  err: unknown,
  source: string,
  goNow: number,
): ObservableResult<R> {
  const o = outcome ?? runnerFailure<R>(err);
  const result = toResult(o, source, 0, goNow, o.startTime);
  recordTaskDuration(result, runner.location ?? 'loop', runner.poolName);
  return result;
}

async function runSingle<R>(
  runner: AttemptRunner<R>,
  attempt: AttemptContext,
  goNow: number,
): Promise<ObservableResult<R>> {
  let outcome: AttemptOutcome<R>;
  try {
    outcome = await runner.run(attempt);
  } catch (err) {
    outcome = runnerFailure(err);
  }
  const result = toResult(outcome, attempt.source, 0, goNow, outcome.startTime);
  recordTaskDuration(result, runner.location ?? 'loop', runner.poolName);
  return result;
}

class TaskRun<R> implements AbortSubscriber, HostedTask {
  readonly promise: Task<R>;
  #resolve!: (result: ObservableResult<R>) => void;
  readonly #runner: AttemptRunner<R>;
  readonly #taskName: string;
  readonly #source: string;
  readonly #options: ResolvedGoOptions;
  readonly #host: TaskHost | undefined;
  readonly #goNow: number;
  readonly #parentContext: AttemptContext['parentContext'];
  readonly #abortKind: (reason: unknown) => AbortKind;
  readonly #signal: AbortSignal | undefined; // caller's + host's, combined
  readonly #combined: CombinedSignal | undefined; // set when both exist
  #state: 'queued' | 'running' | 'settled' = 'queued';
  #heldSlot = false;

  constructor(
    runner: AttemptRunner<R>,
    taskName: string,
    source: string,
    options: ResolvedGoOptions,
    host: TaskHost | undefined,
    goNow: number,
    parentContext: AttemptContext['parentContext'],
  ) {
    this.promise = new Promise<ObservableResult<R>>((resolve) => {
      this.#resolve = resolve;
    });
    this.#runner = runner;
    this.#taskName = taskName;
    this.#source = source;
    this.#options = options;
    this.#host = host;
    this.#goNow = goNow;
    this.#parentContext = parentContext;
    this.#abortKind = host?.abortKind ?? defaultAbortKind;
    const mine = options.signal;
    const theirs = host?.signal;
    if (mine !== undefined && theirs !== undefined) {
      this.#combined = new CombinedSignal(mine, theirs);
      this.#signal = this.#combined.signal;
    } else {
      this.#signal = mine ?? theirs;
    }
    if (host === undefined || host.admit(this)) {
      this.start();
    } else if (this.#signal !== undefined && !subscribe(this.#signal, this)) {
      this.onAbort(this.#signal.reason);
    }
  }

  start(): boolean {
    if (this.#state !== 'queued') return false;
    this.#state = 'running';
    this.#heldSlot = true;
    const signal = this.#signal;
    if (signal !== undefined) {
      unsubscribe(signal, this);
      if (signal.aborted) {
        this.#settleUnstarted(signal.reason);
        return true;
      }
    }
    this.#run().catch((err: unknown) => {
      if (this.#state === 'settled') {
        // A broken invariant in a host (a bug, not a kind): surface it, as Go's throw would.
        queueMicrotask(() => {
          throw err;
        });
        return;
      }
      this.#settle(toResult(runnerFailure(err), this.#source, 0, this.#goNow, undefined));
    });
    return true;
  }

  /** The signal aborted while the task was queued. */
  onAbort(reason: unknown): void {
    if (this.#state === 'queued') this.#settleUnstarted(reason);
  }

  async #run(): Promise<void> {
    const options = this.#options;
    let retryCount = 0;
    let firstStart: number | undefined;
    let outcome: AttemptOutcome<R>;
    for (;;) {
      try {
        outcome = await this.#runner.run({
          signal: this.#signal,
          timeoutMs: options.timeoutMs,
          source: this.#source,
          taskName: this.#taskName,
          retryCount,
          parentContext: this.#parentContext,
          abortKind: this.#abortKind,
        });
      } catch (err) {
        outcome = runnerFailure(err);
      }
      firstStart ??= outcome.startTime;
      if (
        outcome.ok ||
        retryCount >= options.retries ||
        outcome.errorKind === undefined ||
        !options.retryOn.includes(outcome.errorKind) ||
        this.#signal?.aborted === true
      ) {
        break;
      }
      // No retry once the caller's or the Group's signal aborted, also mid-sleep.
      if (!(await sleep(backoffDelay(options.retryDelayMs, retryCount), this.#signal))) break;
      retryCount++;
    }
    let result = toResult(outcome, this.#source, retryCount, this.#goNow, firstStart);
    if (options.into !== undefined) result = await this.#deliver(result);
    this.#settle(result);
  }

  /** Sends the result on `into`; a failed or abandoned send turns it into a failure. */
  async #deliver(result: ObservableResult<R>): Promise<ObservableResult<R>> {
    const into = this.#options.into!;
    const signal = this.#signal;
    try {
      await into.send(result, signal === undefined ? undefined : { signal });
      return result;
    } catch (err) {
      const canceled = signal?.aborted === true;
      const error = canceled
        ? new KindError(
            'Canceled',
            `threadline: task "${this.#source}" canceled before its result was delivered`,
            { cause: result },
          )
        : new KindError(
            'Closed',
            `threadline: task "${this.#source}" result not delivered: ${errorMessage(err)}`,
            { cause: result },
          );
      return {
        ...result,
        value: undefined,
        error,
        ok: false,
        errorKind: error.kind,
        resultType: 'undefined',
      };
    }
  }

  #settleUnstarted(reason: unknown): void {
    const kind = this.#abortKind(reason);
    const message =
      kind === 'Timeout'
        ? `threadline: task "${this.#source}" deadline exceeded before it started`
        : `threadline: task "${this.#source}" canceled before it started`;
    const now = performance.now();
    this.#settle({
      value: undefined,
      error: new KindError(kind, message, { cause: reason }),
      ok: false,
      errorKind: kind,
      resultType: 'undefined',
      elapsedMs: 0,
      waitMs: now - this.#goNow,
      traceId: '',
      spanId: '',
      source: this.#source,
      retryCount: 0,
      timestamp: TIME_ORIGIN + now,
      threadId,
    });
  }

  #settle(result: ObservableResult<R>): void {
    if (this.#state === 'settled') return;
    this.#state = 'settled';
    if (this.#signal !== undefined) unsubscribe(this.#signal, this);
    this.#combined?.dispose();
    try {
      recordTaskDuration(result, this.#runner.location ?? 'loop', this.#runner.poolName);
      this.#host?.release(this, result as ObservableResult<unknown>, this.#heldSlot);
    } finally {
      // Whatever a host does, the Task settles.
      this.#resolve(result);
    }
  }
}

/** The result of an unhosted single attempt that started inside go(). */
function immediateResult<R>(
  outcome: AttemptOutcome<R>,
  attempt: AttemptContext,
): ObservableResult<R> {
  const result: ObservableResult<R> = {
    value: outcome.value,
    error: outcome.error,
    ok: outcome.ok,
    errorKind: outcome.errorKind,
    resultType: outcome.resultType,
    elapsedMs: outcome.elapsedMs,
    waitMs: 0,
    traceId: outcome.traceId,
    spanId: outcome.spanId,
    source: attempt.source,
    retryCount: 0,
    timestamp: outcome.endTime,
    threadId: outcome.threadId,
  };
  recordTaskDuration(result, 'loop');
  return result;
}

function toResult<R>(
  outcome: AttemptOutcome<R>,
  source: string,
  retryCount: number,
  goNow: number,
  firstStart: number | undefined,
): ObservableResult<R> {
  const waitMs = firstStart === undefined ? 0 : Math.max(0, firstStart - (TIME_ORIGIN + goNow));
  return {
    value: outcome.value,
    error: outcome.error,
    ok: outcome.ok,
    errorKind: outcome.errorKind,
    resultType: outcome.resultType,
    elapsedMs: outcome.elapsedMs,
    waitMs,
    traceId: outcome.traceId,
    spanId: outcome.spanId,
    source,
    retryCount,
    timestamp: outcome.endTime,
    threadId: outcome.threadId,
  };
}

/** A runner broke its contract (rejected): a bug, reported as a Panic result rather than lost. */
function runnerFailure<R>(err: unknown): AttemptOutcome<R> {
  const now = TIME_ORIGIN + performance.now();
  return {
    ok: false,
    value: undefined,
    error: new KindError('Panic', 'threadline: internal: attempt runner rejected', { cause: err }),
    errorKind: 'Panic',
    resultType: 'undefined',
    elapsedMs: 0,
    startTime: now,
    endTime: now,
    traceId: '',
    spanId: '',
    threadId,
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
