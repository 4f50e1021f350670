import {
  context,
  ROOT_CONTEXT,
  type SpanContext,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { Channel, Group, go, KindError, type ObservableResult, unwrap } from 'threadline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelay } from '../dist/src/pool/retry.js';
import { setUpOtel, useOtel } from './support/otel.js';
import { deferred, never } from './support/promises.js';

describe('go()', () => {
  describe('result', () => {
    it('resolves to an ObservableResult with the value and its facts', async () => {
      const before = performance.timeOrigin + performance.now();
      const r = await go(async function answer() {
        return 42;
      });
      expect(r).toMatchObject({
        ok: true,
        value: 42,
        error: undefined,
        errorKind: undefined,
        resultType: 'number',
        source: 'answer',
        retryCount: 0,
        threadId: 0,
        traceId: '',
        spanId: '',
      });
      expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(r.waitMs).toBeGreaterThanOrEqual(0);
      expect(r.timestamp).toBeGreaterThanOrEqual(before);
      expect(r.timestamp).toBeLessThanOrEqual(performance.timeOrigin + performance.now());
    });

    it('defaults source to fn.name, then "anonymous", and lets options.source win', async () => {
      function named() {
        return 1;
      }
      expect((await go(named)).source).toBe('named');
      expect((await go(() => 1)).source).toBe('anonymous');
      expect((await go(named, { source: 'math/one' })).source).toBe('math/one');
    });

    it('reports the runtime type of the value', async () => {
      class User {}
      expect((await go(() => new User())).resultType).toBe('User');
      expect((await go(() => null)).resultType).toBe('null');
      expect((await go(() => new Uint8Array(2))).resultType).toBe('Uint8Array');
    });

    it('is eager: fn runs before go() returns', () => {
      let ran = false;
      const task = go(() => {
        ran = true;
      });
      expect(ran).toBe(true);
      return task;
    });
  });

  describe('failures', () => {
    it('never rejects: a synchronous throw becomes a failed result with its kind', async () => {
      const err = new TypeError('boom');
      const r = await go(() => {
        throw err;
      });
      expect(r).toMatchObject({ ok: false, value: undefined, errorKind: 'Panic' });
      expect(r.error).toBe(err);
      expect(r.resultType).toBe('undefined');
    });

    it('keeps a rejected Error as is and classifies it', async () => {
      const err = new KindError('NotFound', 'user 42 not found');
      const r = await go(async () => {
        throw err;
      });
      expect(r.error).toBe(err);
      expect(r.errorKind).toBe('NotFound');
    });

    it('wraps a thrown non-Error in KindError("Unknown") with it as cause', async () => {
      const r = await go(() => {
        throw 'nope';
      });
      expect(r.errorKind).toBe('Unknown');
      expect(r.error).toBeInstanceOf(KindError);
      expect(r.error?.message).toBe('threadline: task threw a non-Error value: "nope"');
      expect(r.error?.cause).toBe('nope');
    });

    it('lets no rejection escape, even one that comes after the task settled', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const late = deferred();
        const r = await go(() => late.promise, { timeoutMs: 1 });
        expect(r.errorKind).toBe('Timeout');
        late.reject(new Error('too late'));
        await new Promise((resolve) => setTimeout(resolve, 10));
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  });

  describe('unwrap()', () => {
    it('returns the value of a success', async () => {
      expect(unwrap(await go(() => 'v'))).toBe('v');
    });

    it('throws the error of a failure', async () => {
      const err = new Error('x');
      const r = await go(() => Promise.reject(err));
      expect(() => unwrap(r)).toThrow(err);
    });
  });

  describe('options.timeoutMs', () => {
    it("settles Timeout at the deadline and aborts fn's signal with a TimeoutError", async () => {
      let seen: AbortSignal | undefined;
      const r = await go(
        ({ signal }) => {
          seen = signal;
          return never();
        },
        { timeoutMs: 5, source: 'slow' },
      );
      expect(r.errorKind).toBe('Timeout');
      expect(r.error?.message).toBe('threadline: task "slow" timed out after 5ms');
      expect(seen?.aborted).toBe(true);
      expect((seen!.reason as Error).name).toBe('TimeoutError');
      expect(r.error?.cause).toBe(seen?.reason);
    });

    it('discards what fn does after the timeout', async () => {
      const late = deferred<number>();
      const r = await go(() => late.promise, { timeoutMs: 1 });
      late.resolve(1);
      await late.promise;
      expect(r.ok).toBe(false);
      expect(r.value).toBeUndefined();
    });

    it('gives fn an aborted signal when it first reads it after the timeout', async () => {
      let ctx: { signal: AbortSignal } | undefined;
      const r = await go(
        (c) => {
          ctx = c;
          return never();
        },
        { timeoutMs: 1 },
      );
      expect(r.errorKind).toBe('Timeout');
      expect(ctx?.signal.aborted).toBe(true);
      expect((ctx!.signal.reason as Error).name).toBe('TimeoutError');
      expect(r.error?.cause).toBe(ctx?.signal.reason);
    });

    it('does not fire once fn settled first', async () => {
      const r = await go(async () => 'fast', { timeoutMs: 10_000 });
      expect(r.ok).toBe(true);
    });
  });

  describe('options.signal', () => {
    it('settles Canceled at the abort with the reason as cause', async () => {
      const ac = new AbortController();
      const reason = new Error('shutting down');
      const task = go(() => never(), { signal: ac.signal, source: 'job' });
      ac.abort(reason);
      const r = await task;
      expect(r.errorKind).toBe('Canceled');
      expect(r.error?.message).toBe('threadline: task "job" canceled');
      expect(r.error?.cause).toBe(reason);
    });

    it("passes the caller's signal to fn", async () => {
      const ac = new AbortController();
      const r = await go(({ signal }) => signal, { signal: ac.signal });
      expect(r.value).toBe(ac.signal);
    });

    it('settles Timeout when the reason is a TimeoutError (AbortSignal.timeout)', async () => {
      const r = await go(() => never(), { signal: AbortSignal.timeout(1), source: 'dl' });
      expect(r.errorKind).toBe('Timeout');
      expect(r.error?.message).toBe('threadline: task "dl" deadline exceeded');
      expect((r.error!.cause as Error).name).toBe('TimeoutError');
    });

    it('does not run fn when the signal is already aborted', async () => {
      let ran = false;
      const r = await go(
        () => {
          ran = true;
        },
        { signal: AbortSignal.abort(), source: 'never' },
      );
      expect(ran).toBe(false);
      expect(r.errorKind).toBe('Canceled');
      expect(r.error?.message).toBe('threadline: task "never" canceled before it started');
      expect(r.elapsedMs).toBe(0);
    });

    it("gives fn one signal that aborts for the caller's signal and for timeoutMs alike", async () => {
      const ac = new AbortController();
      let seen: AbortSignal | undefined;
      const task = go(
        ({ signal }) => {
          seen = signal;
          return never();
        },
        { signal: ac.signal, timeoutMs: 60_000 },
      );
      const reason = new Error('stop');
      ac.abort(reason);
      const r = await task;
      expect(r.errorKind).toBe('Canceled');
      expect(seen).not.toBe(ac.signal);
      expect(seen?.reason).toBe(reason);
    });
  });

  describe('options.retries', () => {
    it('retries kinds in retryOn and reports retryCount', async () => {
      let calls = 0;
      const r = await go(
        () => {
          calls++;
          if (calls < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
          return calls;
        },
        { retries: 5, retryDelayMs: 0 },
      );
      expect(r).toMatchObject({ ok: true, value: 3, retryCount: 2 });
    });

    it("gives up after `retries` extra attempts with the last attempt's result", async () => {
      let calls = 0;
      const r = await go(
        () => {
          calls++;
          throw new KindError('Network', `attempt ${calls}`);
        },
        { retries: 2, retryDelayMs: 0 },
      );
      expect(calls).toBe(3);
      expect(r.retryCount).toBe(2);
      expect(r.error?.message).toBe('attempt 3');
    });

    it('does not retry kinds outside retryOn', async () => {
      let calls = 0;
      const r = await go(
        () => {
          calls++;
          throw new KindError('Validation', 'bad');
        },
        { retries: 3, retryDelayMs: 0 },
      );
      expect(calls).toBe(1);
      expect(r.retryCount).toBe(0);
    });

    it('retries a timed-out attempt, timing each attempt on its own', async () => {
      let calls = 0;
      const r = await go(
        () => {
          calls++;
          return calls === 1 ? never() : 'second';
        },
        { retries: 1, timeoutMs: 5, retryDelayMs: 0 },
      );
      expect(r).toMatchObject({ ok: true, value: 'second', retryCount: 1 });
    });

    it("stops retrying once the caller's signal aborted, also during the backoff sleep", async () => {
      const ac = new AbortController();
      let calls = 0;
      const task = go(
        () => {
          calls++;
          queueMicrotask(() => ac.abort());
          throw new KindError('Timeout', 'slow');
        },
        { retries: 5, retryDelayMs: 60_000, signal: ac.signal },
      );
      const r = await task;
      expect(calls).toBe(1);
      expect(r.errorKind).toBe('Timeout');
    });
  });

  describe('bad input', () => {
    it('throws TypeError for a non-function, naming the value', () => {
      expect(() => go(42 as never)).toThrow(
        new TypeError('threadline: go expects a function or a defineTask handle, got 42'),
      );
      expect(() => go('fn' as never)).toThrow(
        new TypeError('threadline: go expects a function or a defineTask handle, got "fn"'),
      );
      expect(() => go(null as never)).toThrow(
        new TypeError('threadline: go expects a function or a defineTask handle, got null'),
      );
    });

    it('throws for invalid options, naming the option and the value', () => {
      const f = () => 1;
      expect(() => go(f, 5 as never)).toThrow(
        new TypeError('threadline: go options must be an object, got 5'),
      );
      expect(() => go(f, { timeoutMs: -1 })).toThrow(
        new RangeError('threadline: go option timeoutMs must be a number > 0, got -1'),
      );
      expect(() => go(f, { timeoutMs: '5' as never })).toThrow(
        new TypeError('threadline: go option timeoutMs must be a number > 0, got "5"'),
      );
      expect(() => go(f, { retries: 1.5 })).toThrow(
        new RangeError('threadline: go option retries must be an integer >= 0, got 1.5'),
      );
      expect(() => go(f, { retryDelayMs: Number.NaN })).toThrow(
        new RangeError('threadline: go option retryDelayMs must be a finite number >= 0, got NaN'),
      );
      expect(() => go(f, { retryOn: ['Nope' as never] })).toThrow(
        new TypeError(
          'threadline: go option retryOn must be an array of ErrorKind, got [object Array]',
        ),
      );
      expect(() => go(f, { signal: {} as never })).toThrow(
        new TypeError('threadline: go option signal must be an AbortSignal, got [object Object]'),
      );
      expect(() => go(f, { source: '' })).toThrow(
        new TypeError('threadline: go option source must be a non-empty string, got ""'),
      );
      expect(() => go(f, { into: {} as never })).toThrow(
        new TypeError(
          'threadline: go option into must be a channel with send(), got [object Object]',
        ),
      );
    });
  });

  describe('options.into', () => {
    it('settles only after the result was sent, and sends the result itself', async () => {
      const sent: unknown[] = [];
      const gate = deferred();
      const into = {
        async send(value: unknown) {
          await gate.promise;
          sent.push(value);
        },
      };
      let settled = false;
      const task = go(() => 7, { into }).then((r) => {
        settled = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(settled).toBe(false);
      gate.resolve();
      const r = await task;
      expect(sent).toEqual([r]);
      expect(r.value).toBe(7);
    });

    it('turns a failed send into a Closed failure with the undelivered result as cause', async () => {
      const into = {
        send: () => Promise.reject(new KindError('Closed', 'threadline: send on closed channel')),
      };
      const r = await go(() => 7, { into, source: 'producer' });
      expect(r.errorKind).toBe('Closed');
      expect(r.error?.message).toBe(
        'threadline: task "producer" result not delivered: threadline: send on closed channel',
      );
      expect((r.error!.cause as { value: number }).value).toBe(7);
    });

    it('abandons a blocked send when the signal aborts: Canceled, the result as cause', async () => {
      const ac = new AbortController();
      const into = {
        send: (_v: unknown, o?: { signal?: AbortSignal }) =>
          new Promise<void>((_, reject) =>
            o?.signal?.addEventListener('abort', () => reject(o.signal?.reason)),
          ),
      };
      const task = go(() => 7, { into, signal: ac.signal, source: 'p' });
      await new Promise((resolve) => setTimeout(resolve, 1));
      ac.abort();
      const r = await task;
      expect(r.errorKind).toBe('Canceled');
      expect(r.error?.message).toBe(
        'threadline: task "p" canceled before its result was delivered',
      );
      expect((r.error!.cause as { ok: boolean }).ok).toBe(true);
    });
  });

  describe('options.into with a Channel', () => {
    it('delivers the result to a receiver; the task settles after the rendezvous', async () => {
      const ch = new Channel<ObservableResult<number>>();
      let settled = false;
      const task = go(() => 5, { into: ch, source: 'into/ok' }).then((r) => {
        settled = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(settled).toBe(false);
      const { value, ok } = await ch.recv();
      expect(ok).toBe(true);
      const r = await task;
      expect(value).toBe(r);
      expect(r.value).toBe(5);
    });

    it('makes the result a Closed failure when the channel is closed', async () => {
      const ch = new Channel<ObservableResult<number>>(1);
      ch.close();
      const r = await go(() => 5, { into: ch, source: 'into/closed' });
      expect(r.errorKind).toBe('Closed');
      expect(r.error?.message).toBe(
        'threadline: task "into/closed" result not delivered: threadline: send on closed channel',
      );
      expect((r.error!.cause as ObservableResult<number>).value).toBe(5);
    });

    it('holds the Group slot while the send is blocked', async () => {
      const ch = new Channel<ObservableResult<number>>();
      const g = new Group({ limit: 1 });
      g.go(() => 1, { into: ch });
      let secondRan = false;
      const second = g.go(() => {
        secondRan = true;
        return 2;
      });
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(secondRan).toBe(false);
      expect((await ch.recv()).value?.value).toBe(1);
      expect((await second).value).toBe(2);
      const { results } = await g.wait();
      expect(results.map((r) => r.ok)).toEqual([true, true]);
    });

    it('abandons a blocked send when the Group is canceled: Canceled, the result as cause', async () => {
      const ch = new Channel<ObservableResult<number>>();
      const g = new Group();
      const blocked = g.go(() => 1, { into: ch, source: 'into/blocked' });
      g.go(() => {
        throw new KindError('Conflict', 'lost the race');
      });
      const r = await blocked;
      expect(r.errorKind).toBe('Canceled');
      expect((r.error!.cause as ObservableResult<number>).value).toBe(1);
      expect(ch.tryRecv()).toBeUndefined();
    });
  });

  describe('without an SDK', () => {
    let manager: AsyncLocalStorageContextManager;
    beforeAll(() => {
      manager = new AsyncLocalStorageContextManager().enable();
      context.setGlobalContextManager(manager);
    });
    afterAll(() => {
      context.disable();
      manager.disable();
    });

    it("reports the parent's ids through the API's non-recording span", async () => {
      const parent: SpanContext = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      };
      const ctx = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(parent));
      const r = await context.with(ctx, () => go(() => 1));
      expect(r.traceId).toBe(parent.traceId);
      expect(r.spanId).toBe(parent.spanId);
    });
  });

  describe('with the SDK', () => {
    const otel = useOtel();
    beforeEach(() => otel.reset());

    it('records one span per task, a child of the active span, with its ids in the result', async () => {
      const { value: r, span: parent } = await otel.inSpan('parent', () =>
        go(async () => 1, { source: 'child' }),
      );
      const [child] = otel.spansNamed('child');
      expect(child).toBeDefined();
      expect(child!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(child!.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(r.traceId).toBe(child!.spanContext().traceId);
      expect(r.spanId).toBe(child!.spanContext().spanId);
    });

    it('makes the task span the active span inside fn', async () => {
      const r = await go(() => trace.getActiveSpan()?.spanContext().spanId);
      expect(r.value).toBe(r.spanId);
    });

    it('sets the three-tuple and the task attributes on success, with status UNSET', async () => {
      const r = await go(async () => 'x', { source: 'ok/src' });
      const [span] = otel.spansNamed('ok/src');
      expect(span!.attributes).toEqual({
        'app.source': 'ok/src',
        'app.task.name': 'anonymous',
        'app.retry.count': 0,
        'thread.id': 0,
        'app.result.type': 'string',
        'app.duration_ms': r.elapsedMs,
      });
      expect(span!.status.code).toBe(SpanStatusCode.UNSET);
      expect(span!.events).toEqual([]);
    });

    it('sets app.error.kind and error.type, status ERROR and the exception on failure', async () => {
      const err = new KindError('NotFound', 'user 42 not found');
      const r = await go(
        async function lookup() {
          throw err;
        },
        { source: 'users' },
      );
      const [span] = otel.spansNamed('users');
      expect(span!.attributes).toMatchObject({
        'app.error.kind': 'NotFound',
        'error.type': 'NotFound',
        'app.result.type': 'undefined',
        'app.task.name': 'lookup',
        'app.duration_ms': r.elapsedMs,
      });
      expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'user 42 not found' });
      expect(span!.events.map((e) => e.name)).toEqual(['exception']);
      expect(span!.events[0]!.time).toEqual(span!.endTime);
    });

    it('gives the span a duration equal to elapsedMs', async () => {
      const r = await go(() => new Promise((resolve) => setTimeout(resolve, 3)), { source: 'd' });
      const [span] = otel.spansNamed('d');
      expect(Math.abs(hrTimeToMilliseconds(span!.duration) - r.elapsedMs)).toBeLessThan(1e-5);
    });

    it('records a timeout on the span as Timeout', async () => {
      await go(() => never(), { timeoutMs: 1, source: 't' });
      const [span] = otel.spansNamed('t');
      expect(span!.attributes['app.error.kind']).toBe('Timeout');
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    });

    it('records one span per attempt, numbered by app.retry.count', async () => {
      let calls = 0;
      const r = await go(
        () => {
          if (++calls < 3) throw new KindError('Network', 'down');
          return calls;
        },
        { retries: 3, retryDelayMs: 0, source: 'retrying' },
      );
      const spans = otel.spansNamed('retrying');
      expect(spans.map((s) => s.attributes['app.retry.count'])).toEqual([0, 1, 2]);
      expect(spans.map((s) => s.attributes['app.error.kind'])).toEqual([
        'Network',
        'Network',
        undefined,
      ]);
      expect(r.spanId).toBe(spans[2]!.spanContext().spanId);
    });

    it('nests a span started inside fn under the task span', async () => {
      const r = await go(
        async () => {
          const inner = trace.getTracer('user').startSpan('inner');
          inner.end();
        },
        { source: 'outer' },
      );
      const [inner] = otel.spansNamed('inner');
      expect(inner!.parentSpanContext?.spanId).toBe(r.spanId);
    });
  });

  describe('when an SDK is registered after go() was used', () => {
    let second: ReturnType<typeof setUpOtel> | undefined;
    afterEach(async () => {
      await second?.shutdown();
    });

    it('records with the provider registered now', async () => {
      expect((await go(() => 1)).spanId).toBe('');
      second = setUpOtel();
      const r = await go(() => 1, { source: 'late' });
      expect(second.spansNamed('late')).toHaveLength(1);
      expect(r.spanId).not.toBe('');
    });
  });
});

describe('backoffDelay()', () => {
  it('doubles from retryDelayMs with jitter in [0.5, 1) of the nominal delay', () => {
    expect(backoffDelay(10, 0, () => 0)).toBe(5);
    expect(backoffDelay(10, 3, () => 0)).toBe(40);
    expect(backoffDelay(10, 3, () => 0.999)).toBeCloseTo(79.96, 5);
  });

  it('caps the nominal delay at 30 s', () => {
    expect(backoffDelay(10, 40, () => 0.999_999)).toBeLessThan(30_000);
    expect(backoffDelay(10, 40, () => 0)).toBe(15_000);
  });
});

describe('examples', () => {
  const run = async (name: string): Promise<string[]> => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout } = await promisify(execFile)(process.execPath, [`dist/examples/${name}.js`], {
      timeout: 20_000,
    });
    return stdout.trimEnd().split('\n');
  };

  it('go-basics prints what its comments say', async () => {
    const lines = await run('go-basics');
    expect(lines[0]).toMatch(/^true 42 number \d+\.\d{3} ms$/);
    expect(lines.slice(1)).toEqual([
      '42',
      'false NotFound user 42 not found',
      'Timeout threadline: task "anonymous" timed out after 20ms',
      'Canceled',
      'ok 2',
    ]);
  });

  it('wait-group prints what its comments say', async () => {
    expect(await run('wait-group')).toEqual([
      'running: 3',
      'done: alpha, beta, gamma | counter: 0',
      'reused, counter: 0',
    ]);
  });

  it('group-backpressure returns results in submission order', async () => {
    const lines = await run('group-backpressure');
    expect(lines[1]).toMatch(/^0 1 4 9 16 25 36 49( -1)?$/);
    expect(lines.at(-1)).toBe('group signal aborted after wait(): true');
  });

  it('fan-out (npm run demo) prints a summary and exits by itself', async () => {
    const lines = await run('fan-out');
    expect(lines[0]).toBe('threadline demo: fan-out of 17 tasks with go() in a Group (limit 4)');
    expect(lines.some((l) => l.startsWith('stats: 17 tasks'))).toBe(true);
    expect(lines.some((l) => l.startsWith('firstError: KindError'))).toBe(true);
  });
});
