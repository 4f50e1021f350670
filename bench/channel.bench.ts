// Channel benchmarks (tinybench): threadline's Channel and select against the
// floors and the other channel libraries, all in the same run.
//
//   npx tsx bench/channel.bench.ts           # full run: 1M messages per iteration, 10 rounds
//   npx tsx bench/channel.bench.ts --quick   # 100k messages, 3 rounds
//   npx tsx bench/channel.bench.ts --only=ping-pong   # the scenarios whose name contains it
//
// Units: ns per message (one value moved from a sender to a receiver; a
// ping-pong round trip moves two). The full run makes 10 rounds; a round warms
// every task up, then times each once, the implementations of
// a scenario back to back, in an order that rotates from round to round; each
// task's figure is its median over the rounds. Each (scenario, implementation)
// pair runs its own compiled copy of the scenario (see ownCopy).
// ts-chan and effect move a tenth of the messages (they are ~10x slower). Every scenario runs twice: with no context
// manager, then with OpenTelemetry's AsyncLocalStorageContextManager enabled and
// active (every promise hop pays for async hooks). Ratios are only meaningful
// within one run on one machine; each ratio column (× floor, ...) is the median
// over the rounds of the ratio measured within one round, not a ratio of medians.
//
// Floors: "one promise per operation" is a minimal channel with no close, abort,
// select or yield budget whose every send and recv returns one promise;
// "floor {value, ok}" is the same channel whose recv resolves with a fresh
// `{ value, ok }` object, as threadline's recv() must (Go's `v, ok := <-ch`);
// "try-first" is threadline's `ch.trySend(v) || (await ch.send(v))` and
// `ch.tryRecv() ?? (await ch.recv())`, which awaits only when it would block;
// "minimal try-first" runs the same idiom on an unbuffered channel with nothing
// but two linked queues, the bound for any channel on a rendezvous (all three
// in ./floors.ts).

import * as os from 'node:os';
import * as v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Channel as CspChannel } from '@thi.ng/csp';
import { Channel as AsyncChannel } from 'async-channel';
import { Effect, Queue } from 'effect';
import { Channel, recv, select } from 'threadline';
import { Bench } from 'tinybench';
import { Chan as TsChan, Select as TsSelect, recv as tsRecv } from 'ts-chan';
import { FloorChannel, FloorOkChannel, MinimalChannel } from './floors.js';

const quick = process.argv.includes('--quick');
// --only=<text>: run only the scenarios whose name contains <text>.
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const N = quick ? 100_000 : 1_000_000;
/** Rounds of every task in turn: a load change on a shared machine then hits all alike. */
const ROUNDS = quick ? 3 : 10;

/** What a scenario needs from an implementation. */
interface Impl {
  send(v: number): Promise<unknown> | unknown;
  recv(): Promise<unknown> | unknown;
}

type Make = (capacity: number) => Impl;

/** A channel with the try-first API: the idiom calls it directly, never through a wrapper. */
interface TryFirstChannel extends Impl {
  trySend(v: number): boolean;
  tryRecv(): { value: unknown } | undefined;
  recv(): Promise<{ value: unknown }>;
}

/**
 * The try-first contenders. "minimal try-first" (./floors.ts) is an unbuffered
 * channel with nothing but two linked queues: the bound for any channel on a
 * rendezvous, so it runs in the unbuffered scenarios only.
 */
const tryFirstImpls: Record<string, (capacity: number) => TryFirstChannel> = {
  'threadline try-first': (cap) => new Channel<number>(cap) as TryFirstChannel,
  'minimal try-first': () => new MinimalChannel<number>() as TryFirstChannel,
};

const impls: Record<string, Make> = {
  'floor (1 promise/op)': (cap) => {
    const ch = new FloorChannel<number>(cap);
    return { send: (v) => ch.send(v), recv: () => ch.recv() };
  },
  'floor {value, ok}': (cap) => {
    const ch = new FloorOkChannel<number>(cap);
    return { send: (v) => ch.send(v), recv: () => ch.recv() };
  },
  threadline: (cap) => {
    const ch = new Channel<number>(cap);
    return { send: (v) => ch.send(v), recv: () => ch.recv() };
  },
  'async-channel': (cap) => {
    const ch = new AsyncChannel<number>(cap);
    return { send: (v) => ch.push(v), recv: () => ch.get() };
  },
  '@thi.ng/csp': (cap) => {
    const ch = new CspChannel<number>(Math.max(cap, 1));
    return { send: (v) => ch.write(v), recv: () => ch.read() };
  },
  'ts-chan': (cap) => {
    const ch = new TsChan<number>(cap);
    return { send: (v) => ch.send(v), recv: () => ch.recv() };
  },
};

/**
 * What the scenarios may use. They reach it through a parameter, never through
 * the module scope: each (scenario, implementation) pair runs its own compiled
 * copy of the scenario (see ownCopy), and a copy sees no module bindings.
 */
const deps = { Channel, recv, select, Effect, Queue, TsChan, TsSelect, tsRecv };
type Deps = typeof deps;

async function producerConsumer(_: Deps, make: Make, cap: number, n: number): Promise<void> {
  const ch = make(cap);
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
  })();
  for (let i = 0; i < n; i++) await ch.recv();
  await producer;
}

async function producerConsumerTryFirst(
  _: Deps,
  make: Make,
  cap: number,
  n: number,
): Promise<void> {
  const ch = make(cap) as TryFirstChannel;
  const producer = (async () => {
    for (let i = 0; i < n; i++) ch.trySend(i) || (await ch.send(i));
  })();
  for (let i = 0; i < n; i++) ch.tryRecv() ?? (await ch.recv());
  await producer;
}

async function pingPong(_: Deps, make: Make, _cap: number, n: number): Promise<void> {
  const ping = make(0);
  const pong = make(0);
  const echo = (async () => {
    for (let i = 0; i < n / 2; i++) await pong.send((await ping.recv()) as number);
  })();
  for (let i = 0; i < n / 2; i++) {
    await ping.send(i);
    await pong.recv();
  }
  await echo;
}

async function pingPongTryFirst(_: Deps, make: Make, _cap: number, n: number): Promise<void> {
  const ping = make(0) as TryFirstChannel;
  const pong = make(0) as TryFirstChannel;
  const echo = (async () => {
    for (let i = 0; i < n / 2; i++) {
      const r = ping.tryRecv() ?? (await ping.recv());
      pong.trySend(r.value as number) || (await pong.send(r.value as number));
    }
  })();
  for (let i = 0; i < n / 2; i++) {
    ping.trySend(i) || (await ping.send(i));
    pong.tryRecv() ?? (await pong.recv());
  }
  await echo;
}

async function effectQueue(d: Deps, _: Make, cap: number, n: number): Promise<void> {
  const { Effect, Queue } = d;
  await Effect.runPromise(
    Effect.gen(function* () {
      const q = yield* Queue.bounded<number>(cap);
      const producer = yield* Effect.fork(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* Queue.offer(q, i);
        }),
      );
      for (let i = 0; i < n; i++) yield* Queue.take(q);
      yield* producer.await;
    }),
  );
}

/** Four producers, each on its own unbuffered channel; one consumer selecting over the four. */
async function selectFour(d: Deps, _: Make, _cap: number, n: number): Promise<void> {
  const chans = [0, 1, 2, 3].map(() => new d.Channel<number>());
  const producers = chans.map(async (ch) => {
    for (let i = 0; i < n / 4; i++) await ch.send(i);
  });
  const cases = chans.map((ch) => d.recv(ch));
  for (let i = 0; i < n; i++) await d.select(cases);
  await Promise.all(producers);
}

async function selectFourTsChan(d: Deps, _: Make, _cap: number, n: number): Promise<void> {
  const chans = [0, 1, 2, 3].map(() => new d.TsChan<number>());
  const producers = chans.map(async (ch) => {
    for (let i = 0; i < n / 4; i++) await ch.send(i);
  });
  const sel = new d.TsSelect(chans.map((ch) => d.tsRecv(ch)));
  for (let i = 0; i < n; i++) {
    const idx = await sel.wait();
    sel.recv(sel.cases[idx] as never);
  }
  await Promise.all(producers);
}

type Scenario = (d: Deps, make: Make, cap: number, n: number) => Promise<void>;

const AsyncFunction = (async () => {}).constructor as new (body: string) => Scenario;

/**
 * ownCopy compiles a fresh copy of `scenario` from its source. V8 keeps type
 * feedback per function literal, so one scenario function shared by every
 * implementation turns its `ch.send`/`ch.recv` call sites megamorphic and makes
 * each implementation's speed depend on which ran before it; with one copy per
 * implementation every call site stays monomorphic, as in an application that
 * uses one channel library. (The copy sees no module bindings: hence Deps.)
 */
function ownCopy(scenario: Scenario): Scenario {
  return new AsyncFunction(`return (${scenario.toString()}).apply(null, arguments)`);
}

interface Row {
  scenario: string;
  impl: string;
  nsPerMsg: number;
  /** Every round's mean, to show the spread behind the median. */
  perRound: number[];
}

/** ts-chan and effect are ~10x slower: they move a tenth of the messages, and ns/msg stays comparable. */
const SLOW = new Set(['ts-chan', 'effect Queue']);

interface Meta {
  scenario: string;
  impl: string;
  messages: number;
}

/** `list` rotated left by `by` places: the order of the implementations in one round. */
function rotate<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function addScenarios(
  bench: Bench,
  label: string,
  wrap: (fn: () => Promise<void>) => () => Promise<void>,
  copies: Map<string, Scenario>,
  round: number,
): Map<string, Meta> {
  const names = new Map<string, Meta>();
  const add = (scenario: string, impl: string, fn: Scenario, make: Make, cap: number) => {
    if (only !== undefined && !scenario.includes(only)) return;
    const name = `channel: ${scenario}${label} [${impl}]`;
    const messages = SLOW.has(impl) ? N / 10 : N;
    names.set(name, { scenario: scenario + label, impl, messages });
    let copy = copies.get(name);
    if (copy === undefined) copies.set(name, (copy = ownCopy(fn)));
    const run = copy;
    bench.add(
      name,
      wrap(() => run(deps, make, cap, messages)),
    );
  };
  const none: Make = () => {
    throw new Error('unused');
  };
  // Table order: the floors, threadline and the try-first contenders, then the other libraries.
  const entries = Object.entries(impls);
  const contenders: [string, Make, boolean][] = [
    ...entries.slice(0, 3).map(([name, make]): [string, Make, boolean] => [name, make, false]),
    ...Object.entries(tryFirstImpls).map(([name, make]): [string, Make, boolean] => [
      name,
      make,
      true,
    ]),
    ...entries.slice(3).map(([name, make]): [string, Make, boolean] => [name, make, false]),
  ];
  for (const [scenario, cap] of [
    ['unbuffered producer→consumer', 0],
    ['buffered(128) producer→consumer', 128],
  ] as const) {
    for (const [impl, make, tryFirst] of rotate(contenders, round)) {
      if (impl === 'minimal try-first' && cap > 0) continue; // unbuffered only
      if (tryFirst) add(scenario, impl, producerConsumerTryFirst, make, cap);
      else {
        const shown = impl + (impl === '@thi.ng/csp' && cap === 0 ? ' cap 1' : '');
        add(scenario, shown, producerConsumer, make, cap);
      }
    }
    if (cap > 0) add(scenario, 'effect Queue', effectQueue, none, cap);
  }
  for (const [impl, make, tryFirst] of rotate(contenders, round)) {
    if (impl === '@thi.ng/csp') continue; // no rendezvous channel
    add('ping-pong', impl, tryFirst ? pingPongTryFirst : pingPong, make, 0);
  }
  const selects: [string, Scenario][] = [
    ['threadline', selectFour],
    ['ts-chan', selectFourTsChan],
  ];
  for (const [impl, fn] of rotate(selects, round)) add('select over 4 channels', impl, fn, none, 0);
  return names;
}

/** collect adds each completed task's mean ns per message to `samples`. */
function collect(bench: Bench, names: Map<string, Meta>, samples: Map<string, number[]>): void {
  for (const task of bench.tasks) {
    const meta = names.get(task.name);
    const r = task.result;
    if (meta === undefined) continue;
    if (r.state !== 'completed') {
      console.error(`${task.name}: ${r.state}`, 'error' in r ? r.error : '');
      continue;
    }
    const list = samples.get(task.name) ?? [];
    list.push((r.latency.mean * 1e6) / meta.messages);
    samples.set(task.name, list);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** rounds runs every task once per round, in turn, and returns the median per task. */
async function rounds(
  label: string,
  wrap: (fn: () => Promise<void>) => () => Promise<void>,
): Promise<Row[]> {
  const samples = new Map<string, number[]>();
  const copies = new Map<string, Scenario>();
  let names = new Map<string, Meta>(); // round 0's, in the order the table shows
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({
      name: `channel${label} round ${round + 1}`,
      iterations: 1,
      time: 0,
      // Every round warms every task up (one untimed run) before timing it: without
      // it, the first tasks of a round measured 5-20x slow (threadline, ts-chan,
      // the floors alike), whichever they were.
      warmup: true,
      warmupIterations: 1,
      warmupTime: 0,
      // Each task starts from a collected heap: the garbage of the previous task
      // (ts-chan and effect leave plenty) is not billed to the next one.
      setup: () => fullGc(),
    });
    const these = addScenarios(bench, label, wrap, copies, round);
    if (round === 0) names = these;
    await bench.run();
    collect(bench, these, samples);
  }
  return [...names].flatMap(([name, meta]) => {
    const list = samples.get(name);
    return list === undefined
      ? []
      : [{ scenario: meta.scenario, impl: meta.impl, nsPerMsg: median(list), perRound: list }];
  });
}

/**
 * ratio is the median over the rounds of row / base measured in the same
 * round: on a shared machine a load change then moves both sides alike.
 */
function ratio(row: Row, base: Row | undefined): string {
  if (base === undefined || base.perRound.length !== row.perRound.length) return '';
  return median(row.perRound.map((v, i) => v / (base.perRound[i] as number))).toFixed(2);
}

function printTable(rows: Row[]): void {
  const table = rows.map((row) => {
    const same = rows.filter((r) => r.scenario === row.scenario);
    const floor = same.find((r) => r.impl === 'floor (1 promise/op)');
    const floorOk = same.find((r) => r.impl === 'floor {value, ok}');
    const ac = same.find((r) => r.impl === 'async-channel');
    const tc = same.find((r) => r.impl === 'ts-chan');
    return {
      scenario: row.scenario,
      impl: row.impl,
      'ns/msg': Math.round(row.nsPerMsg),
      '× floor': ratio(row, floor),
      '× floor{v,ok}': ratio(row, floorOk),
      '× async-channel': ratio(row, ac),
      '× ts-chan': ratio(row, tc),
      rounds: row.perRound.map((v) => Math.round(v)).join(' '),
    };
  });
  console.table(table);
}

v8.setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

/** Holds the measured channels where the optimizer cannot prove them dead. */
export const retained: { channels: unknown[] } = { channels: [] };

function bytesPerIdleChannel(capacity: number): number {
  const gc = fullGc;
  const count = 100_000;
  retained.channels = new Array(count).fill(0);
  for (let i = 0; i < 3; i++) gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) retained.channels[i] = new Channel<number>(capacity);
  for (let i = 0; i < 3; i++) gc();
  const after = process.memoryUsage().heapUsed;
  retained.channels = [];
  return (after - before) / count;
}

async function main(): Promise<void> {
  console.log(
    `channel bench: node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.availableParallelism()}, ${os.platform()} ${os.arch()}, ${N} messages per iteration, ${ROUNDS} round(s)${quick ? ' (--quick)' : ''}`,
  );
  console.log(
    `bytes per idle channel: unbuffered ${bytesPerIdleChannel(0).toFixed(0)} B, buffered(128) ${bytesPerIdleChannel(128).toFixed(0)} B`,
  );
  const rows = await rounds('', (fn) => fn);

  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
  const active = ROOT_CONTEXT.setValue(createContextKey('threadline.bench'), 1);
  rows.push(...(await rounds(' (ALS)', (fn) => () => context.with(active, fn))));
  printTable(rows);
}

await main();
