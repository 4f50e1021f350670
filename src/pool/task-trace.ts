// The task span's context on the main side of a worker attempt: the W3C caller
// context written for the worker (traceparent/tracestate/baggage and the task
// span's id, chosen here so main can end the span itself), main's sampling
// decision for a task with no caller span (the application's sampler through
// SDK 2.x internals, best effort; sampled when unreachable), and the task span
// main records when it settles an attempt itself.

import {
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  isSpanContextValid,
  propagation,
  type Span,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { ErrorKind } from '../observe/error-kind.js';
import {
  addMsToHrTime,
  endTaskSpan,
  taskSpanAttributes,
  toHrTime,
} from '../observe/span-outcome.js';
import { deliverWorkerSpans } from '../observe/span-processor.js';
import {
  formatBaggage,
  formatTraceparent,
  randomId,
  type WireEvent,
  type WireSpan,
  type WireTrace,
} from '../wire.js';
import type { AttemptContext } from './attempt.js';

/**
 * wireTrace writes the attempt's caller context for the worker, with the task
 * span's id chosen here.
 *
 * @example
 * const wt = tracer === undefined ? undefined : wireTrace(tracer, attempt);
 */
export function wireTrace(tracer: Tracer, attempt: AttemptContext): WireTrace {
  const parent = trace.getSpanContext(attempt.parentContext);
  const spanId = randomId(8);
  let out: { -readonly [K in keyof WireTrace]: WireTrace[K] };
  if (parent !== undefined && isSpanContextValid(parent)) {
    out = { traceparent: formatTraceparent(parent), spanId };
    const ts = parent.traceState?.serialize();
    if (ts !== undefined && ts !== '') out.tracestate = ts;
  } else {
    const traceId = randomId(16);
    const flags = sampled(tracer, attempt, traceId) ? 1 : 0;
    out = {
      traceparent: formatTraceparent({ traceId, spanId, traceFlags: flags }),
      spanId,
      root: true,
    };
  }
  const bag = propagation.getBaggage(attempt.parentContext);
  if (bag !== undefined) {
    const entries = bag.getAllEntries();
    if (entries.length > 0) out.baggage = formatBaggage(entries);
  }
  return out;
}

interface SamplerLike {
  shouldSample(...args: unknown[]): { decision: number };
}

function sampled(tracer: Tracer, attempt: AttemptContext, traceId: string): boolean {
  try {
    const sampler = (tracer as unknown as { _sampler?: SamplerLike })._sampler;
    if (sampler === undefined) return true;
    const attrs = taskSpanAttributes(attempt.source, attempt.source, attempt.retryCount, 0);
    const r = sampler.shouldSample(
      attempt.parentContext,
      traceId,
      attempt.source,
      SpanKind.INTERNAL,
      attrs,
      [],
    );
    return r.decision === 2; // SamplingDecision.RECORD_AND_SAMPLED
  } catch {
    return true;
  }
}

/** What recordTaskSpan needs of an attempt's outcome. */
export interface TaskSpanOutcome {
  readonly ok: boolean;
  readonly error: Error | undefined;
  readonly errorKind: ErrorKind | undefined;
  readonly resultType: string;
  readonly elapsedMs: number;
  /** Epoch ms (sub-ms precision) when the attempt started running. */
  readonly startTime: number;
  readonly threadId: number;
}

/**
 * recordTaskSpan records, on main, the task span of a worker attempt, with
 * the id the worker used for it (its user spans' parent), and hands it to the
 * span processors like a worker span. Main records it when it settled the
 * attempt itself (timeout, abort, crash, not started), and when the worker's
 * response came without it: a task span user code did not touch does not
 * travel, main has every fact it holds (ids, names, the outcome and its two
 * readings). Its duration is `elapsedMs` to the nanosecond.
 *
 * @example
 * if (sampled) recordTaskSpan(wt, parent, attempt, 'fib', outcome);
 */
export function recordTaskSpan(
  wt: WireTrace,
  parent: { traceId: string; spanId: string; traceFlags: number },
  attempt: AttemptContext,
  taskName: string,
  o: TaskSpanOutcome,
): void {
  const start = toHrTime(o.startTime, 0);
  const span = new MainSpan({
    name: attempt.source,
    kind: SpanKind.INTERNAL,
    traceId: parent.traceId,
    spanId: wt.spanId,
    traceFlags: parent.traceFlags,
    parentSpanId: wt.root === true ? undefined : parent.spanId,
    startTime: start,
    attributes: taskSpanAttributes(attempt.source, taskName, attempt.retryCount, o.threadId),
  });
  endTaskSpan(span as unknown as Span, o, addMsToHrTime(start, o.elapsedMs));
}

interface MainSpanInit {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  traceFlags: number;
  parentSpanId: string | undefined;
  startTime: HrTime;
  attributes: Attributes;
}

/** The subset of Span that endTaskSpan uses; end() delivers it as a worker span. */
class MainSpan {
  readonly #init: MainSpanInit;
  readonly #events: WireEvent[] = [];
  #status: SpanStatus = { code: SpanStatusCode.UNSET };

  constructor(init: MainSpanInit) {
    this.#init = init;
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.#init.attributes[key] = value;
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.#status = status;
    return this;
  }

  recordException(exception: Exception, time: HrTime): void {
    // As the worker's RecordingSpan records it: a `code` is the type when present.
    const e = exception as { name?: string; message?: string; stack?: string; code?: unknown };
    const attributes: Attributes = {};
    const type = e.code !== undefined ? String(e.code) : e.name;
    if (type !== undefined) attributes['exception.type'] = type;
    if (e.message !== undefined) attributes['exception.message'] = e.message;
    if (e.stack !== undefined) attributes['exception.stacktrace'] = e.stack;
    this.#events.push({ name: 'exception', time, attributes });
  }

  end(endTime: HrTime): void {
    const i = this.#init;
    const span: WireSpan = {
      name: i.name,
      kind: i.kind,
      traceId: i.traceId,
      spanId: i.spanId,
      traceFlags: i.traceFlags,
      ...(i.parentSpanId === undefined ? {} : { parentSpanId: i.parentSpanId }),
      startTime: i.startTime,
      endTime,
      attributes: i.attributes,
      events: this.#events,
      links: [],
      status: this.#status,
      scope: { name: 'threadline' },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
    };
    deliverWorkerSpans([span]);
  }
}
