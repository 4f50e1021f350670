// Worker spans on the main thread: spans recorded inside worker threads arrive
// in task responses (src/wire.ts WireSpan) and are rebuilt here as ReadableSpans
// with their own ids, then handed to the application's span processors:
//   1. every live threadlineSpanProcessor(inner) wrapper, when there is one;
//   2. else, best effort, the registered SDK provider's internal processor
//      (`_activeSpanProcessor`, SDK 2.x internals), with its `_resource`.
// Main-side onStart does not run for worker spans.
//
// Invariants:
//   A worker span is delivered to each route at most once (route 2 only when
//     no wrapper is live, so never to both).
//   deliverWorkerSpans never throws: telemetry reports through diag.
//   The wrapper registry lives on globalThis (Symbol.for), so copies of
//     threadline in one process share it.

import {
  type Attributes,
  type Context,
  diag,
  type HrTime,
  ProxyTracerProvider,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import type { WireSpan } from '../wire.js';

/** The structural shape of an OpenTelemetry SDK SpanProcessor (no SDK import needed). */
export interface SpanProcessorLike {
  onStart(span: unknown, parentContext: Context): void;
  onEnd(span: unknown): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  onEnding?(span: unknown): void;
}

/** A resource as ReadableSpan carries it (structural). */
type ResourceLike = { readonly attributes: Attributes } & Record<string, unknown>;

const REGISTRY = Symbol.for('threadline.spanProcessors');

function wrappers(): Set<ThreadlineSpanProcessor> {
  const g = globalThis as { [REGISTRY]?: Set<ThreadlineSpanProcessor> };
  let set = g[REGISTRY];
  if (set === undefined) {
    set = new Set();
    g[REGISTRY] = set;
  }
  return set;
}

/**
 * ThreadlineSpanProcessor passes every main-thread span to `inner` unchanged,
 * and also receives the spans recorded in worker threads.
 */
export class ThreadlineSpanProcessor implements SpanProcessorLike {
  readonly #inner: SpanProcessorLike;
  #resource: ResourceLike | undefined; // learnt from the first main-thread span

  constructor(inner: SpanProcessorLike) {
    this.#inner = inner;
    wrappers().add(this);
  }

  onStart(span: unknown, parentContext: Context): void {
    this.#learn(span);
    this.#inner.onStart(span, parentContext);
  }

  onEnding(span: unknown): void {
    this.#inner.onEnding?.(span);
  }

  onEnd(span: unknown): void {
    this.#learn(span);
    this.#inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }

  shutdown(): Promise<void> {
    wrappers().delete(this);
    return this.#inner.shutdown();
  }

  /** Hands a rebuilt worker span to `inner` (internal). */
  deliver(span: WireSpan): void {
    this.#inner.onEnd(rebuild(span, this.#resource ?? providerResource() ?? EMPTY_RESOURCE));
  }

  #learn(span: unknown): void {
    if (this.#resource === undefined) {
      const r = (span as { resource?: ResourceLike } | undefined)?.resource;
      if (r !== undefined) this.#resource = r;
    }
  }
}

/**
 * threadlineSpanProcessor wraps the application's span processor so that spans
 * started inside worker tasks reach it too, rebuilt on the main thread with
 * their own ids and the main provider's resource. Without it, threadline hands
 * worker spans, best effort, to the registered SDK provider's internal processor.
 *
 * @example
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [threadlineSpanProcessor(new SimpleSpanProcessor(exporter))],
 * });
 * trace.setGlobalTracerProvider(provider);
 */
export function threadlineSpanProcessor(inner: SpanProcessorLike): ThreadlineSpanProcessor {
  if (typeof inner !== 'object' || inner === null || typeof inner.onEnd !== 'function') {
    throw new TypeError(
      `threadline: threadlineSpanProcessor expects a SpanProcessor, got ${String(inner)}`,
    );
  }
  return new ThreadlineSpanProcessor(inner);
}

interface SdkProviderInternals {
  _activeSpanProcessor?: { onEnd?(span: unknown): void };
  _resource?: ResourceLike;
}

function sdkProvider(): SdkProviderInternals | undefined {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  return provider as unknown as SdkProviderInternals;
}

function providerResource(): ResourceLike | undefined {
  return sdkProvider()?._resource;
}

const EMPTY_RESOURCE: ResourceLike = {
  attributes: {},
  asyncAttributesPending: false,
  schemaUrl: undefined,
  merge(other: unknown) {
    return other ?? EMPTY_RESOURCE;
  },
  getRawAttributes() {
    return [];
  },
  waitForAsyncAttributes() {
    return Promise.resolve();
  },
};

let warnedNoRoute = false;

/**
 * deliverWorkerSpans hands worker spans to the application's processors (see
 * the file-top comment). Never throws.
 *
 * @example
 * if (response.spans) deliverWorkerSpans(response.spans);
 */
export function deliverWorkerSpans(spans: readonly WireSpan[]): void {
  try {
    const live = wrappers();
    if (live.size > 0) {
      for (const p of live) for (const s of spans) p.deliver(s);
      return;
    }
    const provider = sdkProvider();
    const processor = provider?._activeSpanProcessor;
    if (processor?.onEnd === undefined) {
      if (!warnedNoRoute) {
        warnedNoRoute = true;
        diag.warn(
          'threadline: worker spans dropped: wrap your span processor with threadlineSpanProcessor()',
        );
      }
      return;
    }
    const resource = provider?._resource ?? EMPTY_RESOURCE;
    for (const s of spans) processor.onEnd(rebuild(s, resource));
  } catch (err) {
    diag.error('threadline: delivering worker spans failed', err);
  }
}

function hrDuration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}

function rebuild(s: WireSpan, resource: ResourceLike): unknown {
  const ctx: SpanContext = {
    traceId: s.traceId,
    spanId: s.spanId,
    traceFlags: s.traceFlags,
    isRemote: false,
  };
  const parentSpanContext: SpanContext | undefined =
    s.parentSpanId === undefined
      ? undefined
      : {
          traceId: s.traceId,
          spanId: s.parentSpanId,
          traceFlags: s.traceFlags,
          isRemote: s.parentRemote === true,
        };
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => ctx,
    parentSpanContext,
    startTime: s.startTime,
    endTime: s.endTime,
    status: s.status,
    attributes: s.attributes,
    links: s.links.map((l) => ({
      context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags },
      attributes: l.attributes ?? {},
    })),
    events: s.events.map((e) => ({
      name: e.name,
      time: e.time,
      attributes: e.attributes ?? {},
      droppedAttributesCount: 0,
    })),
    duration: hrDuration(s.startTime, s.endTime),
    ended: true,
    resource,
    instrumentationScope: s.scope,
    droppedAttributesCount: s.droppedAttributesCount,
    droppedEventsCount: s.droppedEventsCount,
    droppedLinksCount: 0,
  };
}
