// Task lookup inside a worker: import the module URL, then take the handle
// branded Symbol.for('threadline.task') with the requested name from the
// thread's task registry (filled by defineTask when the module evaluated, by any
// copy of threadline), or else from the module's exports.
//
// Invariants:
//   A module URL is imported at most once per thread while its import succeeds;
//     a failed import is retried by the next request (the file may appear).
//   Lookup failures are KindError('NotFound') naming the task and the module.

import { KindError } from '../observe/kind-error.js';

const TASK_BRAND = Symbol.for('threadline.task');
const REGISTRY_KEY = Symbol.for('threadline.tasks');

type Fn = (...args: unknown[]) => unknown;
type Handle = { readonly name: string; readonly fn: Fn; readonly [TASK_BRAND]?: true };

const TS_URL = /\.[mc]?ts(\?.*)?$/;
const imported = new Map<string, Promise<Record<string, unknown>>>();

function registry(): Map<string, Map<string, Handle>> | undefined {
  return (globalThis as { [REGISTRY_KEY]?: Map<string, Map<string, Handle>> })[REGISTRY_KEY];
}

/**
 * cachedTask returns the function of a task whose module this thread already
 * evaluated, without waiting; undefined otherwise (then use lookupTask).
 *
 * @example
 * const fn = cachedTask(url, 'fib') ?? (await lookupTask(url, 'fib'));
 */
export function cachedTask(url: string, name: string): Fn | undefined {
  return registry()?.get(url)?.get(name)?.fn;
}

/**
 * lookupTask returns the function of task `name` defined in the module at `url`.
 * Rejects with KindError('NotFound') when the module cannot be loaded or does
 * not define the task.
 *
 * @example
 * const fn = await lookupTask(new URL('./tasks.js', import.meta.url).href, 'fib');
 */
export async function lookupTask(url: string, name: string): Promise<Fn> {
  const hit = cachedTask(url, name);
  if (hit !== undefined) return hit;
  let loading = imported.get(url);
  if (loading === undefined) {
    if (TS_URL.test(url)) await registerTsxHooks();
    loading = import(url) as Promise<Record<string, unknown>>;
    imported.set(url, loading);
  }
  let ns: Record<string, unknown>;
  try {
    ns = await loading;
  } catch (err) {
    imported.delete(url);
    const reason = err instanceof Error ? err.message : String(err);
    throw new KindError(
      'NotFound',
      `threadline: cannot load task module ${url}: ${reason}` +
        (/\.(ts|mts|cts)$/.test(url)
          ? ' (a TypeScript module needs execArgv: ["--import", "tsx"] or a build to .js)'
          : ''),
      { cause: err },
    );
  }
  return findTask(ns, url, name);
}

function findTask(ns: Record<string, unknown>, url: string, name: string): Fn {
  const again = registry()?.get(url)?.get(name);
  if (again !== undefined) return again.fn;
  for (const value of Object.values(ns)) {
    const h = value as Handle | undefined;
    if (typeof h === 'object' && h !== null && h[TASK_BRAND] === true && h.name === name) {
      return h.fn;
    }
  }
  throw new KindError('NotFound', `threadline: task "${name}" not found in ${url}`);
}

let tsxRegistered = false;

/**
 * On Node 20, `execArgv: ['--import', 'tsx']` runs tsx's registration in the
 * worker, but its hooks do not apply to the worker's own imports (module.register
 * in workers, fixed in later Node lines). So before the first TypeScript import
 * in a worker started with that flag, register tsx's hooks through its API, once.
 */
async function registerTsxHooks(): Promise<void> {
  if (tsxRegistered) return;
  tsxRegistered = true;
  if (Number(process.versions.node.split('.')[0]) >= 22) return;
  const argv = process.execArgv;
  const flagged = argv.some(
    (a, j) =>
      (a === '--import' && /^tsx(\/esm)?$/.test(argv[j + 1] ?? '')) ||
      /^--import=tsx(\/esm)?$/.test(a),
  );
  if (!flagged) return;
  try {
    const api = (await import('tsx/esm/api' as string)) as { register(): unknown };
    api.register();
  } catch {
    // tsx not installed where threadline can resolve it: the import fails with NotFound
  }
}
