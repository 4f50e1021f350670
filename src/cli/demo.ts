// `threadline demo`: a CPU-bound pipeline on the public API, with telemetry.
//
//   generate ──batchCh──▶ dispatch (Group, limit 2 batches) ──▶ batch: wg.go(digest) × n
//                                                                     │ into
//   collect ◀──────────────── resultCh ◀──────────────────────────────┘
//   (select over resultCh and an after() tick that redraws the progress)
//
// Each batch is an in-thread go() whose span is the root of its own trace; the
// worker tasks' spans (and the steps inside them) are its children, across
// threads. The summary is computed from every submitted Task's result, so it
// is exact even when an interrupt abandoned a result's delivery on resultCh.
//
// Invariants:
//   Every planned block is submitted at most once; on interrupt (io.signal)
//     no new batch is dispatched and running tasks settle Canceled.
//   resultCh is closed only after every submitted Task settled.
//   The pool is closed and the telemetry flushed before runDemo resolves.

import { availableParallelism, cpus } from 'node:os';
import {
  after,
  Channel,
  createPool,
  Group,
  go,
  type ObservableResult,
  recv,
  select,
  type Task,
  WaitGroup,
} from '../index.js';
import type { DemoOptions } from './args.js';
import { type BlockSpec, planBlocks } from './plan.js';
import { Progress, type ProgressStream } from './progress.js';
import { type PoolTimes, poolTimes, type SummaryRow, summarize } from './summary.js';
import { type DigestResult, digest } from './tasks.js';
import { setupTelemetry } from './telemetry.js';
import { layoutWaterfall, pickBatchTrace, type Waterfall } from './waterfall.js';

/** Batches dispatched at once: enough to keep every thread busy between batches. */
const BATCHES_IN_FLIGHT = 2;
/** Traces kept in memory to choose the waterfall from. */
const KEEP_TRACES = 64;

/** What the demo reads and writes besides its options. */
export interface DemoIO {
  /** Progress display (stderr). */
  readonly progress: ProgressStream;
  /** Aborts on Ctrl-C: the pipeline winds down and a partial summary follows. */
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  /** The package version, for the report. */
  readonly version: string;
}

/** The demo's outcome: what `--json` prints (results excepted). */
export interface DemoReport {
  command: 'demo';
  version: string;
  node: string;
  machine: { cpus: number; model: string; platform: string; arch: string };
  options: {
    tasks: number;
    threads: number;
    failRate: number;
    seed: number;
    batchSize: number;
    timeoutMs: number;
  };
  interrupted: boolean;
  durationMs: number;
  /** Blocks planned, tasks submitted, tasks settled (= submitted), ok and failed. */
  planned: number;
  submitted: number;
  finished: number;
  ok: number;
  failed: number;
  /** Results delivered on the fan-in channel (less than finished only after an interrupt). */
  delivered: number;
  /** Failures by kind. */
  byKind: Record<string, number>;
  rows: SummaryRow[];
  pool: PoolTimes;
  bytes: { raw: number; compressed: number };
  trace: {
    file: string | null;
    otlpEndpoint: string | null;
    spans: number;
    waterfall: Waterfall | null;
  };
  metricsUrl: string | null;
  html: string | null;
}

/** The report plus every task's result (for the HTML report). */
export interface DemoRun {
  report: DemoReport;
  results: ObservableResult<DigestResult>[];
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * runDemo runs the pipeline and returns its report.
 *
 * @example
 * const { report } = await runDemo(options, { progress: process.stderr, signal, env: process.env, version });
 */
export async function runDemo(o: DemoOptions, io: DemoIO): Promise<DemoRun> {
  const blocks = planBlocks(o);
  const batches = chunk(blocks, o.batchSize);
  const telemetry = await setupTelemetry({
    traceFile: o.traceFile,
    metricsPort: o.metricsPort,
    keepTraces: KEEP_TRACES,
    env: io.env,
  });
  const pool = createPool({
    name: 'demo',
    minThreads: o.threads,
    maxThreads: o.threads,
    idleTimeout: 1000,
  });
  const started = performance.now();
  const batchCh = new Channel<BlockSpec[]>(1, { name: 'demo.batches' });
  const resultCh = new Channel<ObservableResult<DigestResult>>(o.threads * 4, {
    name: 'demo.results',
  });
  const tasks: Task<DigestResult>[] = [];
  const { signal } = io;

  // Stage 1: generate the batches (block specs; workers make the bytes).
  const generating = go(
    async ({ signal: s }) => {
      try {
        for (const batch of batches) await batchCh.send(batch, { signal: s });
      } finally {
        batchCh.close();
      }
      return batches.length;
    },
    { source: 'pipeline/generate', signal },
  );

  // Stage 2: one in-thread task per batch, at most BATCHES_IN_FLIGHT at once
  // (g.ready() is the backpressure); each fans its blocks out to the pool.
  const runBatch = async (batch: readonly BlockSpec[], s: AbortSignal) => {
    const wg = new WaitGroup();
    for (const spec of batch) {
      tasks.push(
        wg.go(digest, [spec], {
          source: spec.source,
          timeoutMs: o.timeoutMs,
          signal: s,
          pool,
          into: resultCh,
        }),
      );
    }
    await wg.wait();
    return batch.length;
  };
  const dispatching = (async () => {
    const g = new Group({ limit: BATCHES_IN_FLIGHT, signal });
    try {
      for await (const batch of batchCh) {
        await g.ready({ signal });
        if (signal.aborted) break;
        g.go(({ signal: s }) => runBatch(batch, s), { source: 'pipeline/batch' });
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    await g.wait();
    await Promise.all(tasks);
    resultCh.close();
  })();

  // Stage 3: fan in, with an after() tick for the progress display.
  const progress = new Progress(io.progress, blocks.length, { enabled: o.progress });
  let delivered = 0;
  let failedSeen = 0;
  let tick = after(progress.intervalMs);
  for (;;) {
    const got = await select([recv(resultCh), recv(tick)]);
    if (got.index === 1) {
      progress.tick();
      tick = after(progress.intervalMs);
      continue;
    }
    if (!got.ok) break;
    delivered++;
    if (!(got.value as ObservableResult<DigestResult>).ok) failedSeen++;
    progress.update(delivered, failedSeen);
  }
  await dispatching;
  await generating;
  progress.finish();
  const results = await Promise.all(tasks);
  const durationMs = performance.now() - started;
  await pool.close();
  await telemetry.shutdown();

  const byKind: Record<string, number> = {};
  let raw = 0;
  let compressed = 0;
  for (const r of results) {
    if (r.ok) {
      raw += r.value!.rawBytes;
      compressed += r.value!.compressedBytes;
    } else {
      const kind = r.errorKind ?? 'Unknown';
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
  }
  const recorder = telemetry.recorder;
  const traceId = pickBatchTrace(
    recorder.traceIds().map((id) => ({ traceId: id, spans: recorder.trace(id) })),
    'pipeline/batch',
  );
  const okCount = results.filter((r) => r.ok).length;
  const cpuList = cpus();
  const report: DemoReport = {
    command: 'demo',
    version: io.version,
    node: process.version,
    machine: {
      cpus: availableParallelism(),
      model: cpuList[0]?.model.trim() ?? 'unknown',
      platform: process.platform,
      arch: process.arch,
    },
    options: {
      tasks: o.tasks,
      threads: o.threads,
      failRate: o.failRate,
      seed: o.seed,
      batchSize: o.batchSize,
      timeoutMs: o.timeoutMs,
    },
    interrupted: signal.aborted,
    durationMs,
    planned: blocks.length,
    submitted: tasks.length,
    finished: results.length,
    ok: okCount,
    failed: results.length - okCount,
    delivered,
    byKind,
    rows: summarize(results),
    pool: poolTimes(results),
    bytes: { raw, compressed },
    trace: {
      file: telemetry.traceFile ?? null,
      otlpEndpoint: telemetry.otlpEndpoint ?? null,
      spans: recorder.seen,
      waterfall:
        traceId === undefined
          ? null
          : layoutWaterfall(
              recorder.trace(traceId),
              new Map(results.map((r) => [r.spanId, r.waitMs])),
            ),
    },
    metricsUrl: telemetry.metricsUrl ?? null,
    html: o.html ?? null,
  };
  return { report, results };
}
