// The demo's terminal output: the header line, the summary table by source ×
// outcome, the pool's wait vs run time, the waterfall of one batch, and where
// the traces, metrics and report went.

import type { DemoOptions } from './args.js';
import type { DemoReport } from './demo.js';
import { formatTable, ms } from './table.js';
import { renderWaterfall } from './waterfall.js';

/**
 * demoHeader is the line printed before the run starts.
 *
 * @example
 * process.stdout.write(demoHeader(options));
 */
export function demoHeader(o: DemoOptions): string {
  return (
    `threadline demo: ${plural(o.tasks, 'block')} in batches of ${o.batchSize} on ${plural(o.threads, 'worker thread')}, ` +
    `fail rate ${o.failRate}, seed ${o.seed}, timeout ${o.timeoutMs} ms\n`
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * renderDemoText formats a report for the terminal.
 *
 * @example
 * process.stdout.write(renderDemoText(report, { width: 100, color: false }));
 */
export function renderDemoText(r: DemoReport, options: { width: number; color: boolean }): string {
  const out: string[] = [];
  const seconds = r.durationMs / 1000;
  if (r.interrupted) {
    out.push(
      `Interrupted: partial summary. ${r.finished} of ${r.planned} tasks settled ` +
        `(${r.planned - r.submitted} never submitted) in ${seconds.toFixed(2)} s.`,
    );
  } else {
    out.push(
      `Processed ${plural(r.finished, 'block')} in ${seconds.toFixed(2)} s ` +
        `(${(r.finished / Math.max(seconds, 1e-3)).toFixed(1)} blocks/s): ${r.ok} ok, ${r.failed} failed; ` +
        `${mb(r.bytes.raw)} hashed, compressed to ${mb(r.bytes.compressed)}.`,
    );
  }
  out.push('');
  const rows = r.rows.map((row) => [
    row.source,
    row.outcome,
    String(row.count),
    ms(row.p50Ms),
    ms(row.p95Ms),
    ms(row.p99Ms),
    row.firstError ?? '',
  ]);
  rows.push(['total', '', String(r.finished), '', '', '', '']);
  out.push(
    formatTable(
      ['source', 'outcome', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'first error'],
      rows,
      ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
      Math.max(40, options.width - 62),
    ),
  );
  out.push('');
  const p = r.pool;
  out.push(
    `Pool "demo" (${plural(r.options.threads, 'thread')}): waited for a thread p50 ${ms(p.waitMs.p50)} ms, ` +
      `p95 ${ms(p.waitMs.p95)} ms; ran p50 ${ms(p.runMs.p50)} ms, p95 ${ms(p.runMs.p95)} ms; ` +
      `${(p.runShare * 100).toFixed(0)}% of the tasks' time was run time.`,
  );
  if (r.trace.waterfall !== null && r.trace.waterfall.rows.length > 0) {
    const w = r.trace.waterfall;
    out.push('');
    out.push(`Waterfall of one batch (trace ${w.traceId}):`);
    out.push(renderWaterfall(w, { width: options.width, color: options.color, maxRows: 40 }));
  } else {
    out.push('');
  }
  if (r.trace.file !== null) {
    out.push(`Traces: ${r.trace.spans} spans written to ${r.trace.file}`);
  } else if (r.trace.otlpEndpoint !== null) {
    out.push(`Traces: ${r.trace.spans} spans exported by OTLP/HTTP to ${r.trace.otlpEndpoint}`);
  }
  if (r.metricsUrl !== null) out.push(`Metrics: served at ${r.metricsUrl} while the demo ran`);
  if (r.html !== null) out.push(`Report: ${r.html}`);
  out.push(
    `Rerun: threadline demo --tasks ${r.options.tasks} --threads ${r.options.threads} ` +
      `--fail-rate ${r.options.failRate} --seed ${r.options.seed} --batch ${r.options.batchSize} ` +
      `--timeout-ms ${r.options.timeoutMs}`,
  );
  return `${out.join('\n')}\n`;
}
