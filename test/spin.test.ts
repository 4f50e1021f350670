// Spinning workers (src/wire.ts "Spinning workers"): a lone task handed to a
// worker that spins after its last task, on real threads through the real pool.
// Long spins (hundreds of ms) make the handoff certain here; the default is 100 µs.

import { createPool, go } from 'threadline';
import { describe, expect, it } from 'vitest';
import { piscinaOf } from '../dist/src/pool/pool.js';
import * as t from '../dist/test/fixtures/worker-tasks.js';

/** piscina calls completed by the pool's piscina: a handed task makes none of its own. */
const calls = (pool: ReturnType<typeof createPool>): number => piscinaOf(pool as never).completed;

describe('spinning workers', () => {
  it('hand back-to-back tasks to the spinning worker: fewer piscina calls than tasks, every value right', async () => {
    await using pool = createPool({ maxThreads: 1, spinMicros: 500_000 });
    for (let i = 0; i < 40; i++) {
      const r = await go(t.add, [i, 1], { pool });
      expect(r.value).toBe(i + 1);
    }
    // 16 tasks per call at most (SLOT_TASKS): 40 tasks fit in 3 calls.
    expect(calls(pool)).toBeLessThanOrEqual(4);
    // Async tasks are handed too.
    for (let i = 0; i < 5; i++) expect((await go(t.nap, [1], { pool })).value).toBe('slept');
  });

  it('time a handed task out: Timeout, the thread is replaced, the next task runs', async () => {
    await using pool = createPool({ maxThreads: 1, spinMicros: 500_000 });
    await go(t.noop, [], { pool });
    const before = calls(pool); // the noop's call still spins: not counted yet
    const r = await go(t.spin, [10_000], { pool, timeoutMs: 50 });
    expect(r.errorKind).toBe('Timeout');
    expect(r.elapsedMs).toBeLessThan(1_000);
    expect((await go(t.add, [2, 3], { pool })).value).toBe(5);
    // One call ended (the noop's, failed with its terminated thread); the add's spins now.
    // Had the timed-out task made a call of its own, two would have.
    expect(calls(pool)).toBe(before + 1);
  });

  it('settle a handed task whose worker exits Panic, then run the next', async () => {
    await using pool = createPool({ maxThreads: 1, spinMicros: 500_000 });
    await go(t.noop, [], { pool });
    const r = await go(t.exit, [3], { pool });
    expect(r.errorKind).toBe('Panic');
    expect((await go(t.add, [1, 1], { pool })).value).toBe(2);
  });

  it('settle a handed task that cannot be posted Validation, and the worker spins on', async () => {
    await using pool = createPool({ maxThreads: 1, spinMicros: 500_000 });
    await go(t.noop, [], { pool });
    const buffer = new ArrayBuffer(8);
    // A transfer list naming a buffer twice: postMessage throws DataCloneError.
    const r = await go(t.sum, [new Uint8Array(buffer)], { pool, transfer: [buffer, buffer] });
    expect(r.errorKind).toBe('Validation');
    // Without the skip message the worker would wait for index i forever, holding
    // the only thread: this task would never settle (the test would time out).
    expect((await go(t.add, [4, 4], { pool })).value).toBe(8);
  });

  it("move a handed task's transfer list and cancel a handed task through its signal", async () => {
    await using pool = createPool({ maxThreads: 1, spinMicros: 500_000 });
    await go(t.noop, [], { pool });
    const before = calls(pool);
    const bytes = new Uint8Array(1000).fill(3);
    const r = await go(t.sum, [bytes], { pool, transfer: [bytes.buffer] });
    expect(r.value).toBe(3000);
    expect(bytes.byteLength).toBe(0); // moved, not copied
    const ac = new AbortController();
    const napping = go(t.nap, [10_000], { pool, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const c = await napping;
    expect(c.errorKind).toBe('Canceled');
    // Both ran inside the noop's spinning call.
    expect(calls(pool)).toBe(before);
    // The nap may still be stopping (it polls its signal): the next task then waits
    // for the thread in piscina, which ends the spin.
    expect((await go(t.add, [1, 2], { pool })).value).toBe(3);
  });

  it('stop spinning as soon as a piscina call waits for the thread', async () => {
    await using pool = createPool({ maxThreads: 1, spinMicros: 1_000_000 });
    await go(t.noop, [], { pool });
    const t0 = performance.now();
    // The first is handed to the spinner; the second waits in piscina for the same thread.
    const [a, b] = await Promise.all([go(t.spin, [20], { pool }), go(t.add, [1, 2], { pool })]);
    expect(a.ok && b.value).toBe(3);
    expect(performance.now() - t0).toBeLessThan(500); // a 1 s spin would have held it
  });

  it('close() stops a spinning worker at once', async () => {
    const pool = createPool({ maxThreads: 1, spinMicros: 1_000_000 });
    await go(t.noop, [], { pool });
    const t0 = performance.now();
    await pool.close();
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('reject an invalid spinMicros, naming the value', () => {
    expect(() => createPool({ spinMicros: -1 })).toThrow(
      'threadline: createPool option spinMicros must be an integer >= 0, got -1',
    );
    expect(() => createPool({ spinMicros: 2.5 })).toThrow(
      'threadline: createPool option spinMicros must be an integer >= 0, got 2.5',
    );
    expect(() => createPool({ spinMicros: 2_000_000 })).toThrow(
      'threadline: createPool option spinMicros must be <= 1000000, got 2000000',
    );
  });
});
