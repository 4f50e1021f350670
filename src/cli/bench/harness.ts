// The bench harness: variants of one scenario measured in alternating rounds
// (A B C, B C A, C A B, ...), so drift in machine load hits every variant
// alike; each variant's samples are reduced to their median and spread, and
// ratios are taken between medians of the same run.
//
// Invariants:
//   Every variant gets exactly `rounds` samples, one per round.
//   A sample is nanoseconds per operation: elapsed / ops of one measurement.

/** One way of doing a scenario's work. */
export interface Variant {
  readonly name: string;
  /** Runs `ops` operations; resolves when they are done. */
  run(ops: number): Promise<void>;
}

/** Median and spread of a variant's samples, in ns per operation. */
export interface VariantResult {
  name: string;
  medianNs: number;
  minNs: number;
  maxNs: number;
  samples: number[];
}

/** A measured scenario. */
export interface ScenarioResult {
  scenario: string;
  /** What one operation is. */
  unit: string;
  ops: number;
  variants: VariantResult[];
}

/**
 * median of numbers (mean of the middle two for an even count).
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * alternate measures every variant once per round, rotating their order, after
 * one unmeasured warm-up run each.
 *
 * @example
 * const r = await alternate('latency', 'task', 1000, 7, [goVariant, piscinaVariant]);
 */
export async function alternate(
  scenario: string,
  unit: string,
  ops: number,
  rounds: number,
  variants: readonly Variant[],
  warmupOps = Math.max(1, Math.floor(ops / 4)),
): Promise<ScenarioResult> {
  for (const v of variants) await v.run(warmupOps);
  const samples = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length;
      const t0 = process.hrtime.bigint();
      await variants[i]!.run(ops);
      const ns = Number(process.hrtime.bigint() - t0);
      samples[i]!.push(ns / ops);
    }
  }
  return {
    scenario,
    unit,
    ops,
    variants: variants.map((v, i) => ({
      name: v.name,
      medianNs: median(samples[i]!),
      minNs: Math.min(...samples[i]!),
      maxNs: Math.max(...samples[i]!),
      samples: samples[i]!,
    })),
  };
}

/**
 * ratio of two variants' medians in a scenario (a / b).
 *
 * @example
 * ratio(result, 'go()', 'piscina.run'); // 0.31
 */
export function ratio(result: ScenarioResult, a: string, b: string): number {
  const x = result.variants.find((v) => v.name === a);
  const y = result.variants.find((v) => v.name === b);
  if (x === undefined || y === undefined) {
    throw new Error(`threadline: internal: bench variant ${x === undefined ? a : b} not found`);
  }
  return x.medianNs / y.medianNs;
}
