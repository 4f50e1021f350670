// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} are Grafana variables, not JS templates
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildDashboard, DASHBOARD_PATH, renderDashboard } from '../deploy/grafana/dashboard.js';

interface PanelJson {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource: { type: string; uid: string } }>;
  fieldConfig?: { defaults: { links?: Array<{ title: string; url: string }> } };
}

const panels = (buildDashboard().panels ?? []) as unknown as PanelJson[];
const queryPanels = panels.filter((p) => p.type !== 'row');

// What the OpenTelemetry Prometheus exporter writes for DESIGN.md's instruments
// (checked against the real exporter in test/metrics.test.ts).
const EXPORTED = new Set([
  'threadline_task_duration_bucket',
  'threadline_task_duration_count',
  'threadline_task_duration_sum',
  'threadline_pool_queue_size',
  'threadline_pool_tasks_running',
  'threadline_pool_threads',
  'threadline_pool_busy_time_total',
  'threadline_pool_worker_exits_total',
  'threadline_channel_length',
  'threadline_channel_waiters',
]);

const LABELS = new Set([
  'threadline_pool_name',
  'threadline_channel_name',
  'threadline_task_location',
]);

function traceQuery(url: string): { datasource: string; query: string } {
  const panes = new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('panes');
  const parsed = JSON.parse(panes ?? '{}') as {
    traces: { datasource: string; queries: Array<{ query: string; queryType: string }> };
  };
  expect(parsed.traces.queries[0]?.queryType).toBe('traceql');
  return { datasource: parsed.traces.datasource, query: parsed.traces.queries[0]?.query ?? '' };
}

describe('buildDashboard()', () => {
  it('matches the committed deploy/grafana/threadline.json', () => {
    // Deep, strict equality of the JSON (the file is Biome-formatted, so not byte-equal).
    const committed: unknown = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8'));
    expect(isDeepStrictEqual(committed, JSON.parse(renderDashboard()))).toBe(true);
    expect(committed).toStrictEqual(JSON.parse(renderDashboard()));
  });

  it('has the panels the operators asked for', () => {
    expect(queryPanels.map((p) => [p.type, p.title])).toEqual([
      ['heatmap', 'Failure rate by source × error kind'],
      ['timeseries', 'Failure ratio by source and error kind'],
      ['timeseries', 'Task duration p50 / p95 / p99 by source'],
      ['timeseries', 'Throughput by source and outcome'],
      ['timeseries', 'Pool utilization'],
      ['timeseries', 'Pool queue, running tasks and threads'],
      ['timeseries', 'Worker exits by reason'],
      ['timeseries', 'Named channels: buffered values and blocked waiters'],
    ]);
  });

  it('queries only metric names the exporter writes, through the datasource variable', () => {
    for (const panel of queryPanels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        const names = (target.expr.match(/threadline_[a-z_]+/g) ?? []).filter(
          (name) => !LABELS.has(name),
        );
        expect(names.length, target.expr).toBeGreaterThan(0);
        for (const name of names) expect(EXPORTED, target.expr).toContain(name);
      }
    }
  });

  it('defines Prometheus and tracing data-source variables and source and pool filters', () => {
    const vars = buildDashboard().templating?.list ?? [];
    expect(vars.map((v) => [v.name, v.type, v.query])).toEqual([
      ['datasource', 'datasource', 'prometheus'],
      ['tracing', 'datasource', 'tempo'],
      ['source', 'query', 'label_values(threadline_task_duration_count, app_source)'],
      ['pool', 'query', 'label_values(threadline_pool_threads, threadline_pool_name)'],
    ]);
  });

  it('links failure panels to traces by app.source and app.error.kind on $tracing', () => {
    const failures = queryPanels.filter((p) => p.title.startsWith('Failure'));
    expect(failures).toHaveLength(2);
    for (const panel of failures) {
      const [link] = panel.fieldConfig?.defaults.links ?? [];
      const { datasource, query } = traceQuery(link?.url ?? '');
      expect(datasource).toBe('${tracing}');
      expect(query).toBe(
        '{ span."app.source" = "${__field.labels.app_source:percentencode}" && ' +
          'span."app.error.kind" = "${__field.labels.app_error_kind:percentencode}" }',
      );
    }
  });

  it('links the latency panel to traces by app.source', () => {
    const latency = queryPanels.find((p) => p.title.startsWith('Task duration'));
    const [link] = latency?.fieldConfig?.defaults.links ?? [];
    expect(traceQuery(link?.url ?? '').query).toBe(
      '{ span."app.source" = "${__field.labels.app_source:percentencode}" }',
    );
  });
});
