// CallRecord: main's view of one piscina call (one job or a batch) while it is
// in flight: its shared state words, the per-job timeouts, aborts of running
// jobs and what is left when its worker dies.
//
// Timeouts: one timer per call, not per job. It fires at the earliest moment a
// job of the call could time out; it reads the running job's index and start
// time from the state words (written by the worker), times the job out when its
// deadline passed (RUNNING → ABORTED_TIMEOUT by CAS), and re-arms for the next
// deadline. A job whose state word already moved to DONE keeps its result.
// A job whose thread still imports its module has no start time yet (negative,
// see src/wire.ts): timeoutMs counts run time, so the timer looks again every
// IMPORT_POLL_MS and times the job out only if the import outlasts the pool's
// importTimeoutMs.
// An aborted job settles at once; its thread is terminated when, GRACE_MS
// later, it is still running that job (taskSignal() lets it stop earlier).
//
// Invariants:
//   `pending` counts the call's jobs not settled; a call's timer exists only
//     while the call has not returned and some pending job has a timeoutMs.
//   Responses, even of jobs already settled, deliver their spans. A call is
//     over (isOver) once it returned, its jobs settled and every response its
//     worker posted arrived: responses travel on parentPort, the return on
//     piscina's port, and either may come first.
//   A slab slot belongs to one call from its construction to its release()
//     (after the call returned or its worker died); release() runs once.
//   A slot call grows by hand() only while its worker spins (WORD_HANDOFF
//     SPINNING → HANDED by CAS): each handed job takes the next index, which
//     the worker runs, exactly as a batch's next task.

import type { MessagePort } from 'node:worker_threads';
import type { ErrorKind } from '../observe/error-kind.js';
import { KindError } from '../observe/kind-error.js';
import { deliverWorkerSpans } from '../observe/span-processor.js';
import {
  ABORTED_CANCEL,
  ABORTED_TIMEOUT,
  allocSlab,
  allocState,
  CANCELED,
  decodeSpan,
  type EncodedSpan,
  HANDOFF_HANDED,
  HANDOFF_OFF,
  HANDOFF_SPINNING,
  HEADER_WORDS,
  POOL_WORD_SPIN,
  POOL_WORD_WAITING,
  POOL_WORDS,
  QUEUED,
  RESPONSE_ELAPSED,
  RESPONSE_SPANS,
  RUNNING,
  SLOT_TASKS,
  slotOffset,
  startOffset,
  type WireCall,
  type WireHanded,
  type WireResponse,
  WORD_CURRENT,
  WORD_HANDOFF,
  WORD_THREAD,
} from '../wire.js';
import type { AbortKind } from './attempt.js';
import type { Job } from './job.js';
import type { Pool } from './pool.js';

/** Spare state buffers of one-task calls (allocating one costs ~2 µs, its views ~1 µs). */
const singles: { buffer: SharedArrayBuffer; state: Int32Array; starts: Float64Array }[] = [];
const MAX_SPARE = 64;

/**
 * Slab: a pool's one-task state slots (src/wire.ts "One-task calls"), shared
 * with its workers through workerData, and the free list of them. A slot is
 * taken by a one-task CallRecord and given back by its release(). Internal.
 *
 * @example
 * const slab = new Slab(4); const slot = slab.take(); slab.give(slot);
 */
export class Slab {
  readonly buffer: SharedArrayBuffer;
  /** The pool words (src/wire.ts "Spinning workers"). */
  readonly words: Int32Array;
  readonly #free: number[] = [];
  readonly #states: Int32Array[] = [];
  readonly #starts: Float64Array[] = [];

  constructor(slots: number) {
    this.buffer = allocSlab(slots);
    this.words = new Int32Array(this.buffer, 0, POOL_WORDS);
    for (let i = slots - 1; i >= 0; i--) {
      const at = slotOffset(i);
      this.#free.push(i);
      this.#states[i] = new Int32Array(this.buffer, at, HEADER_WORDS + SLOT_TASKS);
      this.#starts[i] = new Float64Array(this.buffer, at + startOffset(SLOT_TASKS), SLOT_TASKS);
    }
  }

  /** Counts a piscina call as posted and not yet started (workers do not spin meanwhile). */
  posted(): void {
    Atomics.add(this.words, POOL_WORD_WAITING, 1);
  }

  /** Sets the pool's spinMicros: once, before its workers start (they read it at start-up and each spin). */
  setSpin(micros: number): void {
    Atomics.store(this.words, POOL_WORD_SPIN, micros);
  }

  /** A posted call will never start (it failed before reaching a worker's entry). */
  neverStarted(): void {
    Atomics.sub(this.words, POOL_WORD_WAITING, 1);
  }

  /** A free slot, or -1 when all are in use. */
  take(): number {
    return this.#free.pop() ?? -1;
  }

  state(slot: number): Int32Array {
    return this.#states[slot] as Int32Array;
  }

  starts(slot: number): Float64Array {
    return this.#starts[slot] as Float64Array;
  }

  /** Gives back a slot no thread writes to any more, reset to QUEUED. */
  give(slot: number): void {
    const state = this.#states[slot] as Int32Array;
    state[WORD_THREAD] = 0;
    state[WORD_CURRENT] = -1;
    state[WORD_HANDOFF] = HANDOFF_OFF;
    state[HEADER_WORDS] = QUEUED;
    this.#free.push(slot);
  }
}

/** How long a timed-out or aborted task may keep running before its thread is terminated. */
export const GRACE_MS = 100;
/**
 * How often a timed job whose thread is still importing its module is looked
 * at again: its deadline (import end + timeoutMs) is unknown until then, so it
 * may fire up to this much late.
 */
const IMPORT_POLL_MS = 10;

/** `threadline: task "<source>" <what>`, Timeout, caused by a TimeoutError (AbortSignal.timeout()'s reason). */
function timeoutError(source: string, what: string): KindError {
  return new KindError('Timeout', `threadline: task "${source}" ${what}`, {
    cause: new DOMException(`threadline: task ${what}`, 'TimeoutError'),
  });
}

/** An attempt that main settled: not run, aborted, or lost with its worker. */
export interface JobFailure {
  readonly failure: {
    readonly error: Error;
    readonly kind: ErrorKind;
    readonly startTime: number;
    readonly endTime: number;
    readonly elapsedMs: number;
    readonly threadId: number;
  };
}

/**
 * How a job ended: the worker's response (still encoded: decoded once, by the
 * job's owner, straight into its outcome), or a failure decided by main.
 * Tell them apart with Array.isArray.
 */
export type JobOutcome = WireResponse | JobFailure;

/** A failure of a job that did not start. */
export function notStarted(error: Error, kind: ErrorKind): JobFailure {
  const now = performance.timeOrigin + performance.now();
  return { failure: { error, kind, startTime: now, endTime: now, elapsedMs: 0, threadId: 0 } };
}

/** The failure of a job whose arguments postMessage refused to clone (`err`: its DataCloneError). */
export function notCloned(job: Job, err: unknown): JobFailure {
  const error = new KindError(
    'Validation',
    `threadline: task "${job.name}" arguments cannot be cloned: ${String((err as Error).message)}`,
    { cause: err },
  );
  return notStarted(error, 'Validation');
}

/** Main's record of one in-flight piscina call. Internal. */
export class CallRecord {
  readonly id: number;
  /** The encoded call, as posted to piscina. */
  readonly call: WireCall;
  /** The call's jobs by index; a slot call's grows while its worker spins (hand()). */
  readonly jobs: Job[];
  readonly #state: Int32Array;
  readonly #starts: Float64Array;
  pending: number;
  isReturned = false;
  /** Responses received; the posted ones counted against `#posted`. */
  #responses = 0;
  /** How many responses the worker posted on parentPort (its return value), once returned. */
  #posted = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The slab slot of a one-task call, -1 when the call carries its own state buffer. */
  #slot = -1;
  #slab: Slab | undefined;
  #released = false;

  constructor(id: number, tag: string, jobs: Job[], slab?: Slab) {
    const n = jobs.length;
    this.id = id;
    this.jobs = jobs;
    this.pending = n;
    const slot = n === 1 && slab !== undefined ? slab.take() : -1;
    if (slot >= 0) {
      // A one-task call naming its slab slot (src/wire.ts "One-task calls").
      const j = jobs[0] as Job;
      this.#slot = slot;
      this.#slab = slab;
      this.call = [id, slot, j.url, j.name, j.args, j.source, j.attempt, j.trace];
      this.#state = (slab as Slab).state(slot);
      this.#starts = (slab as Slab).starts(slot);
    } else {
      const reused = n === 1 ? singles.pop() : undefined;
      const state = reused?.buffer ?? allocState(n);
      // The encoded Call (src/wire.ts encodeCall), written straight from the jobs.
      const call: unknown[] = [id, tag, state];
      for (let i = 0; i < n; i++) {
        const j = jobs[i] as Job;
        call.push(j.url, j.name, j.args, j.source, j.attempt, j.trace);
      }
      this.call = call;
      this.#state = reused?.state ?? new Int32Array(state, 0, HEADER_WORDS + n);
      this.#starts = reused?.starts ?? new Float64Array(state, startOffset(n), n);
    }
    for (let i = 0; i < n; i++) {
      const job = jobs[i] as Job;
      job.call = this;
      job.index = i;
    }
  }

  /** Whether the call uses a slab slot (only those spin). */
  get isSlot(): boolean {
    return this.#slot >= 0;
  }

  /**
   * hand gives `job` to this slot call if its worker spins now (CAS SPINNING →
   * HANDED), posting it on the worker's handoff port as the call's next task.
   * False when the worker does not spin (or the slot is full): dispatch it
   * otherwise. The job may settle before hand returns (it could not be posted).
   */
  hand(job: Job, port: MessagePort, pool: Pool): boolean {
    const i = this.jobs.length;
    if (this.#slot < 0 || this.isReturned || i >= SLOT_TASKS) return false;
    if (Atomics.load(this.#state, WORD_HANDOFF) !== HANDOFF_SPINNING) return false;
    // Published by the CAS below: the worker reads task words only after HANDED.
    this.#state[HEADER_WORDS + i] = QUEUED;
    const won = Atomics.compareExchange(
      this.#state,
      WORD_HANDOFF,
      HANDOFF_SPINNING,
      HANDOFF_HANDED,
    );
    if (won !== HANDOFF_SPINNING) return false;
    this.jobs.push(job);
    this.pending++;
    job.call = this;
    job.index = i;
    const handed: WireHanded = [i, job.url, job.name, job.args, job.source, job.attempt, job.trace];
    try {
      port.postMessage(handed, job.transferList as never);
    } catch (err) {
      // The worker waits for exactly one message: tell it to skip index i.
      port.postMessage([i] satisfies WireHanded);
      this.settle(job, notCloned(job, err), pool);
      return true;
    }
    if (job.timeoutMs !== undefined) {
      this.#clearTimer();
      this.armTimeouts(pool);
    }
    return true;
  }

  /** Stops the worker's spin, if it spins (pool closing). */
  stopSpin(): void {
    if (this.#slot >= 0) {
      Atomics.compareExchange(this.#state, WORD_HANDOFF, HANDOFF_SPINNING, HANDOFF_OFF);
    }
  }

  /** The worker's threadId, 0 until the call reached the task entry. */
  get threadId(): number {
    return Atomics.load(this.#state, WORD_THREAD);
  }

  /** Whether a job of the call is running now. */
  get isRunning(): boolean {
    return !this.isReturned && Atomics.load(this.#state, WORD_CURRENT) >= 0;
  }

  unsettled(): Job[] {
    return this.jobs.filter((j) => !j.done);
  }

  settle(job: Job, outcome: JobOutcome, pool: Pool): void {
    if (!job.settle(outcome)) return;
    this.pending--;
    pool.jobSettled(Array.isArray(outcome) ? (outcome[RESPONSE_ELAPSED] as number) : 0);
    if (this.pending === 0) this.#clearTimer();
  }

  respond(index: number, response: WireResponse, pool: Pool): void {
    this.#responses++;
    const job = this.jobs[index];
    const spans = response[RESPONSE_SPANS] as EncodedSpan[] | undefined;
    if (spans !== undefined) {
      // The worker posts a task's response before it marks the task DONE, so
      // main's timeout or abort can still win in between: main then settled the
      // job and recorded its task span itself, with the same id. Drop the
      // worker's copy (its user spans still go through).
      const abandonedId = job?.done === true ? job.trace?.spanId : undefined;
      const decoded = spans.map(decodeSpan);
      deliverWorkerSpans(
        abandonedId === undefined ? decoded : decoded.filter((s) => s.spanId !== abandonedId),
      );
    }
    if (job !== undefined) this.settle(job, response, pool);
  }

  returned(result: WireResponse | number | undefined, pool: Pool): void {
    this.isReturned = true;
    this.#clearTimer();
    if (typeof result === 'number') this.#posted = result;
    else if (this.jobs.length === 1 && Array.isArray(result)) this.respond(0, result, pool);
  }

  /**
   * Whether nothing more will come for this call: it returned, its jobs
   * settled, and the responses its worker posted all arrived (a late one still
   * carries the spans of a task main had already settled).
   */
  get isOver(): boolean {
    return this.isReturned && this.pending === 0 && this.#responses >= this.#posted;
  }

  /** A job's signal aborted: cancel it queued, or abandon it running. */
  abort(job: Job, kind: AbortKind, error: KindError, pool: Pool): void {
    const word = HEADER_WORDS + job.index;
    const prev = Atomics.compareExchange(this.#state, word, QUEUED, CANCELED);
    if (prev === QUEUED) {
      this.settle(job, notStarted(error, kind), pool);
      return;
    }
    if (prev === RUNNING) this.#abandon(job, kind, error, pool);
  }

  #abandon(job: Job, kind: AbortKind, error: KindError, pool: Pool): void {
    const i = job.index;
    const word = HEADER_WORDS + i;
    const to = kind === 'Timeout' ? ABORTED_TIMEOUT : ABORTED_CANCEL;
    if (Atomics.compareExchange(this.#state, word, RUNNING, to) !== RUNNING) return; // DONE: keep its result
    const tid = this.threadId;
    this.#failRunning(job, error, kind, pool);
    if (job.trace !== undefined) pool.requestSpans(tid);
    const grace = setTimeout(() => {
      if (
        Atomics.load(this.#state, word) === to &&
        Atomics.load(this.#state, WORD_CURRENT) === i &&
        !this.isReturned
      ) {
        pool.terminate(tid, kind === 'Timeout' ? 'timeout' : 'abort');
      }
    }, GRACE_MS);
    grace.unref();
  }

  /** Settles a job that was running on this call's thread, as failed now. */
  #failRunning(job: Job, error: KindError, kind: ErrorKind, pool: Pool): void {
    // Negative while the thread imported the task's module: the claim time.
    const start = Math.abs(this.#starts[job.index] as number);
    const now = performance.timeOrigin + performance.now();
    this.settle(
      job,
      {
        failure: {
          error,
          kind,
          startTime: start,
          endTime: now,
          elapsedMs: Math.max(0, now - start),
          threadId: this.threadId,
        },
      },
      pool,
    );
  }

  armTimeouts(pool: Pool): void {
    const next = this.#nextCheck(Number.POSITIVE_INFINITY);
    if (next !== undefined) this.#timer = setTimeout(check, next, this, pool);
  }

  /** The delay until the next check: `dueIn`, or the shortest timeoutMs of a pending job. */
  #nextCheck(dueIn: number): number | undefined {
    let min = dueIn;
    for (const job of this.jobs) {
      const t = job.timeoutMs;
      if (!job.done && t !== undefined && t < min) min = t;
    }
    return min === Number.POSITIVE_INFINITY ? undefined : Math.max(1, min);
  }

  /** The call's timer fired. */
  check(pool: Pool): void {
    this.#timer = undefined;
    if (this.isReturned || this.pending === 0) return;
    let dueIn = Number.POSITIVE_INFINITY;
    const cur = Atomics.load(this.#state, WORD_CURRENT);
    const job = cur >= 0 ? this.jobs[cur] : undefined;
    const ms = job?.timeoutMs;
    if (job !== undefined && ms !== undefined && !job.done) {
      if (Atomics.load(this.#state, HEADER_WORDS + cur) === RUNNING) {
        const now = performance.timeOrigin + performance.now();
        const start = this.#starts[cur] as number;
        if (start < 0) {
          // Its thread still imports its module: the run time has not started;
          // the import has its own limit. Look again soon: the task's deadline
          // is known only once the import ended.
          const limit = pool.importTimeoutMs;
          const deadline = -start + limit;
          if (now >= deadline) {
            this.#abandon(
              job,
              'Timeout',
              timeoutError(
                job.source,
                `timed out: its module did not load within ${limit}ms (importTimeoutMs)`,
              ),
              pool,
            );
          } else {
            dueIn = Math.min(deadline - now, IMPORT_POLL_MS);
          }
        } else if (now >= start + ms) {
          this.#abandon(job, 'Timeout', timeoutError(job.source, `timed out after ${ms}ms`), pool);
        } else {
          dueIn = start + ms - now;
        }
      }
    }
    const next = this.#nextCheck(dueIn);
    if (next !== undefined) this.#timer = setTimeout(check, next, this, pool);
  }

  /** The worker died during the call: requeue what never started, fail what was running. */
  salvage(err: unknown, oom: boolean, pool: Pool, requeue: (jobs: Job[]) => void): void {
    this.isReturned = true;
    this.#clearTimer();
    const again: Job[] = [];
    const tid = this.threadId;
    const message = err instanceof Error ? err.message : String(err);
    for (const job of this.jobs) {
      if (job.done) continue;
      const s = Atomics.load(this.#state, HEADER_WORDS + job.index);
      if (s === QUEUED) {
        again.push(job);
        continue;
      }
      const kind: ErrorKind = oom ? 'ResourceExhausted' : 'Panic';
      const what = oom ? 'ran out of memory' : 'exited';
      const error = new KindError(
        kind,
        `threadline: worker ${tid} ${what} while running task "${job.name}": ${message}`,
        { cause: err },
      );
      this.#failRunning(job, error, kind, pool);
    }
    if (again.length > 0) requeue(again);
  }

  /** close() or a bootstrap failure: settle every job not started yet. */
  cancelQueued(error: Error, kind: ErrorKind, pool: Pool): void {
    for (const job of this.jobs) {
      if (job.done) continue;
      const word = HEADER_WORDS + job.index;
      if (Atomics.compareExchange(this.#state, word, QUEUED, CANCELED) === QUEUED) {
        this.settle(job, notStarted(error, kind), pool);
      }
    }
  }

  /**
   * release recycles a one-task call's state buffer once the call is over (it
   * returned or its worker died: no thread writes to it any more). Internal.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#slot >= 0) {
      (this.#slab as Slab).give(this.#slot);
      return;
    }
    if (this.jobs.length !== 1 || singles.length >= MAX_SPARE) return;
    const state = this.#state;
    state[WORD_THREAD] = 0;
    state[WORD_CURRENT] = -1;
    state[HEADER_WORDS] = QUEUED;
    singles.push({ buffer: state.buffer as SharedArrayBuffer, state, starts: this.#starts });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function check(rec: CallRecord, pool: Pool): void {
  rec.check(pool);
}
