import fc from 'fast-check';
import { ERROR_KINDS, type ErrorKind, Group, KindError, type ObservableResult } from 'threadline';
import { describe, expect, it } from 'vitest';
import { groupStats } from '../dist/src/waitgroup/group-stats.js';
import { deferred, never, settle, watch } from './support/promises.js';

describe('Group', () => {
  describe('constructor', () => {
    it('works with no options: no limit, a live signal', () => {
      const g = new Group();
      expect(g.limit).toBe(Number.POSITIVE_INFINITY);
      expect(g.signal.aborted).toBe(false);
    });

    it('treats a negative limit as no limit', () => {
      expect(new Group({ limit: -1 }).limit).toBe(Number.POSITIVE_INFINITY);
    });

    it('rejects limit 0 and fractional limits with RangeError naming the value', () => {
      expect(() => new Group({ limit: 0 })).toThrow(
        new RangeError(
          'threadline: Group limit must be a positive integer (negative for no limit), got 0',
        ),
      );
      expect(() => new Group({ limit: 1.5 })).toThrow(
        new RangeError(
          'threadline: Group limit must be a positive integer (negative for no limit), got 1.5',
        ),
      );
      expect(() => new Group({ limit: Number.NaN })).toThrow(RangeError);
    });

    it('rejects a non-number limit with TypeError naming the value', () => {
      expect(() => new Group({ limit: '2' as never })).toThrow(
        new TypeError(
          'threadline: Group limit must be a positive integer (negative for no limit), got "2"',
        ),
      );
    });
  });

  describe('go()', () => {
    it('returns the Task, and wait() returns results in submission order', async () => {
      const g = new Group();
      const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
      const tasks = gates.map((d) => g.go(() => d.promise));
      gates[2]!.resolve(2);
      gates[0]!.resolve(0);
      gates[1]!.resolve(1);
      const { results, errors, firstError } = await g.wait();
      expect(results.map((r) => r.value)).toEqual([0, 1, 2]);
      expect(await Promise.all(tasks)).toEqual(results);
      expect(errors).toEqual([]);
      expect(firstError).toBeUndefined();
    });

    it('runs at most `limit` tasks at once and starts the rest in submission order', async () => {
      const g = new Group({ limit: 2 });
      let running = 0;
      let maxRunning = 0;
      const started: number[] = [];
      for (let i = 0; i < 8; i++) {
        g.go(async () => {
          started.push(i);
          running++;
          maxRunning = Math.max(maxRunning, running);
          await settle();
          running--;
        });
      }
      expect(g.running).toBe(2);
      expect(g.queued).toBe(6);
      await g.wait();
      expect(maxRunning).toBe(2);
      expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });

    it('counts the time spent queued in waitMs', async () => {
      const g = new Group({ limit: 1 });
      const gate = deferred();
      const first = g.go(() => gate.promise);
      const second = g.go(() => 2);
      const afterGo = performance.timeOrigin + performance.now();
      await new Promise((resolve) => setTimeout(resolve, 2)); // so the bound below is not ~0
      gate.resolve();
      const [r1, r2] = await Promise.all([first, second]);
      // The second task started after the first ended, and go() returned before afterGo.
      expect(r2.waitMs).toBeGreaterThanOrEqual(r1.timestamp - afterGo - 0.01); // float rounding of epoch ms
    });

    it('throws after wait() resolved', async () => {
      const g = new Group();
      await g.wait();
      expect(() => g.go(() => 1)).toThrow(
        new KindError('Panic', 'threadline: Group.go called after wait returned'),
      );
      expect(() => g.tryGo(() => 1)).toThrow('threadline: Group.tryGo called after wait returned');
    });

    it("throws go()'s TypeError for a non-function and counts nothing", async () => {
      const g = new Group();
      expect(() => g.go({} as never)).toThrow(
        new TypeError(
          'threadline: go expects a function or a defineTask handle, got [object Object]',
        ),
      );
      expect((await g.wait()).results).toEqual([]);
    });
  });

  describe('signal', () => {
    it('aborts on the first failure with that error as reason', async () => {
      const g = new Group();
      const err = new KindError('Conflict', 'exists');
      g.go(() => never());
      g.go(async () => {
        throw err;
      });
      const { firstError } = await g.wait();
      expect(firstError).toBe(err);
      expect(g.signal.reason).toBe(err);
    });

    it('cancels running siblings: they see the abort and settle Canceled, whatever the first kind', async () => {
      const g = new Group();
      const first = new KindError('Timeout', 'upstream too slow');
      let siblingSignal: AbortSignal | undefined;
      const sibling = g.go(
        ({ signal }) => {
          siblingSignal = signal;
          return never();
        },
        { source: 'sibling' },
      );
      g.go(async () => {
        throw first;
      });
      const r = await sibling;
      expect(siblingSignal?.reason).toBe(first);
      expect(r.errorKind).toBe('Canceled');
      expect(r.error?.message).toBe('threadline: task "sibling" canceled');
      expect(r.error?.cause).toBe(first);
    });

    it('cancels siblings as Canceled even when the first failure is a raw TimeoutError', async () => {
      const g = new Group();
      const sibling = g.go(() => never());
      g.go(async () => {
        throw new DOMException('upstream deadline', 'TimeoutError');
      });
      const { results } = await g.wait();
      expect(results[1]!.errorKind).toBe('Timeout');
      expect((await sibling).errorKind).toBe('Canceled');
    });

    it('settles queued tasks Canceled without running them', async () => {
      const g = new Group({ limit: 1 });
      let ran = false;
      const failing = g.go(async () => {
        await settle();
        throw new Error('first');
      });
      const queued = g.go(
        () => {
          ran = true;
        },
        { source: 'queued' },
      );
      await failing;
      const r = await queued;
      expect(ran).toBe(false);
      expect(r.errorKind).toBe('Canceled');
      expect(r.elapsedMs).toBe(0);
      expect(r.error?.message).toBe('threadline: task "queued" canceled before it started');
    });

    it('aborts with KindError("Canceled", "group finished") when wait() resolves', async () => {
      const g = new Group();
      g.go(() => 1);
      await g.wait();
      expect(g.signal.aborted).toBe(true);
      expect(g.signal.reason).toBeInstanceOf(KindError);
      expect(g.signal.reason).toMatchObject({ kind: 'Canceled', message: 'group finished' });
    });

    it('follows the parent signal, with its reason', async () => {
      const parent = new AbortController();
      const g = new Group({ signal: parent.signal });
      const task = g.go(() => never(), { source: 'child' });
      const reason = new Error('shutdown');
      parent.abort(reason);
      expect(g.signal.reason).toBe(reason);
      const r = await task;
      expect(r.errorKind).toBe('Canceled');
      expect(r.error?.cause).toBe(reason);
    });

    it('settles every task Canceled without running when the parent signal already aborted', async () => {
      const g = new Group({ signal: AbortSignal.abort('gone') });
      let ran = false;
      const r = await g.go(() => {
        ran = true;
      });
      expect(ran).toBe(false);
      expect(g.signal.reason).toBe('gone');
      expect(r.errorKind).toBe('Canceled');
      expect(r.error!.cause).toBe('gone');
    });

    it("combines the group signal with a task's own signal", async () => {
      const g = new Group();
      const own = new AbortController();
      const task = g.go(() => never(), { signal: own.signal });
      const other = g.go(() => never());
      own.abort(new Error('just this one'));
      const r = await task;
      expect(r.errorKind).toBe('Canceled');
      // The first failure (this task) then cancels the group.
      expect((await other).errorKind).toBe('Canceled');
      expect((await g.wait()).firstError).toBe(r.error);
    });
  });

  describe('tryGo()', () => {
    it('starts the task when a slot is free and returns undefined at the limit', async () => {
      const g = new Group({ limit: 1 });
      const gate = deferred();
      expect(g.tryGo(() => gate.promise)).toBeDefined();
      expect(g.tryGo(() => 1)).toBeUndefined();
      gate.resolve();
      await g.ready();
      expect(await g.tryGo(() => 2)).toMatchObject({ value: 2 });
      expect((await g.wait()).results).toHaveLength(2);
    });
  });

  describe('ready()', () => {
    it('resolves when a slot frees', async () => {
      const g = new Group({ limit: 1 });
      const gate = deferred();
      g.go(() => gate.promise);
      const ready = watch(g.ready());
      await settle();
      expect(ready.done).toBe(false);
      gate.resolve();
      await settle();
      expect(ready.done).toBe(true);
    });

    it('resolves at once without a limit', async () => {
      const g = new Group();
      g.go(() => never());
      await expect(g.ready()).resolves.toBeUndefined();
    });

    it('rejects with signal.reason untouched when the signal aborts', async () => {
      const g = new Group({ limit: 1 });
      g.go(() => never());
      const ac = new AbortController();
      const p = g.ready({ signal: ac.signal });
      ac.abort('enough');
      await expect(p).rejects.toBe('enough');
    });
  });

  describe('wait()', () => {
    it('includes tasks added while it waits', async () => {
      const g = new Group();
      const gate = deferred();
      g.go(async () => {
        await gate.promise;
        g.go(() => 'late');
      });
      const waiting = g.wait();
      gate.resolve();
      const { results } = await waiting;
      expect(results.map((r) => r.value)).toEqual([undefined, 'late']);
    });

    it('returns errors in completion order and counts failures by kind', async () => {
      const g = new Group();
      const a = deferred();
      const b = deferred();
      g.go(() => a.promise);
      g.go(() => b.promise);
      g.go(() => 'ok');
      const errB = new KindError('NotFound', 'b');
      b.reject(errB);
      const { errors, stats, firstError } = await g.wait();
      expect(firstError).toBe(errB);
      expect(errors[0]).toBe(errB);
      expect(errors).toHaveLength(2); // a was canceled by b's failure
      expect(stats).toMatchObject({ count: 3, failed: 2, byKind: { NotFound: 1, Canceled: 1 } });
    });

    it('rejects with signal.reason when its signal aborts, and the group goes on', async () => {
      const g = new Group();
      const gate = deferred();
      g.go(() => gate.promise);
      await expect(g.wait({ signal: AbortSignal.abort('stop waiting') })).rejects.toBe(
        'stop waiting',
      );
      expect(g.signal.aborted).toBe(false);
      gate.resolve();
      expect((await g.wait()).results).toHaveLength(1);
    });
  });

  describe('stats', () => {
    const arbResult = fc.record({
      ok: fc.boolean(),
      kind: fc.constantFrom(...ERROR_KINDS),
      elapsedMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
    });

    it('orders percentiles and keeps counts consistent for random outcome mixes', () =>
      fc.assert(
        fc.property(fc.array(arbResult, { maxLength: 300 }), (mix) => {
          const results = mix.map(
            (m) =>
              ({
                ok: m.ok,
                errorKind: m.ok ? undefined : m.kind,
                elapsedMs: m.elapsedMs,
              }) as ObservableResult<unknown>,
          );
          const s = groupStats(results);
          const d = s.durationMs;
          expect(s.count).toBe(mix.length);
          expect(s.failed).toBe(mix.filter((m) => !m.ok).length);
          expect(Object.values(s.byKind).reduce((a, b) => a + b, 0)).toBe(s.failed);
          for (const kind of ERROR_KINDS) {
            const n = mix.filter((m) => !m.ok && m.kind === kind).length;
            expect(s.byKind[kind]).toBe(n === 0 ? undefined : n);
          }
          expect(d.min).toBeLessThanOrEqual(d.p50);
          expect(d.p50).toBeLessThanOrEqual(d.p95);
          expect(d.p95).toBeLessThanOrEqual(d.p99);
          expect(d.p99).toBeLessThanOrEqual(d.max);
          expect(d.min).toBeLessThanOrEqual(d.mean);
          expect(d.mean).toBeLessThanOrEqual(d.max);
          if (mix.length > 0) {
            expect(d.min).toBe(Math.min(...mix.map((m) => m.elapsedMs)));
            expect(d.max).toBe(Math.max(...mix.map((m) => m.elapsedMs)));
          } else {
            expect(d).toEqual({ min: 0, max: 0, mean: 0, p50: 0, p95: 0, p99: 0, total: 0 });
          }
        }),
      ));

    it("matches a real group's outcomes by kind for random mixes", async () =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.option(fc.constantFrom(...ERROR_KINDS), { nil: undefined }), {
            maxLength: 40,
          }),
          async (outcomes) => {
            // No limit: each (synchronous) task runs inside go(), before any
            // failure can cancel a sibling, so the model is exact.
            const g = new Group();
            for (const kind of outcomes) {
              g.go(() => {
                if (kind !== undefined) throw new KindError(kind as ErrorKind, kind);
                return 1;
              });
            }
            const { stats, results, errors } = await g.wait();
            const failedKinds = outcomes.filter((k) => k !== undefined);
            expect(stats.count).toBe(outcomes.length);
            expect(stats.failed).toBe(failedKinds.length);
            expect(errors).toHaveLength(failedKinds.length);
            expect(results.map((r) => r.errorKind)).toEqual(outcomes);
            for (const kind of ERROR_KINDS) {
              const n = failedKinds.filter((k) => k === kind).length;
              expect(stats.byKind[kind]).toBe(n === 0 ? undefined : n);
            }
            const d = stats.durationMs;
            expect(d.min <= d.p50 && d.p50 <= d.p95 && d.p95 <= d.p99 && d.p99 <= d.max).toBe(true);
          },
        ),
        { numRuns: 50 },
      ));
  });
});
