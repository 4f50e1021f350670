// go(): Go's `go` statement. Validates the call, picks the AttemptRunner for the
// target and hands it to startTask (./task.ts), which owns everything else.
//
// Overloads, one dispatch: go(), WaitGroup.go() and Group.go() all call
// dispatch(), so a target kind added here (worker tasks, issue 4) works in all
// three without touching src/waitgroup.
//
// Invalid calls (not a function, not a task handle, bad options) throw
// synchronously; everything after that is in the Task's result.

import type { WorkerTask } from './define-task.js';
import { InlineRunner, type TaskFunction } from './inline-runner.js';
import { describeValue, type GoOptions, resolveGoOptions } from './options.js';
import { startTask, type Task, type TaskHost } from './task.js';
import { createWorkerRunner, type WorkerGoOptions } from './worker-runner.js';

/** The brand of a defineTask handle (DESIGN.md "Goroutines"). */
const TASK_BRAND = Symbol.for('threadline.task');

/**
 * go starts `fn({ signal })` on this thread, like Go's `go` statement, and
 * returns its Task at once: the task is already running (up to its first
 * `await`) when go() returns. Awaiting the Task yields an ObservableResult and
 * never rejects; `unwrap(result)` gives the value or throws the error.
 *
 * The task runs under its own span (a child of the active context) named after
 * `source`; `signal` and `timeoutMs` settle it at the abort with a `Canceled`
 * or `Timeout` KindError; `retries` re-run it for the kinds in `retryOn`.
 *
 * @throws TypeError when `fn` is not a function (or a task handle), or an option is invalid.
 * @example
 * const r = await go(async ({ signal }) => fetchUser(42, { signal }), { source: 'user-api/v3' });
 * if (r.ok) console.log(r.value, r.elapsedMs, r.traceId);
 */
export function go<R>(fn: TaskFunction<R>, options?: GoOptions<Awaited<R>>): Task<Awaited<R>>;
export function go<A extends readonly unknown[], R>(
  handle: WorkerTask<A, R>,
  args: A,
  options?: GoOptions<R> & WorkerGoOptions,
): Task<R>;
export function go(target: unknown, second?: unknown, third?: unknown): Task<unknown> {
  return dispatch(undefined, target, second, third);
}

/**
 * dispatch is go() with a host: WaitGroup.go and Group.go call it with
 * themselves as host, go() with none. Internal.
 */
export function dispatch(
  host: TaskHost | undefined,
  target: unknown,
  second?: unknown,
  third?: unknown,
): Task<unknown> {
  if (typeof target === 'function') {
    const options = resolveGoOptions(second);
    void third;
    // Metrics: startTask records threadline.task.duration when the task settles.
    return startTask(
      new InlineRunner(target as TaskFunction<unknown>),
      target.name || 'anonymous',
      options,
      host,
    );
  }

  // ── Worker tasks (issue 4) ───────────────────────────────────────────────
  // A defineTask handle carries the brand TASK_BRAND. Its branch goes here:
  // validate `second` (args: an array) and `third` (options), build the worker
  // AttemptRunner, and return startTask(runner, handle.name, options, host).
  if (typeof target === 'object' && target !== null && TASK_BRAND in target) {
    const handle = target as unknown as WorkerTask<readonly unknown[], unknown>;
    const runner = createWorkerRunner(handle, second, third);
    return startTask(runner, handle.name, resolveGoOptions(third), host);
  }
  // ─────────────────────────────────────────────────────────────────────────

  throw new TypeError(
    `threadline: go expects a function or a defineTask handle, got ${describeValue(target)}`,
  );
}
