// go(fn) on this thread against its baselines, in the same process and run.
//
//   no SDK:   'go: baseline (await fn())'       vs 'go: go(fn)'
//   with SDK: 'go: hand-written span (SDK)'     vs 'go: go(fn) (SDK)'
//             (BasicTracerProvider, AlwaysOnSampler, BatchSpanProcessor with a
//             no-op exporter, AsyncLocalStorageContextManager; the hand-written
//             equivalent sets the same attributes, uses context.with and
//             explicit start/end times)
//
// Each sample is INNER sequential `await`s, so timer overhead is amortized;
// variants alternate (order flipped every run) over RUNS runs, and the report
// gives per-variant medians with their min–max spread and the per-run ratios.
//
//   npx tsx bench/go-inline.bench.ts            # 12 runs x 300 ms per variant
//   npx tsx bench/go-inline.bench.ts --quick    # 10 runs x 60 ms per variant

import { availableParallelism, cpus } from 'node:os';
import { threadId } from 'node:worker_threads';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, hrTime } from '@opentelemetry/core';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { Bench } from 'tinybench';
import { go } from '../src/index.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 10 : 12;
const TIME_MS = quick ? 60 : 300;
const INNER = 1_000; // awaited calls per sample

const work = async () => 42;

type Variant = { name: string; fn: () => Promise<void> };

function loop(call: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    for (let i = 0; i < INNER; i++) await call();
  };
}

/** Runs the variants RUNS times, alternating their order; returns µs per call, per run. */
async function measure(variants: Variant[]): Promise<Map<string, number[]>> {
  const perRun = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? variants : [...variants].reverse();
    const bench = new Bench({ time: TIME_MS, warmupTime: TIME_MS / 4 });
    for (const v of order) bench.add(v.name, v.fn);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result as { latency?: { mean: number } };
      if (result.latency === undefined) throw new Error(`bench task ${task.name} failed`);
      // latency is ms per sample of INNER calls: ms * 1000 / INNER = µs per call.
      perRun.get(task.name)!.push((result.latency.mean * 1000) / INNER);
    }
  }
  return perRun;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function spread(xs: number[]): string {
  return `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
}

function report(title: string, perRun: Map<string, number[]>, base: string, subject: string) {
  console.log(`\n${title}`);
  const rows = [...perRun].map(([name, xs]) => ({
    variant: name,
    'median µs/call': Number(median(xs).toFixed(3)),
    'min–max µs/call': spread(xs),
  }));
  console.table(rows);
  const b = perRun.get(base)!;
  const s = perRun.get(subject)!;
  const ratios = s.map((x, i) => x / b[i]!);
  const added = s.map((x, i) => x - b[i]!);
  console.log(
    `  ${subject} / ${base}: median ratio ${median(ratios).toFixed(3)} (runs ${spread(ratios)}); ` +
      `added per call: median ${median(added).toFixed(3)} µs (runs ${spread(added)})`,
  );
  return { ratio: median(ratios), addedUs: median(added) };
}

async function main() {
  console.log(
    `go-inline bench: node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, ` +
      `${RUNS} runs x ${TIME_MS} ms per variant, ${INNER} awaited calls per sample`,
  );

  // ── no SDK ──
  const noSdk = await measure([
    { name: 'go: baseline (await fn())', fn: loop(() => work()) },
    { name: 'go: go(fn)', fn: loop(() => go(work)) },
  ]);
  const a = report('No SDK registered', noSdk, 'go: baseline (await fn())', 'go: go(fn)');

  // ── with the SDK ──
  const noopExporter: SpanExporter = {
    export: (_spans: ReadableSpan[], done) => done({ code: ExportResultCode.SUCCESS }),
    shutdown: async () => {},
  };
  const provider = new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor(noopExporter)],
  });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('threadline');
  const args = { signal: new AbortController().signal };

  // What a user would write by hand for the same span.
  const handWritten = async () => {
    const parent = context.active();
    const t0 = performance.now();
    const span = tracer.startSpan(
      'bench',
      {
        startTime: hrTime(t0),
        attributes: {
          'app.source': 'bench',
          'app.task.name': 'work',
          'app.retry.count': 0,
          'thread.id': threadId,
        },
      },
      parent,
    );
    let value: unknown;
    let error: unknown;
    let failed = false;
    try {
      value = await context.with(trace.setSpan(parent, span), work, undefined, args);
    } catch (err) {
      failed = true;
      error = err;
    }
    const t1 = performance.now();
    span.setAttribute('app.result.type', typeof value);
    span.setAttribute('app.duration_ms', t1 - t0);
    if (failed) {
      span.setAttribute('app.error.kind', 'Unknown');
      span.setAttribute('error.type', 'Unknown');
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    }
    span.end(hrTime(t1));
    return value;
  };
  const withSdk = await measure([
    { name: 'go: hand-written span (SDK)', fn: loop(handWritten) },
    { name: 'go: go(fn) (SDK)', fn: loop(() => go(work, { source: 'bench' })) },
    {
      name: 'go: bare span (SDK)',
      fn: loop(() =>
        tracer.startActiveSpan('bare', async (span) => {
          const v = await work();
          span.end();
          return v;
        }),
      ),
    },
  ]);
  const b = report(
    'SDK registered (AlwaysOn, BatchSpanProcessor + no-op exporter, AsyncLocalStorage)',
    withSdk,
    'go: hand-written span (SDK)',
    'go: go(fn) (SDK)',
  );
  await provider.shutdown();
  trace.disable();
  context.disable();

  console.log(
    `\nGoals: no SDK ≤ 1.5 µs added per call: ${a.addedUs.toFixed(3)} µs ${a.addedUs <= 1.5 ? 'MET' : 'MISSED'}; ` +
      `with SDK ≤ 1.3× hand-written: ${b.ratio.toFixed(3)}× ${b.ratio <= 1.3 ? 'MET' : 'MISSED'}`,
  );
}

await main();
