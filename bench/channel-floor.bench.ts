// The rendezvous floor: what any channel must pay when every message has a
// waiting receiver (ping-pong), measured without any channel at all, against
// async-channel and threadline in the same process.
//
//   npx tsx bench/channel-floor.bench.ts [--quick]
//
// Why: issue 3 asks threadline's try-first idiom to be ≥ 2× async-channel. On
// a rendezvous one side of every message must wait, so one promise and one
// await per message is a hard lower bound; "handoff" is exactly that and
// nothing else, "handoff {value, ok}" resolves with the object recv() must
// return. If async-channel is less than 2× slower than a floor, no channel
// can be 2× faster than it there.
//
// Not tinybench: each contender is its own compiled copy of its scenario (a
// shared function would make the call sites megamorphic, see channel.bench.ts)
// and the contenders alternate round by round; a figure is the median over the
// rounds, a ratio the median of the per-round ratios.

import { Channel as AsyncChannel } from 'async-channel';
import { Channel } from 'threadline';

const quick = process.argv.includes('--quick');
const N = quick ? 100_000 : 1_000_000;
const ROUNDS = quick ? 3 : 9;

type Run = (deps: Deps, n: number) => Promise<void>;
const deps = { AsyncChannel, Channel };
type Deps = typeof deps;
const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => Run;

/** Scenario sources; each is compiled once per contender (`D`: deps, `n`: messages). */
const scenarios: [string, string][] = [
  [
    'handoff (1 promise + 1 await per message)',
    `let a, b;
    const echo = (async () => { for (let i = 0; i < n / 2; i++) { const v = await new Promise((r) => { a = r; }); b(v); } })();
    await Promise.resolve();
    for (let i = 0; i < n / 2; i++) { const p = new Promise((r) => { b = r; }); a(i); await p; }
    await echo;`,
  ],
  [
    'handoff {value, ok}',
    `let a, b;
    const echo = (async () => { for (let i = 0; i < n / 2; i++) { const v = (await new Promise((r) => { a = r; })).value; b({ value: v, ok: true }); } })();
    await Promise.resolve();
    for (let i = 0; i < n / 2; i++) { const p = new Promise((r) => { b = r; }); a({ value: i, ok: true }); await p; }
    await echo;`,
  ],
  [
    'async-channel',
    `const ping = new D.AsyncChannel(0), pong = new D.AsyncChannel(0);
    const echo = (async () => { for (let i = 0; i < n / 2; i++) await pong.push(await ping.get()); })();
    for (let i = 0; i < n / 2; i++) { await ping.push(i); await pong.get(); }
    await echo;`,
  ],
  [
    'threadline try-first',
    `const ping = new D.Channel(0), pong = new D.Channel(0);
    const echo = (async () => { for (let i = 0; i < n / 2; i++) { const r = ping.tryRecv() ?? (await ping.recv()); pong.trySend(r.value) || (await pong.send(r.value)); } })();
    for (let i = 0; i < n / 2; i++) { ping.trySend(i) || (await ping.send(i)); pong.tryRecv() ?? (await pong.recv()); }
    await echo;`,
  ],
  [
    'threadline',
    `const ping = new D.Channel(0), pong = new D.Channel(0);
    const echo = (async () => { for (let i = 0; i < n / 2; i++) await pong.send((await ping.recv()).value); })();
    for (let i = 0; i < n / 2; i++) { await ping.send(i); await pong.recv(); }
    await echo;`,
  ],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

async function main(): Promise<void> {
  console.log(
    `channel floor bench (ping-pong over unbuffered channels): node ${process.version}, ${N} messages, ${ROUNDS} rounds`,
  );
  const runs = scenarios.map(([, src]) => new AsyncFunction('D', 'n', src));
  // Warm-up: enough messages that every copy is optimized before it is timed.
  for (const run of runs) for (let i = 0; i < 3; i++) await run(deps, 100_000);
  const ns: number[][] = runs.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < runs.length; k++) {
      const j = (k + round) % runs.length; // rotate the order every round
      (globalThis as { gc?: () => void }).gc?.();
      const t0 = performance.now();
      await (runs[j] as Run)(deps, N);
      (ns[j] as number[]).push(((performance.now() - t0) * 1e6) / N);
    }
  }
  const at = (name: string) => scenarios.findIndex(([s]) => s === name);
  const ratio = (a: string, b: string) => {
    const xa = ns[at(a)] as number[];
    const xb = ns[at(b)] as number[];
    return median(xa.map((x, i) => x / (xb[i] as number))).toFixed(2);
  };
  console.table(
    scenarios.map(([name], j) => ({
      contender: name,
      'ns/msg': Math.round(median(ns[j] as number[])),
      '× handoff {value, ok}': ratio(name, 'handoff {value, ok}'),
      'async-channel ×': ratio('async-channel', name),
    })),
  );
  console.log(
    'async-channel / handoff {value, ok}: the most any channel whose recv resolves { value, ok } can beat async-channel by here',
  );
}

await main();
