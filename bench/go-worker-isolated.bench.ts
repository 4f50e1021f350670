// Sequential go() latency with one contender per process: go() (defaults),
// go() with spinning workers (spinMicros 100), go() with tracing on, and a
// plain Piscina, each in a fresh process of its own.
//
//   npm run build && npx tsx bench/go-worker-isolated.bench.ts [--quick]
//
// Why a process each: bench/go-worker.bench.ts runs its contenders in one
// process, on the same threads, alternating blocks of tasks; there a block of
// spinning go() calls measurably slows the piscina.run block that follows it
// on those threads (piscina.run on a threadline pool's threads: 38–52 µs/task
// with no go() blocks in between, 77–119 µs with them), which flatters go().
// Here nothing runs next to a contender; the price is that each process gets
// its own threads, whose placement on a small VM moves latency by 2–4x, so
// this bench needs many rounds and reports medians over them.
//
// A round starts one process per contender (the order rotating from round to
// round); a process warms up with WARMUP tasks, then reports the mean µs per task
// over SEQ sequential tasks. Ratios are medians of the per-round ratios.
//
// Placement (./pin.ts): besides free placement ("none"), each contender also
// runs with its threads pinned, "cross" (main thread on CPU 0, the rest on
// CPU 1) and "same" (all on CPU 0). Pinned rounds vary little, so they need
// fewer.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Piscina } from 'piscina';
import { createPool, go, threadlineSpanProcessor } from 'threadline';
import * as tasks from '../dist/test/fixtures/bench-tasks.js';
import { canPin, type Placement, pinThreads, placementArg } from './pin.js';

const quick = process.argv.includes('--quick');
/** Rounds per placement: free placement varies by 2-4x from process to process, pinned much less. */
const ROUNDS = { none: quick ? 3 : 12, cross: quick ? 2 : 5, same: quick ? 2 : 5 };
const SEQ = 5000;
/**
 * Warm-up tasks before the timed ones. With 1000, V8's background threads
 * (concurrent compilation, GC helpers) still took 5-11 µs of CPU per timed
 * task (read from /proc per thread), which on pinned CPUs lands on the timed
 * path and more so for the larger tracing path; after 4000 and a pause they
 * took about 1.
 */
const WARMUP = 4000;
const THREADS = 2;
const TASKS_FILE = fileURLToPath(new URL('../dist/test/fixtures/bench-tasks.js', import.meta.url));

const CONTENDERS = ['go()', 'go(), spinMicros 100', 'go(), tracing on', 'piscina.run'] as const;
type Contender = (typeof CONTENDERS)[number];

/** One contender's run, in this process: mean µs per sequential no-op task. */
async function solo(who: Contender, placement: Placement): Promise<number> {
  let run: () => Promise<unknown>;
  let close: () => Promise<void>;
  if (who === 'piscina.run') {
    const piscina = new Piscina({
      filename: TASKS_FILE,
      minThreads: THREADS,
      maxThreads: THREADS,
    });
    run = () => piscina.run(0);
    close = () => piscina.close();
  } else {
    if (who === 'go(), tracing on') {
      const discard = {
        onStart() {},
        onEnd() {},
        forceFlush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
      };
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      trace.setGlobalTracerProvider(
        new BasicTracerProvider({
          sampler: new AlwaysOnSampler(),
          spanProcessors: [threadlineSpanProcessor(discard)],
        }),
      );
    }
    const pool = createPool({
      name: 'bench',
      minThreads: THREADS,
      maxThreads: THREADS,
      ...(who === 'go(), spinMicros 100' ? { spinMicros: 100 } : {}),
    });
    run = () => go(tasks.noop, [], { pool });
    close = () => pool.close();
  }
  // Every thread exists after a few tasks (minThreads = maxThreads): pin them, then warm up.
  for (let i = 0; i < 100; i++) await run();
  pinThreads(placement);
  for (let i = 0; i < WARMUP; i++) await run();
  await new Promise((resolve) => setTimeout(resolve, 100)); // let background compilation finish
  const t0 = performance.now();
  for (let i = 0; i < SEQ; i++) await run();
  const us = ((performance.now() - t0) * 1000) / SEQ;
  await close();
  return us;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function main(): void {
  const placements: Placement[] = canPin() ? ['none', 'cross', 'same'] : ['none'];
  console.log(
    `go-worker isolated bench: node ${process.version}, ${THREADS} threads, one process per contender and round, ${SEQ} sequential no-op tasks per process; placements ${placements.join(', ')}${placements.length === 1 ? ' (taskset or a second CPU missing: no pinned rounds)' : ''}`,
  );
  const self = fileURLToPath(import.meta.url);
  for (const placement of placements) {
    const us = new Map<Contender, number[]>(CONTENDERS.map((c) => [c, []]));
    for (let round = 0; round < ROUNDS[placement]; round++) {
      for (let k = 0; k < CONTENDERS.length; k++) {
        const who = CONTENDERS[(k + round) % CONTENDERS.length] as Contender;
        const out = execFileSync(
          process.execPath,
          [...process.execArgv, self, `--solo=${who}`, `--pin=${placement}`],
          { encoding: 'utf8' },
        );
        (us.get(who) as number[]).push(Number(out.trim().split('\n').pop()));
      }
    }
    console.log(`\nplacement ${placement}, ${ROUNDS[placement]} rounds:`);
    console.table(
      CONTENDERS.map((c) => {
        const xs = us.get(c) as number[];
        return {
          contender: c,
          'median µs/task': median(xs).toFixed(1),
          spread: `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`,
        };
      }),
    );
    const base = us.get('piscina.run') as number[];
    console.log('ratios (median over the rounds of the ratio within a round, min–max):');
    for (const c of CONTENDERS.slice(0, 3)) {
      const per = (us.get(c) as number[]).map((x, i) => x / (base[i] as number));
      console.log(
        `  ${c} / piscina.run: ${median(per).toFixed(2)} (${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)})`,
      );
    }
  }
}

const soloArg = process.argv.find((a) => a.startsWith('--solo='));
if (soloArg !== undefined) {
  const placement = placementArg(process.argv);
  console.log((await solo(soloArg.slice('--solo='.length) as Contender, placement)).toFixed(2));
} else {
  main();
}
