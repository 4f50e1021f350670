// Cost of recording metrics: recordTaskDuration with no MeterProvider (the
// no-op path every application without an SDK pays), with an SDK MeterProvider,
// and a baseline empty function; then go() on the event loop with and without
// a MeterProvider. Ratios are within this one run.
//
//   npm run build && npx tsx bench/metrics.bench.ts [--quick]
import { arch, cpus } from 'node:os';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Bench } from 'tinybench';
import { recordTaskDuration } from '../dist/src/observe/metrics.js';
import type { ObservableResult } from '../dist/src/observe/result.js';

const quick = process.argv.includes('--quick');
const CALLS = 1000; // calls per iteration: one call is below the timer's resolution

class CollectOnDemand extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const results: ObservableResult<unknown>[] = ['parse/json', 'hash/sha256', 'user-api/v3'].map(
  (source, i) => ({
    value: i,
    ok: i !== 2,
    errorKind: i === 2 ? 'Timeout' : undefined,
    resultType: 'number',
    elapsedMs: 0.2 * (i + 1),
    waitMs: 0,
    traceId: '',
    spanId: '',
    source,
    retryCount: 0,
    timestamp: 0,
    threadId: 0,
  }),
);

let sink = 0;
function empty(result: ObservableResult<unknown>, _location: 'loop' | 'worker'): void {
  sink += result.retryCount;
}

const sdk = new MeterProvider({ readers: [new CollectOnDemand()] });
const withSdk = {
  beforeAll: () => {
    metrics.disable();
    metrics.setGlobalMeterProvider(sdk);
  },
  afterAll: () => {
    metrics.disable();
  },
};
const withoutSdk = { beforeAll: () => metrics.disable() };

const bench = new Bench(quick ? { time: 100, warmupTime: 20 } : { time: 1000, warmupTime: 200 });
bench
  .add(
    `metrics: baseline empty function ×${CALLS}`,
    () => {
      for (let i = 0; i < CALLS; i++) empty(results[i % 3]!, 'loop');
    },
    withoutSdk,
  )
  .add(
    `metrics: recordTaskDuration, no MeterProvider ×${CALLS}`,
    () => {
      for (let i = 0; i < CALLS; i++) recordTaskDuration(results[i % 3]!, 'loop');
    },
    withoutSdk,
  )
  .add(
    `metrics: recordTaskDuration, SDK MeterProvider ×${CALLS}`,
    () => {
      for (let i = 0; i < CALLS; i++) recordTaskDuration(results[i % 3]!, 'worker', 'default');
    },
    withSdk,
  );

// go() on the event loop and on a worker pool, with and without an SDK.
const { createPool, go } = await import('threadline');
const { noop } = await import('../dist/test/fixtures/worker-tasks.js');
const pool = createPool({ name: 'bench', minThreads: 1, maxThreads: 1 });
const loop = async () => {
  for (let i = 0; i < 100; i++) await go(() => i, { source: 'bench' });
};
const worker = async () => {
  for (let i = 0; i < 100; i++) await go(noop, [], { source: 'bench', pool });
};
bench
  .add('metrics: go() ×100 on the loop, no MeterProvider', loop, withoutSdk)
  .add('metrics: go() ×100 on the loop, SDK MeterProvider', loop, withSdk)
  .add('metrics: go(task) ×100 on a worker, no MeterProvider', worker, withoutSdk)
  .add('metrics: go(task) ×100 on a worker, SDK MeterProvider', worker, withSdk);

await bench.run();
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, ${arch()}`);
console.table(bench.table());
const baseline = bench.tasks[0]?.result;
const base = baseline && 'latency' in baseline ? baseline.latency.mean : Number.NaN;
const mean = (i: number) => {
  const r = bench.tasks[i]?.result;
  return r && 'latency' in r ? r.latency.mean : Number.NaN;
};
bench.tasks.forEach((task, i) => {
  const isGo = task.name.includes('go(');
  const perCall = mean(i) / (isGo ? 100 : CALLS);
  // go() rows compare with the row above them (same scenario, no MeterProvider).
  const vs = isGo
    ? i % 2 === 1
      ? 'no MeterProvider'
      : `${(mean(i) / mean(i - 1)).toFixed(2)}× without MeterProvider`
    : `${(mean(i) / base).toFixed(2)}× baseline`;
  console.log(`${task.name}: ${(perCall * 1e6).toFixed(1)} ns per call, ${vs}`);
});
await pool.close();
await sdk.shutdown();
if (sink < 0) console.log(sink);
