// The suites of `threadline bench` (also run by bench/overhead.bench.ts): each
// compares threadline with its baseline in the same run, alternating rounds.
//
//   worker latency:    one no-op task at a time: go() vs piscina.run vs postMessage
//   worker throughput: `ops` no-op tasks in flight at once, same three
//   channel:           values producer → consumer: Channel vs the one-promise floor,
//                      unbuffered and buffered(128)
//   tracing:           go() in-thread and on a worker, with an SDK (always-on
//                      sampling, a no-op exporter, AsyncLocalStorage) vs none
//
// Every suite cleans up its pools and global providers before it returns.
// Caveat of the alternation for "tracing, worker go()": once a worker saw a
// sampled caller it keeps its span recording (AsyncLocalStorage) installed, so
// the "off" rounds run on a worker that already pays for it; the ratio is a
// lower bound of what tracing costs a never-traced pool.

import { availableParallelism } from 'node:os';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Piscina } from 'piscina';
import { Channel, createPool, go, threadlineSpanProcessor } from '../../index.js';
import { noop } from '../tasks-bench.js';
import { FloorChannel } from './floor-channel.js';
import { alternate, ratio, type ScenarioResult, type Variant } from './harness.js';
import { PostMessagePool } from './post-message-pool.js';

const PISCINA_WORKER = new URL('./piscina-worker.js', import.meta.url).href;

/** Sizes of a bench run. */
export interface BenchPlan {
  rounds: number;
  latencyOps: number;
  throughputOps: number;
  channelOps: number;
  inlineOps: number;
  threads: number;
}

/**
 * benchPlan gives the sizes of a quick (CI smoke, under 20 s) or full run.
 *
 * @example
 * benchPlan(true).rounds; // 5
 */
export function benchPlan(quick: boolean): BenchPlan {
  const threads = Math.max(1, Math.min(availableParallelism(), 4));
  return quick
    ? {
        rounds: 5,
        latencyOps: 300,
        throughputOps: 4000,
        channelOps: 50_000,
        inlineOps: 5000,
        threads,
      }
    : {
        rounds: 11,
        latencyOps: 3000,
        throughputOps: 50_000,
        channelOps: 1_000_000,
        inlineOps: 100_000,
        threads,
      };
}

/**
 * A ratio reported by the bench: the first variant's median time per operation
 * over the second's (below 1: the first is faster).
 */
export interface BenchRatio {
  name: string;
  value: number;
}

/** Everything one bench run measured. */
export interface BenchResults {
  scenarios: ScenarioResult[];
  ratios: BenchRatio[];
}

async function workerSuites(plan: BenchPlan, scenarios: ScenarioResult[]): Promise<void> {
  const pool = createPool({ name: 'bench', minThreads: plan.threads, maxThreads: plan.threads });
  const piscina = new Piscina({
    filename: PISCINA_WORKER,
    minThreads: plan.threads,
    maxThreads: plan.threads,
  });
  const raw = await PostMessagePool.start(plan.threads);
  try {
    const sequential =
      (f: (i: number) => Promise<unknown>): Variant['run'] =>
      async (ops) => {
        for (let i = 0; i < ops; i++) await f(i);
      };
    const inFlight =
      (f: (i: number) => Promise<unknown>): Variant['run'] =>
      async (ops) => {
        const all: Promise<unknown>[] = new Array(ops);
        for (let i = 0; i < ops; i++) all[i] = f(i);
        await Promise.all(all);
      };
    const viaGo = (i: number) => go(noop, [i], { pool });
    const viaPiscina = (i: number) => piscina.run(i);
    const viaPost = (i: number) => raw.run(i);
    scenarios.push(
      await alternate('worker latency', 'task, one at a time', plan.latencyOps, plan.rounds, [
        { name: 'go()', run: sequential(viaGo) },
        { name: 'piscina.run', run: sequential(viaPiscina) },
        { name: 'postMessage', run: sequential(viaPost) },
      ]),
    );
    scenarios.push(
      await alternate(
        'worker throughput',
        `task, ${plan.throughputOps} in flight`,
        plan.throughputOps,
        plan.rounds,
        [
          { name: 'go()', run: inFlight(viaGo) },
          { name: 'piscina.run', run: inFlight(viaPiscina) },
          { name: 'postMessage', run: inFlight(viaPost) },
        ],
      ),
    );
  } finally {
    await Promise.all([pool.close(), piscina.close(), raw.close()]);
  }
}

interface Pipe {
  send(v: number): Promise<unknown>;
  recv(): Promise<unknown>;
}

const AsyncFunction = (async () => {}).constructor as new (
  ...params: string[]
) => (make: () => Pipe, ops: number) => Promise<void>;

/**
 * producerConsumer compiles one copy of the loop per variant: V8 keeps type
 * feedback per function literal, so one loop shared by Channel and the floor
 * would turn its send/recv call sites megamorphic and make each variant's
 * speed depend on the other (bench/channel.bench.ts does the same).
 */
function producerConsumer(make: () => Pipe): Variant['run'] {
  const loop = new AsyncFunction(
    'make',
    'ops',
    `const ch = make();
    const producing = (async () => {
      for (let i = 0; i < ops; i++) await ch.send(i);
    })();
    for (let i = 0; i < ops; i++) await ch.recv();
    await producing;`,
  );
  return (ops) => loop(make, ops);
}

async function channelSuite(plan: BenchPlan, scenarios: ScenarioResult[]): Promise<void> {
  scenarios.push(
    await alternate('channel', 'value, producer → consumer', plan.channelOps, plan.rounds, [
      { name: 'Channel(0)', run: producerConsumer(() => new Channel<number>(0)) },
      { name: 'floor(0)', run: producerConsumer(() => new FloorChannel<number>(0)) },
      { name: 'Channel(128)', run: producerConsumer(() => new Channel<number>(128)) },
      { name: 'floor(128)', run: producerConsumer(() => new FloorChannel<number>(128)) },
    ]),
  );
}

/** Registers an SDK as an application would (always-on sampling, batch processor, no-op export). */
function enableTracing(): () => void {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const exporter = {
    export: (_spans: unknown[], done: (r: { code: number }) => void) =>
      done({ code: ExportResultCode.SUCCESS }),
    shutdown: () => Promise.resolve(),
  };
  const provider = new BasicTracerProvider({
    spanProcessors: [threadlineSpanProcessor(new BatchSpanProcessor(exporter))],
  });
  trace.setGlobalTracerProvider(provider);
  return () => {
    trace.disable();
    context.disable();
    void provider.shutdown();
  };
}

async function tracingSuite(plan: BenchPlan, scenarios: ScenarioResult[]): Promise<void> {
  const pool = createPool({ name: 'bench-tracing', minThreads: 1, maxThreads: 1 });
  const fn = () => 1;
  const traced =
    (run: Variant['run']): Variant['run'] =>
    async (ops) => {
      const disable = enableTracing();
      try {
        await run(ops);
      } finally {
        disable();
      }
    };
  const inline: Variant['run'] = async (ops) => {
    for (let i = 0; i < ops; i++) await go(fn);
  };
  const worker: Variant['run'] = async (ops) => {
    for (let i = 0; i < ops; i++) await go(noop, [i], { pool });
  };
  try {
    scenarios.push(
      await alternate(
        'tracing, in-thread go()',
        'task, one at a time',
        plan.inlineOps,
        plan.rounds,
        [
          { name: 'tracing on', run: traced(inline) },
          { name: 'tracing off', run: inline },
        ],
      ),
    );
    scenarios.push(
      await alternate('tracing, worker go()', 'task, one at a time', plan.latencyOps, plan.rounds, [
        { name: 'tracing on', run: traced(worker) },
        { name: 'tracing off', run: worker },
      ]),
    );
  } finally {
    await pool.close();
  }
}

/**
 * runBench runs every suite and computes the ratios; `onScenario` sees each
 * scenario as it finishes (for progress output).
 *
 * @example
 * const { ratios } = await runBench(benchPlan(true));
 */
export async function runBench(
  plan: BenchPlan,
  onScenario: (s: ScenarioResult) => void = () => {},
): Promise<BenchResults> {
  const scenarios: ScenarioResult[] = [];
  const report = (start: number) => {
    for (const s of scenarios.slice(start)) onScenario(s);
  };
  await workerSuites(plan, scenarios);
  report(0);
  let n = scenarios.length;
  await channelSuite(plan, scenarios);
  report(n);
  n = scenarios.length;
  await tracingSuite(plan, scenarios);
  report(n);
  const [lat, thr, ch, trIn, trWk] = scenarios as [
    ScenarioResult,
    ScenarioResult,
    ScenarioResult,
    ScenarioResult,
    ScenarioResult,
  ];
  const r = (name: string, sc: ScenarioResult, a: string, b: string): BenchRatio => ({
    name,
    value: ratio(sc, a, b),
  });
  const ratios: BenchRatio[] = [
    r('worker latency: go() / piscina.run', lat, 'go()', 'piscina.run'),
    r('worker latency: go() / postMessage', lat, 'go()', 'postMessage'),
    r('worker throughput: go() / piscina.run', thr, 'go()', 'piscina.run'),
    r('worker throughput: go() / postMessage', thr, 'go()', 'postMessage'),
    r('channel: Channel(0) / floor(0)', ch, 'Channel(0)', 'floor(0)'),
    r('channel: Channel(128) / floor(128)', ch, 'Channel(128)', 'floor(128)'),
    r('tracing: in-thread go() on / off', trIn, 'tracing on', 'tracing off'),
    r('tracing: worker go() on / off', trWk, 'tracing on', 'tracing off'),
  ];
  return { scenarios, ratios };
}
