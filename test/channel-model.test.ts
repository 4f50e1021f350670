// Model-based tests: random programs against a plain-array reference model.
//
// 1. Sequential programs (every operation is issued from one place, so each
//    commit is deterministic): send/recv/trySend/tryRecv/close/select/abort on
//    two channels with random capacities, blocking operations left parked. The
//    model (arrays for the buffer and the two wait queues) predicts, at each
//    step, len(ch) and the waiter counts, and at the end how every operation's
//    promise settled: which value each receive got, which sends resolved, which
//    rejected with what. select's random choice is made deterministic by
//    feeding Math.random from the generated program; the model mirrors the
//    reservoir sampling of select.ts over the ready cases.
// 2. Concurrent programs under fc.scheduler(): producers and consumers with
//    aborts and selects, in interleavings chosen by fast-check, checked for
//    exactly-once delivery, per-producer FIFO, no ghost deliveries and drain
//    after close.

import fc from 'fast-check';
import { Channel, ChannelClosedError, recv, select, send } from 'threadline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Settlement, track, turn, waiters } from './support/channels.js';

type Expect =
  | { state: 'pending' }
  | { state: 'fulfilled'; value: unknown }
  | { state: 'rejected'; reason: unknown };

interface ModelOp {
  expect: Expect;
  actual: Settlement<unknown>;
  entries: Entry[];
  ac: AbortController | undefined;
  select: boolean;
}

interface Entry {
  op: ModelOp;
  index: number;
  value: unknown;
}

interface ModelChan {
  cap: number;
  buf: unknown[];
  closed: boolean;
  recvq: Entry[];
  sendq: Entry[];
}

const CLOSED = 'closed';

type CaseSpec = { kind: 'recv' | 'send' | 'nil'; ch: number };
type Cmd =
  | { t: 'send'; ch: number; signal: 'none' | 'live' | 'aborted' }
  | { t: 'trySend'; ch: number }
  | { t: 'recv'; ch: number; signal: 'none' | 'live' | 'aborted' }
  | { t: 'tryRecv'; ch: number }
  | { t: 'close'; ch: number }
  | { t: 'abort'; k: number }
  | { t: 'select'; cases: CaseSpec[]; dflt: boolean; signal: 'none' | 'live' | 'aborted' };

const chanIdx = fc.nat({ max: 1 });
const signalArb = fc.constantFrom('none', 'none', 'live', 'aborted') as fc.Arbitrary<
  'none' | 'live' | 'aborted'
>;
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ t: fc.constant('send' as const), ch: chanIdx, signal: signalArb }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('trySend' as const), ch: chanIdx }) },
  {
    weight: 8,
    arbitrary: fc.record({ t: fc.constant('recv' as const), ch: chanIdx, signal: signalArb }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('tryRecv' as const), ch: chanIdx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('close' as const), ch: chanIdx }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('abort' as const), k: fc.nat() }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('select' as const),
      cases: fc.array(
        fc.record({
          kind: fc.constantFrom('recv', 'send', 'nil') as fc.Arbitrary<CaseSpec['kind']>,
          ch: chanIdx,
        }),
        { maxLength: 4 },
      ),
      dflt: fc.boolean(),
      signal: signalArb,
    }),
  },
);

/** Checks that `fn` throws ChannelClosedError(message), calling expect() only on a mismatch. */
function expectThrows(fn: () => unknown, message: string): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChannelClosedError && err.message === message) return;
    expect(err).toEqual(new ChannelClosedError(message));
  }
  expect.fail(`expected ${message}`);
}

/** A cheap structural check; expect() only runs on a mismatch, to report it. */
function sameSettlement(actual: Settlement<unknown>, expected: Expect): boolean {
  if (actual.state !== expected.state) return false;
  if (expected.state === 'rejected') {
    if (expected.reason !== CLOSED) return actual.reason === expected.reason;
    const err = actual.reason as Error;
    return (
      err instanceof ChannelClosedError && err.message === 'threadline: send on closed channel'
    );
  }
  if (expected.state === 'pending') return true;
  const a = actual.value as Record<string, unknown> | undefined;
  const e = expected.value as Record<string, unknown> | undefined;
  if (a === undefined || e === undefined) return a === e;
  const keys = Object.keys(e);
  return keys.length === Object.keys(a).length && keys.every((k) => Object.is(a[k], e[k]));
}

/** Runs one sequential program against real channels and the model; returns the ops count. */
async function runProgram(caps: number[], cmds: Cmd[], randoms: number[]): Promise<void> {
  let r = 0;
  const nextRandom = () => randoms[r++ % randoms.length] as number;
  vi.spyOn(Math, 'random').mockImplementation(nextRandom);
  const chans = caps.map((c) => new Channel<unknown>(c));
  const model: ModelChan[] = caps.map((cap) => ({
    cap,
    buf: [],
    closed: false,
    recvq: [],
    sendq: [],
  }));
  const ops: ModelOp[] = [];
  const abortable: ModelOp[] = [];
  let nextValue = 0;
  let replay = 0;

  const newOp = (promise: Promise<unknown>, ac: AbortController | undefined, isSelect: boolean) => {
    const op: ModelOp = {
      expect: { state: 'pending' },
      actual: track(promise),
      entries: [],
      ac,
      select: isSelect,
    };
    ops.push(op);
    if (ac !== undefined) abortable.push(op);
    return op;
  };
  const withdraw = (op: ModelOp) => {
    for (const e of op.entries) {
      for (const m of model) {
        m.recvq = m.recvq.filter((x) => x !== e);
        m.sendq = m.sendq.filter((x) => x !== e);
      }
    }
    op.entries = [];
  };
  const fulfil = (op: ModelOp, value: unknown) => {
    withdraw(op);
    op.expect = { state: 'fulfilled', value };
  };
  const reject = (op: ModelOp, reason: unknown) => {
    withdraw(op);
    op.expect = { state: 'rejected', reason };
  };
  const deliverRecv = (e: Entry, value: unknown, ok: boolean) =>
    fulfil(e.op, e.op.select ? { index: e.index, value, ok } : { value, ok });
  const releaseSend = (e: Entry) =>
    fulfil(e.op, e.op.select ? { index: e.index, value: undefined, ok: true } : undefined);
  const mRecvReady = (m: ModelChan) => m.buf.length > 0 || m.sendq.length > 0 || m.closed;
  const mSendReady = (m: ModelChan) => m.closed || m.recvq.length > 0 || m.buf.length < m.cap;
  const mTake = (m: ModelChan): { value: unknown; ok: boolean } => {
    if (m.buf.length > 0) {
      const value = m.buf.shift();
      const s = m.sendq.shift();
      if (s !== undefined) {
        m.buf.push(s.value);
        releaseSend(s);
      }
      return { value, ok: true };
    }
    const s = m.sendq.shift();
    if (s !== undefined) {
      releaseSend(s);
      return { value: s.value, ok: true };
    }
    return { value: undefined, ok: false };
  };
  const mOffer = (m: ModelChan, value: unknown) => {
    const rcv = m.recvq.shift();
    if (rcv !== undefined) deliverRecv(rcv, value, true);
    else m.buf.push(value);
  };
  const signalFor = (kind: 'none' | 'live' | 'aborted') => {
    if (kind === 'none') return undefined;
    const ac = new AbortController();
    if (kind === 'aborted') ac.abort({ preAborted: true });
    return ac;
  };

  for (const cmd of cmds) {
    switch (cmd.t) {
      case 'send': {
        const v = nextValue++;
        const ac = signalFor(cmd.signal);
        const op = newOp(chans[cmd.ch]!.send(v, { signal: ac?.signal }), ac, false);
        const m = model[cmd.ch]!;
        if (ac?.signal.aborted) op.expect = { state: 'rejected', reason: ac.signal.reason };
        else if (m.closed) op.expect = { state: 'rejected', reason: CLOSED };
        else if (mSendReady(m)) {
          mOffer(m, v);
          op.expect = { state: 'fulfilled', value: undefined };
        } else {
          const e = { op, index: 0, value: v };
          op.entries.push(e);
          m.sendq.push(e);
        }
        break;
      }
      case 'trySend': {
        const v = nextValue++;
        const m = model[cmd.ch]!;
        if (m.closed) {
          expectThrows(() => chans[cmd.ch]!.trySend(v), 'threadline: send on closed channel');
        } else {
          const ready = mSendReady(m);
          const sent = chans[cmd.ch]!.trySend(v);
          if (sent !== ready) expect(sent).toBe(ready);
          if (ready) mOffer(m, v);
        }
        break;
      }
      case 'recv': {
        const ac = signalFor(cmd.signal);
        const op = newOp(chans[cmd.ch]!.recv({ signal: ac?.signal }), ac, false);
        const m = model[cmd.ch]!;
        if (ac?.signal.aborted) op.expect = { state: 'rejected', reason: ac.signal.reason };
        else if (mRecvReady(m)) op.expect = { state: 'fulfilled', value: mTake(m) };
        else {
          const e = { op, index: 0, value: undefined };
          op.entries.push(e);
          m.recvq.push(e);
        }
        break;
      }
      case 'tryRecv': {
        const m = model[cmd.ch]!;
        const got = chans[cmd.ch]!.tryRecv();
        const want = mRecvReady(m) ? mTake(m) : undefined;
        if (
          !sameSettlement({ state: 'fulfilled', value: got }, { state: 'fulfilled', value: want })
        ) {
          expect(got).toEqual(want);
        }
        break;
      }
      case 'close': {
        const m = model[cmd.ch]!;
        if (m.closed) {
          expectThrows(() => chans[cmd.ch]!.close(), 'threadline: close of closed channel');
          break;
        }
        chans[cmd.ch]!.close();
        m.closed = true;
        for (let e = m.recvq.shift(); e !== undefined; e = m.recvq.shift())
          deliverRecv(e, undefined, false);
        for (let e = m.sendq.shift(); e !== undefined; e = m.sendq.shift()) reject(e.op, CLOSED);
        break;
      }
      case 'abort': {
        if (abortable.length === 0) break;
        const op = abortable[cmd.k % abortable.length]!;
        const ac = op.ac!;
        if (ac.signal.aborted) break;
        const reason = { aborted: cmd.k };
        ac.abort(reason);
        if (op.expect.state === 'pending') reject(op, reason);
        break;
      }
      case 'select': {
        const ac = signalFor(cmd.signal);
        const cases = cmd.cases.map((c) => {
          const v = nextValue++;
          if (c.kind === 'nil') return recv(null);
          return c.kind === 'recv' ? recv(chans[c.ch]!) : send(chans[c.ch]!, v);
        });
        const values = cases.map((c) =>
          c.kind === 'send' && c.channel !== null ? c.value : undefined,
        );
        replay = r;
        const op = newOp(select(cases, { signal: ac?.signal, default: cmd.dflt }), ac, true);
        if (ac?.signal.aborted) {
          op.expect = { state: 'rejected', reason: ac.signal.reason };
          break;
        }
        let chosen = -1;
        let ready = 0;
        cmd.cases.forEach((c, i) => {
          if (c.kind === 'nil') return;
          const m = model[c.ch]!;
          if (c.kind === 'recv' ? mRecvReady(m) : mSendReady(m)) {
            ready++;
            if (ready === 1 || nextRandomForModel() * ready < 1) chosen = i;
          }
        });
        if (chosen >= 0) {
          const c = cmd.cases[chosen]!;
          const m = model[c.ch]!;
          if (c.kind === 'recv')
            op.expect = { state: 'fulfilled', value: { index: chosen, ...mTake(m) } };
          else if (m.closed) op.expect = { state: 'rejected', reason: CLOSED };
          else {
            mOffer(m, values[chosen]);
            op.expect = {
              state: 'fulfilled',
              value: { index: chosen, value: undefined, ok: true },
            };
          }
        } else if (cmd.dflt) {
          op.expect = { state: 'fulfilled', value: { index: -1, value: undefined, ok: false } };
        } else {
          cmd.cases.forEach((c, i) => {
            if (c.kind === 'nil') return;
            const e = { op, index: i, value: values[i] };
            op.entries.push(e);
            (c.kind === 'recv' ? model[c.ch]!.recvq : model[c.ch]!.sendq).push(e);
          });
        }
        break;
      }
    }
    chans.forEach((ch, i) => {
      const m = model[i]!;
      const w = waiters(ch);
      // channel.ts invariants: a parked receiver means an empty buffer, a parked
      // sender a full one.
      if ((w.recv > 0 && ch.length > 0) || (w.send > 0 && ch.length < ch.capacity)) {
        expect.fail(
          `invariant broken: length ${ch.length}/${ch.capacity}, waiters ${w.send}/${w.recv}`,
        );
      }
      // Plain comparisons first: expect() on every step would dominate the run time.
      if (
        ch.length !== m.buf.length ||
        ch.closed !== m.closed ||
        w.send !== m.sendq.length ||
        w.recv !== m.recvq.length
      ) {
        expect({ length: ch.length, closed: ch.closed, ...w }).toEqual({
          length: m.buf.length,
          closed: m.closed,
          send: m.sendq.length,
          recv: m.recvq.length,
        });
      }
    });
  }

  // The model replays the random numbers that select.ts consumed for this select.
  function nextRandomForModel(): number {
    return randoms[replay++ % randoms.length] as number;
  }

  await turn();
  for (const op of ops) {
    if (!sameSettlement(op.actual, op.expect)) expect(op.actual).toEqual(op.expect);
  }
  vi.restoreAllMocks();
}

describe('Channel model', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('matches the array model on random sequential programs of every operation', async () => {
    let operations = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 3 }), { minLength: 2, maxLength: 2 }),
        fc.array(cmdArb, { minLength: 40, maxLength: 160 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (caps, cmds, randoms) => {
          operations += cmds.length;
          await runProgram(caps, cmds, randoms);
        },
      ),
      { numRuns: 1800 },
    );
    expect(operations).toBeGreaterThan(100_000);
  });
});

/**
 * Releases each scheduled task after a turn of the event loop. fc.scheduler()
 * otherwise drives the program from microtasks only, and a resumption that
 * the yield budget (src/channel/yield-budget.ts) moved to setImmediate would
 * never run while the scheduler spins: the run would livelock.
 */
const macrotaskAct = async (release: () => Promise<void>): Promise<void> => {
  await new Promise((resolve) => setImmediate(resolve));
  await release();
};

type ProducerStep = 'send' | 'tryFirst' | 'select' | 'abortable';
type ConsumerStep = 'recv' | 'tryFirst' | 'select' | 'abortable';

describe('Channel under fc.scheduler()', () => {
  it('delivers every committed value exactly once, in order per producer, whatever the interleaving', async () => {
    let operations = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.nat({ max: 3 }),
        fc.array(
          fc.array(fc.constantFrom<ProducerStep>('send', 'tryFirst', 'select', 'abortable'), {
            maxLength: 12,
          }),
          { minLength: 1, maxLength: 3 },
        ),
        fc.array(
          fc.array(fc.constantFrom<ConsumerStep>('recv', 'tryFirst', 'select', 'abortable'), {
            minLength: 1,
            maxLength: 6,
          }),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        async (s, capacity, producers, consumers) => {
          const ch = new Channel<number>(capacity);
          const never = new Channel<number>();
          const committed = new Set<number>();
          const withdrawn = new Set<number>();
          const received: number[][] = consumers.map(() => []);
          const point = () => s.schedule(Promise.resolve());

          const producing = producers.map(async (steps, p) => {
            for (let i = 0; i < steps.length; i++) {
              const v = p * 1000 + i;
              await point();
              operations++;
              switch (steps[i]) {
                case 'send':
                  await ch.send(v);
                  break;
                case 'tryFirst':
                  ch.trySend(v) || (await ch.send(v));
                  break;
                case 'select':
                  await select([send(ch, v), recv(never), send(null, -1)]);
                  break;
                case 'abortable': {
                  const ac = new AbortController();
                  point().then(() => ac.abort());
                  try {
                    await ch.send(v, { signal: ac.signal });
                  } catch {
                    withdrawn.add(v);
                    continue;
                  }
                  break;
                }
              }
              committed.add(v);
            }
          });
          const consuming = consumers.map(async (steps, c) => {
            for (let i = 0; ; i++) {
              await point();
              operations++;
              let r: { value: number | undefined; ok: boolean };
              switch (steps[i % steps.length]) {
                case 'recv':
                  r = await ch.recv();
                  break;
                case 'tryFirst':
                  r = ch.tryRecv() ?? (await ch.recv());
                  break;
                case 'select':
                  r = await select([recv(never), recv(ch), recv(null)]);
                  break;
                default: {
                  const ac = new AbortController();
                  point().then(() => ac.abort());
                  try {
                    r = await ch.recv({ signal: ac.signal });
                  } catch {
                    continue;
                  }
                }
              }
              if (!r.ok) return;
              received[c]!.push(r.value as number);
            }
          });
          await s.waitFor(Promise.all(producing), macrotaskAct);
          ch.close();
          await s.waitFor(Promise.all(consuming), macrotaskAct);

          const all = received.flat();
          // Exactly once: every committed value was received once; nothing else was.
          expect(all.length).toBe(committed.size);
          expect(new Set(all)).toEqual(committed);
          for (const v of withdrawn) expect(committed.has(v)).toBe(false);
          // FIFO per producer as seen by each consumer.
          for (const got of received) {
            for (let p = 0; p < producers.length; p++) {
              const mine = got.filter((v) => Math.floor(v / 1000) === p);
              expect(mine).toEqual([...mine].sort((a, b) => a - b));
            }
          }
          expect(waiters(ch)).toEqual({ send: 0, recv: 0 });
          expect(waiters(never)).toEqual({ send: 0, recv: 0 });
        },
      ),
      { numRuns: 400 },
    );
    expect(operations).toBeGreaterThan(5_000);
  });
});
