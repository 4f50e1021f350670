import { KindError, WaitGroup, WaitGroupError } from 'threadline';
import { describe, expect, it } from 'vitest';
import { deferred, settle, watch } from './support/promises.js';

describe('WaitGroup', () => {
  describe('add()', () => {
    it('adds 1 by default and any integer delta', () => {
      const wg = new WaitGroup();
      wg.add();
      wg.add(3);
      wg.add(-2);
      expect(wg.count).toBe(2);
    });

    it('throws WaitGroupError (kind Panic) when the counter would go negative, changing nothing', () => {
      const wg = new WaitGroup();
      wg.add(1);
      let caught: unknown;
      try {
        wg.add(-2);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(WaitGroupError);
      expect(caught).toBeInstanceOf(KindError);
      expect((caught as WaitGroupError).message).toBe('threadline: negative WaitGroup counter');
      expect((caught as WaitGroupError).kind).toBe('Panic');
      expect(wg.count).toBe(1);
    });

    it('rejects a non-integer delta with RangeError naming the value', () => {
      const wg = new WaitGroup();
      expect(() => wg.add(1.5)).toThrow(
        new RangeError('threadline: WaitGroup.add delta must be an integer, got 1.5'),
      );
      expect(() => wg.add(Number.NaN)).toThrow(
        new RangeError('threadline: WaitGroup.add delta must be an integer, got NaN'),
      );
      expect(() => wg.add(Number.POSITIVE_INFINITY)).toThrow(
        new RangeError('threadline: WaitGroup.add delta must be an integer, got Infinity'),
      );
    });

    it('rejects a non-number delta with TypeError naming the value', () => {
      const wg = new WaitGroup();
      expect(() => wg.add('1' as never)).toThrow(
        new TypeError('threadline: WaitGroup.add delta must be an integer, got "1"'),
      );
      expect(wg.count).toBe(0);
    });
  });

  describe('done()', () => {
    it('decrements the counter', () => {
      const wg = new WaitGroup();
      wg.add(2);
      wg.done();
      expect(wg.count).toBe(1);
    });

    it('throws WaitGroupError on a zero counter', () => {
      expect(() => new WaitGroup().done()).toThrow(
        new WaitGroupError('threadline: negative WaitGroup counter'),
      );
    });
  });

  describe('wait()', () => {
    it('resolves at once when the counter is zero', async () => {
      await expect(new WaitGroup().wait()).resolves.toBeUndefined();
    });

    it('resolves every waiter when the counter reaches zero, not before', async () => {
      const wg = new WaitGroup();
      wg.add(2);
      const a = watch(wg.wait());
      const b = watch(wg.wait());
      wg.done();
      await settle();
      expect([a.done, b.done]).toEqual([false, false]);
      wg.done();
      await settle();
      expect([a.done, b.done]).toEqual([true, true]);
    });

    it('rejects with signal.reason untouched when the signal aborts, leaving other waiters', async () => {
      const wg = new WaitGroup();
      wg.add(1);
      const ac = new AbortController();
      const reason = new Error('give up');
      const aborted = wg.wait({ signal: ac.signal });
      const other = watch(wg.wait());
      ac.abort(reason);
      await expect(aborted).rejects.toBe(reason);
      expect(other.done).toBe(false);
      wg.done();
      await settle();
      expect(other.done).toBe(true);
    });

    it('rejects with the reason of an already aborted signal', async () => {
      const wg = new WaitGroup();
      wg.add(1);
      const signal = AbortSignal.abort('early');
      await expect(wg.wait({ signal })).rejects.toBe('early');
    });

    it('is reusable after wait() resolved', async () => {
      const wg = new WaitGroup();
      for (let round = 0; round < 3; round++) {
        wg.add(1);
        const w = watch(wg.wait());
        await settle();
        expect(w.done).toBe(false);
        wg.done();
        await settle();
        expect(w.done).toBe(true);
      }
    });
  });

  describe('go()', () => {
    it('counts the task until it settles and returns its Task', async () => {
      const wg = new WaitGroup();
      const gate = deferred<number>();
      const task = wg.go(() => gate.promise);
      expect(wg.count).toBe(1);
      const waited = watch(wg.wait());
      await settle();
      expect(waited.done).toBe(false);
      gate.resolve(5);
      const r = await task;
      expect(r.value).toBe(5);
      expect(wg.count).toBe(0);
      await settle();
      expect(waited.done).toBe(true);
    });

    it('calls done() for a failed task too', async () => {
      const wg = new WaitGroup();
      const r = await wg.go(() => {
        throw new Error('x');
      });
      expect(r.ok).toBe(false);
      expect(wg.count).toBe(0);
    });

    it('throws for a non-function without touching the counter', () => {
      const wg = new WaitGroup();
      expect(() => wg.go(7 as never)).toThrow(
        new TypeError('threadline: go expects a function or a defineTask handle, got 7'),
      );
      expect(wg.count).toBe(0);
    });

    it('passes options through to go()', async () => {
      const wg = new WaitGroup();
      const r = await wg.go(() => 1, { source: 'wg/src' });
      expect(r.source).toBe('wg/src');
    });
  });
});
