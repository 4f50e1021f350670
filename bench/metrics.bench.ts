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

// go() on the event loop, once its module is built (src/pool/go.ts).
const api = (await import('threadline')) as Record<string, unknown>;
if (typeof api.go === 'function') {
  const go = api.go as (fn: () => unknown, options?: { source: string }) => PromiseLike<unknown>;
  const run = async () => {
    for (let i = 0; i < 100; i++) await go(() => i, { source: 'bench' });
  };
  bench
    .add('metrics: go() ×100 on the loop, no MeterProvider', run, withoutSdk)
    .add('metrics: go() ×100 on the loop, SDK MeterProvider', run, withSdk);
}

await bench.run();
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, ${arch()}`);
console.table(bench.table());
const baseline = bench.tasks[0]?.result;
const base = baseline && 'latency' in baseline ? baseline.latency.mean : Number.NaN;
const goNoSdk = bench.tasks[3]?.result;
for (const task of bench.tasks) {
  const r = task.result;
  if (!r || !('latency' in r)) continue;
  const perCall = task.name.includes('go()') ? r.latency.mean / 100 : r.latency.mean / CALLS;
  const vs =
    task.name.includes('go()') && goNoSdk && 'latency' in goNoSdk
      ? `${(r.latency.mean / goNoSdk.latency.mean).toFixed(2)}× go() without SDK`
      : `${(r.latency.mean / base).toFixed(2)}× baseline`;
  console.log(`${task.name}: ${(perCall * 1e6).toFixed(1)} ns per call, ${vs}`);
}
await sdk.shutdown();
if (sink < 0) console.log(sink);
