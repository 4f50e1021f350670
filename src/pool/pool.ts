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
// A lone job while no piscina call is in flight becomes a direct call (src/wire.ts
// "Direct calls"): posted on an idle worker's handoff port, it skips piscina's
// dispatch and reply path (measured: a bare postMessage round trip costs about
// 0.5-0.7x a piscina.run round trip). Idle workers therefore wait in their
// event loop (piscina atomics 'async'), and threadline, not piscina, ends idle
// threads (piscina would see a thread running a direct call as idle).
// In a pool that spins instead (spinMicros > 0), a lone job goes first to a
// worker that spins after its last task (src/wire.ts "Spinning workers").
//
// Invariants:
//   Every job settles exactly once (Job.done), whichever comes first of its
//     response, its abort, its timeout, the death of its worker, close().
//   A job runs at most once: the worker claims it QUEUED → RUNNING by CAS, main
//     cancels it QUEUED → CANCELED by CAS; a job requeued after its worker died
//     had never left QUEUED.
//   #inflight is the number of piscina calls not yet returned or failed.
//   #direct holds the direct calls in flight, at most one per thread, and only
//     threads with a handoff port; a direct call is posted only while
//     #inflight is 0, so it never queues behind a piscina call in its worker.
//   #slotCalls holds the in-flight slot calls (the only ones that spin).
//   After close() or a bootstrap failure (#poison), nothing is dispatched again.

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
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
import { deliverWorkerSpans } from '../observe/span-processor.js';
import {
  decodeSpan,
  type EncodedSpan,
  FLUSH_SPANS_REQUEST,
  FLUSHED_SPANS_MESSAGE,
  HANDOFF_PORT_MESSAGE,
  type WireResponse,
  type WireResult,
} from '../wire.js';
import { CallRecord, notCloned, notStarted, Slab } from './call.js';
import { IdleReaper } from './idle-reaper.js';
import { abortError, type Job } from './job.js';
import { checkOptions, type PoolOptions } from './pool-options.js';
import { subscribe } from './signals.js';

// A path, not a file URL: piscina turns a file URL into a path (new URL +
// fileURLToPath, ~3 µs) on every run() call.
const ENTRY = fileURLToPath(new URL('../workers/entry.js', import.meta.url));
/** Largest batch of one piscina call. */
const MAX_BATCH = 128;
/**
 * Default spinMicros: off. Spinning pays only when the spinning worker has a
 * CPU of its own: sequential go() with spinMicros 100 took about half the time
 * of a direct call with free thread placement or the worker pinned to another
 * CPU, but 2-2.5x as long with the worker pinned to the caller's CPU, where the
 * spin takes the CPU the caller needs (bench/go-worker-isolated.bench.ts, 2
 * vCPUs). A pool cannot know where its threads run, and each idle moment costs
 * up to spinMicros of a core: a pool opts in.
 */
const SPIN_MICROS = 0;

/**
 * Default importTimeoutMs. A task's timeoutMs counts its run time, not the
 * import of its module by a fresh thread: counted, an import longer than the
 * timeout timed out every task, each on a fresh thread that imported again.
 * Yet an import that never ends must not hold a timed task forever.
 */
const IMPORT_TIMEOUT_MS = 10_000;

let poolCount = 0;
let tagCount = 0;

/**
 * The piscina instance under a pool: for bench/go-worker.bench.ts, whose
 * piscina baseline runs on the very threads the pool uses, and for tests that
 * count its calls. Internal: not exported from the package root.
 */
export let piscinaOf: (pool: Pool) => Piscina;

interface ThreadInfo {
  readonly worker: Worker;
  exited: boolean;
  reason: WorkerExitReason | undefined;
  /** The last 'error' the worker emitted (an uncaught exception, running out of memory). */
  error: unknown;
  waiters: (() => void)[];
}

/**
 * Pool runs defineTask tasks on worker threads. Create one with createPool();
 * go() uses the default pool unless `pool` is given.
 */
export class Pool implements PoolSource, AsyncDisposable {
  readonly name: string;
  /** How long a timed task may wait for its thread to import its module (createPool's option, default 10000 ms). */
  readonly importTimeoutMs: number;
  readonly #piscina: Piscina;
  readonly #maxThreads: number;
  readonly #maxQueue: number;
  readonly #maxCalls: number;
  readonly #tag: string;
  /** One-task calls' state slots, shared with the workers (workerData). */
  readonly #slab: Slab;
  #queue: (Job | undefined)[] = [];
  #head = 0;
  #queued = 0; // live jobs in #queue
  #dispatched = 0; // dispatched, not settled
  #inflight = 0;
  #nextCall = 0;
  readonly #calls = new Map<number, CallRecord>();
  readonly #threads = new Map<number, ThreadInfo>();
  /** Each worker's handoff port (src/wire.ts "Spinning workers"), by threadId. */
  readonly #ports = new Map<number, MessagePort>();
  /** The in-flight slot calls, tracked only when the pool spins (spinMicros > 0). */
  #slotCalls: CallRecord[] = [];
  readonly #spins: boolean;
  /** The direct calls in flight, by threadId (see the invariants). */
  readonly #direct = new Map<number, CallRecord>();
  /** The thread of the last direct call: the next one prefers it (warm caches). */
  #lastThread = 0;
  readonly #reaper: IdleReaper;
  #everStarted = false;
  #poison: KindError | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  #busyMs = 0;
  readonly #unobserve: () => void;
  // Keeps the event loop alive while batches are dispatched. piscina unrefs a
  // worker as soon as its call returns, but a batch's results travel on the
  // worker's parentPort and may still be queued behind that return: without a
  // ref'd handle the process could exit with tasks unsettled. A one-task call
  // needs none (its result is the call's return: piscina keeps its worker ref'd
  // until then), nor does a lone task in sequence pay for a timer; a failed call
  // waiting for its worker's 'exit' takes it too. Idle pools hold none.
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(options: PoolOptions = {}) {
    checkOptions(options);
    this.name = options.name ?? `pool-${++poolCount}`;
    this.importTimeoutMs = options.importTimeoutMs ?? IMPORT_TIMEOUT_MS;
    this.#maxThreads = options.maxThreads ?? availableParallelism();
    const minThreads = Math.min(options.minThreads ?? 1, this.#maxThreads);
    this.#maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
    this.#maxCalls = this.#maxThreads * 2;
    this.#tag = `tl${process.pid}.${++tagCount}`;
    this.#slab = new Slab(this.#maxCalls);
    // Spinning takes a core while it lasts: never with one core (it would
    // starve the main thread that is about to hand the next task).
    const spinMicros = availableParallelism() < 2 ? 0 : (options.spinMicros ?? SPIN_MICROS);
    this.#spins = spinMicros > 0;
    this.#slab.setSpin(spinMicros);
    this.#piscina = new Piscina({
      filename: ENTRY,
      minThreads,
      maxThreads: this.#maxThreads,
      // threadline ends idle threads itself (./idle-reaper.ts): piscina would
      // end a thread that runs a direct call, which it does not see.
      idleTimeout: Number.POSITIVE_INFINITY,
      // Idle workers wait in their event loop, where direct calls reach them.
      atomics: this.#spins ? 'sync' : 'async',
      resourceLimits: options.resourceLimits,
      execArgv: options.execArgv,
      env: options.env,
      workerData: {
        threadlineSlab: this.#slab.buffer,
        threadlineTag: this.#tag,
      },
      name: 'default',
      // threadline times every task itself; piscina's run/wait histograms would
      // cost a performance.now() pair and two histogram records per call.
      recordTiming: false,
    } as ConstructorParameters<typeof Piscina>[0]);
    this.#piscina.on('message', (m: unknown) => this.#onMessage(m));
    this.#piscina.on('error', (err: unknown) => this.#onPoolError(err));
    this.#piscina.on('workerCreate', () => this.#trackThreads());
    this.#reaper = new IdleReaper(options.idleTimeout ?? 30_000, minThreads, {
      isIdle: () => this.#isIdle(),
      threads: () => this.#piscina.threads,
      end: (worker) => this.#endIdle(worker),
      preferred: () => this.#lastThread,
    });
    this.#unobserve = observePool(this);
  }

  /**
   * Accepts one attempt (`job.start(pool)` calls it); the job settles exactly
   * once, maybe before submit returns. Internal: go() calls it through the worker runner.
   */
  submit(job: Job): void {
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
    const signal = job.signal;
    if (signal !== undefined && !subscribe(signal, job)) {
      const kind = job.abortKind(signal.reason);
      const error = abortError(kind, job.source, signal.reason);
      return void job.settle(notStarted(error, kind)); // never queued: #queued unchanged
    }
    this.#queue.push(job);
    this.#queued++;
    this.#pump();
  }

  /** Cancels a job whose signal aborted. Internal. */
  cancel(job: Job, reason: unknown): void {
    if (job.done) return;
    const kind = job.abortKind(reason);
    const error = abortError(kind, job.source, reason);
    const call = job.call;
    if (call === undefined) {
      if (job.settle(notStarted(error, kind))) this.#queued--;
      return;
    }
    call.abort(job, kind, error, this);
  }

  /** Called by CallRecord when a job settles. Internal. */
  jobSettled(elapsedMs: number): void {
    this.#dispatched--;
    this.#busyMs += elapsedMs;
    if (this.#dispatched === 0 && this.#keepAlive !== undefined) this.#releaseKeepAlive();
  }

  #releaseKeepAlive(): void {
    if (this.#keepAlive !== undefined && this.#dispatched === 0) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /**
   * Asks thread `threadId` for the spans it has recorded, after main abandoned
   * a traced task there: a task that hangs would take them with its thread.
   * Not in spinning pools (their workers read the handoff port for tasks). Internal.
   */
  requestSpans(threadId: number): void {
    if (this.#spins) return;
    this.#ports.get(threadId)?.postMessage(FLUSH_SPANS_REQUEST);
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

  /** Hands a lone job to a spinning worker; false when none spins. */
  #hand(job: Job): boolean {
    const calls = this.#slotCalls;
    for (let i = 0; i < calls.length; i++) {
      const rec = calls[i] as CallRecord;
      const port = this.#ports.get(rec.threadId);
      if (port === undefined) continue;
      this.#dispatched++;
      if (rec.hand(job, port, this)) return true;
      this.#dispatched--;
    }
    return false;
  }

  /** A thread that can take a direct call now (the last one used first), or 0. */
  #idleThread(): number {
    const last = this.#lastThread;
    if (last !== 0 && this.#canTakeDirect(last)) return last;
    for (const tid of this.#ports.keys()) if (this.#canTakeDirect(tid)) return tid;
    return 0;
  }

  /** Whether thread `tid` can take a direct call: alive, watched for its exit, not busy, not ending. */
  #canTakeDirect(tid: number): boolean {
    if (this.#direct.has(tid) || !this.#ports.has(tid)) return false;
    const info = this.#threads.get(tid);
    return info !== undefined && !info.exited && info.reason === undefined;
  }

  /** Posts a lone job as a direct call; false when no thread can take one. */
  #postDirect(job: Job): boolean {
    const tid = this.#idleThread();
    if (tid === 0) return false;
    const port = this.#ports.get(tid) as MessagePort;
    const rec = new CallRecord(++this.#nextCall, this.#tag, [job], this.#slab);
    this.#dispatched++;
    try {
      port.postMessage(rec.call, job.transferList as never);
    } catch (err) {
      rec.settle(job, notCloned(job, err), this);
      rec.release();
      return true;
    }
    this.#calls.set(rec.id, rec);
    this.#direct.set(tid, rec);
    // Keeps the process alive until the answer (the worker itself is unref'd while piscina sees it idle).
    port.ref();
    rec.armTimeouts(this);
    return true;
  }

  /** A direct call's answer: its response (index 0), or index -1 when it was skipped. */
  #onDirectMessage(tid: number, m: unknown): void {
    const w = m as WireResult;
    const rec = this.#calls.get(w[1]);
    if (rec === undefined || this.#direct.get(tid) !== rec) return;
    if (w[2] >= 0) rec.respond(w[2], w[3], this);
    this.#endDirect(tid, rec);
    this.#lastThread = tid;
    for (const job of rec.unsettled()) {
      // The worker answered without a response for a task main had not settled:
      // a bug, reported rather than left hanging.
      const error = new KindError(
        'Panic',
        `threadline: internal: worker ${tid} answered task "${job.name}" without a result`,
      );
      rec.settle(job, notStarted(error, 'Panic'), this);
    }
    this.#calls.delete(rec.id);
    rec.release();
    this.#afterCall();
  }

  #endDirect(tid: number, rec: CallRecord, port = this.#ports.get(tid)): void {
    this.#direct.delete(tid);
    port?.unref();
    rec.returned(undefined, this);
  }

  /**
   * The thread of a direct call exited: answers it already sent are taken
   * first (they may still sit in the port), then what never started is
   * requeued and what was running fails, as for a piscina call.
   */
  #directThreadExited(
    tid: number,
    info: ThreadInfo,
    code: number,
    port: MessagePort | undefined,
  ): void {
    const rec = this.#direct.get(tid);
    if (rec === undefined) return;
    if (port !== undefined) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        const w = m.message as WireResult;
        if (w[1] === rec.id && w[2] >= 0) rec.respond(w[2], w[3], this);
      }
    }
    this.#endDirect(tid, rec, port);
    const err = info.error ?? new Error(`worker exited with code: ${code}`);
    const oom = isOom(err);
    if (info.reason === undefined) info.reason = oom ? 'oom' : 'crash';
    rec.salvage(err, oom, this, (jobs) => this.#requeue(rec, jobs));
    this.#calls.delete(rec.id);
    rec.release();
    this.#afterCall();
  }

  #dispatch(jobs: Job[]): void {
    if (jobs.length === 1) {
      const job = jobs[0] as Job;
      if (this.#spins) {
        if (this.#slotCalls.length > 0 && this.#hand(job)) return;
      } else if (this.#inflight === 0 && this.#postDirect(job)) {
        return;
      }
    }
    const rec = new CallRecord(++this.#nextCall, this.#tag, jobs, this.#slab);
    let transferList: unknown[] | undefined;
    for (let i = 0; i < jobs.length; i++) {
      const list = (jobs[i] as Job).transferList;
      if (list !== undefined) transferList = (transferList ?? []).concat(list);
    }
    this.#calls.set(rec.id, rec);
    this.#inflight++;
    this.#dispatched += jobs.length;
    if (jobs.length > 1) this.#keepAlive ??= setInterval(noop, 60_000);
    if (this.#spins) {
      if (rec.isSlot) this.#slotCalls.push(rec);
      this.#slab.posted();
    }
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
    this.#endSlotCall(rec);
    rec.returned(result as WireResponse | number | undefined, this);
    if (rec.isOver) {
      this.#calls.delete(rec.id);
      rec.release();
    } else if (rec.pending > 0) {
      // Responses it posted (a batch, a slot call that spun) may still be on
      // their way on parentPort, which piscina no longer keeps ref'd.
      this.#keepAlive ??= setInterval(noop, 60_000);
    }
    this.#afterCall();
  }

  #endSlotCall(rec: CallRecord): void {
    if (!this.#spins || !rec.isSlot) return;
    const i = this.#slotCalls.indexOf(rec);
    if (i >= 0) this.#slotCalls.splice(i, 1);
  }

  #onMessage(m: unknown): void {
    if (!Array.isArray(m)) return;
    if (m[0] !== this.#tag) {
      if (m[0] === HANDOFF_PORT_MESSAGE) this.#addPort(m[1] as number, m[2] as MessagePort);
      else if (m[0] === FLUSHED_SPANS_MESSAGE && m[1] === this.#tag) {
        deliverWorkerSpans((m[2] as EncodedSpan[]).map(decodeSpan));
      }
      return;
    }
    const w = m as WireResult; // indexed, not destructured: no iterator per message
    const call = w[1];
    const index = w[2];
    const response = w[3];
    this.#everStarted = true;
    const rec = this.#calls.get(call);
    if (rec === undefined) return;
    rec.respond(index, response, this);
    if (rec.isOver) {
      this.#calls.delete(rec.id);
      rec.release();
    }
  }

  #addPort(tid: number, port: MessagePort): void {
    // The worker loaded the task entry: it started (a crash now is not a bootstrap failure).
    this.#everStarted = true;
    this.#ports.set(tid, port);
    this.#threadInfo(tid);
    if (this.#spins) return;
    port.on('message', (m: unknown) => this.#onDirectMessage(tid, m));
    port.unref(); // ref'd only while a direct call is in flight
  }

  #onFail(rec: CallRecord, err: unknown): void {
    this.#inflight--;
    this.#endSlotCall(rec);
    const tid = rec.threadId;
    if (tid === 0) {
      // The call never reached the task entry.
      if (this.#spins) this.#slab.neverStarted();
      const unsettled = rec.unsettled();
      if (isDataCloneError(err)) {
        if (unsettled.length === 1) {
          rec.settle(unsettled[0] as Job, notCloned(unsettled[0] as Job, err), this);
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
      rec.release();
      this.#afterCall();
    };
    // Until salvage ran, this call's jobs must keep the process alive.
    if (rec.pending > 0) this.#keepAlive ??= setInterval(noop, 60_000);
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
          `threadline: task "${job.name}" could not be started: its worker died ${job.requeues} times first`,
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
    if (this.#inflight === 0 && this.#direct.size === 0) {
      if (this.#drained !== undefined) this.#drained();
      if (this.#queued === 0) this.#reaper.idle();
    }
    this.#pump();
  }

  #isIdle(): boolean {
    return !this.#closed && this.#inflight === 0 && this.#direct.size === 0 && this.#queued === 0;
  }

  #endIdle(worker: Worker): boolean {
    const info = this.#threadInfo(worker.threadId);
    if (info === undefined || info.exited || info.reason !== undefined) return false;
    info.reason = 'idle';
    void worker.terminate();
    return true;
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
      const info: ThreadInfo = {
        worker,
        exited: false,
        reason: undefined,
        error: undefined,
        waiters: [],
      };
      this.#threads.set(id, info);
      worker.on('error', (err: unknown) => {
        info.error = err;
      });
      worker.once('exit', (code: number) => {
        info.exited = true;
        this.#threads.delete(id);
        const port = this.#ports.get(id);
        this.#ports.delete(id);
        if (this.#lastThread === id) this.#lastThread = 0;
        this.#directThreadExited(id, info, code, port);
        port?.close();
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
    for (const rec of this.#slotCalls) rec.stopSpin();
    this.#closing = (async () => {
      if (this.#inflight > 0 || this.#direct.size > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      }
      this.#reaper.stop();
      this.#unobserve();
      await this.#piscina.destroy().catch(() => {});
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  static {
    piscinaOf = (pool) => pool.#piscina;
  }
}

function noop(): void {}

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
