// Channel throughput with one contender per process: threadline (plain API
// and try-first idiom), async-channel, and the reference channels of
// ./floors.ts, each in a fresh process of its own, without and with
// OpenTelemetry's AsyncLocalStorage context manager.
//
//   npm run build && npx tsx bench/channel-isolated.bench.ts [--quick] [--only=<scenario text>]
//
// Why a process each: bench/channel.bench.ts runs every contender in one
// process, each with its own compiled copy of the scenario; yet they still
// share a heap, its young-generation sizing and GC timing, and V8's
// heuristics, while an application uses one channel library. Here each runs
// alone. Processes differ among themselves (the same code measures ~100 or
// ~130 ns per message from one process to the next on the VMs we use), so the
// bench needs rounds: a round starts one process per contender, in an order
// that rotates; ratios are medians of the per-round ratios.
//
// A process warms up with 3 runs of 100k messages, then reports the median of
// REPS timed runs of N messages (ns per message), with no forced GC between
// them (see solo()).

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Channel as AsyncChannel } from 'async-channel';
import { Channel } from 'threadline';
import { FloorChannel, FloorOkChannel, MinimalChannel } from './floors.js';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const ROUNDS = quick ? 1 : 7;
const N = quick ? 100_000 : 1_000_000;
const REPS = 3;

const SCENARIOS = ['unbuffered producer→consumer', 'buffered(128) producer→consumer', 'ping-pong'];
const CONTENDERS = [
  'floor (1 promise/op)',
  'floor {value, ok}',
  'minimal try-first',
  'async-channel',
  'threadline',
  'threadline try-first',
] as const;
type Contender = (typeof CONTENDERS)[number];

/** What the plain scenarios need from a channel. */
interface Plain {
  send(v: number): Promise<unknown>;
  recv(): Promise<unknown>;
}
/** What the try-first scenarios need. */
interface TryFirst extends Plain {
  trySend(v: number): boolean;
  tryRecv(): { value: number } | undefined;
  recv(): Promise<{ value: number }>;
}

function makePlain(who: Contender, cap: number): Plain {
  switch (who) {
    case 'floor (1 promise/op)':
      return new FloorChannel<number>(cap);
    case 'floor {value, ok}':
      return new FloorOkChannel<number>(cap);
    case 'async-channel': {
      const ch = new AsyncChannel<number>(cap);
      return { send: (v) => ch.push(v), recv: () => ch.get() };
    }
    default:
      return new Channel<number>(cap);
  }
}

function makeTryFirst(who: Contender, cap: number): TryFirst {
  return (
    who === 'minimal try-first' ? new MinimalChannel<number>() : new Channel<number>(cap)
  ) as TryFirst;
}

async function producerConsumer(ch: Plain, n: number): Promise<void> {
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
  })();
  for (let i = 0; i < n; i++) await ch.recv();
  await producer;
}

async function producerConsumerTryFirst(ch: TryFirst, n: number): Promise<void> {
  const producer = (async () => {
    for (let i = 0; i < n; i++) ch.trySend(i) || (await ch.send(i));
  })();
  for (let i = 0; i < n; i++) ch.tryRecv() ?? (await ch.recv());
  await producer;
}

async function pingPong(ping: Plain, pong: Plain, n: number): Promise<void> {
  const echo = (async () => {
    for (let i = 0; i < n / 2; i++) {
      const r = (await ping.recv()) as number | { value: number };
      await pong.send(typeof r === 'number' ? r : r.value);
    }
  })();
  for (let i = 0; i < n / 2; i++) {
    await ping.send(i);
    await pong.recv();
  }
  await echo;
}

async function pingPongTryFirst(ping: TryFirst, pong: TryFirst, n: number): Promise<void> {
  const echo = (async () => {
    for (let i = 0; i < n / 2; i++) {
      const r = ping.tryRecv() ?? (await ping.recv());
      pong.trySend(r.value) || (await pong.send(r.value));
    }
  })();
  for (let i = 0; i < n / 2; i++) {
    ping.trySend(i) || (await ping.send(i));
    pong.tryRecv() ?? (await pong.recv());
  }
  await echo;
}

/** Whether `who` takes part in `scenario`: the minimal channel is unbuffered only. */
function runs(who: Contender, scenario: string): boolean {
  return !(who === 'minimal try-first' && scenario.startsWith('buffered'));
}

function scenarioRun(scenario: string, who: Contender): (n: number) => Promise<void> {
  const cap = scenario.startsWith('buffered') ? 128 : 0;
  const tryFirst = who === 'minimal try-first' || who === 'threadline try-first';
  if (scenario === 'ping-pong') {
    return tryFirst
      ? (n) => pingPongTryFirst(makeTryFirst(who, 0), makeTryFirst(who, 0), n)
      : (n) => pingPong(makePlain(who, 0), makePlain(who, 0), n);
  }
  return tryFirst
    ? (n) => producerConsumerTryFirst(makeTryFirst(who, cap), n)
    : (n) => producerConsumer(makePlain(who, cap), n);
}

/** One contender's run, in this process: median ns per message over REPS runs. */
async function solo(scenario: string, who: Contender, als: boolean): Promise<number> {
  let run = scenarioRun(scenario, who);
  if (als) {
    const manager = new AsyncLocalStorageContextManager();
    manager.enable();
    context.setGlobalContextManager(manager);
    const active = ROOT_CONTEXT.setValue(createContextKey('threadline.bench'), 1);
    const inner = run;
    run = (n) => context.with(active, () => inner(n));
  }
  for (let i = 0; i < 3; i++) await run(100_000);
  const ns: number[] = [];
  // No gc() between runs: the process holds this contender alone, and a full
  // GC at a moment when the contender has no live channel drops the hidden
  // classes its optimized code depends on (V8 keeps them through instances
  // only): every timed run would then begin by re-optimizing, to a different
  // extent for each contender (--trace-deopt "weak objects": 9-16 functions of
  // the floor, the minimal channel and async-channel; threadline keeps its
  // shapes alive since, see Channel's #shapeKeepers).
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await run(N);
    ns.push(((performance.now() - t0) * 1e6) / N);
  }
  return median(ns);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Median over the rounds of a / b within a round, with its min–max. */
function ratio(a: number[], b: number[]): string {
  const per = a.map((x, i) => x / (b[i] as number));
  return `${median(per).toFixed(2)} (${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)})`;
}

function main(): void {
  console.log(
    `channel isolated bench: node ${process.version}, one process per contender and round, ${ROUNDS} round(s), median of ${REPS} runs of ${N} messages per process${quick ? ' (--quick)' : ''}`,
  );
  const self = fileURLToPath(import.meta.url);
  for (const als of [false, true]) {
    for (const scenario of SCENARIOS) {
      if (only !== undefined && !scenario.includes(only)) continue;
      const who = CONTENDERS.filter((c) => runs(c, scenario));
      const ns = new Map<Contender, number[]>(who.map((c) => [c, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < who.length; k++) {
          const c = who[(k + round) % who.length] as Contender;
          const out = execFileSync(
            process.execPath,
            [
              '--expose-gc',
              ...process.execArgv,
              self,
              `--solo=${scenario}|${c}|${als ? 'als' : ''}`,
            ],
            { encoding: 'utf8' },
          );
          (ns.get(c) as number[]).push(Number(out.trim().split('\n').pop()));
        }
      }
      const at = (c: Contender) => ns.get(c) ?? [];
      console.log(`\n${scenario}${als ? ' (ALS)' : ''}:`);
      console.table(
        who.map((c) => {
          const xs = at(c);
          return {
            contender: c,
            'median ns/msg': Math.round(median(xs)),
            spread: `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`,
            '× floor': ratio(xs, at('floor (1 promise/op)')),
            '× floor {value, ok}': ratio(xs, at('floor {value, ok}')),
            'async-channel ×': ratio(at('async-channel'), xs),
          };
        }),
      );
    }
  }
}

const soloArg = process.argv.find((a) => a.startsWith('--solo='));
if (soloArg !== undefined) {
  const [scenario, who, als] = soloArg.slice('--solo='.length).split('|') as [
    string,
    Contender,
    string,
  ];
  console.log((await solo(scenario, who, als === 'als')).toFixed(2));
} else {
  main();
}
