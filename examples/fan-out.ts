// `npm run demo`: fan out CPU-ish work with go() in a Group with a limit, let a
// few tasks fail in different ways, and print what threadline observed: per
// task its source, run time, wait, error kind and trace id, then the Group's
// stats. OpenTelemetry is configured here, once, as an application would
// (the SDK records to memory); threadline itself only uses the API.
//
// Run: npm run build && node dist/examples/fan-out.js

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Group, go, KindError, type ObservableResult } from 'threadline';

// ── OpenTelemetry, configured once by the application ──
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

/** CPU-ish work: `rounds` chained SHA-256 digests of a 64 KiB block. */
function digest(seed: number, rounds: number): string {
  let block = Buffer.alloc(64 * 1024, seed);
  for (let i = 0; i < rounds; i++) block = Buffer.from(createHash('sha256').update(block).digest());
  return block.toString('hex', 0, 8);
}

/** A chunk job: some I/O-like waiting (honouring the signal), then hashing. */
async function hashChunk(
  i: number,
  signal: AbortSignal,
  waitMs = 2 + (i % 3) * 4,
): Promise<string> {
  await sleep(waitMs, undefined, { signal });
  return digest(i, 200);
}

async function main(): Promise<void> {
  const tracer = trace.getTracer('demo');
  const g = new Group<string>({ limit: 4 });
  console.log('threadline demo: fan-out of 17 tasks with go() in a Group (limit 4)');

  const summary = await tracer.startActiveSpan('demo/fan-out', async (root) => {
    for (let i = 0; i < 10; i++) {
      g.go(({ signal }) => hashChunk(i, signal), { source: 'hash/sha256' });
    }
    // A lookup that fails once with a retryable kind (Network), then succeeds.
    let calls = 0;
    g.go(
      async () => {
        calls++;
        if (calls === 1) {
          throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), {
            code: 'ECONNREFUSED',
          });
        }
        return 'index-v2';
      },
      { source: 'index/lookup', retries: 2, retryDelayMs: 5 },
    );
    // A slow render cut by timeoutMs: the Group's first failure. It aborts
    // g.signal, so the fetch still running and the chunks still queued settle
    // Canceled (the queued ones without running).
    g.go(({ signal }) => sleep(500, 'png', { signal }), {
      source: 'thumbnail/render',
      timeoutMs: 40,
    });
    g.go(({ signal }) => sleep(1_000, 'blob', { signal }), { source: 'blob/fetch' });
    // Large chunks: two are running when the render times out, two still queued.
    for (let i = 10; i < 14; i++) {
      g.go(({ signal }) => hashChunk(i, signal, 80), { source: 'hash/sha256' });
    }
    const s = await g.wait();
    root.end();
    return s;
  });

  printResults(summary.results);
  console.log(`\nfirstError: ${summary.firstError?.name}: ${summary.firstError?.message}`);
  const { count, failed, byKind, durationMs: d } = summary.stats;
  console.log(`stats: ${count} tasks, ${failed} failed, byKind ${JSON.stringify(byKind)}`);
  console.log(
    `       durationMs min ${ms(d.min)}  p50 ${ms(d.p50)}  p95 ${ms(d.p95)}  p99 ${ms(d.p99)}  ` +
      `max ${ms(d.max)}  mean ${ms(d.mean)}  total ${ms(d.total)}`,
  );

  // Independent tasks (no Group, so no cancellation): how failures classify.
  console.log('\nindependent go() tasks, failing in different ways:');
  const failures = await Promise.all([
    go(() => JSON.parse('{"broken'), { source: 'config/parse' }),
    go(
      async () => {
        throw new KindError('NotFound', 'user 42 not found');
      },
      { source: 'user/get' },
    ),
    go(
      async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        });
      },
      { source: 'billing/charge' },
    ),
    go(
      () => {
        throw 'a string';
      },
      { source: 'legacy/callback' },
    ),
  ]);
  for (const r of failures) {
    console.log(
      `  ${r.source.padEnd(16)} ${(r.errorKind ?? '-').padEnd(9)} ${r.error?.name}: ${r.error?.message}`,
    );
  }

  const spans = exporter.getFinishedSpans();
  const traces = new Set(spans.map((s) => s.spanContext().traceId));
  console.log(
    `\nspans: ${spans.length} recorded (one per attempt, plus the root span), in ${traces.size} traces`,
  );
  await provider.shutdown();
}

function printResults(results: ObservableResult<string>[]): void {
  console.log(
    '\n #  source            ok  kind        elapsed     wait  retries  traceId / spanId',
  );
  results.forEach((r, i) => {
    console.log(
      `${String(i).padStart(2)}  ${r.source.padEnd(16)}  ${r.ok ? '✓ ' : '✗ '}  ` +
        `${(r.errorKind ?? '-').padEnd(9)}  ${ms(r.elapsedMs).padStart(9)} ${ms(r.waitMs).padStart(9)}  ` +
        `${String(r.retryCount).padStart(7)}  ${r.traceId ? `${r.traceId.slice(0, 12)}… / ${r.spanId}` : '-'}`,
    );
  });
}

function ms(x: number): string {
  return `${x.toFixed(2)} ms`;
}

await main();
