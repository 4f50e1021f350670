// Pool: worker threads (piscina 5 underneath) with threadline's own state and
// queue. piscina only starts, replaces and idles the threads; threadline decides
// what runs where, when a task is canceled, timed out, closed or refused.
//
// #queue holds jobs not yet dispatched, FIFO (requeued jobs go to the front).
// A dispatch is one piscina call carrying a Call (src/wire.ts): one job when
// the queue is shallow (lowest latency), a batch of up to MAX_BATCH when it is
// deep (one message per batch instead of per task). At most #maxCalls calls are
// in flight (two per thread: the next call waits in piscina, ready to run).
// piscina never gets a per-task AbortSignal (it would skip its fast paths):
// cancellation and timeouts work on the call's shared state words instead.
//
// Invariants:
//   Every job settles exactly once (Job.done), whichever comes first of its
//     response, its abort, its timeout, the death of its worker, close().
//   A job runs at most once: the worker claims it QUEUED → RUNNING by CAS, main
//     cancels it QUEUED → CANCELED by CAS; a job requeued after its worker died
//     had never left QUEUED.
//   #inflight is the number of piscina calls not yet returned or failed.
//   After close() or a bootstrap failure (#poison), nothing is dispatched again.

import { availableParallelism } from 'node:os';
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { Piscina } from 'piscina';
import type { ErrorKind } from '../observe/error-kind.js';
import { KindError } from '../observe/kind-error.js';
import {
  observePool,
  type PoolSource,
  recordWorkerExit,
  type WorkerExitReason,
} from '../observe/metrics.js';
import {
  decodeResponse,
  type TaskRequest,
  type TaskResponse,
  type WireResponse,
  type WireResult,
} from '../wire.js';
import type { AbortKind } from './attempt.js';
import { CallRecord, type JobOutcome, notStarted } from './call.js';
import { type AbortSubscriber, subscribe, unsubscribe } from './signals.js';

const ENTRY = new URL('../workers/entry.js', import.meta.url).href;
/** Largest batch of one piscina call. */
const MAX_BATCH = 128;

/** Options of createPool; names as piscina's. */
export interface PoolOptions {
  /** Pool name (metrics' `threadline.pool.name`); default `'pool-<n>'` (`'default'` for the default pool). */
  name?: string;
  /** Threads kept alive when idle; default 1. */
  minThreads?: number;
  /** Most threads; default `os.availableParallelism()`. */
  maxThreads?: number;
  /** ms an idle thread above minThreads lives; default 30000. */
  idleTimeout?: number;
  /** Most tasks waiting beyond those the threads can run at once; beyond it go() settles ResourceExhausted; default Infinity. */
  maxQueue?: number;
  /** Per-thread V8 heap limits; a thread above them dies and its task settles ResourceExhausted. */
  resourceLimits?: ResourceLimits;
  /** Node flags of the threads, e.g. `['--import', 'tsx']` to load TypeScript task modules. */
  execArgv?: string[];
  /** Environment of the threads; default a copy of process.env. */
  env?: Record<string, string>;
}

/** What one attempt needs from the pool (built by the worker runner). */
export interface JobSpec {
  readonly request: TaskRequest;
  readonly transferList: readonly unknown[] | undefined;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly abortKind: (reason: unknown) => AbortKind;
}

let poolCount = 0;
let tagCount = 0;

/** One attempt of a task in a pool. Internal. */
export class Job implements AbortSubscriber {
  readonly spec: JobSpec;
  readonly #pool: Pool;
  readonly #resolve: (outcome: JobOutcome) => void;
  done = false;
  call: CallRecord | undefined;
  index = -1;
  /** Times the job went back to the queue after its worker died before starting it. */
  requeues = 0;
  /** Set when a batch could not be posted: dispatch this job alone. */
  alone = false;

  constructor(pool: Pool, spec: JobSpec, resolve: (outcome: JobOutcome) => void) {
    this.#pool = pool;
    this.spec = spec;
    this.#resolve = resolve;
  }

  onAbort(reason: unknown): void {
    this.#pool.cancel(this, reason);
  }

  /** Settles the job; false when it was already settled. */
  settle(outcome: JobOutcome): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.spec.signal !== undefined) unsubscribe(this.spec.signal, this);
    this.#resolve(outcome);
    return true;
  }
}

interface ThreadInfo {
  readonly worker: Worker;
  exited: boolean;
  reason: WorkerExitReason | undefined;
  waiters: (() => void)[];
}

/**
 * Pool runs defineTask tasks on worker threads. Create one with createPool();
 * go() uses the default pool unless `pool` is given.
 */
export class Pool implements PoolSource, AsyncDisposable {
  readonly name: string;
  readonly #piscina: Piscina;
  readonly #maxThreads: number;
  readonly #maxQueue: number;
  readonly #maxCalls: number;
  readonly #tag: string;
  #queue: (Job | undefined)[] = [];
  #head = 0;
  #queued = 0; // live jobs in #queue
  #dispatched = 0; // dispatched, not settled
  #inflight = 0;
  #nextCall = 0;
  readonly #calls = new Map<number, CallRecord>();
  readonly #threads = new Map<number, ThreadInfo>();
  #everStarted = false;
  #poison: KindError | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  #busyMs = 0;
  readonly #unobserve: () => void;
  // Keeps the event loop alive while tasks are dispatched. piscina unrefs a
  // worker as soon as its call returns, but a batch's results travel on the
  // worker's parentPort and may still be queued behind that return: without a
  // ref'd handle the process could exit with tasks unsettled. Idle pools hold none.
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(options: PoolOptions = {}) {
    checkOptions(options);
    this.name = options.name ?? `pool-${++poolCount}`;
    this.#maxThreads = options.maxThreads ?? availableParallelism();
    const minThreads = Math.min(options.minThreads ?? 1, this.#maxThreads);
    this.#maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
    this.#maxCalls = this.#maxThreads * 2;
    this.#tag = `tl${process.pid}.${++tagCount}`;
    this.#piscina = new Piscina({
      filename: ENTRY,
      minThreads,
      maxThreads: this.#maxThreads,
      idleTimeout: options.idleTimeout ?? 30_000,
      resourceLimits: options.resourceLimits,
      execArgv: options.execArgv,
      env: options.env,
      name: 'default',
    } as ConstructorParameters<typeof Piscina>[0]);
    this.#piscina.on('message', (m: unknown) => this.#onMessage(m));
    this.#piscina.on('error', (err: unknown) => this.#onPoolError(err));
    this.#piscina.on('workerCreate', () => this.#trackThreads());
    this.#unobserve = observePool(this);
  }

  /** Runs one attempt. Never rejects. Internal: go() calls it through the worker runner. */
  run(spec: JobSpec): Promise<JobOutcome> {
    return new Promise<JobOutcome>((resolve) => {
      const job = new Job(this, spec, resolve);
      if (this.#poison !== undefined) return void job.settle(notStarted(this.#poison, 'Panic'));
      if (this.#closed) return void job.settle(notStarted(this.#closedError(), 'Closed'));
      // Waiting = accepted, beyond what the threads can run now (piscina's sense).
      const waiting = this.#queued + this.#dispatched - this.#maxThreads;
      if (this.#maxQueue !== Number.POSITIVE_INFINITY && waiting >= this.#maxQueue) {
        const err = new KindError(
          'ResourceExhausted',
          `threadline: pool "${this.name}" queue is full (maxQueue ${this.#maxQueue}, ${this.running()} running, ${this.queueSize()} waiting)`,
        );
        return void job.settle(notStarted(err, 'ResourceExhausted'));
      }
      if (spec.signal !== undefined && !subscribe(spec.signal, job)) {
        return void this.cancel(job, spec.signal.reason);
      }
      this.#queue.push(job);
      this.#queued++;
      this.#pump();
    });
  }

  /** Cancels a job whose signal aborted. Internal. */
  cancel(job: Job, reason: unknown): void {
    if (job.done) return;
    const kind = job.spec.abortKind(reason);
    const error = abortError(kind, job.spec.request.source, reason);
    const call = job.call;
    if (call === undefined) {
      if (job.settle(notStarted(error, kind))) this.#queued--;
      return;
    }
    call.abort(job, kind, error, this);
  }

  /** Called by CallRecord when a job settles. Internal. */
  jobSettled(response: TaskResponse | undefined): void {
    this.#dispatched--;
    if (response !== undefined) this.#busyMs += response.elapsedMs;
    if (this.#dispatched === 0) this.#releaseKeepAlive();
  }

  #releaseKeepAlive(): void {
    if (this.#keepAlive !== undefined && this.#dispatched === 0) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** Terminates the thread running a task that outlived its grace period. Internal. */
  terminate(threadId: number, reason: WorkerExitReason): void {
    const info = this.#threadInfo(threadId);
    if (info === undefined || info.exited) return;
    info.reason = reason;
    void info.worker.terminate();
  }

  #pump(): void {
    while (
      this.#queued > 0 &&
      this.#inflight < this.#maxCalls &&
      !this.#closed &&
      this.#poison === undefined
    ) {
      const size =
        this.#queued <= this.#maxCalls
          ? 1
          : Math.min(MAX_BATCH, Math.ceil(this.#queued / this.#maxCalls));
      const jobs: Job[] = [];
      while (jobs.length < size && this.#head < this.#queue.length) {
        const job = this.#queue[this.#head];
        this.#queue[this.#head++] = undefined;
        if (job === undefined || job.done) continue;
        this.#queued--;
        if (job.alone && jobs.length > 0) {
          this.#pushFront([job]);
          break;
        }
        jobs.push(job);
        if (job.alone) break;
      }
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (jobs.length > 0) this.#dispatch(jobs);
    }
  }

  #pushFront(jobs: Job[]): void {
    for (let i = jobs.length - 1; i >= 0; i--) {
      const job = jobs[i] as Job;
      job.call = undefined;
      job.index = -1;
      if (this.#head > 0) this.#queue[--this.#head] = job;
      else this.#queue.unshift(job);
      this.#queued++;
    }
  }

  #dispatch(jobs: Job[]): void {
    const rec = new CallRecord(++this.#nextCall, this.#tag, jobs);
    let transferList: unknown[] | undefined;
    for (const job of jobs) {
      if (job.spec.transferList !== undefined) {
        transferList = (transferList ?? []).concat(job.spec.transferList);
      }
    }
    this.#calls.set(rec.id, rec);
    this.#inflight++;
    this.#dispatched += jobs.length;
    this.#keepAlive ??= setInterval(noop, 60_000);
    let running: Promise<unknown>;
    try {
      running = this.#piscina.run(
        rec.call,
        transferList === undefined ? undefined : { transferList: transferList as never },
      );
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (r) => this.#onReturn(rec, r),
      (err: unknown) => this.#onFail(rec, err),
    );
    rec.armTimeouts(this);
  }

  #onReturn(rec: CallRecord, result: unknown): void {
    this.#everStarted = true;
    this.#inflight--;
    rec.returned(result as WireResponse | number | undefined, this);
    if (rec.pending === 0) this.#calls.delete(rec.id);
    this.#afterCall();
  }

  #onMessage(m: unknown): void {
    if (!Array.isArray(m) || m[0] !== this.#tag) return;
    const [, call, index, response] = m as WireResult;
    this.#everStarted = true;
    const rec = this.#calls.get(call);
    if (rec === undefined) return;
    rec.respond(index, decodeResponse(response), this);
    if (rec.pending === 0 && rec.isReturned) this.#calls.delete(rec.id);
  }

  #onFail(rec: CallRecord, err: unknown): void {
    this.#inflight--;
    const tid = rec.threadId;
    if (tid === 0) {
      // The call never reached the task entry.
      const unsettled = rec.unsettled();
      if (isDataCloneError(err)) {
        if (unsettled.length === 1) {
          const job = unsettled[0] as Job;
          const error = new KindError(
            'Validation',
            `threadline: task "${job.spec.request.name}" arguments cannot be cloned: ${String((err as Error).message)}`,
            { cause: err },
          );
          rec.settle(job, notStarted(error, 'Validation'), this);
        } else {
          for (const job of unsettled) job.alone = true;
          this.#requeue(rec, unsettled);
        }
      } else if (!this.#everStarted) {
        this.#poisonWith(err);
      } else {
        this.#requeue(rec, unsettled, true);
      }
      this.#calls.delete(rec.id);
      this.#afterCall();
      return;
    }
    this.#everStarted = true;
    const salvage = (): void => {
      const info = this.#threads.get(tid);
      const oom = isOom(err);
      if (info !== undefined && info.reason === undefined) info.reason = oom ? 'oom' : 'crash';
      rec.salvage(err, oom, this, (jobs) => this.#requeue(rec, jobs));
      this.#calls.delete(rec.id);
      this.#afterCall();
    };
    const info = this.#threadInfo(tid);
    if (info !== undefined && !info.exited) {
      // Messages the worker posted before dying are delivered before 'exit'.
      info.waiters.push(salvage);
    } else {
      setImmediate(salvage);
    }
  }

  /**
   * Puts jobs that never started back at the front of the queue. `startFailed`:
   * the call never reached the task entry; a job that sees that more than three
   * times settles Panic rather than loop (a worker that dies while running
   * another task makes progress: that task settles, so those requeues are free).
   */
  #requeue(rec: CallRecord, jobs: Job[], startFailed = false): void {
    const again: Job[] = [];
    for (const job of jobs) {
      if (job.done) continue;
      this.#dispatched--;
      if (startFailed && ++job.requeues > 3) {
        const error = new KindError(
          'Panic',
          `threadline: task "${job.spec.request.name}" could not be started: its worker died ${job.requeues} times first`,
        );
        this.#dispatched++;
        rec.settle(job, notStarted(error, 'Panic'), this);
        continue;
      }
      again.push(job);
    }
    this.#releaseKeepAlive();
    if (this.#closed || this.#poison !== undefined) {
      const error = this.#poison ?? this.#closedError();
      for (const job of again) job.settle(notStarted(error, this.#poison ? 'Panic' : 'Closed'));
      return;
    }
    this.#pushFront(again);
  }

  #afterCall(): void {
    if (this.#inflight === 0 && this.#drained !== undefined) this.#drained();
    this.#pump();
  }

  #onPoolError(err: unknown): void {
    if (!this.#everStarted) {
      this.#poisonWith(err);
      return;
    }
    diag.warn(`threadline: pool "${this.name}": a worker thread failed`, err);
  }

  #poisonWith(err: unknown): void {
    if (this.#poison !== undefined) return;
    const message = err instanceof Error ? err.message : String(err);
    this.#poison = new KindError(
      'Panic',
      `threadline: pool "${this.name}" workers failed to start: ${message}`,
      { cause: err },
    );
    this.#settleWaiting(this.#poison, 'Panic');
    void this.#piscina.destroy().catch(() => {});
  }

  #settleWaiting(error: KindError, kind: ErrorKind): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const job = this.#queue[i];
      this.#queue[i] = undefined;
      if (job?.settle(notStarted(error, kind))) this.#queued--;
    }
    for (const rec of this.#calls.values()) rec.cancelQueued(error, kind, this);
  }

  #trackThreads(): void {
    for (const worker of this.#piscina.threads) {
      const id = worker.threadId;
      if (this.#threads.has(id)) continue;
      const info: ThreadInfo = { worker, exited: false, reason: undefined, waiters: [] };
      this.#threads.set(id, info);
      worker.once('exit', () => {
        info.exited = true;
        this.#threads.delete(id);
        recordWorkerExit(this.name, info.reason ?? 'idle');
        for (const w of info.waiters.splice(0)) w();
      });
    }
  }

  #threadInfo(threadId: number): ThreadInfo | undefined {
    if (!this.#threads.has(threadId)) this.#trackThreads();
    return this.#threads.get(threadId);
  }

  #closedError(): KindError {
    return new KindError('Closed', `threadline: pool "${this.name}" is closed`);
  }

  /** Tasks accepted and not started (PoolSource). */
  queueSize(): number {
    return Math.max(0, this.#queued + this.#dispatched - this.running());
  }

  /** Tasks running now (PoolSource). */
  running(): number {
    let n = 0;
    for (const rec of this.#calls.values()) if (rec.isRunning) n++;
    return n;
  }

  /** Live worker threads (PoolSource). */
  threads(): number {
    return this.#piscina.threads.length;
  }

  /** Seconds threads spent running tasks (PoolSource). */
  busyTimeSeconds(): number {
    return this.#busyMs / 1000;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * close stops the pool: queued tasks settle `Closed`, running ones finish,
   * then the threads exit. Later go() calls on it settle `Closed`. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#settleWaiting(this.#closedError(), 'Closed');
    this.#closing = (async () => {
      if (this.#inflight > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      }
      this.#unobserve();
      await this.#piscina.destroy().catch(() => {});
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function noop(): void {}

/** The error of a task settled by its signal. */
export function abortError(kind: AbortKind, source: string, reason: unknown): KindError {
  const message =
    kind === 'Timeout'
      ? `threadline: task "${source}" deadline exceeded`
      : `threadline: task "${source}" canceled`;
  return new KindError(kind, message, { cause: reason });
}

function isDataCloneError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Error).name === 'DataCloneError';
}

function isOom(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY'
  );
}

function checkOptions(o: PoolOptions): void {
  if (typeof o !== 'object' || o === null) {
    throw new TypeError(`threadline: createPool options must be an object, got ${String(o)}`);
  }
  const int = (name: keyof PoolOptions, min: number): void => {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) {
      throw new RangeError(
        `threadline: createPool option ${name} must be an integer >= ${min}, got ${String(v)}`,
      );
    }
  };
  int('minThreads', 0);
  int('maxThreads', 1);
  int('idleTimeout', 0);
  if (o.maxQueue !== undefined && o.maxQueue !== Number.POSITIVE_INFINITY) int('maxQueue', 0);
  if (o.minThreads !== undefined && o.maxThreads !== undefined && o.minThreads > o.maxThreads) {
    throw new RangeError(
      `threadline: createPool option minThreads must be <= maxThreads, got ${o.minThreads} > ${o.maxThreads}`,
    );
  }
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) {
    throw new TypeError(
      `threadline: createPool option name must be a non-empty string, got ${String(o.name)}`,
    );
  }
}

/**
 * createPool makes a worker pool. go(handle, args, { pool }) runs tasks on it;
 * `await pool.close()` (or `await using pool = createPool()`) stops it.
 * Idle threads never keep the process alive.
 *
 * @throws RangeError or TypeError for an invalid option.
 * @example
 * await using pool = createPool({ maxThreads: 2, resourceLimits: { maxOldGenerationSizeMb: 64 } });
 * const r = await go(fib, [30], { pool });
 */
export function createPool(options: PoolOptions = {}): Pool {
  return new Pool(options);
}

let defaultPool: Pool | undefined;

/**
 * getDefaultPool returns the default pool, creating it on first use
 * (`maxThreads = os.availableParallelism()`, `minThreads` 1, `idleTimeout` 30 s,
 * unbounded queue).
 *
 * @example
 * getDefaultPool().threads();
 */
export function getDefaultPool(): Pool {
  if (defaultPool === undefined || defaultPool.closed) defaultPool = new Pool({ name: 'default' });
  return defaultPool;
}

/**
 * shutdown closes the default pool (queued tasks settle `Closed`, running ones
 * finish). Not needed to let the process exit; a later go() creates a new one.
 *
 * @example
 * process.on('SIGTERM', () => void shutdown());
 */
export async function shutdown(): Promise<void> {
  const pool = defaultPool;
  defaultPool = undefined;
  if (pool !== undefined) await pool.close();
}
