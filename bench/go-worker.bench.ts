// go(handle, args) on worker threads against raw piscina.run and a minimal
// pipelining postMessage pool (one message per task, no bookkeeping, no
// cancellation), from the same run on the same machine.
//
//   npm run build && npx tsx bench/go-worker.bench.ts [--quick] [--only=<scenario text>] [--pin=cross|same]
//
// Scenarios: no-op and small CPU tasks; sequential latency (one task in flight)
// and throughput (N tasks in flight); tracing off and on (SDK, always-on
// sampling, a discarding span processor); every task with a timeout
// (threadline: timeoutMs; piscina: a per-task AbortSignal, its only per-task
// cancellation). Contenders alternate within each run; each figure is the
// median over the runs, with min–max spread. Pools are warmed up and reused
// across runs: thread start-up is not measured.
//
// Same threads: `piscina.run` is the piscina instance under threadline's pool
// (same options, recordTiming off as threadline sets it), given the bench task
// module as its `filename`, so both contenders run on the very same two
// threads. On the 2-vCPU VMs we measure on, which threads a pool happens to get
// moved sequential latency by up to 2x between two identical piscina pools in
// one process; on shared threads the ratio is stable. Sequential latency
// alternates the contenders in blocks of BLOCK tasks awaited back to back (the
// order rotating), so a change in the VM's state hits all of them alike, while
// each task still follows one of its own kind as in an application's loop
// (what a spinning worker is for: task by task interleaving would defeat it).
// A sample is the mean over SEQ tasks. Spinning workers (spinMicros) are
// measured only in bench/go-worker-isolated.bench.ts, one process per
// contender: here a block of spinning go() calls slowed every block that
// followed it on the same threads (piscina.run there: 77-119 µs per task with
// spinning go() blocks in the run, 38-52 µs without). "piscina.run (own pool)"
// is a separate Piscina with default options, as an application would create it.
//
// --pin pins every thread with taskset once the pools are up (./pin.ts): the
// sequential figures here move 3x between runs of the same code with free
// placement (27-105 µs per traced go() in one experiment), far less pinned.
// bench/go-worker-isolated.bench.ts measures sequential latency per process.
//
// Not tinybench: a throughput sample is one batch of N tasks, and alternation
// across runs matters more here than tinybench's per-task statistics.

import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Piscina } from 'piscina';
import { createPool, go, type Pool, threadlineSpanProcessor } from 'threadline';
import { piscinaOf } from '../dist/src/pool/pool.js';
import * as tasks from '../dist/test/fixtures/bench-tasks.js';
import { pinThreads, placementArg } from './pin.js';

const quick = process.argv.includes('--quick');
// --only=<text>: run only the scenarios whose name contains <text> (while profiling).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const RUNS = quick ? 3 : 10;
const placement = placementArg(process.argv);
const N = quick ? 5_000 : 50_000; // tasks in flight for throughput
const SEQ = quick ? 500 : 2_000; // sequential tasks per latency sample
const BLOCK = 100; // sequential tasks of one contender in a row
const CPU_N = 2_000; // iterations of the small CPU task
const THREADS = Math.min(2, availableParallelism());
const TIMEOUT_MS = 10_000;

// ── contenders ──────────────────────────────────────────────────────────────

class RawPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, (v: number) => void>();
  #next = 0;
  constructor(threads: number) {
    const url = new URL('../dist/test/fixtures/bench-raw-worker.js', import.meta.url);
    for (let i = 0; i < threads; i++) {
      const w = new Worker(url);
      w.on('message', ([id, v]: [number, number]) => {
        const resolve = this.#pending.get(id);
        this.#pending.delete(id);
        resolve?.(v);
      });
      this.#workers.push(w);
    }
  }
  run(n: number): Promise<number> {
    const id = this.#next++;
    const w = this.#workers[id % this.#workers.length] as Worker;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      w.postMessage([id, n]);
    });
  }
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

type Job = (n: number) => Promise<unknown>;

interface Contenders {
  threadline: Job;
  threadlineTimeout: Job;
  piscina: Job;
  piscinaOwn: Job;
  piscinaSignal: Job;
  raw: Job;
}

// A path: piscina converts a file URL filename on every run() call (~3 µs).
const TASKS_FILE = fileURLToPath(new URL('../dist/test/fixtures/bench-tasks.js', import.meta.url));

function contenders(pool: Pool, own: Piscina, raw: RawPool): Contenders {
  const handle = (n: number) => (n === 0 ? tasks.noop : tasks.small);
  const shared = piscinaOf(pool as never); // the dist copy of the same class
  return {
    threadline: (n) => Promise.resolve(go(handle(n), n === 0 ? [] : [n], { pool })),
    threadlineTimeout: (n) =>
      Promise.resolve(go(handle(n), n === 0 ? [] : [n], { pool, timeoutMs: TIMEOUT_MS })),
    piscina: (n) => shared.run(n, { filename: TASKS_FILE }),
    piscinaOwn: (n) => own.run(n),
    piscinaSignal: (n) =>
      shared.run(n, { filename: TASKS_FILE, signal: new AbortController().signal }),
    raw: (n) => raw.run(n),
  };
}

// ── measurement ─────────────────────────────────────────────────────────────

/**
 * sequential runs SEQ / BLOCK rounds of one block of BLOCK tasks of each
 * contender in turn (the order rotating every round) and returns each
 * contender's mean µs per task.
 */
async function sequential(jobs: Job[], n: number): Promise<number[]> {
  const total = jobs.map(() => 0);
  for (let i = 0; i < SEQ / BLOCK; i++) {
    for (let k = 0; k < jobs.length; k++) {
      const j = (i + k) % jobs.length;
      const job = jobs[j] as Job;
      const t0 = performance.now();
      for (let b = 0; b < BLOCK; b++) await job(n);
      total[j] = (total[j] as number) + (performance.now() - t0);
    }
  }
  return total.map((ms) => (ms * 1000) / SEQ);
}

async function throughput(job: Job, n: number): Promise<number> {
  const all: Promise<unknown>[] = new Array(N);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) all[i] = job(n);
  await Promise.all(all);
  return N / ((performance.now() - t0) / 1000); // tasks per second
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface Row {
  scenario: string;
  contender: string;
  samples: number[];
  unit: 'µs/task' | 'tasks/s';
}

async function measure(
  rows: Row[],
  scenario: string,
  entries: [string, Job][],
  mode: 'seq' | 'tput',
  n: number,
): Promise<void> {
  if (only !== undefined && !scenario.includes(only)) return;
  const mine: Row[] = entries.map(([contender]) => ({
    scenario,
    contender,
    samples: [],
    unit: mode === 'seq' ? 'µs/task' : 'tasks/s',
  }));
  const jobs = entries.map(([, job]) => job);
  if (mode === 'seq') {
    await sequential(jobs, n); // warm-up
    for (let run = 0; run < RUNS; run++) {
      (global as { gc?: () => void }).gc?.();
      const us = await sequential(jobs, n);
      for (let i = 0; i < us.length; i++) (mine[i] as Row).samples.push(us[i] as number);
    }
  } else {
    for (const job of jobs) await throughput(job, n); // warm-up
    for (let run = 0; run < RUNS; run++) {
      // alternate the order every run
      const order = entries.map((_, i) => (i + run) % entries.length);
      for (const i of order) {
        (global as { gc?: () => void }).gc?.();
        (mine[i] as Row).samples.push(await throughput(jobs[i] as Job, n));
      }
    }
  }
  rows.push(...mine);
  print(mine);
}

function print(rows: Row[]): void {
  console.table(
    rows.map((r) => ({
      scenario: r.scenario,
      contender: r.contender,
      median: `${median(r.samples).toFixed(r.unit === 'tasks/s' ? 0 : 1)} ${r.unit}`,
      spread: `${Math.min(...r.samples).toFixed(0)}–${Math.max(...r.samples).toFixed(0)}`,
    })),
  );
}

/**
 * ratio is the median over the runs of a / b measured in the same run (the
 * contenders alternate within a run): on a shared machine a load change then
 * moves both sides alike. Throughput ratios compare tasks/s, latency ratios µs.
 */
function ratio(rows: Row[], scenario: string, a: string, b: string, scenarioB = scenario): string {
  const ra = rows.find((r) => r.scenario === scenario && r.contender === a);
  const rb = rows.find((r) => r.scenario === scenarioB && r.contender === b);
  if (ra === undefined || rb === undefined || ra.samples.length !== rb.samples.length) return 'n/a';
  const per = ra.samples.map((v, i) => v / (rb.samples[i] as number));
  return `${median(per).toFixed(2)} (${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)})`;
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  console.log(
    `go-worker bench: node ${process.version}, ${cpus()[0]?.model ?? '?'} × ${availableParallelism()}, ` +
      `${THREADS} threads, ${RUNS} runs, N=${N} in flight, ${SEQ} sequential${quick ? ' (quick)' : ''}, placement ${placement}`,
  );
  const pool = createPool({ name: 'bench', minThreads: THREADS, maxThreads: THREADS });
  const piscina = new Piscina({ filename: TASKS_FILE, minThreads: THREADS, maxThreads: THREADS });
  const raw = new RawPool(THREADS);
  const c = contenders(pool, piscina, raw);
  if (placement !== 'none') {
    // Every pool's threads up (minThreads = maxThreads), then pinned.
    for (let i = 0; i < 20; i++) await Promise.all([c.threadline(0), c.piscinaOwn(0), c.raw(0)]);
    pinThreads(placement);
  }
  const rows: Row[] = [];

  for (const [label, n] of [
    ['no-op', 0],
    ['small CPU', CPU_N],
  ] as const) {
    await measure(
      rows,
      `${label}: sequential`,
      [
        ['threadline go()', c.threadline],
        ['piscina.run', c.piscina],
        ['piscina.run (own pool)', c.piscinaOwn],
        ['raw postMessage', c.raw],
      ],
      'seq',
      n,
    );
    await measure(
      rows,
      `${label}: throughput`,
      [
        ['threadline go()', c.threadline],
        ['piscina.run', c.piscina],
        ['piscina.run (own pool)', c.piscinaOwn],
        ['raw postMessage', c.raw],
      ],
      'tput',
      n,
    );
    await measure(
      rows,
      `${label}: throughput, timeout on every task`,
      [
        ['threadline go() + timeoutMs', c.threadlineTimeout],
        ['piscina.run + signal', c.piscinaSignal],
      ],
      'tput',
      n,
    );
  }

  // Tracing on: an SDK with always-on sampling and a discarding processor.
  const discard = {
    onStart() {},
    onEnd() {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const provider = new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [threadlineSpanProcessor(discard)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  await measure(
    rows,
    'no-op, tracing on: sequential',
    [
      ['threadline go()', c.threadline],
      ['piscina.run', c.piscina],
    ],
    'seq',
    0,
  );
  await measure(
    rows,
    'no-op, tracing on: throughput',
    [
      ['threadline go()', c.threadline],
      ['piscina.run', c.piscina],
    ],
    'tput',
    0,
  );
  trace.disable();
  context.disable();

  console.log('\nratios (same run; median over the runs of the ratio within a run, min–max):');
  const lines: [string, string][] = [
    [
      'no-op throughput, go / piscina',
      ratio(rows, 'no-op: throughput', 'threadline go()', 'piscina.run'),
    ],
    [
      'no-op throughput, go / piscina (own pool)',
      ratio(rows, 'no-op: throughput', 'threadline go()', 'piscina.run (own pool)'),
    ],
    [
      'no-op throughput, go / raw',
      ratio(rows, 'no-op: throughput', 'threadline go()', 'raw postMessage'),
    ],
    [
      'no-op throughput with timeouts, go+timeoutMs / piscina+signal',
      ratio(
        rows,
        'no-op: throughput, timeout on every task',
        'threadline go() + timeoutMs',
        'piscina.run + signal',
      ),
    ],
    [
      'no-op throughput, go+timeoutMs / plain piscina',
      ratio(
        rows,
        'no-op: throughput, timeout on every task',
        'threadline go() + timeoutMs',
        'piscina.run',
        'no-op: throughput',
      ),
    ],
    [
      'small CPU throughput, go / piscina',
      ratio(rows, 'small CPU: throughput', 'threadline go()', 'piscina.run'),
    ],
    [
      'no-op sequential latency, go / piscina',
      ratio(rows, 'no-op: sequential', 'threadline go()', 'piscina.run'),
    ],
    [
      'no-op sequential latency, go / piscina (own pool)',
      ratio(rows, 'no-op: sequential', 'threadline go()', 'piscina.run (own pool)'),
    ],
    [
      'small CPU sequential latency, go / piscina',
      ratio(rows, 'small CPU: sequential', 'threadline go()', 'piscina.run'),
    ],
    [
      'tracing on: sequential latency, go / piscina',
      ratio(rows, 'no-op, tracing on: sequential', 'threadline go()', 'piscina.run'),
    ],
    [
      'tracing on: throughput, go / piscina',
      ratio(rows, 'no-op, tracing on: throughput', 'threadline go()', 'piscina.run'),
    ],
  ];
  for (const [k, v] of lines) console.log(`  ${k}: ${v}`);

  await pool.close();
  await piscina.destroy();
  await raw.close();
  await provider.shutdown();
}

await main();
