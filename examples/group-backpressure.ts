// Group with a limit as backpressure: ready() waits for a free slot (Go's
// blocking g.Go), tryGo() never waits. wait() returns every result in
// submission order, with the first error and stats.
//
// Run: npm run build && node dist/examples/group-backpressure.js

import { setTimeout as sleep } from 'node:timers/promises';
import { Group } from 'threadline';

async function* jobs(): AsyncGenerator<number> {
  for (let i = 0; i < 8; i++) yield i;
}

const g = new Group<number>({ limit: 3 });
for await (const n of jobs()) {
  await g.ready(); // never more than 3 in flight, nothing piles up in the queue
  g.go(
    async ({ signal }) => {
      await sleep(5 + (n % 3) * 5, undefined, { signal });
      return n * n;
    },
    { source: 'square' },
  );
}
// tryGo reports whether it could start now instead of queueing.
const extra = g.tryGo(async () => -1, { source: 'extra' });
console.log('extra started:', extra !== undefined);

const { results, firstError, stats } = await g.wait();
console.log(results.map((r) => r.value).join(' ')); // 0 1 4 9 16 25 36 49 (and -1 when extra started)
console.log('firstError:', firstError, '| failed:', stats.failed, '| count:', stats.count);
console.log(`p50 ${stats.durationMs.p50.toFixed(1)} ms, max ${stats.durationMs.max.toFixed(1)} ms`);
console.log('group signal aborted after wait():', g.signal.aborted); // true (errgroup cancels its ctx)
