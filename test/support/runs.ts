// Helpers for the worker suites' randomized runs: a seeded generator (the same
// tasks on every run, no Math.random) and the exactly-once check over tasks
// that count their executions in a shared Int32Array (fixture countRun).

import type { ObservableResult } from 'threadline';
import { expect } from 'vitest';

/** A linear congruential generator: numbers in [0, 1), the same sequence for the same seed. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/**
 * Checks that task i ran at most once, exactly once when it succeeded (with
 * value i), and otherwise was Canceled or timed out; and that most succeeded.
 */
export function expectRanOnce(results: ObservableResult<unknown>[], runs: Int32Array): void {
  results.forEach((r, i) => {
    expect(runs[i]).toBeLessThanOrEqual(1);
    if (r.ok) {
      expect(r.value).toBe(i);
      expect(runs[i]).toBe(1);
    } else {
      expect(['Canceled', 'Timeout']).toContain(r.errorKind);
    }
  });
  expect(results.filter((r) => r.ok).length).toBeGreaterThan(results.length / 2);
}
