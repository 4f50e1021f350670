// taskSignal(): the cooperative abort signal of the worker task running now.
//
// The worker runs one task at a time (piscina runs one call per worker, a call
// runs its tasks in order), so "the task running now" is a per-thread slot on
// globalThis (Symbol.for, so every copy of threadline in the thread agrees).
// Main asks a running task to stop by moving its state word to ABORTED_*; the
// worker sees that by polling the word, but only once the task asked for its
// signal: tasks that never call taskSignal() cost no timer.
//
// Invariants:
//   The slot holds the CurrentTask of the task running now, or undefined.
//   A CurrentTask's signal aborts at most once, with a DOMException whose name
//     is 'TimeoutError' (timeoutMs) or 'AbortError' (caller's signal).
//   dispose() stops the poll; a disposed CurrentTask never aborts.

import { ABORTED_CANCEL, ABORTED_TIMEOUT, HEADER_WORDS } from '../wire.js';

const SLOT = Symbol.for('threadline.currentTask');
/** How often a running task that asked for its signal checks its state word. */
const POLL_MS = 5;

/** The running task, as taskSignal() sees it. */
export class CurrentTask {
  readonly #state: Int32Array | undefined;
  readonly #index: number;
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #disposed = false;

  /** `state` is the call's state words and `index` the task's index; both absent for a task that cannot be aborted. */
  constructor(state: Int32Array | undefined, index: number) {
    this.#state = state;
    this.#index = index;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#state !== undefined && !this.#disposed) {
        this.#timer = setInterval(poll, POLL_MS, this);
        this.#timer.unref();
        this.check();
      }
    }
    return this.#controller.signal;
  }

  /** check aborts the signal if main moved the task's state word to ABORTED_*. */
  check(): void {
    if (this.#state === undefined || this.#controller === undefined || this.#disposed) return;
    const s = Atomics.load(this.#state, HEADER_WORDS + this.#index);
    if (s === ABORTED_TIMEOUT) {
      this.dispose();
      this.#controller.abort(new DOMException('threadline: task timed out', 'TimeoutError'));
    } else if (s === ABORTED_CANCEL) {
      this.dispose();
      this.#controller.abort(new DOMException('threadline: task canceled', 'AbortError'));
    }
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function poll(task: CurrentTask): void {
  task.check();
}

/** setCurrentTask sets (or clears, with undefined) the thread's running task. */
export function setCurrentTask(task: CurrentTask | undefined): void {
  (globalThis as { [SLOT]?: CurrentTask })[SLOT] = task;
}

/**
 * taskSignal returns the abort signal of the worker task running now. It aborts
 * when the task's `timeoutMs` passes (reason: a `TimeoutError` DOMException) or
 * the caller's signal aborts (an `AbortError`); the thread is terminated if the
 * task has not settled a short grace period later, so a task that can stop early
 * should check it between steps. Throws outside a worker task.
 *
 * @example
 * export const crunch = defineTask(import.meta.url, 'crunch', async (chunks: number[]) => {
 *   const signal = taskSignal();
 *   for (const c of chunks) { signal.throwIfAborted(); await step(c); }
 * });
 */
export function taskSignal(): AbortSignal {
  const task = (globalThis as { [SLOT]?: CurrentTask })[SLOT];
  if (task === undefined) {
    throw new Error('threadline: taskSignal called outside a worker task');
  }
  return task.signal;
}
