// Job: one attempt of a worker task inside a pool, from go() to its settlement.
//
// Invariants:
//   settle() resolves the attempt exactly once (`done`), and removes the
//     job's subscription to its signal.
//   `call`/`index` name the in-flight call holding the job, or are unset while
//     the job waits in the pool's queue.

import { KindError } from '../observe/kind-error.js';
import type { TaskRequest } from '../wire.js';
import type { AbortKind } from './attempt.js';
import type { CallRecord, JobOutcome } from './call.js';
import type { Pool } from './pool.js';
import { type AbortSubscriber, unsubscribe } from './signals.js';

/** What one attempt needs from the pool (built by the worker runner). */
export interface JobSpec {
  readonly request: TaskRequest;
  readonly transferList: readonly unknown[] | undefined;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly abortKind: (reason: unknown) => AbortKind;
}

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

/** The error of a task settled by its signal. */
export function abortError(kind: AbortKind, source: string, reason: unknown): KindError {
  const message =
    kind === 'Timeout'
      ? `threadline: task "${source}" deadline exceeded`
      : `threadline: task "${source}" canceled`;
  return new KindError(kind, message, { cause: reason });
}
