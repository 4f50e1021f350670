// PoolOptions: what createPool() accepts (piscina's option names), and their
// validation: invalid options throw synchronously, naming the option and the value.

import type { ResourceLimits } from 'node:worker_threads';

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

/**
 * checkOptions throws RangeError or TypeError for an invalid PoolOptions.
 *
 * @example
 * checkOptions({ maxThreads: 0 }); // RangeError: threadline: createPool option maxThreads must be an integer >= 1, got 0
 */
export function checkOptions(o: PoolOptions): void {
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
