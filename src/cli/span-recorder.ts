// SpanRecorder: keeps the demo's finished spans in memory, as SpanLines, for
// the terminal waterfall and the HTML report (whatever the exporter is).
//
// Invariants:
//   At most `maxTraces` traces are kept (the first ones seen); spans of other
//     traces are counted, not kept, so memory stays bounded on long runs.

import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type SpanLine, toSpanLine } from './jsonl-exporter.js';

/**
 * SpanRecorder is a SpanProcessor that keeps the spans of the first
 * `maxTraces` traces.
 *
 * @example
 * const recorder = new SpanRecorder(64);
 * new BasicTracerProvider({ spanProcessors: [threadlineSpanProcessor(recorder)] });
 */
export class SpanRecorder implements SpanProcessor {
  readonly #maxTraces: number;
  readonly #traces = new Map<string, SpanLine[]>();
  #seen = 0;

  constructor(maxTraces: number) {
    this.#maxTraces = maxTraces;
  }

  /** Spans seen in total (kept or not). */
  get seen(): number {
    return this.#seen;
  }

  /** The kept spans of one trace, in end order; empty when not kept. */
  trace(traceId: string): SpanLine[] {
    return this.#traces.get(traceId) ?? [];
  }

  /** Trace ids kept, in first-seen order. */
  traceIds(): string[] {
    return [...this.#traces.keys()];
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    this.#seen++;
    const traceId = span.spanContext().traceId;
    let spans = this.#traces.get(traceId);
    if (spans === undefined) {
      if (this.#traces.size >= this.#maxTraces) return;
      spans = [];
      this.#traces.set(traceId, spans);
    }
    spans.push(toSpanLine(span));
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
