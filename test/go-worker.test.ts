import { isMainThread } from 'node:worker_threads';
import {
  createPool,
  defineTask,
  Group,
  go,
  isKind,
  KindError,
  type Pool,
  taskSignal,
  transfer,
  unwrap,
} from 'threadline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as t from '../dist/test/fixtures/worker-tasks.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ name: 'go-worker-test', maxThreads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('go(handle, args)', () => {
  describe('results', () => {
    it('runs the task on a worker thread and returns its value', async () => {
      const r = await go(t.add, [2, 3], { pool });
      expect(r.ok).toBe(true);
      expect(r.value).toBe(5);
      expect(r.threadId).toBeGreaterThan(0);
      expect(r.source).toBe('add');
      expect(r.resultType).toBe('number');
      expect(r.errorKind).toBeUndefined();
      expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(r.waitMs).toBeGreaterThanOrEqual(0);
      expect(r.retryCount).toBe(0);
    });

    it('uses options.source as the source', async () => {
      const r = await go(t.add, [1, 1], { pool, source: 'math/add' });
      expect(r.source).toBe('math/add');
    });

    it('computes resultType inside the worker, so a class instance keeps its name', async () => {
      const r = await go(t.user, [7], { pool });
      expect(r.resultType).toBe('User');
      expect(r.value).toEqual({ id: 7, name: 'ada' });
    });

    it('runs on the default pool when no pool is given', async () => {
      const r = await go(t.add, [40, 2]);
      expect(r.value).toBe(42);
      expect(r.threadId).toBeGreaterThan(0);
    });

    it('settles every task of a deep queue once, in any order, with its own value', async () => {
      const tasks = Array.from({ length: 2000 }, (_, i) => go(t.add, [i, 1], { pool }));
      const results = await Promise.all(tasks);
      expect(results.map((r) => r.value)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    });
  });

  describe('errors', () => {
    it('restores a KindError thrown in the worker with its kind, code and stack', async () => {
      const r = await go(t.throwKind, ['Conflict', 'row changed'], { pool });
      expect(r.ok).toBe(false);
      expect(r.errorKind).toBe('Conflict');
      expect(r.error).toBeInstanceOf(KindError);
      expect(r.error?.message).toBe('row changed');
      expect((r.error as KindError).code).toBe('E_FIXTURE');
      expect(r.error?.stack).toContain('worker-tasks.js');
      expect(r.value).toBeUndefined();
    });

    it('keeps the code and own properties of a Node network error', async () => {
      const r = await go(t.throwCoded, [], { pool });
      expect(r.errorKind).toBe('Network');
      expect((r.error as Error & { code: string }).code).toBe('ECONNREFUSED');
    });

    it('keeps AggregateError.errors', async () => {
      const r = await go(t.throwAggregate, [], { pool });
      expect(r.error).toBeInstanceOf(AggregateError);
      expect((r.error as AggregateError).errors).toHaveLength(2);
      expect(isKind(r.error, 'NotFound')).toBe(true);
    });

    it('turns a thrown string into KindError Unknown', async () => {
      const r = await go(t.throwString, [], { pool });
      expect(r.errorKind).toBe('Unknown');
      expect(r.error?.message).toBe('threadline: task threw a non-Error value: "just a string"');
    });

    it('settles NotFound naming the task and module when the task does not exist', async () => {
      const ghost = { ...t.add, name: 'ghost' };
      const r = await go(ghost as typeof t.add, [1, 2], { pool });
      expect(r.errorKind).toBe('NotFound');
      expect(r.error?.message).toBe(`threadline: task "ghost" not found in ${t.add.url}`);
    });

    it('settles NotFound naming the module when it cannot be loaded', async () => {
      const url = new URL('./no-such-module.js', t.add.url).href;
      const missing = { ...t.add, url };
      const r = await go(missing as typeof t.add, [1, 2], { pool });
      expect(r.errorKind).toBe('NotFound');
      expect(r.error?.message).toContain(`threadline: cannot load task module ${url}: `);
    });

    it('settles Validation without dispatching when an argument cannot be cloned', async () => {
      const r = await go(t.add, [(() => 1) as never, 2], { pool });
      expect(r.errorKind).toBe('Validation');
      expect(r.error?.message).toBe(
        'threadline: task "add" arguments cannot be cloned: a function at [0]',
      );
      expect(r.threadId).toBe(0);
    });

    it('settles Validation when the return value cannot be cloned, and the pool keeps serving', async () => {
      const r = await go(t.returnFunction, [], { pool });
      expect(r.errorKind).toBe('Validation');
      expect(r.error?.message).toBe(
        'threadline: task "returnFunction" returned a value that cannot be cloned: a function at .f',
      );
      expect((await go(t.add, [1, 2], { pool })).value).toBe(3);
    });

    it('unwrap() throws the restored error', async () => {
      const r = await go(t.throwKind, ['NotFound', 'no user'], { pool });
      expect(() => unwrap(r)).toThrow('no user');
    });
  });

  describe('validation', () => {
    it('throws synchronously when args is not an array', () => {
      expect(() => go(t.add, 1 as never)).toThrow(
        new TypeError('threadline: go of task "add" expects args as an array, got number'),
      );
    });

    it('throws synchronously when pool is not a Pool', () => {
      expect(() => go(t.add, [1, 2], { pool: {} as Pool })).toThrow(
        'threadline: go option pool must be a Pool from createPool(), got [object Object]',
      );
    });

    it('throws synchronously when transfer is not an array', () => {
      expect(() => go(t.add, [1, 2], { transfer: 'x' as never })).toThrow(
        'threadline: go option transfer must be an array, got string',
      );
    });
  });

  describe('transfer', () => {
    it('moves argument buffers listed in transfer', async () => {
      const bytes = new Uint8Array(1024).fill(1);
      const r = await go(t.sum, [bytes], { pool, transfer: [bytes.buffer] });
      expect(r.value).toBe(1024);
      expect(bytes.byteLength).toBe(0);
    });

    it('returns buffers wrapped with transfer(value, list)', async () => {
      const r = await go(t.bytes, [16], { pool });
      expect(r.resultType).toBe('Uint8Array');
      expect(r.value).toBeInstanceOf(Uint8Array);
      expect([...(r.value as Uint8Array)]).toEqual(new Array(16).fill(7));
    });
  });

  describe('inside a worker task', () => {
    it('runs a child go(handle) on the same worker thread', async () => {
      const r = await go(t.nested, [4], { pool });
      const [outer, inner, value] = r.value as number[];
      expect(outer).toBe(r.threadId);
      expect(inner).toBe(outer);
      expect(value).toBe(5);
    });
  });

  describe('with a Group', () => {
    it('mixes worker and in-thread tasks and reports their kinds', async () => {
      const g = new Group();
      g.go(t.add, [1, 2], { pool });
      g.go(async () => 'loop');
      g.go(t.throwKind, ['Conflict', 'x'], { pool });
      const summary = await g.wait();
      expect(summary.results.map((r) => r.value)).toEqual([3, 'loop', undefined]);
      expect(summary.stats.byKind).toEqual({ Conflict: 1 });
      expect(summary.results[0]?.threadId).toBeGreaterThan(0);
      expect(summary.results[1]?.threadId).toBe(0);
    });
  });
});

describe('defineTask()', () => {
  it('returns a frozen handle with the module URL and name', () => {
    expect(t.add.url).toMatch(/dist\/test\/fixtures\/worker-tasks\.js$/);
    expect(t.add.name).toBe('add');
    expect(Object.isFrozen(t.add)).toBe(true);
  });

  it('throws on a name defined twice in one module', () => {
    const url = 'file:///tmp/dup-task.js';
    defineTask(url, 'twice', () => 1);
    expect(() => defineTask(url, 'twice', () => 2)).toThrow(
      new Error('threadline: task "twice" defined twice in file:///tmp/dup-task.js'),
    );
  });

  it('rejects a url that is not a module URL, an empty name and a non-function', () => {
    expect(() => defineTask('tasks.js', 'a', () => 1)).toThrow(
      'threadline: defineTask url must be a module URL (import.meta.url), got tasks.js',
    );
    expect(() => defineTask(import.meta.url, '', () => 1)).toThrow(
      'threadline: defineTask name must be a non-empty string, got ',
    );
    expect(() => defineTask(import.meta.url, 'x', 1 as never)).toThrow(
      'threadline: defineTask fn must be a function, got number',
    );
  });
});

describe('transfer()', () => {
  it('rejects a list that is not an array', () => {
    expect(() => transfer(1, 'x' as never)).toThrow(
      'threadline: transfer list must be an array, got string',
    );
  });
});

describe('taskSignal()', () => {
  it('throws outside a worker task', () => {
    expect(isMainThread).toBe(true);
    expect(() => taskSignal()).toThrow('threadline: taskSignal called outside a worker task');
  });
});
