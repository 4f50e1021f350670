// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} are Grafana variables, not JS templates
// The threadline Grafana dashboard, as typed code (@grafana/grafana-foundation-sdk).
// deploy/grafana/threadline.json is this file's output, committed; a test
// checks that the two agree, and the e2e suite runs every panel's PromQL
// against a real Prometheus.
//
//   npx tsx deploy/grafana/dashboard.ts            # rewrite threadline.json
//   npx tsx deploy/grafana/dashboard.ts --check    # exit 1 when it is stale
//
// Metric and label names are what the OpenTelemetry Prometheus exporter writes
// for DESIGN.md's instruments: dots become underscores, no unit suffix,
// counters end in _total. Successful tasks carry no app_error_kind label.
//
// OpenTelemetry JS records no exemplars (open-telemetry/opentelemetry-js#5147),
// so panels link to a trace search instead: a data link opens Explore on the
// `$tracing` data source (Tempo) with a TraceQL filter on app.source and, for
// failure panels, app.error.kind, taken from the clicked series' labels.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  CellValuesBuilder,
  HeatmapColorMode,
  HeatmapColorOptionsBuilder,
  HeatmapColorScale,
  PanelBuilder as HeatmapPanelBuilder,
  YAxisConfigBuilder,
} from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Where the generator writes the dashboard. */
export const DASHBOARD_PATH = fileURLToPath(new URL('./threadline.json', import.meta.url));

const PROMETHEUS = { type: 'prometheus', uid: '${datasource}' };
const SOURCE = 'app_source=~"$source"';
const POOL = 'threadline_pool_name=~"$pool"';
const COUNT = 'threadline_task_duration_count';
const BUCKET = 'threadline_task_duration_bucket';

/** A Prometheus query of a panel, with its legend. */
function query(refId: string, expr: string, legend: string): DataqueryBuilder {
  return new DataqueryBuilder()
    .refId(refId)
    .datasource(PROMETHEUS)
    .expr(expr)
    .legendFormat(legend)
    .range();
}

/**
 * traceSearchLink opens Grafana Explore on the `$tracing` data source with a
 * TraceQL search for the clicked series' `app.source` (and `app.error.kind`
 * when `byKind`), over the panel's time range.
 */
export function traceSearchLink(byKind: boolean): DashboardLinkBuilder {
  const filters = ['span."app.source" = "@SOURCE@"'];
  if (byKind) filters.push('span."app.error.kind" = "@KIND@"');
  const panes = {
    traces: {
      datasource: '@TRACING@',
      queries: [
        {
          refId: 'A',
          datasource: { type: 'tempo', uid: '@TRACING@' },
          queryType: 'traceql',
          query: `{ ${filters.join(' && ')} }`,
          limit: 20,
        },
      ],
      range: { from: '@FROM@', to: '@TO@' },
    },
  };
  // Encode the JSON, then put Grafana's variables back unencoded so it interpolates them.
  const url = `/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify(panes))}`
    .replaceAll('%40SOURCE%40', '${__field.labels.app_source:percentencode}')
    .replaceAll('%40KIND%40', '${__field.labels.app_error_kind:percentencode}')
    .replaceAll('%40TRACING%40', '${tracing}')
    .replaceAll('%40FROM%40', '${__from}')
    .replaceAll('%40TO%40', '${__to}');
  return new DashboardLinkBuilder(
    byKind ? 'Traces of this source and error kind' : 'Traces of this source',
  )
    .url(url)
    .targetBlank(true);
}

const failureRatio =
  `sum by (app_source, app_error_kind) (rate(${COUNT}{${SOURCE}, app_error_kind!=""}[$__rate_interval]))` +
  ' / ignoring (app_error_kind) group_left ' +
  `sum by (app_source) (rate(${COUNT}{${SOURCE}}[$__rate_interval]))`;

function quantile(q: number): string {
  return `histogram_quantile(${q}, sum by (app_source, le) (rate(${BUCKET}{${SOURCE}}[$__rate_interval])))`;
}

function timeseries(title: string, description: string, unit: string): TimeseriesPanelBuilder {
  return new TimeseriesPanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(unit)
    .fillOpacity(10)
    .height(8)
    .span(12);
}

/**
 * buildDashboard returns the threadline dashboard: task failures, latency and
 * throughput by source; pool utilization, queue and worker exits; named channels.
 *
 * @example
 * writeFileSync('threadline.json', renderDashboard());
 */
export function buildDashboard(): Dashboard {
  const variables: cog.Builder<
    import('@grafana/grafana-foundation-sdk/dashboard').VariableModel
  >[] = [
    new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'),
    new DatasourceVariableBuilder('tracing').label('Traces').type('tempo'),
    new QueryVariableBuilder('source')
      .label('Source')
      .datasource(PROMETHEUS)
      .query(`label_values(${COUNT}, app_source)`)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*'),
    new QueryVariableBuilder('pool')
      .label('Pool')
      .datasource(PROMETHEUS)
      .query('label_values(threadline_pool_threads, threadline_pool_name)')
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*'),
  ];

  return new DashboardBuilder('threadline')
    .uid('threadline')
    .description(
      'Tasks, pools and channels of threadline, from its OpenTelemetry metrics. ' +
        'Failure and latency panels link to a trace search by app.source and app.error.kind.',
    )
    .tags(['threadline', 'opentelemetry'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .variables(variables)
    .withRow(new RowBuilder('Tasks'))
    .withPanel(
      new HeatmapPanelBuilder()
        .title('Failure rate by source × error kind')
        .description(
          'Share of each source’s tasks that failed, per error kind (0–1). Click a cell for its traces.',
        )
        .datasource(PROMETHEUS)
        .withTarget(query('A', failureRatio, '{{app_source}} · {{app_error_kind}}'))
        .calculate(false)
        .color(
          new HeatmapColorOptionsBuilder()
            .mode(HeatmapColorMode.Scheme)
            .scheme('Reds')
            .scale(HeatmapColorScale.Exponential)
            .exponent(0.5)
            .steps(64),
        )
        .cellValues(new CellValuesBuilder().unit('percentunit'))
        .yAxis(new YAxisConfigBuilder().axisLabel('source · error kind'))
        .dataLinks([traceSearchLink(true)])
        .height(8)
        .span(12),
    )
    .withPanel(
      timeseries(
        'Failure ratio by source and error kind',
        'Failed tasks / all tasks of the source, per error kind. Click a series for its traces.',
        'percentunit',
      )
        .withTarget(query('A', failureRatio, '{{app_source}} {{app_error_kind}}'))
        .dataLinks([traceSearchLink(true)]),
    )
    .withPanel(
      timeseries(
        'Task duration p50 / p95 / p99 by source',
        'Run time of the last attempt (histogram quantiles). Click a series for its traces.',
        's',
      )
        .withTarget(query('A', quantile(0.5), 'p50 {{app_source}}'))
        .withTarget(query('B', quantile(0.95), 'p95 {{app_source}}'))
        .withTarget(query('C', quantile(0.99), 'p99 {{app_source}}'))
        .dataLinks([traceSearchLink(false)]),
    )
    .withPanel(
      timeseries(
        'Throughput by source and outcome',
        'Tasks settled per second; an empty error kind is success.',
        'ops',
      ).withTarget(
        query(
          'A',
          `sum by (app_source, app_error_kind) (rate(${COUNT}{${SOURCE}}[$__rate_interval]))`,
          '{{app_source}} {{app_error_kind}}',
        ),
      ),
    )
    .withRow(new RowBuilder('Pools'))
    .withPanel(
      timeseries(
        'Pool utilization',
        'Share of thread time spent running tasks: rate of busy time / threads.',
        'percentunit',
      )
        .min(0)
        .withTarget(
          query(
            'A',
            `sum by (threadline_pool_name) (rate(threadline_pool_busy_time_total{${POOL}}[$__rate_interval]))` +
              ` / sum by (threadline_pool_name) (clamp_min(threadline_pool_threads{${POOL}}, 1))`,
            '{{threadline_pool_name}}',
          ),
        ),
    )
    .withPanel(
      timeseries(
        'Pool queue, running tasks and threads',
        'Tasks waiting for a thread, tasks running, live worker threads.',
        'short',
      )
        .withTarget(
          query(
            'A',
            `sum by (threadline_pool_name) (threadline_pool_queue_size{${POOL}})`,
            'queued {{threadline_pool_name}}',
          ),
        )
        .withTarget(
          query(
            'B',
            `sum by (threadline_pool_name) (threadline_pool_tasks_running{${POOL}})`,
            'running {{threadline_pool_name}}',
          ),
        )
        .withTarget(
          query(
            'C',
            `sum by (threadline_pool_name) (threadline_pool_threads{${POOL}})`,
            'threads {{threadline_pool_name}}',
          ),
        ),
    )
    .withPanel(
      timeseries(
        'Worker exits by reason',
        'Worker threads that exited per interval: crash, oom, timeout, abort, idle.',
        'short',
      ).withTarget(
        query(
          'A',
          `sum by (threadline_pool_name, reason) (increase(threadline_pool_worker_exits_total{${POOL}}[$__rate_interval]))`,
          '{{threadline_pool_name}} {{reason}}',
        ),
      ),
    )
    .withRow(new RowBuilder('Channels'))
    .withPanel(
      timeseries(
        'Named channels: buffered values and blocked waiters',
        'len(ch) and the senders / receivers blocked on each named channel.',
        'short',
      )
        .withTarget(
          query(
            'A',
            'sum by (threadline_channel_name) (threadline_channel_length)',
            'length {{threadline_channel_name}}',
          ),
        )
        .withTarget(
          query(
            'B',
            'sum by (threadline_channel_name, op) (threadline_channel_waiters)',
            '{{op}} waiters {{threadline_channel_name}}',
          ),
        ),
    )
    .build();
}

/**
 * renderDashboard is the JSON of buildDashboard(). The committed file holds the
 * same JSON as formatted by Biome (the repository's formatter), so compare parsed.
 */
export function renderDashboard(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderDashboard();
  if (process.argv.includes('--check')) {
    if (!isDeepStrictEqual(JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')), JSON.parse(text))) {
      console.error(`${DASHBOARD_PATH} is stale: run npx tsx deploy/grafana/dashboard.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(DASHBOARD_PATH, text);
    const biome = fileURLToPath(new URL('../../node_modules/.bin/biome', import.meta.url));
    execFileSync(biome, ['format', '--write', DASHBOARD_PATH], { stdio: 'ignore' });
    console.log(`wrote ${DASHBOARD_PATH}`);
  }
}
