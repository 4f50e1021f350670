// Direct calls (src/wire.ts "Direct calls"): a lone task, posted on an idle
// worker's handoff port instead of through piscina, on real threads through the
// real pool. Each test warms its pool up first: the first task of a fresh pool
// goes through piscina (the workers' ports are not there yet).

import { execFile } from 'node:child_process';
import { createPool, go, type Pool } from 'threadline';
import { afterEach, describe, expect, it } from 'vitest';
import { piscinaOf } from '../dist/src/pool/pool.js';
import * as t from '../dist/test/fixtures/worker-tasks.js';
import { expectRanOnce, seeded } from './support/runs.js';

/** piscina calls completed by the pool's piscina: a direct call makes none. */
const calls = (pool: Pool): number => piscinaOf(pool as never).completed;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const pools: Pool[] = [];
/** A pool whose threads are up and whose ports main has (one task through each thread). */
async function warmPool(options: Parameters<typeof createPool>[0] = {}): Promise<Pool> {
  const p = createPool({ maxThreads: 1, ...options });
  pools.push(p);
  const n = options.maxThreads ?? 1;
  await Promise.all(Array.from({ length: n }, () => go(t.nap, [20], { pool: p })));
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('direct calls', () => {
  it('run back-to-back tasks without a piscina call, on the thread used last', async () => {
    const p = await warmPool();
    const before = calls(p);
    const first = await go(t.threadOf, [], { pool: p });
    for (let i = 0; i < 30; i++) {
      const r = await go(t.add, [i, 1], { pool: p });
      expect(r.value).toBe(i + 1);
      expect(r.threadId).toBe(first.value);
    }
    expect((await go(t.nap, [1], { pool: p })).value).toBe('slept'); // async tasks too
    expect(calls(p)).toBe(before);
  });

  it('run two lone tasks on two idle threads at once', async () => {
    const p = await warmPool({ minThreads: 2, maxThreads: 2 });
    await sleep(50); // both threads' ports
    const before = calls(p);
    const [a, b] = await Promise.all([
      go(t.threadOf, [], { pool: p }),
      go(t.threadOf, [], { pool: p }),
    ]);
    expect(a.value).not.toBe(b.value);
    expect(calls(p)).toBe(before);
  });

  it('run one task at a time on a thread busy with a direct task, whichever message arrives first', async () => {
    const p = await warmPool();
    // The direct call and the piscina calls posted after it travel on two
    // ports: either may reach the worker first. Several rounds see both orders.
    for (let round = 0; round < 8; round++) {
      const direct = go(t.overlap, [30], { pool: p }); // direct: the pool is idle
      // The one thread is busy: these go through piscina, to that same thread.
      const rest = await Promise.all(
        Array.from({ length: 3 }, () => go(t.overlap, [2], { pool: p })),
      );
      expect((await direct).value).toBe(1);
      expect(rest.map((r) => r.value)).toEqual([1, 1, 1]);
    }
  });

  it('move transfer lists both ways', async () => {
    const p = await warmPool();
    const before = calls(p);
    const made = await go(t.bytes, [8], { pool: p });
    expect(made.ok).toBe(true);
    const buf = made.value as Uint8Array;
    expect(buf.byteLength).toBe(8);
    const input = new Uint8Array([1, 2, 3, 4]);
    const sum = await go(t.sum, [input], { pool: p, transfer: [input.buffer] });
    expect(sum.value).toBe(10);
    expect(input.byteLength).toBe(0); // moved, not copied
    expect(calls(p)).toBe(before);
  });

  it('settle Validation for a value that cannot be cloned back, and keep serving', async () => {
    const p = await warmPool();
    const r = await go(t.returnFunction, [], { pool: p });
    expect(r.errorKind).toBe('Validation');
    expect((await go(t.add, [1, 2], { pool: p })).value).toBe(3);
  });

  it('time a CPU-bound task out: Timeout, the thread is replaced, the next task runs', async () => {
    const p = await warmPool();
    const first = await go(t.threadOf, [], { pool: p });
    const before = calls(p);
    const r = await go(t.spin, [10_000], { pool: p, timeoutMs: 50 });
    expect(r.errorKind).toBe('Timeout');
    expect(r.threadId).toBe(first.value);
    expect(calls(p)).toBe(before); // it was a direct call
    const next = await go(t.threadOf, [], { pool: p });
    expect(next.ok).toBe(true);
    expect(next.value).not.toBe(first.value);
  });

  it('cancel a running task through its signal', async () => {
    const p = await warmPool();
    const ac = new AbortController();
    const running = go(t.nap, [10_000], { pool: p, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const r = await running;
    expect(r.errorKind).toBe('Canceled');
    expect((await go(t.add, [2, 2], { pool: p })).value).toBe(4);
  });

  it('settle a task aborted right after it was posted once: Canceled, or its value if it finished first', async () => {
    const p = await warmPool();
    const seen = { Canceled: 0, value: 0 };
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController();
      const task = go(t.add, [i, 1], { pool: p, signal: ac.signal });
      ac.abort();
      const r = await task;
      if (r.ok) {
        expect(r.value).toBe(i + 1); // the worker committed before the abort: no effect
        seen.value++;
      } else {
        expect(r.errorKind).toBe('Canceled');
        seen.Canceled++;
      }
      expect((await go(t.add, [i, 2], { pool: p })).value).toBe(i + 2);
    }
    expect(seen.Canceled + seen.value).toBe(20);
  });

  it('settle Panic for a task that calls process.exit, then run the next', async () => {
    const p = await warmPool();
    const before = calls(p);
    const r = await go(t.exit, [3], { pool: p });
    expect(r.errorKind).toBe('Panic');
    expect(r.error?.message).toMatch(/^threadline: worker \d+ exited while running task "exit": /);
    expect(calls(p)).toBe(before);
    expect((await go(t.add, [1, 1], { pool: p })).value).toBe(2);
  });

  it('settle ResourceExhausted when the worker runs out of heap', async () => {
    const p = await warmPool({ resourceLimits: { maxOldGenerationSizeMb: 32 } });
    const r = await go(t.hog, [], { pool: p });
    expect(r.errorKind).toBe('ResourceExhausted');
    expect(r.error?.message).toMatch(
      /^threadline: worker \d+ ran out of memory while running task "hog": /,
    );
    expect((await go(t.add, [1, 1], { pool: p })).value).toBe(2);
  });

  it('let close() wait for a running direct task', async () => {
    const p = await warmPool();
    const running = go(t.nap, [200], { pool: p });
    // Running, not queued (a queued task would settle Closed).
    for (let i = 0; i < 500 && p.running() === 0; i++) await sleep(10);
    expect(p.running()).toBe(1);
    await p.close();
    expect((await running).value).toBe('slept');
    expect((await go(t.add, [1, 1], { pool: p })).errorKind).toBe('Closed');
  });
});

describe('the process', () => {
  it('stays alive while a direct task runs and exits once the pool is idle', async () => {
    const code = `
      import { createPool, go } from 'threadline';
      import * as t from './dist/test/fixtures/worker-tasks.js';
      const pool = createPool({ maxThreads: 1 });
      await go(t.nap, [1], { pool });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Nothing else keeps the event loop alive: only the direct call's port.
      go(t.nap, [300], { pool }).then((r) => console.log(r.value, r.threadId > 0));
    `;
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--input-type=module', '-e', code],
        { cwd: process.cwd(), timeout: 20_000 },
        (_err, stdout) => resolve({ code: child.exitCode, stdout: String(stdout) }),
      );
    });
    expect(out.stdout.trim()).toBe('slept true');
    expect(out.code).toBe(0);
  });
});

describe('a sequential fault storm', () => {
  it('settles 80 back-to-back tasks, a third of them faulty, once each with the right kind', async () => {
    const p = await warmPool({ maxThreads: 2, minThreads: 2 });
    // A fixed pseudo-random mix (LCG): reproducible, no Math.random.
    const next = seeded(7);
    const expected: (string | undefined)[] = [];
    const got: (string | undefined)[] = [];
    for (let i = 0; i < 80; i++) {
      const x = next();
      let r: Awaited<ReturnType<typeof go>>;
      if (x < 0.08) {
        expected.push('Panic');
        r = await go(t.exit, [1], { pool: p });
      } else if (x < 0.16) {
        expected.push('Timeout');
        r = await go(t.spin, [10_000], { pool: p, timeoutMs: 30 });
      } else if (x < 0.24) {
        expected.push('NotFound');
        r = await go(t.throwKind, ['NotFound', 'gone'], { pool: p });
      } else if (x < 0.32) {
        expected.push('Canceled');
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 20);
        r = await go(t.nap, [10_000], { pool: p, signal: ac.signal });
      } else {
        expected.push(undefined);
        r = await go(t.add, [i, 1], { pool: p });
        if (r.ok) expect(r.value).toBe(i + 1);
      }
      got.push(r.errorKind);
    }
    expect(got).toEqual(expected);
    expect(new Set(expected).size).toBe(5); // every kind of fault occurred
  }, 60_000);
});

describe('exactly once', () => {
  it('runs each task at most once, and once when it succeeds, in small waves with racing aborts and timeouts', async () => {
    const p = await warmPool({ minThreads: 2, maxThreads: 2 });
    const n = 600;
    const runs = new Int32Array(new SharedArrayBuffer(4 * n));
    const rand = seeded(5);
    const before = calls(p);
    const results: Awaited<ReturnType<typeof go>>[] = [];
    // Waves of 1-4 tasks: direct calls on idle threads, piscina calls beside them.
    for (let i = 0; i < n; ) {
      const wave: ReturnType<typeof go>[] = [];
      for (let k = 1 + Math.floor(rand() * 4); k > 0 && i < n; k--, i++) {
        const ac = new AbortController();
        const r = rand();
        if (r < 0.1) queueMicrotask(() => ac.abort());
        else if (r < 0.25) setTimeout(() => ac.abort(), Math.floor(rand() * 5));
        const ms = rand() < 0.05 ? 15 : 0;
        wave.push(
          go(t.countRun, [runs, i, ms], {
            pool: p,
            signal: ac.signal,
            timeoutMs: r > 0.92 ? 5 : undefined,
          }),
        );
      }
      results.push(...(await Promise.all(wave)));
    }
    expectRanOnce(results, runs);
    // Direct calls took part: expected about 2 per wave of 2.5 tasks on average
    // (one per idle thread), fewer after a timeout replaced a thread.
    expect(calls(p) - before).toBeLessThan(0.8 * n);
  }, 60_000);
});

describe('idle threads', () => {
  it('end above minThreads once the pool was idle for idleTimeout', async () => {
    const p = await warmPool({ minThreads: 0, maxThreads: 2, idleTimeout: 100 });
    expect(p.threads()).toBeGreaterThan(0);
    for (let i = 0; i < 250 && p.threads() > 0; i++) await sleep(20);
    expect(p.threads()).toBe(0);
    expect((await go(t.add, [1, 1], { pool: p })).value).toBe(2); // a new thread starts
  });

  it('never end a thread that runs a direct task past idleTimeout', async () => {
    const p = await warmPool({ minThreads: 0, idleTimeout: 20 });
    const before = calls(p);
    const r = await go(t.nap, [300], { pool: p });
    expect(r.value).toBe('slept');
    expect(calls(p)).toBe(before); // it ran as a direct call, unseen by piscina
  });

  it('keep minThreads threads', async () => {
    const p = await warmPool({ minThreads: 1, maxThreads: 2, idleTimeout: 50 });
    await Promise.all(Array.from({ length: 8 }, () => go(t.nap, [20], { pool: p })));
    for (let i = 0; i < 50 && p.threads() > 1; i++) await sleep(20);
    await sleep(100);
    expect(p.threads()).toBe(1);
  });
});

describe('a fresh pool', () => {
  it('does not take a worker crash after its first task, a direct call, for a failure to start', async () => {
    const p = createPool({ maxThreads: 1 });
    pools.push(p);
    await sleep(1000); // the worker started and sent its port: the first task goes direct
    const before = calls(p);
    // An uncaught exception on the worker right after the task: piscina reports
    // it as a pool 'error', which before any task ended means a failed start.
    expect((await go(t.strayThrow, [1], { pool: p })).value).toBe('returned');
    expect(calls(p)).toBe(before);
    await sleep(100);
    expect((await go(t.add, [1, 1], { pool: p })).value).toBe(2);
  });
});
