// The demo's summary: results grouped by source × outcome ('ok' or the error
// kind) with counts, run-time percentiles and the first error; and the pool's
// wait vs run time. Pure functions over ObservableResults, shared by the text
// table, the JSON output and the HTML report.
//
// Invariants:
//   The rows' counts add up to the number of results; one row per
//     (source, outcome) pair that occurred, sorted by source then outcome
//     ('ok' first, then kinds alphabetically).
//   Percentiles are nearest-rank over elapsedMs: p50 <= p95 <= p99.

import type { ObservableResult } from '../index.js';

/** One row of the summary table. */
export interface SummaryRow {
  source: string;
  /** 'ok' or the ErrorKind. */
  outcome: string;
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** The first error's message in completion order, for failures. */
  firstError: string | undefined;
}

/** A distribution in ms. */
export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  total: number;
}

/** The pool's share: how long tasks waited for a thread vs how long they ran. */
export interface PoolTimes {
  waitMs: Distribution;
  runMs: Distribution;
  /** Σ run / (Σ wait + Σ run): 1 means tasks never waited. */
  runShare: number;
}

/**
 * percentile is the nearest-rank percentile of ascending `sorted` (0 when empty).
 *
 * @example
 * percentile([1, 2, 3, 4], 0.5); // 2
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!;
}

/**
 * distribution summarizes values in ms.
 *
 * @example
 * distribution([3, 1, 2]).p50; // 2
 */
export function distribution(values: readonly number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const v of sorted) total += v;
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? 0 : total / sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
    total,
  };
}

/**
 * outcomeOf labels a result: 'ok' or its kind.
 *
 * @example
 * outcomeOf(await go(() => 1)); // 'ok'
 */
export function outcomeOf(r: ObservableResult<unknown>): string {
  return r.ok ? 'ok' : (r.errorKind ?? 'Unknown');
}

/**
 * summarize groups results (in completion order) by source × outcome.
 *
 * @example
 * summarize(results).find((row) => row.outcome === 'Timeout')?.count;
 */
export function summarize(results: readonly ObservableResult<unknown>[]): SummaryRow[] {
  const groups = new Map<
    string,
    { source: string; outcome: string; ms: number[]; first?: string }
  >();
  for (const r of results) {
    const outcome = outcomeOf(r);
    const key = `${r.source}\u0000${outcome}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { source: r.source, outcome, ms: [] };
      groups.set(key, g);
    }
    g.ms.push(r.elapsedMs);
    if (g.first === undefined && !r.ok) g.first = r.error?.message ?? '';
  }
  const rows = [...groups.values()].map((g): SummaryRow => {
    const d = distribution(g.ms);
    return {
      source: g.source,
      outcome: g.outcome,
      count: d.count,
      p50Ms: d.p50,
      p95Ms: d.p95,
      p99Ms: d.p99,
      firstError: g.first,
    };
  });
  return rows.sort(
    (a, b) =>
      a.source.localeCompare(b.source) ||
      (a.outcome === 'ok' ? -1 : b.outcome === 'ok' ? 1 : a.outcome.localeCompare(b.outcome)),
  );
}

/**
 * poolTimes compares the time results waited (go() to start: Group and pool
 * queues) with the time they ran, over the results that started.
 *
 * @example
 * poolTimes(results).runShare; // 0.42
 */
export function poolTimes(results: readonly ObservableResult<unknown>[]): PoolTimes {
  const started = results.filter((r) => r.elapsedMs > 0 || r.ok);
  const waitMs = distribution(started.map((r) => r.waitMs));
  const runMs = distribution(started.map((r) => r.elapsedMs));
  const sum = waitMs.total + runMs.total;
  return { waitMs, runMs, runShare: sum === 0 ? 0 : runMs.total / sum };
}
