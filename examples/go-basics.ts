// go() on this thread: results instead of exceptions, unwrap(), timeouts,
// cancellation and retries.
//
// Run: npm run build && node dist/examples/go-basics.js

import { setTimeout as sleep } from 'node:timers/promises';
import { go, KindError, unwrap } from 'threadline';

// A task is any function; go() returns at once with a Task (a Promise that
// never rejects) whose ObservableResult says what happened.
const r = await go(async () => 6 * 7, { source: 'math/answer' });
console.log(r.ok, r.value, r.resultType, `${r.elapsedMs.toFixed(3)} ms`); // true 42 number …

// unwrap() gives back value-or-throw when you want exceptions.
console.log(unwrap(r)); // 42

// Failures are results too, classified into kinds.
const missing = await go(async () => {
  throw new KindError('NotFound', 'user 42 not found');
});
console.log(missing.ok, missing.errorKind, missing.error?.message); // false NotFound user 42 not found

// timeoutMs limits each attempt; the task settles at the deadline and fn's
// signal aborts, so well-behaved work stops too.
const slow = await go(({ signal }) => sleep(1_000, 'done', { signal }), { timeoutMs: 20 });
console.log(slow.errorKind, slow.error?.message); // Timeout threadline: task "anonymous" timed out after 20ms

// A caller's signal cancels it (a deadline from submission: AbortSignal.timeout).
const ac = new AbortController();
const pending = go(({ signal }) => sleep(1_000, 'done', { signal }), { signal: ac.signal });
ac.abort();
console.log((await pending).errorKind); // Canceled

// retries re-run the kinds in retryOn (default Timeout and Network), with backoff.
let attempts = 0;
const flaky = await go(
  async () => {
    attempts++;
    if (attempts < 3) throw new KindError('Network', 'connection reset');
    return 'ok';
  },
  { retries: 3, retryDelayMs: 5 },
);
console.log(flaky.value, flaky.retryCount); // ok 2
