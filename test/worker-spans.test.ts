// Spans across the thread boundary, with the real SDK on the main thread only.
import { context, propagation, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_APP_ERROR_KIND,
  ATTR_APP_RESULT_TYPE,
  ATTR_APP_SOURCE,
  ATTR_THREAD_ID,
  createPool,
  go,
  type Pool,
  threadlineSpanProcessor,
} from 'threadline';
import { afterEach, describe, expect, it } from 'vitest';
import * as t from '../dist/test/fixtures/worker-tasks.js';

interface Setup {
  exporter: InMemorySpanExporter;
  provider: BasicTracerProvider;
  pool: Pool;
  inSpan<T>(fn: (span: Span) => Promise<T>): Promise<T>;
}

let teardown: (() => Promise<void>) | undefined;
afterEach(async () => {
  await teardown?.();
  teardown = undefined;
});

function setUp(route: 'wrapper' | 'internal', sampler = new AlwaysOnSampler()): Setup {
  const exporter = new InMemorySpanExporter();
  const inner = new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: sampler }),
    spanProcessors: [route === 'wrapper' ? threadlineSpanProcessor(inner) : inner],
  });
  const cm = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(cm);
  trace.setGlobalTracerProvider(provider);
  const pool = createPool({ maxThreads: 1 });
  teardown = async () => {
    await pool.close();
    trace.disable();
    context.disable();
    await provider.shutdown();
  };
  const tracer = provider.getTracer('test');
  return {
    exporter,
    provider,
    pool,
    inSpan: (fn) =>
      tracer.startActiveSpan('caller', async (span) => {
        try {
          return await fn(span);
        } finally {
          span.end();
        }
      }),
  };
}

/** Polls `f` every 5 ms until it returns a value (at most 2 s). */
async function waitFor<T>(f: () => T | undefined): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('waitFor: timed out');
}

function named(spans: ReadableSpan[], name: string): ReadableSpan {
  const s = spans.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no span ${name} in ${spans.map((x) => x.name).join(', ')}`);
  return s;
}

describe('worker spans', () => {
  for (const route of ['wrapper', 'internal'] as const) {
    describe(
      route === 'wrapper'
        ? 'threadlineSpanProcessor(inner)'
        : "the SDK provider's internal processor",
      () => {
        it('continues the caller trace in the worker and delivers user spans under the task span', async () => {
          const s = setUp(route);
          const { r, caller } = await s.inSpan(async (span) => ({
            r: await go(t.withSpans, [2], { pool: s.pool, source: 'spans/test' }),
            caller: span.spanContext(),
          }));
          expect(r.ok).toBe(true);
          expect(r.value).toBe(caller.traceId); // the active span inside the task is in the caller's trace
          expect(r.traceId).toBe(caller.traceId);
          const spans = s.exporter.getFinishedSpans();
          const task = named(spans, 'spans/test');
          expect(task.spanContext().spanId).toBe(r.spanId);
          expect(task.spanContext().traceId).toBe(caller.traceId);
          expect(task.parentSpanContext?.spanId).toBe(caller.spanId);
          expect(task.attributes[ATTR_APP_SOURCE]).toBe('spans/test');
          expect(task.attributes[ATTR_APP_RESULT_TYPE]).toBe('string');
          expect(task.attributes[ATTR_THREAD_ID]).toBe(r.threadId);
          for (const name of ['child-0', 'child-1']) {
            const child = named(spans, name);
            expect(child.spanContext().traceId).toBe(caller.traceId);
            expect(child.parentSpanContext?.spanId).toBe(r.spanId);
            expect(child.resource.attributes).toEqual(task.resource.attributes);
          }
          expect(task.resource.attributes['service.name']).toBeDefined();
          const [s0, s1] = task.duration;
          expect(s0 * 1e3 + s1 / 1e6).toBeCloseTo(r.elapsedMs, 3);
        });
      },
    );
  }

  it('starts a new sampled trace in the worker when the caller has no span', async () => {
    const s = setUp('wrapper');
    const r = await go(t.withSpans, [1], { pool: s.pool });
    expect(r.traceId).toMatch(/^[0-9a-f]{32}$/);
    const task = named(s.exporter.getFinishedSpans(), 'withSpans');
    expect(task.parentSpanContext).toBeUndefined();
    expect(task.spanContext().traceId).toBe(r.traceId);
    expect(named(s.exporter.getFinishedSpans(), 'child-0').parentSpanContext?.spanId).toBe(
      r.spanId,
    );
  });

  it('carries the caller context baggage into the worker', async () => {
    const s = setUp('wrapper');
    const bag = propagation.createBaggage({ tenant: { value: 'acme corp;1' } });
    const r = await s.inSpan(() =>
      context.with(propagation.setBaggage(context.active(), bag), () =>
        go(t.baggageOf, ['tenant'], { pool: s.pool }),
      ),
    );
    expect(r.value).toBe('acme corp;1');
  });

  it('records nothing in the worker for an unsampled caller', async () => {
    const s = setUp('wrapper', new AlwaysOffSampler());
    const r = await s.inSpan(() => go(t.withSpans, [2], { pool: s.pool }));
    expect(r.ok).toBe(true);
    expect(r.value).toBe(''); // no context manager was installed in the worker
    expect(s.exporter.getFinishedSpans()).toEqual([]);
  });

  describe('the task span', () => {
    const taskSpans = (s: Setup, spanId: string) =>
      s.exporter.getFinishedSpans().filter((x) => x.spanContext().spanId === spanId);

    it('is recorded once, on main, from the response when user code did not touch it', async () => {
      const s = setUp('wrapper');
      const { r, caller } = await s.inSpan(async (span) => ({
        r: await go(t.failPlain, [], { pool: s.pool, source: 'spans/plain' }),
        caller: span.spanContext(),
      }));
      expect(r.errorKind).toBe('Validation');
      const [task, ...more] = taskSpans(s, r.spanId);
      expect(more).toEqual([]);
      expect(task?.name).toBe('spans/plain');
      expect(task?.parentSpanContext?.spanId).toBe(caller.spanId);
      expect(task?.attributes[ATTR_APP_ERROR_KIND]).toBe('Validation');
      expect(task?.attributes[ATTR_THREAD_ID]).toBe(r.threadId);
      expect(task?.status).toEqual({ code: 2, message: 'bad input' });
      expect(task?.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([
        ['exception', 'bad input'],
      ]);
      const [s0, s1] = task?.duration ?? [0, 0];
      expect(s0 * 1e3 + s1 / 1e6).toBeCloseTo(r.elapsedMs, 5);
    });

    for (const fail of [false, true]) {
      it(`travels from the worker, once, with what user code set on it (${fail ? 'failed' : 'ok'})`, async () => {
        const s = setUp('internal');
        const r = await s.inSpan(() => go(t.touchTaskSpan, [fail], { pool: s.pool }));
        expect(r.ok).toBe(!fail);
        const [task, ...more] = taskSpans(s, r.spanId);
        expect(more).toEqual([]);
        expect(task?.attributes['user.note']).toBe('set in the task');
        expect(task?.attributes[ATTR_APP_RESULT_TYPE]).toBe(fail ? 'undefined' : 'number');
        expect(task?.attributes[ATTR_APP_ERROR_KIND]).toBe(fail ? 'NotFound' : undefined);
        expect(task?.events.map((e) => e.name)).toEqual(
          fail ? ['user.event', 'exception'] : ['user.event'],
        );
        if (fail) expect(task?.events[1]?.attributes?.['exception.type']).toBe('E_ROW');
      });
    }
  });

  it('records the task span on main, with the Timeout, when the worker task is abandoned', async () => {
    const s = setUp('wrapper');
    const r = await s.inSpan(() => go(t.spin, [5_000], { pool: s.pool, timeoutMs: 30 }));
    expect(r.errorKind).toBe('Timeout');
    const task = named(s.exporter.getFinishedSpans(), 'spin');
    expect(task.spanContext().spanId).toBe(r.spanId);
    expect(task.attributes[ATTR_APP_ERROR_KIND]).toBe('Timeout');
    expect(task.status.code).toBe(2);
  });

  it('keeps one task span when the response arrives after main timed the task out, and delivers its user spans', async () => {
    const s = setUp('wrapper');
    // Load the task module first: a fresh thread's first task includes the import,
    // which can outlast timeout + grace (the thread would be terminated instead).
    await go(t.noop, [], { pool: s.pool });
    // lateSpans returns only after its signal aborted, that is after main settled it:
    // its response (a user span) arrives after the Timeout, and its call may return
    // to main before that response does (they travel on different ports).
    const r = await s.inSpan(() => go(t.lateSpans, [], { pool: s.pool, timeoutMs: 30 }));
    expect(r.errorKind).toBe('Timeout');
    const late = await waitFor(() =>
      s.exporter.getFinishedSpans().find((x) => x.name === 'after-abort'),
    );
    const spans = s.exporter.getFinishedSpans();
    const tasks = spans.filter((x) => x.name === 'lateSpans');
    // One task span: main's. The worker does not end an abandoned task span, and main
    // drops a copy with the same id that raced past that check.
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.spanContext().spanId).toBe(r.spanId);
    expect(tasks[0]?.attributes[ATTR_APP_ERROR_KIND]).toBe('Timeout');
    expect(late.parentSpanContext?.spanId).toBe(r.spanId);
    expect(spans.filter((x) => x.name === 'after-abort')).toHaveLength(1);
  });

  it('delivers the user spans a task ended before it hung, although its thread is terminated', async () => {
    const s = setUp('wrapper');
    await go(t.noop, [], { pool: s.pool }); // the module is loaded: the timeout counts the task alone
    const first = await go(t.threadOf, [], { pool: s.pool });
    const r = await s.inSpan(() => go(t.spanThenHang, [], { pool: s.pool, timeoutMs: 30 }));
    expect(r.errorKind).toBe('Timeout');
    const before = await waitFor(() =>
      s.exporter.getFinishedSpans().find((x) => x.name === 'before-hang'),
    );
    expect(before.parentSpanContext?.spanId).toBe(r.spanId);
    expect(before.spanContext().traceId).toBe(r.traceId);
    // The hung thread was terminated and replaced.
    const next = await go(t.threadOf, [], { pool: s.pool });
    expect(next.value).not.toBe(first.value);
    expect(s.exporter.getFinishedSpans().filter((x) => x.name === 'before-hang')).toHaveLength(1);
    expect(s.exporter.getFinishedSpans().filter((x) => x.name === 'spanThenHang')).toHaveLength(1);
  });

  describe('a worker that has recorded a sampled task', () => {
    // Untraced = no SDK registered on main (go() then sends no caller context):
    // the SDK is unregistered around the untraced call and registered again after.
    async function untraced<T>(s: Setup, fn: () => Promise<T>): Promise<T> {
      trace.disable();
      try {
        return await fn();
      } finally {
        trace.setGlobalTracerProvider(s.provider);
      }
    }

    it('runs a following untraced task with its AsyncLocalStorage suspended', async () => {
      const s = setUp('wrapper');
      const first = await s.inSpan(() => go(t.captureContext, [], { pool: s.pool }));
      expect(first.ok).toBe(true);
      expect(first.value).toBe(first.spanId); // the traced task saw its own span
      const r = await untraced(s, () => go(t.contextSeen, [], { pool: s.pool }));
      expect(r.threadId).toBe(first.threadId);
      expect(r.traceId).toBe('');
      // capturedSpanId: a function bound to the first task's async context sees
      // no span, so the storage is disabled, not merely empty at this point.
      expect(r.value).toEqual({ noActiveSpan: true, rootContext: true, capturedSpanId: '' });
    });

    it('still runs a traced task after an untraced one under its own span, its user spans under the caller', async () => {
      const s = setUp('wrapper');
      const first = await s.inSpan(() => go(t.withSpans, [1], { pool: s.pool }));
      const between = await untraced(s, () => go(t.contextSeen, [], { pool: s.pool }));
      expect(between.ok).toBe(true);
      expect(between.traceId).toBe(''); // it ran without caller context: suspend() ran
      s.exporter.reset();
      const { own, r, caller } = await s.inSpan(async (span) => ({
        own: await go(t.captureContext, [], { pool: s.pool }),
        r: await go(t.withSpans, [2], { pool: s.pool, source: 'spans/after' }),
        caller: span.spanContext(),
      }));
      expect(new Set([first.threadId, between.threadId, own.threadId, r.threadId]).size).toBe(1);
      expect(own.value).toBe(own.spanId);
      expect(own.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(r.value).toBe(caller.traceId);
      const spans = s.exporter.getFinishedSpans();
      const task = named(spans, 'spans/after');
      expect(task.spanContext().spanId).toBe(r.spanId);
      expect(task.parentSpanContext?.spanId).toBe(caller.spanId);
      for (const name of ['child-0', 'child-1']) {
        const child = named(spans, name);
        expect(child.spanContext().traceId).toBe(caller.traceId);
        expect(child.parentSpanContext?.spanId).toBe(r.spanId);
      }
    });
  });

  it('works with no SDK registered: empty ids, nothing installed in the worker', async () => {
    const pool = createPool({ maxThreads: 1 });
    teardown = () => pool.close();
    const r = await go(t.withSpans, [1], { pool });
    expect(r.ok).toBe(true);
    expect(r.value).toBe('');
    expect(r.traceId).toBe('');
    expect(r.spanId).toBe('');
  });
});
