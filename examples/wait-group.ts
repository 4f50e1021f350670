// WaitGroup: Go's sync.WaitGroup. wg.go(fn) is add(1) + go(fn) + done() when it
// settles (Go 1.25's wg.Go); wait() resolves when the counter is zero.
//
// Run: npm run build && node dist/examples/wait-group.js

import { setTimeout as sleep } from 'node:timers/promises';
import { WaitGroup } from 'threadline';

const wg = new WaitGroup();
const seen: string[] = [];
for (const name of ['alpha', 'beta', 'gamma']) {
  wg.go(
    async ({ signal }) => {
      await sleep(5 * name.length, undefined, { signal });
      seen.push(name);
    },
    { source: `greet/${name}` },
  );
}
console.log('running:', wg.count); // running: 3
await wg.wait({ signal: AbortSignal.timeout(5_000) });
console.log('done:', seen.sort().join(', '), '| counter:', wg.count); // done: alpha, beta, gamma | counter: 0

// add()/done() by hand, as in Go; the WaitGroup is reusable once wait() resolved.
wg.add(2);
setTimeout(() => wg.done(), 5);
setTimeout(() => wg.done(), 10);
await wg.wait();
console.log('reused, counter:', wg.count); // reused, counter: 0
