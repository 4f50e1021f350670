// PoolOptions: what createPool() accepts (piscina's option names), and their
// validation: invalid options throw synchronously, naming the option and the value.

import type { ResourceLimits } from 'node:worker_threads';

/** Largest spinMicros: one second (a spinning worker holds a core). */
const MAX_SPIN_MICROS = 1_000_000;

/** Options of createPool; names as piscina's (spinMicros is threadline's own). */
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
  /**
   * ms a task with `timeoutMs` may wait for its thread to import its module
   * (the first task of a module on each thread) before it settles Timeout and
   * the thread is replaced; its `timeoutMs` counts from the end of the import.
   * Default 10000.
   */
  importTimeoutMs?: number;
  /**
   * µs a worker that finished a lone task keeps polling for the next one
   * before it sleeps (Go's spinning threads): a task handed to a spinning
   * worker starts in about 1 µs instead of the tens of µs that waking a
   * sleeping thread costs on a VM. At most one worker per pool spins, never
   * while other work waits for a thread; each idle moment costs up to this
   * much CPU. An integer from 0 (off) to 1_000_000; always off with one core.
   * Default 0: measure before turning it on (see the README).
   */
  spinMicros?: number;
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
  int('importTimeoutMs', 1);
  int('spinMicros', 0);
  if (o.spinMicros !== undefined && o.spinMicros > MAX_SPIN_MICROS) {
    throw new RangeError(
      `threadline: createPool option spinMicros must be <= ${MAX_SPIN_MICROS}, got ${o.spinMicros}`,
    );
  }
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
