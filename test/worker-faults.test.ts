// Faults, timeouts and cancellation of worker tasks, on real threads, plus the
// fault storm. Every submitted task must settle exactly once, whatever the
// worker does.
import {
  createPool,
  type ErrorKind,
  Group,
  go,
  type ObservableResult,
  type Pool,
} from 'threadline';
import { afterEach, describe, expect, it } from 'vitest';
import * as slow from '../dist/test/fixtures/slow-import.js';
import * as t from '../dist/test/fixtures/worker-tasks.js';
import { expectRanOnce, seeded } from './support/runs.js';

const pools: Pool[] = [];
function pool(options: Parameters<typeof createPool>[0] = {}): Pool {
  const p = createPool({ maxThreads: 1, ...options });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('go(handle) on a worker', () => {
  describe('timeoutMs', () => {
    it('settles a CPU-bound task Timeout and replaces its terminated thread', async () => {
      const p = pool();
      const first = await go(t.threadOf, [], { pool: p });
      const r = await go(t.spin, [5_000], { pool: p, timeoutMs: 50 });
      expect(r.errorKind).toBe('Timeout');
      expect(r.error?.message).toBe('threadline: task "spin" timed out after 50ms');
      expect((r.error as Error & { cause: Error }).cause.name).toBe('TimeoutError');
      expect(r.elapsedMs).toBeGreaterThanOrEqual(50);
      expect(r.threadId).toBe(first.value);
      const next = await go(t.threadOf, [], { pool: p });
      expect(next.ok).toBe(true);
      expect(next.value).not.toBe(first.value);
    });

    it('fires taskSignal() so a cooperative task stops and keeps its thread', async () => {
      const p = pool();
      const first = await go(t.threadOf, [], { pool: p });
      const r = await go(t.nap, [5_000], { pool: p, timeoutMs: 30 });
      expect(r.errorKind).toBe('Timeout');
      const next = await go(t.threadOf, [], { pool: p });
      expect(next.value).toBe(first.value);
    });

    it('counts run time only: a task that waited in the queue still gets its full timeout', async () => {
      const p = pool();
      const blocker = go(t.spin, [150], { pool: p });
      const r = await go(t.spin, [20], { pool: p, timeoutMs: 100 });
      expect((await blocker).ok).toBe(true);
      expect(r.ok).toBe(true);
      expect(r.waitMs).toBeGreaterThan(r.elapsedMs);
    });

    describe('a thread that first imports the task module', () => {
      // Each thread imports test/fixtures/slow-import.ts once: its top level
      // busy-waits FIXTURE_IMPORT_MS (or never ends: 'hang'), set per pool.
      const slowPool = (importMs: string, options: Parameters<typeof createPool>[0] = {}) =>
        pool({ env: { ...process.env, FIXTURE_IMPORT_MS: importMs }, ...options });

      it('does not count the import against timeoutMs', async () => {
        // Counted, each task timed out during the import, its thread was
        // replaced, and the next fresh thread imported again: no task ever ran.
        const p = slowPool('150');
        const t0 = performance.now();
        const first = await go(slow.double, [21], { pool: p, timeoutMs: 50 });
        expect(first.errorKind).toBeUndefined();
        expect(first.value).toBe(42);
        expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
        expect(first.elapsedMs).toBeLessThan(150); // run time only: the 150 ms import is not in it
        const again = await go(slow.double, [2], { pool: p, timeoutMs: 50 });
        expect(again.value).toBe(4);
        expect(again.threadId).toBe(first.threadId);
      });

      it('still times out the run after the import, from the end of the import', async () => {
        const p = slowPool('150');
        const t0 = performance.now();
        const r = await go(slow.busy, [5_000], { pool: p, timeoutMs: 60 });
        const wall = performance.now() - t0;
        expect(r.errorKind).toBe('Timeout');
        expect(r.error?.message).toBe('threadline: task "busy" timed out after 60ms');
        // 150 ms of import, then 60 ms of run time (+ up to one 10 ms look of the import's end).
        expect(wall).toBeGreaterThanOrEqual(200);
        expect((await go(slow.double, [1], { pool: p, timeoutMs: 50 })).value).toBe(2);
      });

      it('settles Timeout when the import outlasts importTimeoutMs, and replaces the thread', async () => {
        const p = slowPool('hang', { importTimeoutMs: 200 });
        const r = await go(slow.double, [1], { pool: p, timeoutMs: 50 });
        expect(r.errorKind).toBe('Timeout');
        expect(r.error?.message).toBe(
          'threadline: task "double" timed out: its module did not load within 200ms (importTimeoutMs)',
        );
        expect((r.error as Error & { cause: Error }).cause.name).toBe('TimeoutError');
        expect(r.elapsedMs).toBeGreaterThanOrEqual(200);
        // The stuck thread is terminated and replaced: a task of another module runs.
        const next = await go(t.add, [1, 2], { pool: p });
        expect(next.value).toBe(3);
        expect(next.threadId).not.toBe(r.threadId);
      });

      it('leaves a task without timeoutMs waiting for the import', async () => {
        const p = slowPool('300', { importTimeoutMs: 50 });
        const r = await go(slow.double, [5], { pool: p });
        expect(r.value).toBe(10);
      });
    });

    it('times out tasks inside a batch and runs the rest of the batch', async () => {
      const p = pool();
      const tasks = Array.from({ length: 40 }, (_, i) =>
        go(t.spin, [i % 10 === 5 ? 5_000 : 1], { pool: p, timeoutMs: 200 }),
      );
      const results = await Promise.all(tasks);
      const kinds = results.map((r) => r.errorKind ?? 'ok');
      expect(kinds).toEqual(
        Array.from({ length: 40 }, (_, i) => (i % 10 === 5 ? 'Timeout' : 'ok')),
      );
    });
  });

  describe('signal', () => {
    it('settles Canceled without running when aborted while queued', async () => {
      const p = pool();
      const blocker = go(t.spin, [200], { pool: p });
      const ac = new AbortController();
      const queued = go(t.add, [1, 2], { pool: p, signal: ac.signal });
      setTimeout(() => ac.abort(), 20);
      const r = await queued;
      expect(r.errorKind).toBe('Canceled');
      expect(r.error?.message).toBe('threadline: task "add" canceled');
      expect(r.threadId).toBe(0);
      expect(r.elapsedMs).toBe(0);
      expect((await blocker).ok).toBe(true);
    });

    it('settles Canceled at once when the signal already aborted', async () => {
      const p = pool();
      const r = await go(t.add, [1, 2], { pool: p, signal: AbortSignal.abort() });
      expect(r.errorKind).toBe('Canceled');
      expect(p.queueSize()).toBe(0);
    });

    it('settles a running task Canceled at the abort, like a timeout', async () => {
      const p = pool();
      await go(t.add, [0, 0], { pool: p }); // the thread is up: the next task starts at once
      const ac = new AbortController();
      const running = go(t.spin, [5_000], { pool: p, signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      const r = await running;
      expect(r.errorKind).toBe('Canceled');
      expect(r.threadId).toBeGreaterThan(0);
      expect((await go(t.add, [1, 1], { pool: p })).value).toBe(2);
    });

    it('settles Timeout for an AbortSignal.timeout deadline from submission', async () => {
      const r = await go(t.spin, [5_000], { pool: pool(), signal: AbortSignal.timeout(50) });
      expect(r.errorKind).toBe('Timeout');
      expect(r.error?.message).toBe('threadline: task "spin" deadline exceeded');
    });
  });

  describe('worker faults', () => {
    it('settles Panic when the task calls process.exit(), and queued tasks still run', async () => {
      const p = pool();
      const crash = go(t.exit, [3], { pool: p });
      const after = Array.from({ length: 5 }, (_, i) => go(t.add, [i, 1], { pool: p }));
      const r = await crash;
      expect(r.errorKind).toBe('Panic');
      expect(r.error?.message).toMatch(
        /^threadline: worker \d+ exited while running task "exit": /,
      );
      expect((await Promise.all(after)).map((x) => x.value)).toEqual([1, 2, 3, 4, 5]);
    });

    it('settles ResourceExhausted when the worker runs out of heap under resourceLimits', async () => {
      const p = pool({ resourceLimits: { maxOldGenerationSizeMb: 32 } });
      const r = await go(t.hog, [], { pool: p });
      expect(r.errorKind).toBe('ResourceExhausted');
      expect(r.error?.message).toMatch(
        /^threadline: worker \d+ ran out of memory while running task "hog": /,
      );
      expect((await go(t.add, [1, 1], { pool: p })).value).toBe(2);
    });

    it("settles Panic, with the stray error as cause, the task running when an earlier task's timer throws", async () => {
      const p = pool();
      const stray = await go(t.strayThrow, [100], { pool: p });
      expect(stray.value).toBe('returned');
      // One thread: the nap runs where the timer fires, 100 ms in.
      const victim = await go(t.nap, [5_000], { pool: p });
      expect(victim.errorKind).toBe('Panic');
      expect(victim.error?.message).toMatch(
        /^threadline: worker \d+ exited while running task "nap": stray async throw$/,
      );
      expect((victim.error as Error & { cause: Error }).cause.message).toBe('stray async throw');
      expect((await go(t.add, [2, 2], { pool: p })).value).toBe(4);
    });

    it('replaces a worker that a stray timer killed while idle; the next task runs', async () => {
      const p = pool();
      const first = await go(t.threadOf, [], { pool: p });
      expect((await go(t.strayThrow, [1], { pool: p })).value).toBe('returned');
      // Idle workers wait in their event loop (piscina atomics 'async'): the timer fires now.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const next = await go(t.threadOf, [], { pool: p });
      expect(next.ok).toBe(true);
      expect(next.value).not.toBe(first.value);
    });

    it('settles every task Panic with the bootstrap error when workers cannot start', async () => {
      const p = pool({ execArgv: ['--import', 'threadline-no-such-loader'], name: 'broken' });
      const results = await Promise.all(
        Array.from({ length: 3 }, () => go(t.add, [1, 2], { pool: p })),
      );
      for (const r of results) {
        expect(r.errorKind).toBe('Panic');
        expect(r.error?.message).toMatch(/^threadline: pool "broken" workers failed to start: /);
        expect(r.error?.message).toContain('threadline-no-such-loader');
      }
      const later = await go(t.add, [1, 2], { pool: p });
      expect(later.errorKind).toBe('Panic');
    });
  });
});

describe('exactly-once execution', () => {
  it('runs each task at most once, and exactly once when it succeeds, under racing aborts and timeouts', async () => {
    const p = pool({ maxThreads: 2 });
    const n = 3000;
    const runs = new Int32Array(new SharedArrayBuffer(4 * n));
    const rand = seeded(99);
    const tasks = Array.from({ length: n }, (_, i) => {
      const ac = new AbortController();
      const r = rand();
      if (r < 0.2) setTimeout(() => ac.abort(), Math.floor(rand() * 30));
      const ms = rand() < 0.02 ? 40 : 0;
      return go(t.countRun, [runs, i, ms], {
        pool: p,
        signal: ac.signal,
        timeoutMs: r > 0.9 ? 20 : undefined,
      });
    });
    expectRanOnce(await Promise.all(tasks), runs);
  });
});

// ── Fault storm ─────────────────────────────────────────────────────────────

type Plan = 'clean' | 'crash' | 'timeout' | 'throw' | 'oom';

function plan(n: number, seed: number): { plan: Plan; kind?: ErrorKind }[] {
  const rand = seeded(seed);
  const throwKinds: ErrorKind[] = ['Validation', 'NotFound', 'Conflict', 'Network', 'Unknown'];
  const out: { plan: Plan; kind?: ErrorKind }[] = [];
  for (let i = 0; i < n; i++) {
    const x = i % 20; // 2/20 crash, 2/20 timeout, 2/20 throw, 1/20 oom
    if (x < 2) out.push({ plan: 'crash' });
    else if (x < 4) out.push({ plan: 'timeout' });
    else if (x < 6)
      out.push({ plan: 'throw', kind: throwKinds[Math.floor(rand() * throwKinds.length)] });
    else if (x < 7) out.push({ plan: 'oom' });
    else out.push({ plan: 'clean' });
  }
  // shuffle
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
  }
  return out;
}

const EXPECTED: Record<Plan, ErrorKind | undefined> = {
  clean: undefined,
  crash: 'Panic',
  timeout: 'Timeout',
  throw: undefined,
  oom: 'ResourceExhausted',
};

function submit(p: Pool, g: Group | undefined, step: { plan: Plan; kind?: ErrorKind }, i: number) {
  const options = { pool: p, timeoutMs: 500 };
  const run = g === undefined ? go : g.go.bind(g);
  switch (step.plan) {
    case 'crash':
      return run(t.exit, [1], options);
    case 'timeout': // half CPU-bound (thread terminated), half cooperative (taskSignal)
      return i % 2 === 0 ? run(t.spin, [5_000], options) : run(t.nap, [5_000], options);
    case 'throw':
      return run(t.throwKind, [step.kind as string, `storm ${i}`], options);
    case 'oom': // reaching the heap limit takes longer than 500 ms on a busy machine
      return run(t.hog, [], { pool: p, timeoutMs: 30_000 });
    default:
      return run(t.spin, [i % 6], options);
  }
}

describe('fault storm', () => {
  it('settles 300 faulty tasks once each with the right kind, then runs 100 clean tasks', async () => {
    const p = pool({ maxThreads: 4, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    const steps = plan(300, 42);
    let settled = 0;
    const tasks = steps.map((step, i) => {
      const task = submit(p, undefined, step, i);
      return Promise.resolve(task).then((r) => {
        settled++;
        return r;
      });
    });
    const results: ObservableResult<unknown>[] = await Promise.all(tasks);
    expect(settled).toBe(300);
    const byKind: Partial<Record<ErrorKind, number>> = {};
    const expectedByKind: Partial<Record<ErrorKind, number>> = {};
    results.forEach((r, i) => {
      const step = steps[i] as (typeof steps)[number];
      const want = step.plan === 'throw' ? step.kind : EXPECTED[step.plan];
      if (r.errorKind !== want)
        console.log(i, step.plan, r.errorKind, r.error?.message, r.elapsedMs, r.threadId);
      expect({ i, plan: step.plan, kind: r.errorKind }).toEqual({ i, plan: step.plan, kind: want });
      if (r.errorKind !== undefined) byKind[r.errorKind] = (byKind[r.errorKind] ?? 0) + 1;
      if (want !== undefined) expectedByKind[want] = (expectedByKind[want] ?? 0) + 1;
    });
    expect(byKind).toEqual(expectedByKind);
    const clean = await Promise.all(
      Array.from({ length: 100 }, (_, i) => go(t.add, [i, 1], { pool: p })),
    );
    expect(clean.map((r) => r.value)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  }, 120_000);

  it('in a Group: every task settles once, stats.byKind matches the results, the pool recovers', async () => {
    const p = pool({ maxThreads: 4, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    const steps = plan(300, 7);
    const g = new Group();
    steps.forEach((step, i) => {
      submit(p, g, step, i);
    });
    const summary = await g.wait();
    expect(summary.results).toHaveLength(300);
    const byKind: Partial<Record<ErrorKind, number>> = {};
    summary.results.forEach((r, i) => {
      const step = steps[i] as (typeof steps)[number];
      const want = step.plan === 'throw' ? step.kind : EXPECTED[step.plan];
      // errgroup semantics: the first failure cancels the siblings not yet settled.
      expect([want, 'Canceled']).toContain(r.errorKind);
      if (r.errorKind !== undefined) byKind[r.errorKind] = (byKind[r.errorKind] ?? 0) + 1;
    });
    expect(summary.stats.byKind).toEqual(byKind);
    expect(summary.stats.count).toBe(300);
    const firstIndex = summary.results.findIndex((r) => r.error === summary.firstError);
    const firstStep = steps[firstIndex] as (typeof steps)[number];
    expect(summary.firstError && summary.results[firstIndex]?.errorKind).toBe(
      firstStep.plan === 'throw' ? firstStep.kind : EXPECTED[firstStep.plan],
    );
    const clean = await Promise.all(
      Array.from({ length: 100 }, (_, i) => go(t.add, [i, 1], { pool: p })),
    );
    expect(clean.every((r) => r.ok)).toBe(true);
  }, 120_000);
});
