// Test helper: the real OpenTelemetry SDK (BasicTracerProvider +
// InMemorySpanExporter + AsyncLocalStorageContextManager), registered globally
// for one test file and torn down after it. Never a mock.
//
// Usage:
//   const otel = useOtel();            // registers in beforeAll, tears down in afterAll
//   beforeEach(() => otel.reset());    // forget spans of earlier tests
//   const spans = otel.spans();        // finished spans, in end order
//
// Or by hand: `const otel = setUpOtel(); ...; await otel.shutdown();`.

import { context, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll } from 'vitest';

export interface OtelHarness {
  readonly provider: BasicTracerProvider;
  readonly exporter: InMemorySpanExporter;
  /** Finished spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** Finished spans with this name. */
  spansNamed(name: string): ReadableSpan[];
  /** Forgets the finished spans. */
  reset(): void;
  /** Runs `fn` inside a new active span (ended after fn settles) and returns fn's value with the span. */
  inSpan<T>(name: string, fn: (span: Span) => Promise<T> | T): Promise<{ value: T; span: Span }>;
  /** Unregisters the globals and shuts the provider down. */
  shutdown(): Promise<void>;
}

/** Options of setUpOtel(). */
export interface OtelOptions {
  /** Default: AlwaysOnSampler. */
  sampler?: Sampler;
}

/** setUpOtel registers a tracer provider and the AsyncLocalStorage context manager globally. */
export function setUpOtel(options: OtelOptions = {}): OtelHarness {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    sampler: options.sampler ?? new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('test');
  return {
    provider,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    spansNamed: (name) => exporter.getFinishedSpans().filter((s) => s.name === name),
    reset: () => exporter.reset(),
    inSpan: (name, fn) =>
      tracer.startActiveSpan(name, async (span) => {
        try {
          return { value: await fn(span), span };
        } finally {
          span.end();
        }
      }),
    async shutdown() {
      trace.disable();
      context.disable();
      contextManager.disable();
      await provider.shutdown();
    },
  };
}

/** useOtel registers the SDK for the current test file (beforeAll) and removes it (afterAll). */
export function useOtel(options: OtelOptions = {}): OtelHarness {
  let harness: OtelHarness | undefined;
  const get = (): OtelHarness => {
    if (harness === undefined)
      throw new Error('useOtel: used outside a test (before beforeAll ran)');
    return harness;
  };
  beforeAll(() => {
    harness = setUpOtel(options);
  });
  afterAll(async () => {
    await harness?.shutdown();
    harness = undefined;
  });
  return {
    get provider() {
      return get().provider;
    },
    get exporter() {
      return get().exporter;
    },
    spans: () => get().spans(),
    spansNamed: (name) => get().spansNamed(name),
    reset: () => get().reset(),
    inSpan: (name, fn) => get().inSpan(name, fn),
    shutdown: () => get().shutdown(),
  };
}
