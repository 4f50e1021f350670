// The pool factory and the default pool: created lazily on first use, closed
// by shutdown(), re-created by the next go().

import { Pool } from './pool.js';
import type { PoolOptions } from './pool-options.js';

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
