import { after, Channel, ChannelClosedError, recv, select, send } from 'threadline';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { track, turn, waiters } from './support/channels.js';

describe('select', () => {
  describe('select()', () => {
    it('commits the only ready receive case', async () => {
      const a = new Channel<number>(1);
      const b = new Channel<string>(1);
      b.trySend('x');
      expect(await select([recv(a), recv(b)])).toEqual({ index: 1, value: 'x', ok: true });
      expect(b.length).toBe(0);
    });

    it('commits a ready send case with value undefined and ok=true', async () => {
      const a = new Channel<number>();
      const b = new Channel<number>(1);
      expect(await select([recv(a), send(b, 5)])).toEqual({
        index: 1,
        value: undefined,
        ok: true,
      });
      expect(b.tryRecv()).toEqual({ value: 5, ok: true });
    });

    it('reports a receive from a closed, drained channel as ok=false', async () => {
      const a = new Channel<number>();
      a.close();
      expect(await select([recv(a)])).toEqual({ index: 0, value: undefined, ok: false });
    });

    it('blocks until a case becomes ready, then withdraws the losers', async () => {
      const a = new Channel<number>();
      const b = new Channel<number>();
      const c = new Channel<number>();
      const s = track(select([recv(a), recv(b), send(c, 1)]));
      await turn();
      expect(s.state).toBe('pending');
      expect(waiters(a).recv + waiters(b).recv + waiters(c).send).toBe(3);
      expect(b.trySend(42)).toBe(true);
      expect(waiters(a)).toEqual({ send: 0, recv: 0 });
      expect(waiters(c)).toEqual({ send: 0, recv: 0 });
      await turn();
      expect(s.value).toEqual({ index: 1, value: 42, ok: true });
      // The losing send case did not deliver.
      expect(c.tryRecv()).toBeUndefined();
    });

    it('wakes a parked send case when a receiver arrives', async () => {
      const out = new Channel<string>();
      const quit = new Channel<void>();
      const s = select([send(out, 'v'), recv(quit)]);
      expect(await out.recv()).toEqual({ value: 'v', ok: true });
      expect(await s).toEqual({ index: 0, value: undefined, ok: true });
      expect(waiters(quit).recv).toBe(0);
    });

    it('wakes on close with ok=false', async () => {
      const a = new Channel<number>();
      const s = select([recv(a), recv(new Channel<number>())]);
      a.close();
      expect(await s).toEqual({ index: 0, value: undefined, ok: false });
    });

    it('takes default when no case is ready', async () => {
      const a = new Channel<number>();
      expect(await select([recv(a), send(a, 1)], { default: true })).toEqual({
        index: -1,
        value: undefined,
        ok: false,
      });
      expect(waiters(a)).toEqual({ send: 0, recv: 0 });
    });

    it('prefers a ready case over default', async () => {
      const a = new Channel<number>(1);
      a.trySend(3);
      expect(await select([recv(a)], { default: true })).toEqual({ index: 0, value: 3, ok: true });
    });

    it('never fires a null case (Go nil channel)', async () => {
      const a = new Channel<number>();
      expect(await select([recv(null), send(null, 1)], { default: true })).toMatchObject({
        index: -1,
      });
      const s = select([recv(null), recv(a), null, undefined]);
      await a.send(2);
      expect(await s).toEqual({ index: 1, value: 2, ok: true });
    });

    it('waits forever with no cases and no default, until the signal aborts', async () => {
      const forever = track(select([]));
      const nils = track(select([recv(null), send(null, 0)]));
      await turn();
      expect(forever.state).toBe('pending');
      expect(nils.state).toBe('pending');
      const reason = new Error('enough');
      const ac = new AbortController();
      const p = select([], { signal: ac.signal });
      ac.abort(reason);
      await expect(p).rejects.toBe(reason);
      expect(await select([], { default: true })).toMatchObject({ index: -1 });
    });

    it('rejects with signal.reason and withdraws every case on abort', async () => {
      const a = new Channel<number>();
      const b = new Channel<number>();
      const ac = new AbortController();
      const reason = new DOMException('gone', 'AbortError');
      const s = select([recv(a), send(b, 1)], { signal: ac.signal });
      ac.abort(reason);
      await expect(s).rejects.toBe(reason);
      expect(waiters(a)).toEqual({ send: 0, recv: 0 });
      expect(waiters(b)).toEqual({ send: 0, recv: 0 });
      expect(b.tryRecv()).toBeUndefined();
    });

    it('rejects an already-aborted signal without committing a ready case', async () => {
      const a = new Channel<number>(1);
      a.trySend(1);
      const reason = new Error('pre-aborted');
      await expect(select([recv(a)], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(a.length).toBe(1);
    });

    it('ignores an abort after a case committed', async () => {
      const a = new Channel<number>();
      const ac = new AbortController();
      const s = select([recv(a)], { signal: ac.signal });
      a.trySend(8);
      ac.abort();
      expect(await s).toEqual({ index: 0, value: 8, ok: true });
    });

    it('rejects with ChannelClosedError when a send case on a closed channel is chosen', async () => {
      const a = new Channel<number>();
      a.close();
      await expect(select([send(a, 1)])).rejects.toThrow(
        new ChannelClosedError('threadline: send on closed channel'),
      );
      const b = new Channel<number>();
      const parked = select([send(b, 1), recv(new Channel())]);
      b.close();
      await expect(parked).rejects.toBeInstanceOf(ChannelClosedError);
    });

    it('rejects a case not built by recv() or send() with a TypeError', async () => {
      await expect(
        select([{ kind: 'recv', channel: new Channel() } as unknown as ReturnType<typeof recv>]),
      ).rejects.toThrow(
        new TypeError('threadline: select case 0 must be built with recv() or send(), got Object'),
      );
      await expect(select('x' as unknown as [])).rejects.toThrow(
        new TypeError('threadline: select() needs an array of cases, got "x"'),
      );
    });

    it('gives results typed by case index', async () => {
      const nums = new Channel<number>(1);
      const strs = new Channel<string>();
      nums.trySend(1);
      const r = await select([recv(nums), recv(strs), send(strs, 'x')]);
      if (r.index === 0 && r.ok) expectTypeOf(r.value).toEqualTypeOf<number>();
      if (r.index === 1 && r.ok) expectTypeOf(r.value).toEqualTypeOf<string>();
      if (r.index === 2) expectTypeOf(r.value).toEqualTypeOf<undefined>();
      expect(r.index).toBe(0);
    });

    it('works with after() as a timeout case', async () => {
      const never = new Channel<number>();
      const r = await select([recv(never), recv(after(1))]);
      expect(r.index).toBe(1);
      expect(typeof r.value).toBe('number');
      expect(waiters(never).recv).toBe(0);
    });
  });

  describe('recv() and send()', () => {
    it('throw a TypeError for something that is not a channel or null', () => {
      expect(() => recv({} as never)).toThrow(
        new TypeError('threadline: recv() needs a Channel or null, got Object'),
      );
      expect(() => send(undefined as never, 1)).toThrow(
        new TypeError('threadline: send() needs a Channel or null, got undefined'),
      );
    });
  });

  describe('Go runtime/chan_test.go', () => {
    it('TestSelfSelect: a select never receives its own send on an unbuffered channel', async () => {
      for (const cap of [0, 1]) {
        const c = new Channel<number>(cap);
        const loop = async (p: number) => {
          for (let i = 0; i < 1000; i++) {
            const r = await select([send(c, p), recv(c)]);
            if (r.index === 1 && cap === 0 && r.value === p) throw new Error('self receive');
          }
        };
        await Promise.all([loop(0), loop(1)]);
        expect(waiters(c)).toEqual({ send: 0, recv: 0 });
      }
    });

    it('TestSelectFairness: chooses uniformly among ready cases (10 sigma bound)', async () => {
      const trials = 10_000;
      const chans = [0, 1, 2, 3].map(() => new Channel<number>(trials + 1));
      chans.forEach((ch, i) => {
        for (let j = 0; j <= trials; j++) ch.trySend(i);
      });
      const counts = [0, 0, 0, 0];
      const cases = chans.map((ch) => recv(ch));
      for (let i = 0; i < trials; i++) {
        const r = await select(cases);
        counts[r.value as number]!++;
      }
      const p = 1 / 4;
      const mean = trials * p;
      const sigma = Math.sqrt(trials * p * (1 - p));
      for (const n of counts) expect(Math.abs(n - mean)).toBeLessThan(10 * sigma);
      // Also with a default case and a null case in the mix.
      const counts2 = [0, 0];
      for (let i = 0; i < trials; i++) {
        const r = await select([recv(null), recv(chans[0]!), recv(chans[1]!)], { default: true });
        counts2[r.index - 1]!++;
      }
      for (const n of counts2)
        expect(Math.abs(n - trials / 2)).toBeLessThan(10 * Math.sqrt(trials / 4));
    });

    it('TestSelectDuplicateChannel: a channel in two cases delivers each value once', async () => {
      const c = new Channel<number>();
      const d = new Channel<number>();
      const results: number[] = [];
      const consumer = (async () => {
        for (let i = 0; i < 100; i++) {
          const r = await select([recv(c), recv(c), recv(d)]);
          results.push(r.value as number);
        }
      })();
      for (let i = 0; i < 100; i++) await c.send(i);
      await consumer;
      expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(waiters(c)).toEqual({ send: 0, recv: 0 });
      expect(waiters(d)).toEqual({ send: 0, recv: 0 });
    });

    it('TestSelectStress: many selects over shared channels move every value exactly once', async () => {
      const chans = [0, 1, 2, 3].map((i) => new Channel<number>(i % 2));
      const n = 2000;
      const senders = chans.map(async (ch, k) => {
        for (let i = 0; i < n; i++) {
          // Alternate plain sends with selects that also offer to a nil case.
          if (i % 2 === 0) await ch.send(k * n + i);
          else await select([send(ch, k * n + i), send(null, -1)]);
        }
      });
      const received: number[] = [];
      const receivers = [0, 1, 2].map(async () => {
        for (;;) {
          const r = await select(chans.map((ch) => recv(ch)));
          if (!r.ok) return;
          received.push(r.value as number);
          if (received.length === 4 * n) for (const ch of chans) ch.close();
        }
      });
      await Promise.all(senders);
      await Promise.all(receivers);
      expect(received.sort((a, b) => a - b)).toEqual(Array.from({ length: 4 * n }, (_, i) => i));
    });
  });
});
