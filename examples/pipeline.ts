// A Go-style pipeline: generate -> square (3 workers, fan-out) -> merge (fan-in)
// -> sum, with a `done` channel to stop early, as in "Go Concurrency Patterns:
// Pipelines and cancellation". Run: node dist/examples/pipeline.js

import { Channel, type ReceiveChannel, recv, select, send } from 'threadline';

/** gen sends each number on the returned channel, then closes it. */
function gen(done: ReceiveChannel<void>, ...nums: number[]): ReceiveChannel<number> {
  const out = new Channel<number>();
  (async () => {
    for (const n of nums) {
      // Either the value is taken or the consumer is gone.
      const r = await select([send(out, n), recv(done)]);
      if (r.index === 1) break;
    }
    out.close();
  })();
  return out;
}

/** sq receives numbers until `input` is closed and sends their squares. */
function sq(done: ReceiveChannel<void>, input: ReceiveChannel<number>): ReceiveChannel<number> {
  const out = new Channel<number>();
  (async () => {
    for await (const n of input) {
      const r = await select([send(out, n * n), recv(done)]);
      if (r.index === 1) break;
    }
    out.close();
  })();
  return out;
}

/** merge fans in: every value from every input arrives on one channel. */
function merge(
  done: ReceiveChannel<void>,
  ...inputs: ReceiveChannel<number>[]
): ReceiveChannel<number> {
  const out = new Channel<number>(inputs.length);
  let open = inputs.length;
  for (const input of inputs) {
    (async () => {
      for await (const n of input) {
        // The fast path: no await unless the buffer is full.
        if (out.trySend(n)) continue;
        const r = await select([send(out, n), recv(done)]);
        if (r.index === 1) break;
      }
      if (--open === 0) out.close();
    })();
  }
  return out;
}

const done = new Channel<void>();
const source = gen(done, ...Array.from({ length: 10 }, (_, i) => i + 1));
const workers = [sq(done, source), sq(done, source), sq(done, source)];
let total = 0;
for await (const v of merge(done, ...workers)) total += v;
console.log(`sum of squares 1..10 = ${total}`);

// Stop early: take two values, then close `done`; every stage unblocks and exits.
const done2 = new Channel<void>();
const squares = merge(done2, sq(done2, gen(done2, 1, 2, 3, 4, 5, 6, 7, 8)));
const first = [(await squares.recv()).value, (await squares.recv()).value];
done2.close();
console.log(`first two squares: ${first.join(', ')}`);
