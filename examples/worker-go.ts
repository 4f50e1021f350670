// go(task, args) on worker threads: the same ObservableResult as go() on the
// event loop, with errors, timeouts and a Group mixing both.
//
// Run: npm run build && node dist/examples/worker-go.js

import { createPool, Group, go, unwrap } from 'threadline';
import { crunch, fib, lookup, noise } from './worker-tasks.js';

// On the default pool (created on first use, os.availableParallelism() threads).
const r = await go(fib, [30], { source: 'math/fib' });
console.log(r.value, r.threadId > 0, r.resultType, `${r.elapsedMs.toFixed(1)} ms`); // 832040 true number …

// Errors keep their class, kind and code across the thread.
const miss = await go(lookup, [7]);
console.log(miss.errorKind, miss.error?.message); // NotFound user 7 not found

// Transferred results arrive without a copy.
const bytes = unwrap(await go(noise, [1024]));
console.log(bytes.constructor.name, bytes.byteLength); // Uint8Array 1024

// timeoutMs counts run time only; taskSignal() fires inside the worker, and a
// task still running after a short grace period has its thread replaced.
const slow = await go(crunch, [1_000], { timeoutMs: 50 });
console.log(slow.errorKind, slow.error?.message); // Timeout threadline: task "crunch" timed out after 50ms

// A dedicated pool, and a Group mixing worker and in-thread tasks.
await using pool = createPool({ name: 'math', maxThreads: 2 });
const g = new Group({ limit: 4 });
for (const n of [20, 25, 30]) g.go(fib, [n], { pool });
g.go(async () => 'in-thread');
const { results, stats } = await g.wait();
console.log(
  results.map((x) => x.value),
  stats.count,
  stats.failed,
); // [ 6765, 75025, 832040, 'in-thread' ] 4 0
