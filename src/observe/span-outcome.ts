// Recording a task attempt's outcome on its span: the same facts, the same way,
// on the main thread and inside workers. Depends only on @opentelemetry/api and
// threadline's attribute names, so a worker can import it without the SDK.
//
// Invariants:
//   Every task span carries app.source, app.retry.count, app.task.name, thread.id
//     (set at start, so samplers see them) and the three-tuple app.result.type,
//     app.duration_ms, app.error.kind (set at the end; app.error.kind and
//     error.type only on failure).
//   A failed attempt's span has status ERROR with the error's message and one
//     exception event at the end reading.
//   The span's start and end are HrTimes computed from the two readings that
//     give elapsedMs, so the span's duration equals elapsedMs to the nanosecond.

import { type Attributes, diag, type HrTime, type Span, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_APP_DURATION_MS,
  ATTR_APP_ERROR_KIND,
  ATTR_APP_RESULT_TYPE,
  ATTR_APP_RETRY_COUNT,
  ATTR_APP_SOURCE,
  ATTR_APP_TASK_NAME,
  ATTR_ERROR_TYPE,
  ATTR_THREAD_ID,
} from './attributes.js';
import type { ErrorKind } from './error-kind.js';

/**
 * The facts an attempt's span records at its end.
 *
 * @example
 * endTaskSpan(span, { ok, error, errorKind, resultType, elapsedMs }, toHrTime(t1));
 */
export interface SpanOutcome {
  readonly ok: boolean;
  readonly error: Error | undefined;
  readonly errorKind: ErrorKind | undefined;
  readonly resultType: string;
  readonly elapsedMs: number;
}

/**
 * taskSpanAttributes returns the attributes a task span starts with.
 *
 * @example
 * tracer.startSpan(source, { attributes: taskSpanAttributes(source, 'fib', 0, 0), startTime });
 */
export function taskSpanAttributes(
  source: string,
  taskName: string,
  retryCount: number,
  threadId: number,
): Attributes {
  // Literal keys, checked against the constants by the type: an object literal
  // with computed keys is built key by key (~1 µs), this one from a boilerplate.
  const attributes: {
    [ATTR_APP_SOURCE]: string;
    [ATTR_APP_TASK_NAME]: string;
    [ATTR_APP_RETRY_COUNT]: number;
    [ATTR_THREAD_ID]: number;
  } = {
    'app.source': source,
    'app.task.name': taskName,
    'app.retry.count': retryCount,
    'thread.id': threadId,
  };
  return attributes;
}

/**
 * endTaskSpan records an attempt's outcome on `span` (the three-tuple,
 * `error.type`, status and exception on failure) and ends it at `endTime`.
 * Never throws: telemetry must not break the task.
 *
 * @example
 * endTaskSpan(span, { ok: true, error: undefined, errorKind: undefined, resultType: 'number', elapsedMs }, toHrTime(t1));
 */
export function endTaskSpan(span: Span, outcome: SpanOutcome, endTime: HrTime): void {
  try {
    recordOutcome(span, outcome, endTime);
  } catch (err) {
    diag.warn('threadline: recording a task span failed', err);
  }
}

function recordOutcome(span: Span, outcome: SpanOutcome, endTime: HrTime): void {
  span.setAttribute(ATTR_APP_RESULT_TYPE, outcome.resultType);
  span.setAttribute(ATTR_APP_DURATION_MS, outcome.elapsedMs);
  if (!outcome.ok) {
    const kind = outcome.errorKind ?? 'Unknown';
    span.setAttribute(ATTR_APP_ERROR_KIND, kind);
    span.setAttribute(ATTR_ERROR_TYPE, kind);
    const error = outcome.error;
    span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? kind });
    if (error !== undefined) span.recordException(error, endTime);
  }
  span.end(endTime);
}

const NANOS_PER_MS = 1e6;
const NANOS_PER_SECOND = 1e9;

/**
 * toHrTime turns a `performance.now()` reading into an epoch HrTime, exactly as
 * the SDK does for its own clock: the time origin and the reading are converted
 * separately, so two readings of one thread differ by exactly their difference.
 *
 * @example
 * const t0 = performance.now(); ...; span.end(toHrTime(performance.now()));
 */
export function toHrTime(perfNow: number, timeOrigin: number = performance.timeOrigin): HrTime {
  if (timeOrigin !== cachedOrigin) {
    cachedOrigin = timeOrigin;
    cachedOriginHrTime = msToHrTime(timeOrigin);
  }
  return addHrTime(cachedOriginHrTime, msToHrTime(perfNow));
}

/**
 * addMsToHrTime returns `time` plus `ms`, in HrTime arithmetic: a span that
 * starts at `time` and lasts `ms` has a duration of exactly `ms` (to the ns),
 * which adding to an epoch-ms double (0.24 µs resolution) would not give.
 *
 * @example
 * span.end(addMsToHrTime(start, elapsedMs));
 */
export function addMsToHrTime(time: HrTime, ms: number): HrTime {
  return addHrTime(time, msToHrTime(ms));
}

function addHrTime(a: HrTime, b: HrTime): HrTime {
  let seconds = a[0] + b[0];
  let nanos = a[1] + b[1];
  while (nanos >= NANOS_PER_SECOND) {
    nanos -= NANOS_PER_SECOND;
    seconds += 1;
  }
  return [seconds, nanos];
}

// The last time origin converted: one per thread in practice.
let cachedOrigin = Number.NaN;
let cachedOriginHrTime: HrTime = [0, 0];

function msToHrTime(ms: number): HrTime {
  const seconds = Math.trunc(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * NANOS_PER_MS)];
}
