// The demo's work plan: which blocks exist, which source each comes from, and
// which fault (if any) each one carries. Pure and seeded, so a run is
// reproducible and a test can recompute the expected counts.
//
// Invariants:
//   planBlocks(o) is a function of o alone (no clock, no Math.random).
//   blocks[i].index === i; blocks are split into batches of o.batchSize in order.
//   A fault is drawn only when fault rate > 0; with failRate 0 every block is clean.
//   The expected outcome of a block is fixed by its fault: none → ok,
//     validation → Validation, timeout → Timeout, crash → Panic.

import type { ErrorKind } from '../index.js';

/** A fault the demo injects into a block's task. */
export type Fault = 'none' | 'validation' | 'timeout' | 'crash';

/** One ingest stream of the demo: a source label and the shape of its blocks. */
export interface DemoSource {
  /** `app.source` of its tasks. */
  readonly name: string;
  /** Block size in bytes. */
  readonly bytes: number;
  /** Share of repeated bytes in its blocks (0 random … 1 constant): how well they compress. */
  readonly redundancy: number;
  /** Relative weights of the faults when a block is faulty: validation, timeout, crash. */
  readonly faultWeights: readonly [number, number, number];
}

/**
 * The demo's three ingest streams. Their fault mixes differ on purpose, so the
 * failure heatmap (source × kind) has a shape to read.
 */
export const DEMO_SOURCES: readonly DemoSource[] = Object.freeze([
  { name: 'ingest/logs', bytes: 96 * 1024, redundancy: 0.8, faultWeights: [6, 1, 1] },
  { name: 'ingest/images', bytes: 192 * 1024, redundancy: 0.1, faultWeights: [1, 4, 1] },
  { name: 'ingest/metrics', bytes: 48 * 1024, redundancy: 0.6, faultWeights: [2, 1, 3] },
] as const);

/** One unit of work: a block that a worker generates, validates, hashes and compresses. */
export type BlockSpec = {
  readonly index: number;
  readonly batch: number;
  readonly source: string;
  readonly bytes: number;
  readonly redundancy: number;
  /** Seed of the block's contents. */
  readonly contentSeed: number;
  readonly fault: Fault;
};

/** What planBlocks needs. */
export interface PlanOptions {
  readonly tasks: number;
  readonly failRate: number;
  readonly seed: number;
  readonly batchSize: number;
}

/**
 * mulberry32 returns a seeded PRNG giving floats in [0, 1).
 *
 * @example
 * const rand = mulberry32(42); rand(); // 0.6011037519201636
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * planBlocks lays out the demo's blocks: their source (round-robin over
 * DEMO_SOURCES, shuffled by the seed), batch, contents seed and fault.
 *
 * @example
 * planBlocks({ tasks: 10, failRate: 0.2, seed: 1, batchSize: 4 }).filter((b) => b.fault !== 'none');
 */
export function planBlocks(options: PlanOptions): BlockSpec[] {
  const rand = mulberry32(options.seed);
  const blocks: BlockSpec[] = [];
  for (let i = 0; i < options.tasks; i++) {
    const source = DEMO_SOURCES[Math.floor(rand() * DEMO_SOURCES.length)]!;
    const contentSeed = Math.floor(rand() * 2 ** 31);
    const faulty = rand() < options.failRate;
    const pick = rand();
    blocks.push({
      index: i,
      batch: Math.floor(i / options.batchSize),
      source: source.name,
      bytes: source.bytes,
      redundancy: source.redundancy,
      contentSeed,
      fault: faulty ? pickFault(source.faultWeights, pick) : 'none',
    });
  }
  return blocks;
}

function pickFault(weights: readonly [number, number, number], u: number): Fault {
  const total = weights[0] + weights[1] + weights[2];
  const x = u * total;
  if (x < weights[0]) return 'validation';
  if (x < weights[0] + weights[1]) return 'timeout';
  return 'crash';
}

/**
 * expectedKind is the outcome a block's fault produces: `undefined` for success.
 *
 * @example
 * expectedKind('crash'); // 'Panic'
 */
export function expectedKind(fault: Fault): ErrorKind | undefined {
  switch (fault) {
    case 'none':
      return undefined;
    case 'validation':
      return 'Validation';
    case 'timeout':
      return 'Timeout';
    case 'crash':
      return 'Panic';
  }
}
