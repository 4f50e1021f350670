import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  ATTR_CHANNEL_NAME,
  ATTR_CHANNEL_OP,
  Channel,
  ChannelClosedError,
  METRIC_CHANNEL_LENGTH,
  METRIC_CHANNEL_WAITERS,
} from 'threadline';
import { describe, expect, it } from 'vitest';
import { sortNumbers, track, turn, waiters } from './support/channels.js';

const CAPACITIES = [0, 1, 2, 5, 100];

describe('Channel', () => {
  describe('constructor', () => {
    it('makes an unbuffered channel by default', () => {
      const ch = new Channel<number>();
      expect(ch.capacity).toBe(0);
      expect(ch.length).toBe(0);
      expect(ch.closed).toBe(false);
      expect(ch.name).toBeUndefined();
    });

    it('throws a RangeError naming the value for a negative, fractional or non-number capacity', () => {
      expect(() => new Channel(-1)).toThrow(
        new RangeError('threadline: Channel capacity must be an integer >= 0, got -1'),
      );
      expect(() => new Channel(1.5)).toThrow(
        'threadline: Channel capacity must be an integer >= 0, got 1.5',
      );
      expect(() => new Channel(Number.NaN)).toThrow(
        'threadline: Channel capacity must be an integer >= 0, got NaN',
      );
      expect(() => new Channel(Number.POSITIVE_INFINITY)).toThrow(
        'threadline: Channel capacity must be an integer >= 0, got Infinity',
      );
      expect(() => new Channel('3' as unknown as number)).toThrow(
        'threadline: Channel capacity must be an integer >= 0, got "3"',
      );
      expect(() => new Channel(-1)).toThrow(RangeError);
    });

    it('keeps the name given in the options', () => {
      expect(new Channel(0, { name: 'jobs' }).name).toBe('jobs');
    });

    it('throws a TypeError for a name that is not a string', () => {
      expect(() => new Channel(0, { name: 3 as unknown as string })).toThrow(
        new TypeError('threadline: Channel name must be a string, got 3'),
      );
    });
  });

  describe('send()', () => {
    it('resolves on an unbuffered channel only once a receiver took the value', async () => {
      const ch = new Channel<string>();
      const sent = track(ch.send('a'));
      await turn();
      expect(sent.state).toBe('pending');
      expect(waiters(ch)).toEqual({ send: 1, recv: 0 });
      expect(await ch.recv()).toEqual({ value: 'a', ok: true });
      await turn();
      expect(sent.state).toBe('fulfilled');
    });

    it('resolves at once while the buffer has room, then blocks', async () => {
      const ch = new Channel<number>(2);
      await ch.send(1);
      await ch.send(2);
      const third = track(ch.send(3));
      await turn();
      expect(third.state).toBe('pending');
      expect(ch.length).toBe(2);
      expect(await ch.recv()).toEqual({ value: 1, ok: true });
      await turn();
      expect(third.state).toBe('fulfilled');
      expect(ch.length).toBe(2);
    });

    it('rejects with ChannelClosedError on a closed channel', async () => {
      const ch = new Channel<number>(1);
      ch.close();
      const p = ch.send(1);
      await expect(p).rejects.toThrow(new ChannelClosedError('threadline: send on closed channel'));
      await expect(ch.send(1)).rejects.toMatchObject({
        name: 'ChannelClosedError',
        kind: 'Closed',
        message: 'threadline: send on closed channel',
      });
    });

    it('returns a rejected promise rather than throwing on a closed channel', () => {
      const ch = new Channel<number>();
      ch.close();
      let p: Promise<void> | undefined;
      expect(() => {
        p = ch.send(1);
      }).not.toThrow();
      return expect(p).rejects.toBeInstanceOf(ChannelClosedError);
    });

    it('sends undefined and null like any other value', async () => {
      for (const cap of [0, 1]) {
        const ch = new Channel<undefined | null>(cap);
        const a = ch.send(undefined);
        expect(await ch.recv()).toEqual({ value: undefined, ok: true });
        const b = ch.send(null);
        expect(await ch.recv()).toEqual({ value: null, ok: true });
        await Promise.all([a, b]);
      }
    });

    it('rejects with signal.reason untouched when the signal aborts while blocked', async () => {
      const ch = new Channel<number>();
      const ac = new AbortController();
      const reason = { custom: 'reason' };
      const p = ch.send(1, { signal: ac.signal });
      ac.abort(reason);
      await expect(p).rejects.toBe(reason);
      expect(waiters(ch)).toEqual({ send: 0, recv: 0 });
      expect(ch.tryRecv()).toBeUndefined();
    });

    it('rejects with a TimeoutError from AbortSignal.timeout', async () => {
      const ch = new Channel<number>();
      await expect(ch.send(1, { signal: AbortSignal.timeout(1) })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      expect(waiters(ch).send).toBe(0);
    });

    it('rejects without committing when the signal is already aborted, even if it could proceed', async () => {
      const ch = new Channel<number>(1);
      const reason = new Error('stop');
      await expect(ch.send(1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(ch.length).toBe(0);
    });

    it('ignores an abort after the value was taken', async () => {
      const ch = new Channel<number>();
      const ac = new AbortController();
      const p = ch.send(7, { signal: ac.signal });
      expect(ch.tryRecv()).toEqual({ value: 7, ok: true });
      ac.abort();
      await expect(p).resolves.toBeUndefined();
    });

    it('removes its abort listener when it settles', async () => {
      const ch = new Channel<number>();
      const ac = new AbortController();
      let added = 0;
      let removed = 0;
      const add = ac.signal.addEventListener.bind(ac.signal);
      const remove = ac.signal.removeEventListener.bind(ac.signal);
      ac.signal.addEventListener = ((...args: Parameters<typeof add>) => {
        added++;
        add(...args);
      }) as typeof add;
      ac.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
        removed++;
        remove(...args);
      }) as typeof remove;
      for (let i = 0; i < 10; i++) {
        const p = ch.send(i, { signal: ac.signal });
        await ch.recv();
        await p;
      }
      expect(added).toBe(10);
      expect(removed).toBe(10);
    });
  });

  describe('trySend()', () => {
    it('returns false when the send would block and true when it happened', () => {
      const unbuffered = new Channel<number>();
      expect(unbuffered.trySend(1)).toBe(false);
      const buffered = new Channel<number>(1);
      expect(buffered.trySend(1)).toBe(true);
      expect(buffered.trySend(2)).toBe(false);
      expect(buffered.length).toBe(1);
    });

    it('hands the value to a parked receiver', async () => {
      const ch = new Channel<number>();
      const r = ch.recv();
      expect(ch.trySend(5)).toBe(true);
      expect(await r).toEqual({ value: 5, ok: true });
    });

    it('throws ChannelClosedError synchronously on a closed channel', () => {
      const ch = new Channel<number>(1);
      ch.close();
      expect(() => ch.trySend(1)).toThrow(
        new ChannelClosedError('threadline: send on closed channel'),
      );
    });
  });

  describe('recv()', () => {
    it('blocks on an empty channel until a value is sent', async () => {
      for (const cap of CAPACITIES) {
        const ch = new Channel<number>(cap);
        const r = track(ch.recv());
        await turn();
        expect(r.state).toBe('pending');
        expect(waiters(ch)).toEqual({ send: 0, recv: 1 });
        await ch.send(3);
        await turn();
        expect(r).toEqual({ state: 'fulfilled', value: { value: 3, ok: true } });
      }
    });

    it('gives ok=false once the channel is closed and drained', async () => {
      const ch = new Channel<number>(3);
      await ch.send(1);
      await ch.send(2);
      ch.close();
      expect(await ch.recv()).toEqual({ value: 1, ok: true });
      expect(await ch.recv()).toEqual({ value: 2, ok: true });
      expect(await ch.recv()).toEqual({ value: undefined, ok: false });
      expect(await ch.recv()).toEqual({ value: undefined, ok: false });
    });

    it('moves a parked sender into the freed buffer slot, in order', async () => {
      const ch = new Channel<number>(2);
      await ch.send(1);
      await ch.send(2);
      const s3 = track(ch.send(3));
      const s4 = track(ch.send(4));
      expect(waiters(ch).send).toBe(2);
      expect((await ch.recv()).value).toBe(1);
      await turn();
      expect(s3.state).toBe('fulfilled');
      expect(s4.state).toBe('pending');
      expect(ch.length).toBe(2);
      const got = [(await ch.recv()).value, (await ch.recv()).value, (await ch.recv()).value];
      expect(got).toEqual([2, 3, 4]);
    });

    it('withdraws an aborted receiver without losing the next value', async () => {
      const ch = new Channel<number>();
      const ac = new AbortController();
      const first = ch.recv({ signal: ac.signal });
      const second = ch.recv();
      ac.abort();
      await expect(first).rejects.toMatchObject({ name: 'AbortError' });
      await ch.send(9);
      expect(await second).toEqual({ value: 9, ok: true });
      expect(waiters(ch)).toEqual({ send: 0, recv: 0 });
    });

    it('rejects without committing when the signal is already aborted', async () => {
      const ch = new Channel<number>(1);
      ch.trySend(1);
      await expect(ch.recv({ signal: AbortSignal.abort() })).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(ch.length).toBe(1);
    });

    it('ignores an abort after a value was delivered', async () => {
      const ch = new Channel<number>();
      const ac = new AbortController();
      const r = ch.recv({ signal: ac.signal });
      ch.trySend(4);
      ac.abort();
      expect(await r).toEqual({ value: 4, ok: true });
    });
  });

  describe('tryRecv()', () => {
    it('returns undefined when a receive would block', () => {
      for (const cap of CAPACITIES) expect(new Channel(cap).tryRecv()).toBeUndefined();
    });

    it('takes a parked sender value on an unbuffered channel', async () => {
      const ch = new Channel<string>();
      const s = ch.send('x');
      expect(ch.tryRecv()).toEqual({ value: 'x', ok: true });
      await s;
    });

    it('returns ok=false on a closed, drained channel', () => {
      const ch = new Channel<number>(1);
      ch.trySend(1);
      ch.close();
      expect(ch.tryRecv()).toEqual({ value: 1, ok: true });
      expect(ch.tryRecv()).toEqual({ value: undefined, ok: false });
    });
  });

  describe('close()', () => {
    it('wakes every blocked receiver with ok=false', async () => {
      const ch = new Channel<number>();
      const rs = [ch.recv(), ch.recv(), ch.recv()];
      ch.close();
      expect(await Promise.all(rs)).toEqual([
        { value: undefined, ok: false },
        { value: undefined, ok: false },
        { value: undefined, ok: false },
      ]);
      expect(waiters(ch)).toEqual({ send: 0, recv: 0 });
    });

    it('rejects every blocked sender with ChannelClosedError', async () => {
      const ch = new Channel<number>(1);
      ch.trySend(0);
      const ss = [ch.send(1), ch.send(2)];
      ch.close();
      for (const s of ss) {
        await expect(s).rejects.toThrow(
          new ChannelClosedError('threadline: send on closed channel'),
        );
      }
      expect(await ch.recv()).toEqual({ value: 0, ok: true });
      expect(await ch.recv()).toEqual({ value: undefined, ok: false });
    });

    it('throws ChannelClosedError when called twice', () => {
      const ch = new Channel();
      ch.close();
      expect(ch.closed).toBe(true);
      expect(() => ch.close()).toThrow(
        new ChannelClosedError('threadline: close of closed channel'),
      );
      try {
        ch.close();
      } catch (err) {
        expect(err).toMatchObject({ kind: 'Closed', name: 'ChannelClosedError' });
      }
    });

    it('keeps buffered values receivable', async () => {
      const ch = new Channel<number>(5);
      for (let i = 0; i < 5; i++) ch.trySend(i);
      ch.close();
      expect(ch.length).toBe(5);
      const got: number[] = [];
      for await (const v of ch) got.push(v);
      expect(got).toEqual([0, 1, 2, 3, 4]);
    });
  });

  describe('[Symbol.asyncIterator]()', () => {
    it('ranges over the values until the channel is closed and drained', async () => {
      const ch = new Channel<number>();
      const producer = (async () => {
        for (let i = 0; i < 10; i++) await ch.send(i);
        ch.close();
      })();
      const got: number[] = [];
      for await (const v of ch) got.push(v);
      await producer;
      expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('does not close the channel when the loop is left early', async () => {
      const ch = new Channel<number>(4);
      for (let i = 0; i < 4; i++) ch.trySend(i);
      for await (const v of ch) {
        if (v === 1) break;
      }
      expect(ch.closed).toBe(false);
      expect(ch.tryRecv()).toEqual({ value: 2, ok: true });
      const it2 = ch[Symbol.asyncIterator]();
      expect(await it2.next()).toEqual({ value: 3, done: false });
      expect(await it2.return?.()).toEqual({ value: undefined, done: true });
      expect(await it2.next()).toEqual({ value: undefined, done: true });
      expect(ch.closed).toBe(false);
    });

    it('yields undefined values without ending', async () => {
      const ch = new Channel<undefined>(2);
      ch.trySend(undefined);
      ch.trySend(undefined);
      ch.close();
      let n = 0;
      for await (const v of ch) {
        expect(v).toBeUndefined();
        n++;
      }
      expect(n).toBe(2);
    });
  });

  describe('name', () => {
    class Reader extends MetricReader {
      constructor() {
        super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
      }
      protected override async onForceFlush(): Promise<void> {}
      protected override async onShutdown(): Promise<void> {}
      async points(name: string): Promise<[unknown, unknown][]> {
        const { resourceMetrics } = await this.collect();
        const metric = resourceMetrics.scopeMetrics
          .flatMap((sm) => sm.metrics)
          .find((m) => m.descriptor.name === name);
        return (metric?.dataPoints ?? []).map((p: DataPoint<unknown>) => [p.attributes, p.value]);
      }
    }

    it('reports a named channel length and waiters by op through the metrics API', async () => {
      const reader = new Reader();
      const provider = new MeterProvider({ readers: [reader] });
      metrics.setGlobalMeterProvider(provider);
      try {
        const ch = new Channel<number>(2, { name: 'jobs' });
        new Channel<number>(1); // unnamed: not reported
        ch.trySend(1);
        ch.trySend(2);
        const blocked = ch.send(3);
        expect(await reader.points(METRIC_CHANNEL_LENGTH)).toEqual([
          [{ [ATTR_CHANNEL_NAME]: 'jobs' }, 2],
        ]);
        expect(await reader.points(METRIC_CHANNEL_WAITERS)).toEqual([
          [{ [ATTR_CHANNEL_NAME]: 'jobs', [ATTR_CHANNEL_OP]: 'send' }, 1],
          [{ [ATTR_CHANNEL_NAME]: 'jobs', [ATTR_CHANNEL_OP]: 'recv' }, 0],
        ]);
        ch.tryRecv();
        await blocked;
      } finally {
        metrics.disable();
        await provider.shutdown();
      }
    });
  });

  describe('length and capacity', () => {
    it('report len(ch) and cap(ch) as the buffer fills, wraps and grows (Go TestChan)', () => {
      for (const cap of [1, 3, 16, 17, 100]) {
        const ch = new Channel<number>(cap);
        expect(ch.capacity).toBe(cap);
        let next = 0;
        let expected = 0;
        // Interleave sends and receives so the ring wraps around and grows.
        for (let round = 0; round < 5; round++) {
          while (ch.trySend(next)) next++;
          expect(ch.length).toBe(cap);
          for (let i = 0; i < Math.ceil(cap / 2); i++) {
            expect(ch.tryRecv()).toEqual({ value: expected++, ok: true });
          }
          expect(ch.length).toBe(cap - Math.ceil(cap / 2));
        }
        while (ch.length > 0) expect(ch.tryRecv()).toEqual({ value: expected++, ok: true });
        expect(expected).toBe(next);
      }
    });
  });

  describe('Go runtime/chan_test.go', () => {
    it('TestChan: sends 100 integers and receives them in FIFO order', async () => {
      for (const cap of CAPACITIES) {
        const ch = new Channel<number>(cap);
        const producer = (async () => {
          for (let i = 0; i < 100; i++) await ch.send(i);
        })();
        for (let i = 0; i < 100; i++) expect(await ch.recv()).toEqual({ value: i, ok: true });
        await producer;
      }
    });

    it('TestChan: 4 senders and 4 receivers move 1000 integers exactly once', async () => {
      for (const cap of CAPACITIES) {
        const ch = new Channel<number>(cap);
        const senders = [0, 1, 2, 3].map(async (s) => {
          for (let i = 0; i < 250; i++) await ch.send(s * 250 + i);
        });
        const received: number[][] = [[], [], [], []];
        const receivers = received.map(async (out) => {
          for (let i = 0; i < 250; i++) out.push((await ch.recv()).value as number);
        });
        await Promise.all([...senders, ...receivers]);
        expect(sortNumbers(received.flat())).toEqual(Array.from({ length: 1000 }, (_, i) => i));
        // Per sender, values arrive in the order sent (FIFO per channel).
        for (const out of received) {
          for (let s = 0; s < 4; s++) {
            const mine = out.filter((v) => Math.floor(v / 250) === s);
            expect(mine).toEqual(sortNumbers(mine));
          }
        }
      }
    });

    it('TestChan: close unblocks a receive and a closed channel yields the zero result', async () => {
      for (const cap of CAPACITIES) {
        const ch = new Channel<number>(cap);
        const r = track(ch.recv());
        await turn();
        expect(r.state).toBe('pending');
        ch.close();
        await turn();
        expect(r).toEqual({ state: 'fulfilled', value: { value: undefined, ok: false } });
      }
    });

    it('TestChan: send to a full channel blocks', async () => {
      for (const cap of CAPACITIES) {
        const ch = new Channel<number>(cap);
        for (let i = 0; i < cap; i++) await ch.send(i);
        const s = track(ch.send(cap));
        await turn();
        expect(s.state).toBe('pending');
        ch.close();
        await turn();
        expect(s.state).toBe('rejected');
      }
    });

    it('TestNonblockRecvRace: a non-blocking receive on a closed channel with a value never blocks', () => {
      for (let i = 0; i < 1000; i++) {
        const ch = new Channel<number>(1);
        ch.trySend(1);
        ch.close();
        expect(ch.tryRecv()).toEqual({ value: 1, ok: true });
        expect(ch.tryRecv()).toEqual({ value: undefined, ok: false });
      }
    });

    it('TestMultiConsumer: fan-out to 23 workers and fan-in delivers every value exactly once', async () => {
      const nwork = 23;
      const niter = 27_183;
      const q = new Channel<number>(nwork * 3);
      const r = new Channel<number>(nwork * 3);
      const workers = Array.from({ length: nwork }, async () => {
        for await (const v of q) await r.send(v * 2);
      });
      const collected: number[] = [];
      const collector = (async () => {
        for await (const v of r) collected.push(v);
      })();
      for (let i = 0; i < niter; i++) await q.send(i);
      q.close();
      await Promise.all(workers);
      r.close();
      await collector;
      expect(collected.length).toBe(niter);
      expect(sortNumbers(collected)).toEqual(Array.from({ length: niter }, (_, i) => i * 2));
    });
  });

  describe('scheduling', () => {
    /**
     * Runs `loop`, which counts its messages in `progress.count`, with a 0 ms
     * timer armed, and checks that `total` messages moved and that the timer
     * fired before the last one.
     */
    async function expectTimerFiresDuring(
      total: number,
      loop: (progress: { count: number }) => Promise<void>,
    ): Promise<void> {
      const progress = { count: 0 };
      let firedAt = -1;
      setTimeout(() => {
        firedAt = progress.count;
      }, 0);
      await loop(progress);
      expect(progress.count).toBe(total);
      expect(firedAt).toBeGreaterThanOrEqual(0);
      expect(firedAt).toBeLessThan(total);
    }

    it('lets a timer fire during a 1,000,000-message ping-pong between two async loops', async () => {
      const total = 1_000_000;
      await expectTimerFiresDuring(total, async (progress) => {
        const ping = new Channel<number>();
        const pong = new Channel<number>();
        const echo = (async () => {
          for (;;) {
            const r = await ping.recv();
            if (!r.ok) return;
            await pong.send(r.value);
          }
        })();
        for (let i = 0; i < total / 2; i++) {
          await ping.send(i);
          await pong.recv();
          progress.count += 2;
        }
        ping.close();
        await echo;
      });
    });

    it('lets a timer fire during a 1,000,000-message try-first ping-pong', async () => {
      // trySend/tryRecv resume no one through a promise of their own: only the
      // wake-ups of the parked side count against the budget here.
      const total = 1_000_000;
      await expectTimerFiresDuring(total, async (progress) => {
        const ping = new Channel<number>();
        const pong = new Channel<number>();
        const echo = (async () => {
          for (;;) {
            const r = ping.tryRecv() ?? (await ping.recv());
            if (!r.ok) return;
            pong.trySend(r.value) || (await pong.send(r.value));
          }
        })();
        for (let i = 0; i < total / 2; i++) {
          ping.trySend(i) || (await ping.send(i));
          pong.tryRecv() ?? (await pong.recv());
          progress.count += 2;
        }
        ping.close();
        await echo;
      });
    });

    it('lets a timer fire during a 1,000,000-value buffered stream, and the pause gives the producer no head start', async () => {
      // Producer and consumer take turns on already-resolved promises: with
      // the buffer neither full nor empty, no one parks. The pause must defer
      // both sides: a producer left running fills the buffer, and from then
      // on every value costs it a park and a wake-up (see resolvedVoid).
      const total = 1_000_000;
      let parked = 0;
      await expectTimerFiresDuring(total, async (progress) => {
        const ch = new Channel<number>(128);
        const producer = (async () => {
          for (let i = 0; i < total; i++) {
            if (ch.length === ch.capacity) parked++;
            await ch.send(i);
          }
          ch.close();
        })();
        for await (const _ of ch) progress.count++;
        await producer;
      });
      expect(parked).toBeLessThan(total / 2);
    });
  });
});

describe('channel examples', () => {
  const run = async (file: string) =>
    (await promisify(execFile)(process.execPath, [file], { timeout: 20_000 })).stdout;

  it('examples/pipeline.ts fans out, fans in and stops early', async () => {
    expect(await run('dist/examples/pipeline.js')).toBe(
      'sum of squares 1..10 = 385\nfirst two squares: 1, 4\n',
    );
  });

  it('examples/select-timeout.ts times out, polls and stops its timer', async () => {
    expect(await run('dist/examples/select-timeout.js')).toBe(
      'timed out after 10ms\nnothing ready yet\ngot slow result; timer stopped before firing: true\n',
    );
  });
});
