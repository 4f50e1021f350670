import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPool, getDefaultPool, go, Pool, shutdown } from 'threadline';
import { describe, expect, it } from 'vitest';
import * as t from '../dist/test/fixtures/worker-tasks.js';

// The TypeScript source itself (vitest transpiles it): its handle's url ends in .ts.
const tsTask = (await import(
  new URL('./fixtures/ts-task.ts', import.meta.url).href
)) as typeof import('./fixtures/ts-task.js');

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('createPool()', () => {
  it('names the pool and reports its gauges', async () => {
    await using pool = createPool({ name: 'crunch', maxThreads: 1 });
    expect(pool).toBeInstanceOf(Pool);
    expect(pool.name).toBe('crunch');
    expect((await go(t.add, [1, 2], { pool })).value).toBe(3);
    expect(pool.queueSize()).toBe(0);
    expect(pool.running()).toBe(0);
    expect(pool.threads()).toBe(1);
    expect(pool.busyTimeSeconds()).toBeGreaterThan(0);
  });

  it('reports importTimeoutMs: the option, or 10000', async () => {
    await using given = createPool({ importTimeoutMs: 500, minThreads: 0 });
    await using fallback = createPool({ minThreads: 0 });
    expect(given.importTimeoutMs).toBe(500);
    expect(fallback.importTimeoutMs).toBe(10_000);
  });

  it('rejects invalid options, naming the option and the value', () => {
    expect(() => createPool({ maxThreads: 0 })).toThrow(
      new RangeError('threadline: createPool option maxThreads must be an integer >= 1, got 0'),
    );
    expect(() => createPool({ minThreads: 1.5 })).toThrow(
      'threadline: createPool option minThreads must be an integer >= 0, got 1.5',
    );
    expect(() => createPool({ minThreads: 3, maxThreads: 2 })).toThrow(
      'threadline: createPool option minThreads must be <= maxThreads, got 3 > 2',
    );
    expect(() => createPool({ maxQueue: -1 })).toThrow(
      'threadline: createPool option maxQueue must be an integer >= 0, got -1',
    );
    expect(() => createPool({ importTimeoutMs: 0 })).toThrow(
      'threadline: createPool option importTimeoutMs must be an integer >= 1, got 0',
    );
    expect(() => createPool({ name: '' })).toThrow(
      new TypeError('threadline: createPool option name must be a non-empty string, got '),
    );
  });

  it('settles ResourceExhausted beyond maxQueue, from its own bookkeeping', async () => {
    await using pool = createPool({ name: 'small', maxThreads: 1, maxQueue: 2 });
    const tasks = Array.from({ length: 5 }, () => go(t.spin, [30], { pool }));
    const kinds = (await Promise.all(tasks)).map((r) => r.errorKind ?? 'ok');
    expect(kinds.filter((k) => k === 'ok')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'ResourceExhausted')).toHaveLength(2);
    const full = (await Promise.all(tasks)).find((r) => r.errorKind === 'ResourceExhausted');
    expect(full?.error?.message).toMatch(
      /^threadline: pool "small" queue is full \(maxQueue 2, \d+ running, \d+ waiting\)$/,
    );
  });
});

describe('Pool', () => {
  describe('close()', () => {
    it('lets running tasks finish, settles queued ones Closed, and refuses later ones', async () => {
      const pool = createPool({ name: 'closing', maxThreads: 1 });
      await go(t.add, [0, 0], { pool });
      const running = go(t.spin, [100], { pool });
      await new Promise((r) => setTimeout(r, 30));
      const queued = go(t.add, [1, 2], { pool });
      const closing = pool.close();
      expect(pool.closed).toBe(true);
      const later = await go(t.add, [1, 2], { pool });
      expect((await running).ok).toBe(true);
      const q = await queued;
      expect(q.errorKind).toBe('Closed');
      expect(q.error?.message).toBe('threadline: pool "closing" is closed');
      expect(later.errorKind).toBe('Closed');
      await closing;
      expect(pool.close()).toBe(closing);
    });

    it('is called by await using', async () => {
      let kept: Pool | undefined;
      {
        await using pool = createPool({ maxThreads: 1 });
        kept = pool;
      }
      expect(kept.closed).toBe(true);
    });
  });
});

describe('shutdown()', () => {
  it('closes the default pool; a later go() creates a new one', async () => {
    const before = getDefaultPool();
    expect((await go(t.add, [1, 1])).value).toBe(2);
    await shutdown();
    expect(before.closed).toBe(true);
    expect((await go(t.add, [2, 2])).value).toBe(4);
    expect(getDefaultPool()).not.toBe(before);
    await shutdown();
  });

  it('is not needed for the process to exit: idle workers do not keep it alive', async () => {
    const script = `
      import { go } from 'threadline';
      import * as t from './dist/test/fixtures/worker-tasks.js';
      const r = await go(t.add, [20, 22]);
      console.log(r.value, r.threadId > 0);
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('42 true');
  });
});

describe('Pool keep-alive', () => {
  it('keeps the process alive until every dispatched task settled, then lets it exit', async () => {
    // Batch results arrive on the worker's parentPort, possibly after piscina
    // unrefs the worker: an unsettled top-level await would exit with code 13.
    const script = `
      import { createPool, go } from 'threadline';
      import * as t from './dist/test/fixtures/worker-tasks.js';
      const pool = createPool({ maxThreads: 2 });
      let ok = 0;
      for (let round = 0; round < 5; round++) {
        const rs = await Promise.all(Array.from({ length: 5000 }, (_, i) => go(t.add, [i, 1], { pool })));
        ok += rs.filter((r) => r.ok).length;
      }
      console.log(ok);
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('25000');
  });
});

describe('TypeScript task modules', () => {
  it('load in workers started with execArgv ["--import", "tsx"]', async () => {
    await using pool = createPool({ maxThreads: 1, execArgv: ['--import', 'tsx'] });
    expect(tsTask.norm.url).toMatch(/ts-task\.ts$/);
    const r = await go(tsTask.norm, [{ x: 3, y: 4 }], { pool });
    expect(r.value).toBe(5);
  });

  it('settle NotFound naming the module and the fix when no loader is given', async () => {
    await using pool = createPool({ maxThreads: 1 });
    const r = await go(tsTask.norm, [{ x: 3, y: 4 }], { pool });
    expect(r.errorKind).toBe('NotFound');
    expect(r.error?.message).toContain(`threadline: cannot load task module ${tsTask.norm.url}: `);
    expect(r.error?.message).toContain(
      '(a TypeScript module needs execArgv: ["--import", "tsx"] or a build to .js)',
    );
  });

  it('load from the build output (.js) with no loader', async () => {
    await using pool = createPool({ maxThreads: 1 });
    const built = await import('../dist/test/fixtures/ts-task.js');
    expect((await go(built.norm, [{ x: 6, y: 8 }], { pool })).value).toBe(10);
  });
});
