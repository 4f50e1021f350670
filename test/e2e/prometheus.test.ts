// End to end: examples/metrics-server runs tasks through threadline and serves
// its metrics with @opentelemetry/exporter-prometheus on 127.0.0.1; a real
// Prometheus (Debian's 2.42) scrapes it every second with deploy/prometheus's
// rules loaded. Checked through Prometheus' HTTP API: the counts by source and
// kind equal what the example ran, the recording rules evaluate, and every
// panel query of deploy/grafana/threadline.json is accepted and returns series.
// This Prometheus needs about 6 s before the first sample is queryable: every
// check polls (20 s), none sleeps.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from './support/binaries.js';
import { type MetricsServer, type Ran, startMetricsServer } from './support/example.js';
import { freePort, poll } from './support/ports.js';
import { type PrometheusServer, type Sample, startPrometheus } from './support/prometheus.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

let app: MetricsServer | undefined;
let prom: PrometheusServer | undefined;

beforeAll(async () => {
  requireBinary('prometheus');
  const port = await freePort();
  app = await startMetricsServer(port);
  prom = await startPrometheus({
    targets: [`127.0.0.1:${port}`],
    ruleFiles: [root('deploy/prometheus/alerts.yml')],
  });
});

afterAll(async () => {
  await Promise.all([prom?.stop(), app?.stop()]);
});

function server(): PrometheusServer {
  if (prom === undefined) throw new Error('threadline e2e: prometheus did not start');
  return prom;
}

/** Polls `expr` until it returns at least one series. */
function series(expr: string): Promise<Sample[]> {
  return poll(
    async () => {
      const result = await server().query(expr);
      return result.length > 0 ? result : undefined;
    },
    { timeoutMs: 20_000, what: expr },
  );
}

function countsOf(samples: Sample[]): Ran {
  const ran: Ran = {};
  for (const s of samples) {
    const bySource = (ran[s.metric.app_source ?? '?'] ??= {});
    bySource[s.metric.app_error_kind ?? 'ok'] = Number(s.value[1]);
  }
  return ran;
}

describe('Prometheus scraping examples/metrics-server', () => {
  it('counts tasks by source and error kind exactly as the example ran them', async () => {
    const want = app?.ran ?? {};
    expect(Object.keys(want).length).toBeGreaterThan(0);
    const expr = 'sum by (app_source, app_error_kind) (threadline_task_duration_count)';
    let got: Ran = {};
    await poll(
      async () => {
        got = countsOf(await server().query(expr));
        return isDeepStrictEqual(got, want) ? true : undefined;
      },
      { timeoutMs: 20_000, what: 'task counts' },
    ).catch(() => undefined);
    expect(got).toEqual(want);
  });

  it('records worker tasks with location worker and their pool name', async () => {
    const want = Object.values(app?.ran['hash/sha256'] ?? {}).reduce((a, b) => a + b, 0);
    expect(want).toBeGreaterThan(0);
    const [sample] = await series(
      'sum by (threadline_pool_name) (threadline_task_duration_count{app_source="hash/sha256", threadline_task_location="worker"})',
    );
    expect(sample?.metric.threadline_pool_name).toBe('hashing');
    expect(Number(sample?.value[1])).toBe(want);
  });

  it('stores every instrument under the name the exporter writes', async () => {
    const names = new Set<string>();
    await poll(
      async () => {
        for (const s of await server().query('count by (__name__) ({__name__=~"threadline_.+"})')) {
          names.add(s.metric.__name__ ?? '');
        }
        return names.size >= 10 ? true : undefined;
      },
      { timeoutMs: 20_000, what: 'threadline_* names' },
    ).catch(() => undefined);
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
  });

  it('evaluates the recording rules of deploy/prometheus/alerts.yml on the scraped series', async () => {
    const failing = Object.entries(app?.ran ?? {}).flatMap(([source, kinds]) =>
      Object.keys(kinds)
        .filter((k) => k !== 'ok')
        .map((kind) => `${source} ${kind}`),
    );
    const ratios = await series('threadline:task_error_ratio:rate5m');
    expect(ratios.map((s) => `${s.metric.app_source} ${s.metric.app_error_kind}`).sort()).toEqual(
      failing.sort(),
    );
    for (const rule of [
      'threadline:task_rate:rate5m',
      'threadline:task_rate_by_source:rate5m',
      'threadline:task_duration_seconds:p95_5m',
      'threadline:pool_utilization:rate5m',
    ]) {
      expect((await series(rule)).length, rule).toBeGreaterThan(0);
    }
  });
});

/** Grafana's variables, as the dashboard's "All" and a 1 s scrape interval make them. */
function substitute(expr: string): string {
  const out = expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$source', '.*')
    .replaceAll('$pool', '.*');
  if (out.includes('$')) throw new Error(`threadline e2e: unsubstituted variable in ${out}`);
  return out;
}

describe('deploy/grafana/threadline.json against Prometheus', () => {
  const dashboard = JSON.parse(readFileSync(root('deploy/grafana/threadline.json'), 'utf8')) as {
    panels: Array<{
      type: string;
      title: string;
      targets?: Array<{ refId: string; expr: string }>;
    }>;
  };
  const targets = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ name: `${p.title} [${t.refId}]`, expr: t.expr })),
  );

  it('has panel queries to check', () => {
    expect(targets.length).toBeGreaterThanOrEqual(10);
  });

  it.each(targets)('accepts and returns series for "$name"', async ({ expr }) => {
    const result = await series(substitute(expr));
    expect(result.length).toBeGreaterThan(0);
  });
});
