import { createServer } from 'node:net';
import { type DiagLogger, DiagLogLevel, diag, metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { Channel, createPool, go } from 'threadline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChannelSource,
  observeChannel,
  observePool,
  type PoolSource,
  recordTaskDuration,
  recordWorkerExit,
  TASK_DURATION_BUCKETS,
} from '../dist/src/observe/metrics.js';
import type { ObservableResult } from '../dist/src/observe/result.js';
import { add } from '../dist/test/fixtures/worker-tasks.js';

// A real SDK reader, collected on demand.
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}

  async metric(name: string): Promise<MetricData | undefined> {
    const { resourceMetrics, errors } = await this.collect();
    expect(errors).toEqual([]);
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === 'threadline');
    return scope?.metrics.find((m) => m.descriptor.name === name);
  }

  async points(name: string): Promise<DataPoint<unknown>[]> {
    return (await this.metric(name))?.dataPoints ?? [];
  }
}

function result(overrides: Partial<ObservableResult<unknown>> = {}): ObservableResult<unknown> {
  return {
    value: 42,
    ok: true,
    errorKind: undefined,
    resultType: 'number',
    elapsedMs: 12.5,
    waitMs: 0,
    traceId: '',
    spanId: '',
    source: 'math/fib',
    retryCount: 0,
    timestamp: Date.now(),
    threadId: 0,
    ...overrides,
  };
}

function failure(kind: 'Timeout' | 'Network', source = 'user-api/v3'): ObservableResult<unknown> {
  return result({
    value: undefined,
    ok: false,
    error: new Error('x'),
    errorKind: kind,
    resultType: 'undefined',
    source,
  });
}

class FakePool implements PoolSource {
  constructor(
    readonly name: string,
    readonly state = { queue: 3, running: 2, threads: 4, busy: 1.5 },
  ) {}
  queueSize(): number {
    return this.state.queue;
  }
  running(): number {
    return this.state.running;
  }
  threads(): number {
    return this.state.threads;
  }
  busyTimeSeconds(): number {
    return this.state.busy;
  }
}

let reader: TestReader;
let provider: MeterProvider;
const unregisters: Array<() => void> = [];

function register(): void {
  reader = new TestReader();
  provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
}

beforeEach(() => {
  metrics.disable();
  register();
});

afterEach(async () => {
  for (const unregister of unregisters.splice(0)) unregister();
  metrics.disable();
  diag.disable();
  await provider.shutdown();
});

function captureDiag(): string[] {
  const warnings: string[] = [];
  const logger: DiagLogger = {
    error: (m) => warnings.push(m),
    warn: (m) => warnings.push(m),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, DiagLogLevel.WARN);
  return warnings;
}

describe('recordTaskDuration()', () => {
  it('records seconds on threadline.task.duration with source, result type and location', async () => {
    recordTaskDuration(result(), 'loop');
    const metric = await reader.metric('threadline.task.duration');
    expect(metric?.descriptor.unit).toBe('s');
    expect(metric?.dataPoints).toHaveLength(1);
    const point = metric?.dataPoints[0] as DataPoint<Histogram>;
    expect(point.attributes).toEqual({
      'app.source': 'math/fib',
      'app.result.type': 'number',
      'threadline.task.location': 'loop',
    });
    expect(point.value.count).toBe(1);
    expect(point.value.sum).toBeCloseTo(0.0125, 10);
  });

  it('adds app.error.kind on failure and the pool name for worker tasks', async () => {
    recordTaskDuration(failure('Timeout'), 'worker', 'default');
    const [point] = await reader.points('threadline.task.duration');
    expect(point?.attributes).toEqual({
      'app.source': 'user-api/v3',
      'app.error.kind': 'Timeout',
      'app.result.type': 'undefined',
      'threadline.task.location': 'worker',
      'threadline.pool.name': 'default',
    });
  });

  it('uses the advice buckets from 50 µs to 60 s without a View', async () => {
    recordTaskDuration(result({ elapsedMs: 0.07 }), 'loop');
    const [point] = (await reader.points('threadline.task.duration')) as DataPoint<Histogram>[];
    expect(point?.value.buckets.boundaries).toEqual([...TASK_DURATION_BUCKETS]);
    expect(TASK_DURATION_BUCKETS[0]).toBe(0.00005);
    expect(TASK_DURATION_BUCKETS.at(-1)).toBe(60);
    // 70 µs lands in the (50 µs, 100 µs] bucket.
    expect(point?.value.buckets.counts.slice(0, 3)).toEqual([0, 1, 0]);
  });

  it('follows a MeterProvider registered after the first recording', async () => {
    metrics.disable();
    recordTaskDuration(result({ source: 'before' }), 'loop');
    register();
    recordTaskDuration(result({ source: 'after' }), 'loop');
    const points = await reader.points('threadline.task.duration');
    expect(points.map((p) => p.attributes['app.source'])).toEqual(['after']);
  });

  it('moves to a replacing MeterProvider', async () => {
    const first = reader;
    const firstProvider = provider;
    recordTaskDuration(result({ source: 'one' }), 'loop');
    metrics.disable();
    register();
    recordTaskDuration(result({ source: 'two' }), 'loop');
    expect(
      (await first.points('threadline.task.duration')).map((p) => p.attributes['app.source']),
    ).toEqual(['one']);
    expect(
      (await reader.points('threadline.task.duration')).map((p) => p.attributes['app.source']),
    ).toEqual(['two']);
    await firstProvider.shutdown();
  });

  it('returns before reading the result when no MeterProvider is registered', () => {
    metrics.disable();
    const warnings = captureDiag();
    const untouchable = new Proxy(result(), {
      get() {
        throw new Error('read');
      },
    });
    recordTaskDuration(untouchable, 'loop');
    expect(warnings).toEqual([]);
    register();
    recordTaskDuration(untouchable, 'loop');
    expect(warnings).toEqual(['threadline: metrics: recordTaskDuration failed: read']);
  });

  it('never throws into the caller and reports through diag', async () => {
    const warnings = captureDiag();
    const broken = result();
    Object.defineProperty(broken, 'source', {
      get() {
        throw new Error('boom');
      },
    });
    expect(() => recordTaskDuration(broken, 'loop')).not.toThrow();
    recordTaskDuration(result({ elapsedMs: Number.NaN }), 'loop');
    expect(warnings).toEqual([
      'threadline: metrics: recordTaskDuration failed: boom',
      'threadline: metrics: recordTaskDuration failed: elapsedMs is NaN',
    ]);
    expect(await reader.points('threadline.task.duration')).toEqual([]);
  });
});

describe('go()', () => {
  it('records each in-thread task once, with location loop and its error kind', async () => {
    await go(() => 1, { source: 'metrics/ok' });
    await go(
      () => {
        throw new Error('bad');
      },
      { source: 'metrics/fail' },
    );
    const points = (await reader.points('threadline.task.duration')) as DataPoint<Histogram>[];
    expect(
      points.map((p) => [
        p.attributes['app.source'],
        p.attributes['app.error.kind'],
        p.attributes['threadline.task.location'],
        p.value.count,
      ]),
    ).toEqual([
      ['metrics/ok', undefined, 'loop', 1],
      ['metrics/fail', 'Unknown', 'loop', 1],
    ]);
  });
});

describe('go() on a worker', () => {
  it('records location worker, the pool name, and the pool gauges', async () => {
    const pool = createPool({ name: 'metrics-test', minThreads: 0, maxThreads: 1 });
    try {
      const r = await go(add, [2, 3], { source: 'metrics/add', pool });
      expect(r.value).toBe(5);
      const points = await reader.points('threadline.task.duration');
      expect(points.map((p) => p.attributes)).toEqual([
        {
          'app.source': 'metrics/add',
          'app.result.type': 'number',
          'threadline.task.location': 'worker',
          'threadline.pool.name': 'metrics-test',
        },
      ]);
      const threads = await reader.points('threadline.pool.threads');
      expect(threads.map((p) => p.attributes['threadline.pool.name'])).toContain('metrics-test');
    } finally {
      await pool.close();
    }
  });
});

describe('recordWorkerExit()', () => {
  it('counts exits on threadline.pool.worker.exits by pool and reason', async () => {
    recordWorkerExit('default', 'crash');
    recordWorkerExit('default', 'crash');
    recordWorkerExit('default', 'idle');
    const points = await reader.points('threadline.pool.worker.exits');
    expect(points.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'threadline.pool.name': 'default', reason: 'crash' }, 2],
      [{ 'threadline.pool.name': 'default', reason: 'idle' }, 1],
    ]);
  });
});

describe('observePool()', () => {
  it('reports queue size, running tasks, threads and busy time per pool', async () => {
    const pool = new FakePool('images');
    unregisters.push(observePool(pool));
    const read = async (name: string) =>
      (await reader.points(name)).map((p) => [p.attributes['threadline.pool.name'], p.value]);
    expect(await read('threadline.pool.queue.size')).toEqual([['images', 3]]);
    expect(await read('threadline.pool.tasks.running')).toEqual([['images', 2]]);
    expect(await read('threadline.pool.threads')).toEqual([['images', 4]]);
    expect(await read('threadline.pool.busy.time')).toEqual([['images', 1.5]]);
    expect((await reader.metric('threadline.pool.busy.time'))?.descriptor.unit).toBe('s');
    pool.state.queue = 7;
    expect(await read('threadline.pool.queue.size')).toEqual([['images', 7]]);
  });

  it('stops reporting once unregistered', async () => {
    const keep = new FakePool('keep');
    const drop = new FakePool('drop');
    unregisters.push(observePool(keep));
    const unregister = observePool(drop);
    unregister();
    unregister();
    const points = await reader.points('threadline.pool.threads');
    expect(points.map((p) => p.attributes['threadline.pool.name'])).toEqual(['keep']);
  });

  it('reports a pool observed before the MeterProvider was registered', async () => {
    metrics.disable();
    unregisters.push(observePool(new FakePool('early')));
    register();
    recordTaskDuration(result(), 'loop');
    const points = await reader.points('threadline.pool.threads');
    expect(points.map((p) => p.attributes['threadline.pool.name'])).toEqual(['early']);
  });

  it('does not keep an unclosed pool alive', async () => {
    let ref: WeakRef<FakePool> | undefined;
    (() => {
      const pool = new FakePool('leaky');
      ref = new WeakRef(pool);
      observePool(pool);
    })();
    expect((await reader.points('threadline.pool.threads')).length).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc?.();
    expect(ref?.deref()).toBeUndefined();
    // The SDK keeps exporting the last cumulative value; the source itself is gone.
    await reader.collect();
    expect(ref?.deref()).toBeUndefined();
  });

  it('reports a throwing source through diag and still reports the others', async () => {
    const warnings = captureDiag();
    const bad = new FakePool('bad');
    bad.threads = () => {
      throw new Error('gone');
    };
    unregisters.push(observePool(bad), observePool(new FakePool('good')));
    const points = await reader.points('threadline.pool.queue.size');
    expect(points.map((p) => p.attributes['threadline.pool.name'])).toContain('good');
    expect(warnings).toEqual(['threadline: metrics: pool gauges failed: gone']);
  });
});

describe('observeChannel()', () => {
  it('reports length and waiters by op for a named channel', async () => {
    const state = { length: 5, send: 2, recv: 0 };
    const source: ChannelSource = {
      name: 'jobs',
      length: () => state.length,
      waiters: (op) => state[op],
    };
    unregisters.push(observeChannel(source));
    const length = await reader.points('threadline.channel.length');
    expect(length.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'threadline.channel.name': 'jobs' }, 5],
    ]);
    const waiters = await reader.points('threadline.channel.waiters');
    expect(waiters.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'threadline.channel.name': 'jobs', op: 'send' }, 2],
      [{ 'threadline.channel.name': 'jobs', op: 'recv' }, 0],
    ]);
  });
});

describe('Channel with a name', () => {
  it('reports its length and blocked receivers through observeChannel', async () => {
    const ch = new Channel<number>(4, { name: 'metrics-test' });
    await ch.send(1);
    await ch.send(2);
    const read = async (name: string) =>
      (await reader.points(name))
        .filter((p) => p.attributes['threadline.channel.name'] === 'metrics-test')
        .map((p) => [p.attributes.op, p.value]);
    expect(await read('threadline.channel.length')).toEqual([[undefined, 2]]);
    const empty = new Channel<number>(0, { name: 'metrics-test-empty' });
    const pending = empty.recv();
    const waiters = (await reader.points('threadline.channel.waiters'))
      .filter((p) => p.attributes['threadline.channel.name'] === 'metrics-test-empty')
      .map((p) => [p.attributes.op, p.value]);
    expect(waiters).toEqual([
      ['send', 0],
      ['recv', 1],
    ]);
    await empty.send(7);
    expect((await pending).value).toBe(7);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

describe('PrometheusExporter', () => {
  it('serves the names of DESIGN.md on 127.0.0.1', async () => {
    metrics.disable();
    const port = await freePort();
    const exporter = new PrometheusExporter({ host: '127.0.0.1', port });
    await exporter.startServer();
    const prom = new MeterProvider({ readers: [exporter] });
    metrics.setGlobalMeterProvider(prom);
    try {
      recordTaskDuration(result(), 'loop');
      recordTaskDuration(failure('Network'), 'worker', 'default');
      recordWorkerExit('default', 'oom');
      unregisters.push(observePool(new FakePool('default')));
      unregisters.push(
        observeChannel({ name: 'jobs', length: () => 1, waiters: () => 0 } as ChannelSource),
      );
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const names = new Set(
        text
          .split('\n')
          .filter((line) => line.startsWith('threadline_'))
          .map((line) => line.slice(0, line.indexOf('{'))),
      );
      expect([...names].sort()).toEqual([
        'threadline_channel_length',
        'threadline_channel_waiters',
        'threadline_pool_busy_time_total',
        'threadline_pool_queue_size',
        'threadline_pool_tasks_running',
        'threadline_pool_threads',
        'threadline_pool_worker_exits_total',
        'threadline_task_duration_bucket',
        'threadline_task_duration_count',
        'threadline_task_duration_sum',
      ]);
      expect(text).toContain(
        'threadline_task_duration_bucket{app_source="user-api/v3",app_result_type="undefined",' +
          'threadline_task_location="worker",app_error_kind="Network",' +
          'threadline_pool_name="default",otel_scope_name="threadline",le="0.00005"} 0',
      );
      expect(text).toContain(
        'threadline_pool_worker_exits_total{threadline_pool_name="default",reason="oom",otel_scope_name="threadline"} 1',
      );
    } finally {
      metrics.disable();
      await prom.shutdown();
    }
  });
});
