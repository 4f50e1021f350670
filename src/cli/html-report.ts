// The demo's HTML report: one self-contained file (inline CSS and SVG, no
// script, no external resource) with the run's facts, a failure heatmap by
// source × kind, a duration histogram, the waterfall of one batch and the
// summary table. test/e2e/cli-report.test.ts opens it in headless Chromium.
//
// Invariants:
//   Every text that comes from the run is HTML-escaped.
//   Stable hooks for tests and readers: #heatmap td.cell[data-source][data-kind],
//     #histogram rect.bar[data-bucket], #waterfall g.span[data-span-id].

import type { ObservableResult } from '../index.js';
import type { DemoReport } from './demo.js';
import { ms } from './table.js';
import type { Waterfall } from './waterfall.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * escapeHtml makes text safe in HTML text and attribute values.
 *
 * @example
 * escapeHtml('<b>"x"</b>'); // '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Upper bounds (ms) of the histogram's buckets; the last one is open. */
export const HISTOGRAM_BOUNDS: readonly number[] = [
  0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
];

/** Counts of ok and failed results per duration bucket. */
export interface HistogramBucket {
  label: string;
  ok: number;
  failed: number;
}

/**
 * histogram buckets results by elapsedMs (log-spaced bounds).
 *
 * @example
 * histogram(results).map((b) => b.ok + b.failed);
 */
export function histogram(results: readonly ObservableResult<unknown>[]): HistogramBucket[] {
  const buckets: HistogramBucket[] = HISTOGRAM_BOUNDS.map((b) => ({
    label: `≤${b}`,
    ok: 0,
    failed: 0,
  }));
  buckets.push({ label: `>${HISTOGRAM_BOUNDS[HISTOGRAM_BOUNDS.length - 1]}`, ok: 0, failed: 0 });
  for (const r of results) {
    let i = HISTOGRAM_BOUNDS.findIndex((b) => r.elapsedMs <= b);
    if (i === -1) i = buckets.length - 1;
    if (r.ok) buckets[i]!.ok++;
    else buckets[i]!.failed++;
  }
  return buckets;
}

const KIND_ORDER = ['Validation', 'Timeout', 'Panic', 'Canceled'];

function heatmap(r: DemoReport): string {
  const sources = [...new Set(r.rows.map((row) => row.source))].sort();
  const kinds = [
    ...new Set([...KIND_ORDER, ...r.rows.filter((x) => x.outcome !== 'ok').map((x) => x.outcome)]),
  ];
  const count = (source: string, outcome: string) =>
    r.rows.find((x) => x.source === source && x.outcome === outcome)?.count ?? 0;
  const head = kinds.map((k) => `<th scope="col">${escapeHtml(k)}</th>`).join('');
  const body = sources
    .map((source) => {
      const total = r.rows.filter((x) => x.source === source).reduce((s, x) => s + x.count, 0);
      const cells = kinds
        .map((kind) => {
          const n = count(source, kind);
          const rate = total === 0 ? 0 : n / total;
          const alpha = n === 0 ? 0 : 0.15 + 0.85 * Math.min(1, rate * 4);
          const style = `background: rgba(220, 38, 38, ${alpha.toFixed(3)});${alpha > 0.55 ? ' color: #fff;' : ''}`;
          return `<td class="cell" data-source="${escapeHtml(source)}" data-kind="${escapeHtml(kind)}" data-count="${n}" style="${style}" title="${escapeHtml(`${source} × ${kind}: ${n} of ${total}`)}">${n}<small>${(rate * 100).toFixed(1)}%</small></td>`;
        })
        .join('');
      return `<tr><th scope="row">${escapeHtml(source)}</th><td class="total">${total}</td>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="heatmap"><thead><tr><th>source</th><th>tasks</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function histogramSvg(buckets: readonly HistogramBucket[]): string {
  const width = 720;
  const height = 220;
  const pad = { left: 40, bottom: 40, top: 10 };
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.failed));
  const slot = (width - pad.left) / buckets.length;
  const plotH = height - pad.bottom - pad.top;
  const bars = buckets
    .map((b, i) => {
      const x = pad.left + i * slot + 4;
      const w = slot - 8;
      const hOk = (b.ok / max) * plotH;
      const hFail = (b.failed / max) * plotH;
      const yOk = pad.top + plotH - hOk;
      const yFail = yOk - hFail;
      const label = `<text class="axis" x="${x + w / 2}" y="${height - pad.bottom + 14}" text-anchor="middle">${escapeHtml(b.label)}</text>`;
      return (
        `<rect class="bar ok" data-bucket="${i}" data-count="${b.ok}" x="${x}" y="${yOk}" width="${w}" height="${hOk}"><title>${escapeHtml(b.label)} ms: ${b.ok} ok</title></rect>` +
        `<rect class="bar failed" data-bucket="${i}" data-count="${b.failed}" x="${x}" y="${yFail}" width="${w}" height="${hFail}"><title>${escapeHtml(b.label)} ms: ${b.failed} failed</title></rect>` +
        label
      );
    })
    .join('\n');
  const axis = `<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${width}" y2="${pad.top + plotH}" class="rule"/><text class="axis" x="${pad.left - 6}" y="${pad.top + 8}" text-anchor="end">${max}</text><text class="axis" x="${pad.left - 6}" y="${pad.top + plotH}" text-anchor="end">0</text><text class="axis" x="${(width + pad.left) / 2}" y="${height - 6}" text-anchor="middle">run time, ms (upper bound of each bucket)</text>`;
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="duration histogram">${axis}${bars}</svg>`;
}

function waterfallSvg(w: Waterfall | null): string {
  if (w === null || w.rows.length === 0) return '<p class="empty">No batch trace was recorded.</p>';
  const rowH = 20;
  const labelW = 230;
  const width = 1000;
  const barW = width - labelW - 130;
  const height = w.rows.length * rowH + 24;
  const scale = w.totalMs > 0 ? barW / w.totalMs : 0;
  const rows = w.rows
    .map((row, i) => {
      const y = 20 + i * rowH;
      const x = labelW + row.offsetMs * scale;
      const bw = Math.max(1.5, row.durationMs * scale);
      const wait =
        row.waitMs > 0
          ? `<rect class="wait" x="${(x - row.waitMs * scale).toFixed(2)}" y="${y + 8}" width="${(row.waitMs * scale).toFixed(2)}" height="${rowH - 16}"/>`
          : '';
      const cls = row.errorKind === undefined ? 'ok' : 'failed';
      const thread = row.threadId === undefined ? '' : ` · thread ${row.threadId}`;
      const waited = row.waitMs > 0 ? ` after waiting ${ms(row.waitMs)} ms for a thread` : '';
      const tip = `${row.name}${thread}: ran ${ms(row.durationMs)} ms${waited}${row.errorKind ? ` · ${row.errorKind}` : ''}`;
      return (
        `<g class="span ${cls}" data-span-id="${escapeHtml(row.spanId)}" data-depth="${row.depth}">` +
        `<title>${escapeHtml(tip)}</title>` +
        `<text class="label" x="${4 + row.depth * 12}" y="${y + 14}">${escapeHtml(row.name)}</text>` +
        wait +
        `<rect class="run" x="${x.toFixed(2)}" y="${y + 3}" width="${bw.toFixed(2)}" height="${rowH - 6}" rx="2"/>` +
        `<text class="dur" x="${width - 4}" y="${y + 14}" text-anchor="end">${escapeHtml(`${ms(row.durationMs)} ms${row.errorKind ? ` ${row.errorKind}` : ''}`)}</text>` +
        '</g>'
      );
    })
    .join('\n');
  const axis = `<text class="axis" x="${labelW}" y="12">0 ms</text><text class="axis" x="${labelW + barW}" y="12" text-anchor="end">${ms(w.totalMs)} ms</text>`;
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="trace waterfall">${axis}${rows}</svg>`;
}

function summaryTable(r: DemoReport): string {
  const rows = r.rows
    .map(
      (x) =>
        `<tr class="${x.outcome === 'ok' ? 'ok' : 'failed'}"><td>${escapeHtml(x.source)}</td><td>${escapeHtml(x.outcome)}</td><td class="num">${x.count}</td><td class="num">${ms(x.p50Ms)}</td><td class="num">${ms(x.p95Ms)}</td><td class="num">${ms(x.p99Ms)}</td><td class="err" title="${escapeHtml(x.firstError ?? '')}">${escapeHtml(x.firstError ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<table class="summary"><thead><tr><th>source</th><th>outcome</th><th>count</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>first error</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const CSS = `
:root { --ok: #2563eb; --fail: #dc2626; --ink: #1f2937; --mute: #6b7280; --rule: #e5e7eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; padding: 24px 32px; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.facts { color: var(--mute); margin: 0 0 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border: 1px solid var(--rule); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card b { display: block; font-size: 20px; } .card span { color: var(--mute); font-size: 12px; }
section { background: #fff; border: 1px solid var(--rule); border-radius: 8px; padding: 12px 16px; margin-top: 16px; overflow-x: auto; }
table { border-collapse: collapse; } th, td { padding: 4px 10px; text-align: left; border-bottom: 1px solid var(--rule); }
td.num, td.total { text-align: right; font-variant-numeric: tabular-nums; }
.heatmap td.cell { text-align: center; min-width: 86px; font-weight: 600; }
.heatmap td.cell small { display: block; font-weight: 400; font-size: 11px; opacity: .8; }
.summary td.err { color: var(--fail); max-width: 520px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); } svg .axis { fill: var(--mute); }
svg .rule { stroke: var(--rule); }
rect.bar.ok { fill: var(--ok); } rect.bar.failed { fill: var(--fail); }
g.span.ok rect.run { fill: var(--ok); } g.span.failed rect.run { fill: var(--fail); }
g.span rect.wait { fill: #cbd5e1; }
g.span:hover rect { opacity: .75; }
.legend span { display: inline-block; margin-right: 14px; color: var(--mute); }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
`;

/**
 * renderHtmlReport builds the self-contained HTML report of a demo run.
 *
 * @example
 * writeFileSync('report.html', renderHtmlReport(report, results));
 */
export function renderHtmlReport(
  r: DemoReport,
  results: readonly ObservableResult<unknown>[],
): string {
  const seconds = r.durationMs / 1000;
  const p = r.pool;
  const legend =
    '<p class="legend"><span><i style="background:var(--ok)"></i>ok</span><span><i style="background:var(--fail)"></i>failed</span></p>';
  const traceNote =
    r.trace.waterfall === null
      ? ''
      : `<p class="facts">trace <code>${escapeHtml(r.trace.waterfall.traceId)}</code>: the batch's in-thread span, the worker task spans under it, and the steps recorded inside the workers.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>threadline demo report</title>
<style>${CSS}</style>
</head>
<body>
<h1>threadline demo${r.interrupted ? ' (interrupted: partial)' : ''}</h1>
<p class="facts">${r.planned} blocks · ${r.options.threads} threads · fail rate ${r.options.failRate} · seed ${r.options.seed} · Node ${escapeHtml(r.node)} · ${escapeHtml(r.machine.model)} (${r.machine.cpus} CPUs) · threadline ${escapeHtml(r.version)}</p>
<div class="cards" id="cards">
<div class="card" data-metric="finished"><b>${r.finished}</b><span>tasks settled</span></div>
<div class="card" data-metric="ok"><b>${r.ok}</b><span>ok</span></div>
<div class="card" data-metric="failed"><b>${r.failed}</b><span>failed</span></div>
<div class="card" data-metric="rate"><b>${(r.finished / Math.max(seconds, 1e-3)).toFixed(1)}/s</b><span>in ${seconds.toFixed(2)} s</span></div>
<div class="card" data-metric="wait"><b>${ms(p.waitMs.p95)} ms</b><span>p95 wait for a thread</span></div>
<div class="card" data-metric="run"><b>${ms(p.runMs.p95)} ms</b><span>p95 run time</span></div>
</div>
<section id="heatmap"><h2>Failures by source × kind</h2>${heatmap(r)}</section>
<section id="histogram"><h2>Run time distribution</h2>${legend}${histogramSvg(histogram(results))}</section>
<section id="waterfall"><h2>Waterfall of one batch</h2>${traceNote}<p class="legend"><span><i style="background:#cbd5e1"></i>waiting for a thread</span><span><i style="background:var(--ok)"></i>running</span><span><i style="background:var(--fail)"></i>failed</span></p>${waterfallSvg(r.trace.waterfall)}</section>
<section id="summary"><h2>Summary</h2>${summaryTable(r)}</section>
</body>
</html>
`;
}
