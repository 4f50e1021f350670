// Span recording inside a worker thread, without the OpenTelemetry SDK (the
// worker cannot assume the application's SDK copy is importable from here).
//
// install() registers, once per thread, an AsyncLocalStorage context manager and
// a TracerProvider whose spans, when ended, are appended to `pending`; the next
// task response takes them all (drainSpans), so spans travel inside result
// envelopes and none is lost while the worker is busy. When main abandons a
// traced task (timeout, abort), it asks the thread for them at once
// (entry.ts flushSpans): a task that hangs on an await would otherwise take
// them with its terminated thread.
// Sampling is parent-based: a span is recorded only when its parent is sampled;
// a span with no parent (started outside any task context) is not recorded.
//
// Invariants:
//   The storage is enabled only while traced tasks run: suspend() (before an
//     untraced task) disables it, the next with() re-enables it.
//   install() runs at most once per thread, on the first task whose caller
//     context is sampled; untraced pools never pay for AsyncLocalStorage.
//   A RecordingSpan is appended to `pending` once, at its first end().

import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  context,
  type Exception,
  type HrTime,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type EncodedSpan, randomId, type WireEvent, type WireLink } from '../wire.js';

export { randomId };

let pending: EncodedSpan[] = [];
let installed = false;
let manager: AlsContextManager | undefined;

/** Whether install() has run in this thread. */
export function isInstalled(): boolean {
  return installed;
}

/**
 * install registers the worker's context manager and recording tracer provider
 * (idempotent).
 *
 * @example
 * if (sampled) install();
 */
export function install(): void {
  if (installed) return;
  installed = true;
  manager = new AlsContextManager();
  context.setGlobalContextManager(manager.enable());
  trace.setGlobalTracerProvider(new RecordingProvider());
}

/**
 * suspend turns the AsyncLocalStorage off until the next `context.with` (a
 * traced task) turns it on again: once no storage is enabled, Node removes its
 * promise hooks, so untraced tasks in a thread that once recorded do not pay
 * for context propagation. Called before each task without caller context.
 *
 * @example
 * if (req.trace === undefined && isInstalled()) suspend();
 */
export function suspend(): void {
  manager?.suspend();
}

/**
 * drainSpans returns the spans ended since the last call, or undefined when none.
 *
 * @example
 * response.spans = drainSpans();
 */
export function drainSpans(): EncodedSpan[] | undefined {
  if (pending.length === 0) return undefined;
  const out = pending;
  pending = [];
  return out;
}

class AlsContextManager implements ContextManager {
  readonly #als = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#als.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#als.run(ctx, () => fn.apply(thisArg, args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const self = this;
    return function (this: unknown, ...args: unknown[]) {
      return self.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#als.disable();
    return this;
  }

  /** Disables the storage; AsyncLocalStorage.run (in with()) re-enables it. */
  suspend(): void {
    this.#als.disable();
  }
}

class RecordingProvider implements TracerProvider {
  readonly #tracers = new Map<string, RecordingTracer>();

  getTracer(name: string, version?: string): Tracer {
    const key = `${name}@${version ?? ''}`;
    let tracer = this.#tracers.get(key);
    if (tracer === undefined) {
      tracer = new RecordingTracer(name, version);
      this.#tracers.set(key, tracer);
    }
    return tracer;
  }
}

/** The Tracer user code gets inside a worker task once recording is installed. */
export class RecordingTracer implements Tracer {
  readonly #scope: { name: string; version?: string };

  constructor(name: string, version?: string) {
    this.#scope = version === undefined ? { name } : { name, version };
  }

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    const parent = options.root ? undefined : trace.getSpanContext(ctx);
    if (parent === undefined || !isSpanContextValid(parent)) {
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
    const spanContext: SpanContext = {
      traceId: parent.traceId,
      spanId: randomId(8),
      traceFlags: parent.traceFlags,
    };
    if (parent.traceState !== undefined) spanContext.traceState = parent.traceState;
    if ((parent.traceFlags & 1) === 0) return trace.wrapSpanContext(spanContext);
    return new RecordingSpan(name, spanContext, parent, options, this.#scope);
  }

  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...rest: unknown[]
  ): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length >= 2 ? rest[0] : {}) as SpanOptions;
    const parentCtx = (rest.length >= 3 ? rest[1] : context.active()) as Context;
    const span = this.startSpan(name, options, parentCtx);
    return context.with(trace.setSpan(parentCtx, span), () => fn(span)) as ReturnType<F>;
  }
}

/**
 * startTaskSpan starts the span of a task attempt: a child of the caller's span
 * context, or, for `root`, a root span in the caller's new trace, sampled as
 * main decided.
 */
export function startTaskSpan(
  name: string,
  spanId: string,
  parent: SpanContext,
  root: boolean,
  attributes: Attributes,
  startTime: HrTime,
): RecordingSpan {
  const spanContext: SpanContext = {
    traceId: parent.traceId,
    spanId,
    traceFlags: parent.traceFlags,
  };
  if (parent.traceState !== undefined) spanContext.traceState = parent.traceState;
  return new RecordingSpan(
    name,
    spanContext,
    root ? undefined : parent,
    { startTime },
    { name: 'threadline' },
    attributes,
  );
}

function toHr(time: TimeInput | undefined): HrTime {
  if (Array.isArray(time)) return time as HrTime;
  let ms: number;
  if (time === undefined) ms = performance.timeOrigin + performance.now();
  else if (time instanceof Date) ms = time.getTime();
  else if (time < performance.timeOrigin)
    ms = performance.timeOrigin + time; // a performance.now() reading
  else ms = time;
  const seconds = Math.trunc(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function isAttributeValue(value: unknown): value is AttributeValue {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean' || Array.isArray(value);
}

/** A span recorded in a worker; ended, it joins the pending list as an EncodedSpan (src/wire.ts encodeSpan's layout). */
export class RecordingSpan implements Span {
  #name: string;
  readonly #ctx: SpanContext;
  readonly #parent: SpanContext | undefined;
  readonly #kind: number;
  readonly #start: HrTime;
  readonly #attributes: Attributes;
  readonly #events: WireEvent[] = [];
  readonly #links: WireLink[] = [];
  readonly #scope: { name: string; version?: string };
  #status: SpanStatus = { code: SpanStatusCode.UNSET };
  #ended = false;
  /**
   * Whether anything changed the span since its start (an attribute, event,
   * link, status, name, or end()). A task span nobody touched need not travel:
   * main rebuilds it from the response (src/pool/task-trace.ts).
   */
  touched = false;

  /**
   * `own`: attributes to keep as they are (not copied nor filtered), for the
   * task span, whose attribute object threadline has just built.
   */
  constructor(
    name: string,
    ctx: SpanContext,
    parent: SpanContext | undefined,
    options: SpanOptions,
    scope: { name: string; version?: string },
    own?: Attributes,
  ) {
    this.#attributes = own ?? {};
    this.#name = name;
    this.#ctx = ctx;
    this.#parent = parent;
    this.#kind = options.kind ?? SpanKind.INTERNAL;
    this.#start = toHr(options.startTime);
    this.#scope = scope;
    if (options.attributes !== undefined) this.setAttributes(options.attributes);
    if (options.links !== undefined) this.addLinks(options.links);
    this.touched = false;
  }

  spanContext(): SpanContext {
    return this.#ctx;
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.touched = true;
    if (!this.#ended && isAttributeValue(value)) this.#attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const k of Object.keys(attributes)) this.setAttribute(k, attributes[k] as AttributeValue);
    this.touched = true;
    return this;
  }

  addEvent(name: string, attrsOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    this.touched = true;
    if (this.#ended) return this;
    let attributes: Attributes | undefined;
    if (
      typeof attrsOrTime === 'object' &&
      !Array.isArray(attrsOrTime) &&
      !(attrsOrTime instanceof Date)
    ) {
      attributes = attrsOrTime as Attributes;
    } else {
      time = attrsOrTime as TimeInput | undefined;
    }
    const event: WireEvent =
      attributes === undefined
        ? { name, time: toHr(time) }
        : { name, time: toHr(time), attributes };
    this.#events.push(event);
    return this;
  }

  addLink(link: Link): this {
    this.touched = true;
    const ctx = link.context;
    const wire: WireLink =
      link.attributes === undefined
        ? { traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: ctx.traceFlags }
        : {
            traceId: ctx.traceId,
            spanId: ctx.spanId,
            traceFlags: ctx.traceFlags,
            attributes: link.attributes,
          };
    this.#links.push(wire);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.touched = true;
    if (!this.#ended) this.#status = { ...status };
    return this;
  }

  updateName(name: string): this {
    this.touched = true;
    if (!this.#ended) this.#name = name;
    return this;
  }

  isRecording(): boolean {
    return !this.#ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else {
      const e = exception as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
      const type = e.code !== undefined ? String(e.code) : e.name;
      if (type !== undefined) attributes['exception.type'] = String(type);
      if (e.message !== undefined) attributes['exception.message'] = String(e.message);
      if (e.stack !== undefined) attributes['exception.stacktrace'] = String(e.stack);
    }
    this.addEvent('exception', attributes, time);
  }

  end(endTime?: TimeInput): void {
    this.touched = true;
    if (this.#ended) return;
    this.#ended = true;
    const ctx = this.#ctx;
    const end = toHr(endTime);
    const parent = this.#parent;
    const status = this.#status;
    // encodeSpan's layout, built directly.
    pending.push([
      this.#name,
      this.#kind,
      ctx.traceId,
      ctx.spanId,
      ctx.traceFlags,
      ctx.traceState?.serialize(),
      parent?.spanId,
      parent?.isRemote === true ? 1 : 0,
      this.#start[0],
      this.#start[1],
      end[0],
      end[1],
      this.#attributes,
      this.#events.length === 0 ? undefined : this.#events,
      this.#links.length === 0 ? undefined : this.#links,
      status.code,
      status.message,
      this.#scope.name,
      this.#scope.version,
      0,
      0,
    ]);
  }
}
