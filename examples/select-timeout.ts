// select with a timeout, a non-blocking default, and a stoppable timer.
// Run: node dist/examples/select-timeout.js

import { after, Channel, recv, select, timer } from 'threadline';

const results = new Channel<string>();
setTimeout(() => results.trySend('slow result'), 50).unref();

// Go: select { case r := <-results: ...; case <-time.After(10 * time.Millisecond): ... }
const first = await select([recv(results), recv(after(10))]);
console.log(first.index === 0 ? `got ${first.value}` : 'timed out after 10ms');

// Go: select { case r := <-results: ...; default: ... }
const poll = await select([recv(results)], { default: true });
console.log(poll.index === -1 ? 'nothing ready yet' : `got ${poll.value}`);

// A timer you stop when the work wins, so it never fires later.
const t = timer(1000);
const second = await select([recv(results), recv(t.c)]);
console.log(`got ${second.value}; timer stopped before firing: ${t.stop()}`);
