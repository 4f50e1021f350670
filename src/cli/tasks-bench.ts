// Worker tasks of `threadline bench`: the no-op that go() runs on the pool.
import { defineTask } from '../index.js';

/** Returns its argument: measures the pool's overhead only. */
export const noop = defineTask(import.meta.url, 'noop', (x: number) => x);
