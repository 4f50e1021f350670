// JsonLinesSpanExporter: the demo's embedded trace sink. Each finished span is
// one JSON object on its own line (schema: SpanLine), appended to a file, so a
// run's trace can be read with `jq`, grepped, or loaded by a test, with no
// collector installed.
//
// Invariants:
//   Lines are written synchronously, whole, in export order: a line is never
//     torn, even when the process is interrupted right after an export.
//   After shutdown() nothing more is written; export() answers FAILED.

import { appendFileSync, closeSync, openSync } from 'node:fs';
import type { HrTime } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** One line of the trace file. Times are epoch milliseconds (fractional). */
export interface SpanLine {
  traceId: string;
  spanId: string;
  /** `null` for a root span. */
  parentSpanId: string | null;
  name: string;
  /** SpanKind as a number (0 INTERNAL). */
  kind: number;
  startMs: number;
  endMs: number;
  durationMs: number;
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  attributes: Record<string, unknown>;
  events: { name: string; timeMs: number; attributes: Record<string, unknown> }[];
  scope: string;
  service: string | undefined;
}

/**
 * hrToMs converts an HrTime to epoch ms.
 *
 * @example
 * hrToMs([1, 500_000]); // 1000.5
 */
export function hrToMs(t: HrTime): number {
  return t[0] * 1e3 + t[1] / 1e6;
}

const STATUS = ['UNSET', 'OK', 'ERROR'] as const;

/**
 * toSpanLine converts a finished span to its trace-file line.
 *
 * @example
 * JSON.stringify(toSpanLine(span));
 */
export function toSpanLine(span: ReadableSpan): SpanLine {
  const ctx = span.spanContext();
  const status: SpanLine['status'] = { code: STATUS[span.status.code] ?? 'UNSET' };
  if (span.status.message) status.message = span.status.message;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    kind: span.kind,
    startMs: hrToMs(span.startTime),
    endMs: hrToMs(span.endTime),
    durationMs: hrToMs(span.duration),
    status,
    attributes: { ...span.attributes },
    events: span.events.map((e) => ({
      name: e.name,
      timeMs: hrToMs(e.time),
      attributes: { ...(e.attributes ?? {}) },
    })),
    scope: span.instrumentationScope?.name ?? '',
    service: span.resource?.attributes['service.name'] as string | undefined,
  };
}

/**
 * JsonLinesSpanExporter appends spans as JSON lines to `path` (created or
 * truncated when the exporter is made).
 *
 * @example
 * const exporter = new JsonLinesSpanExporter('/tmp/trace.jsonl');
 * const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
 */
export class JsonLinesSpanExporter implements SpanExporter {
  readonly path: string;
  #fd: number | undefined;
  #written = 0;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, 'w');
  }

  /** Spans written so far. */
  get written(): number {
    return this.#written;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#fd === undefined) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter shut down') });
      return;
    }
    try {
      let text = '';
      for (const s of spans) text += `${JSON.stringify(toSpanLine(s))}\n`;
      appendFileSync(this.#fd, text);
      this.#written += spans.length;
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
    return Promise.resolve();
  }
}
