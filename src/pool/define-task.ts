// defineTask: the handle of a function that go() runs on a worker thread, and
// transfer(), which marks a task's return value for zero-copy transfer.
//
// Invariants:
//   A handle is branded with Symbol.for('threadline.task') (a second copy of the
//     package recognises it) and names its module URL and its task name; both
//     are frozen.
//   Within one evaluation of a module, a name is defined once: a duplicate throws.
//   The task registry on globalThis (Symbol.for('threadline.tasks')) maps
//     url → name → handle for every handle defined in this thread; re-evaluating
//     a module (a new module instance, e.g. a cache-busting URL or a hot reload)
//     replaces its tasks. The worker looks tasks up there after importing the URL.

import type { TransferListItem } from 'node:worker_threads';

/** The brand of worker task handles. */
export const TASK_BRAND: unique symbol = Symbol.for('threadline.task') as never;
/** The brand of transfer() wrappers. */
const TRANSFER_BRAND = Symbol.for('threadline.transfer');
const REGISTRY_KEY = Symbol.for('threadline.tasks');

/**
 * Values that survive structured cloning between threads: what a task's
 * arguments and value should be. Documentation only: TypeScript interfaces
 * (which lack index signatures) could not satisfy it as a constraint, so
 * defineTask checks cloneability at run time (Validation) instead.
 */
export type Cloneable =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | Date
  | RegExp
  | Error
  | ArrayBuffer
  | SharedArrayBuffer
  | ArrayBufferView
  | Blob
  | Map<Cloneable, Cloneable>
  | Set<Cloneable>
  | readonly Cloneable[]
  | CloneableObject;

/** An object whose properties are all Cloneable (class instances arrive as plain objects). */
export interface CloneableObject {
  readonly [key: string]: Cloneable;
}

/** What a task function may return: a value, transfer(value, list), or a promise of either. */
export type TaskReturn<R> = R | Transfer<R> | PromiseLike<R | Transfer<R>>;

/**
 * WorkerTask is a typed handle of a function defined with defineTask. Pass it to
 * go(); it holds no state besides its module URL and name.
 */
export interface WorkerTask<A extends readonly unknown[], R> {
  readonly [TASK_BRAND]: true;
  /** URL of the module that defined it (the worker imports it). */
  readonly url: string;
  /** Its name, unique in the module. */
  readonly name: string;
  /** The function itself (called directly for a go() inside a worker task). */
  readonly fn: (...args: A) => TaskReturn<R>;
  /** Phantom fields for type inference only. */
  readonly __args?: A;
  readonly __result?: R;
}

/** A return value with the transferables to move instead of copy. */
export interface Transfer<R> {
  readonly [TRANSFER_BRAND]: true;
  readonly value: R;
  readonly list: readonly TransferListItem[];
}

type Registry = Map<string, Map<string, WorkerTask<never, never>>>;

/** The thread's task registry (shared by every copy of the package in this thread). */
export function taskRegistry(): Registry {
  const g = globalThis as { [REGISTRY_KEY]?: Registry };
  let registry = g[REGISTRY_KEY];
  if (registry === undefined) {
    registry = new Map();
    g[REGISTRY_KEY] = registry;
  }
  return registry;
}

// Names defined by the module evaluation in progress, per URL: a duplicate within
// one evaluation throws; a later evaluation of the same URL starts a new set.
// A module's defineTask calls run synchronously in one evaluation, so the set is
// reset on the next macrotask.
const definingNow = new Map<string, Set<string>>();

/**
 * defineTask declares `fn` as a worker task named `name` in the module at `url`
 * (always pass `import.meta.url`) and returns its handle. Export the handle: the
 * worker imports `url` and finds the exported handle with that name.
 *
 * Arguments and the return value must be structured-cloneable; return
 * `transfer(value, list)` to move ArrayBuffers instead of copying them.
 * Throws TypeError for a bad url, name or fn, and Error for a name defined twice
 * in one module.
 *
 * @example
 * // tasks/math.ts
 * const fibOf = (n: number): number => (n < 2 ? n : fibOf(n - 1) + fibOf(n - 2));
 * export const fib = defineTask(import.meta.url, 'fib', fibOf);
 * // main.ts
 * const r = await go(fib, [30]); // r.value: number
 */
export function defineTask<A extends readonly unknown[], R>(
  url: string,
  name: string,
  fn: (...args: A) => TaskReturn<R>,
): WorkerTask<A, R> {
  if (typeof url !== 'string' || !URL.canParse(url)) {
    throw new TypeError(
      `threadline: defineTask url must be a module URL (import.meta.url), got ${String(url)}`,
    );
  }
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(
      `threadline: defineTask name must be a non-empty string, got ${String(name)}`,
    );
  }
  if (typeof fn !== 'function') {
    throw new TypeError(`threadline: defineTask fn must be a function, got ${typeof fn}`);
  }
  let names = definingNow.get(url);
  if (names === undefined) {
    names = new Set();
    definingNow.set(url, names);
    setImmediate(() => definingNow.delete(url)).unref();
  }
  if (names.has(name)) {
    throw new Error(`threadline: task "${name}" defined twice in ${url}`);
  }
  names.add(name);
  const handle: WorkerTask<A, R> = Object.freeze({ [TASK_BRAND]: true as const, url, name, fn });
  const registry = taskRegistry();
  let tasks = registry.get(url);
  if (tasks === undefined) {
    tasks = new Map();
    registry.set(url, tasks);
  }
  tasks.set(name, handle as unknown as WorkerTask<never, never>);
  return handle;
}

/**
 * isWorkerTask reports whether `value` is a handle made by defineTask (by any
 * copy of threadline).
 *
 * @example
 * isWorkerTask(fib); // true
 */
export function isWorkerTask(value: unknown): value is WorkerTask<unknown[], unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [TASK_BRAND]?: unknown })[TASK_BRAND] === true
  );
}

/**
 * transfer wraps a task's return value with the transferables (ArrayBuffers,
 * MessagePorts) to move to the caller instead of copying; they become unusable
 * in the worker.
 *
 * @example
 * export const fill = defineTask(import.meta.url, 'fill', (n: number) => {
 *   const bytes = new Uint8Array(n).fill(7);
 *   return transfer(bytes, [bytes.buffer]);
 * });
 */
export function transfer<R>(value: R, list: readonly TransferListItem[]): Transfer<R> {
  if (!Array.isArray(list)) {
    throw new TypeError(`threadline: transfer list must be an array, got ${typeof list}`);
  }
  return { [TRANSFER_BRAND]: true, value, list };
}

/**
 * isTransfer reports whether `value` was made by transfer().
 *
 * @example
 * isTransfer(transfer(buf, [buf.buffer])); // true
 */
export function isTransfer(value: unknown): value is Transfer<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [TRANSFER_BRAND]?: unknown })[TRANSFER_BRAND] === true
  );
}
