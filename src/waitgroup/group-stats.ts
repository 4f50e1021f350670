// Group.wait()'s `stats`: counts by outcome and kind, and the distribution of
// the tasks' run times (elapsedMs), over every result of the batch.
//
// Invariants (property-tested in test/group.test.ts):
//   count === results.length; failed === the results with ok false
//     === the sum of byKind's values.
//   min <= p50 <= p95 <= p99 <= max; min <= mean <= max; total = Σ elapsedMs.

import type { ErrorKind } from '../observe/error-kind.js';
import type { ObservableResult } from '../observe/result.js';

/**
 * Run-time distribution of a batch, in ms. All 0 for an empty batch.
 *
 * @example
 * const { p50, p95, max } = (await g.wait()).stats.durationMs;
 */
export interface DurationStats {
  min: number;
  max: number;
  mean: number;
  /** Nearest-rank percentiles. */
  p50: number;
  p95: number;
  p99: number;
  total: number;
}

/**
 * Group.wait()'s `stats`.
 *
 * @example
 * const { count, failed, byKind } = (await g.wait()).stats; // byKind: { Timeout: 2 }
 */
export interface GroupStats {
  /** Tasks in the batch. */
  count: number;
  /** Tasks that failed, canceled ones included. */
  failed: number;
  /** Failures by kind; kinds with none are absent. */
  byKind: Partial<Record<ErrorKind, number>>;
  /** Distribution of the tasks' elapsedMs (0 for tasks that never started). */
  durationMs: DurationStats;
}

/**
 * groupStats summarizes a batch of results.
 *
 * @example
 * groupStats(results).durationMs.p95;
 */
export function groupStats(results: readonly ObservableResult<unknown>[]): GroupStats {
  const n = results.length;
  const byKind: Partial<Record<ErrorKind, number>> = {};
  const durations = new Float64Array(n);
  let failed = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = results[i]!;
    durations[i] = r.elapsedMs;
    total += r.elapsedMs;
    if (!r.ok) {
      failed++;
      const kind = r.errorKind ?? 'Unknown';
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
  }
  durations.sort();
  const at = (p: number): number => (n === 0 ? 0 : durations[Math.max(0, Math.ceil(p * n) - 1)]!);
  const mean = n === 0 ? 0 : total / n;
  const min = at(0);
  const max = n === 0 ? 0 : durations[n - 1]!;
  return {
    count: n,
    failed,
    byKind,
    durationMs: {
      min,
      max,
      // Float rounding can put Σ/n a hair outside [min, max] when all are equal.
      mean: Math.min(max, Math.max(min, mean)),
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      total,
    },
  };
}
