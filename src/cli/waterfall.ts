// Trace waterfall: one trace's spans as a tree ordered by start time, each
// with its offset and duration on a common scale. layoutWaterfall is shared by
// the terminal rendering here and the HTML report's SVG.
//
// Invariants:
//   Every span of the trace appears once; a span whose parent is not in the
//     trace is a root. Children follow their parent, ordered by start time.
//   0 <= row.offsetMs and row.offsetMs + row.durationMs <= totalMs (+ rounding).
//   0 <= row.waitMs <= row.offsetMs: a wait is clipped at the trace's start.

import { ATTR_APP_ERROR_KIND, ATTR_THREAD_ID } from '../index.js';
import type { SpanLine } from './jsonl-exporter.js';

/** One row of a waterfall. */
export interface WaterfallRow {
  name: string;
  spanId: string;
  parentSpanId: string | null;
  depth: number;
  offsetMs: number;
  durationMs: number;
  /** Time the task waited for a thread before offsetMs (ObservableResult.waitMs); 0 if unknown. */
  waitMs: number;
  /** 0 for the main thread. */
  threadId: number | undefined;
  /** Error kind (app.error.kind), or 'ERROR' for a failed span without one. */
  errorKind: string | undefined;
}

/** A laid-out trace. */
export interface Waterfall {
  traceId: string;
  totalMs: number;
  rows: WaterfallRow[];
}

/**
 * layoutWaterfall orders a trace's spans as a tree by start time; `waits`
 * gives the queue wait of task spans by span id (from their results).
 *
 * @example
 * const w = layoutWaterfall(recorder.trace(traceId), new Map(results.map((r) => [r.spanId, r.waitMs])));
 */
export function layoutWaterfall(
  spans: readonly SpanLine[],
  waits: ReadonlyMap<string, number> = new Map(),
): Waterfall {
  if (spans.length === 0) return { traceId: '', totalMs: 0, rows: [] };
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, SpanLine[]>();
  for (const s of spans) {
    const parent = s.parentSpanId !== null && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(s);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs);
  let t0 = Number.POSITIVE_INFINITY;
  let t1 = Number.NEGATIVE_INFINITY;
  for (const s of spans) {
    t0 = Math.min(t0, s.startMs);
    t1 = Math.max(t1, s.endMs);
  }
  const rows: WaterfallRow[] = [];
  const visit = (s: SpanLine, depth: number) => {
    const kind = s.attributes[ATTR_APP_ERROR_KIND];
    const thread = s.attributes[ATTR_THREAD_ID];
    const offsetMs = s.startMs - t0;
    rows.push({
      name: s.name,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      depth,
      offsetMs,
      durationMs: s.endMs - s.startMs,
      waitMs: Math.max(0, Math.min(offsetMs, waits.get(s.spanId) ?? 0)),
      threadId: typeof thread === 'number' ? thread : undefined,
      errorKind: typeof kind === 'string' ? kind : s.status.code === 'ERROR' ? 'ERROR' : undefined,
    });
    for (const c of children.get(s.spanId) ?? []) visit(c, depth + 1);
  };
  for (const root of children.get(null) ?? []) visit(root, 0);
  return { traceId: spans[0]!.traceId, totalMs: t1 - t0, rows };
}

/**
 * pickBatchTrace chooses the trace to draw: among traces rooted at a span
 * named `rootName`, the one whose task spans show the most distinct outcomes
 * (so failures are visible), the earliest on a tie.
 *
 * @example
 * const traceId = pickBatchTrace(recorder, 'pipeline/batch');
 */
export function pickBatchTrace(
  traces: readonly { traceId: string; spans: readonly SpanLine[] }[],
  rootName: string,
): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const { traceId, spans } of traces) {
    if (!spans.some((s) => s.name === rootName && s.parentSpanId === null)) continue;
    const outcomes = new Set<string>();
    for (const s of spans) {
      if (s.parentSpanId === null) continue;
      const kind = s.attributes[ATTR_APP_ERROR_KIND];
      if (s.attributes[ATTR_THREAD_ID] !== undefined || kind !== undefined) {
        outcomes.add(typeof kind === 'string' ? kind : 'ok');
      }
    }
    if (outcomes.size > bestScore) {
      bestScore = outcomes.size;
      best = traceId;
    }
  }
  return best;
}

const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/**
 * renderWaterfall draws a waterfall in `width` columns; `color` adds ANSI
 * colours (failures red). Rows beyond `maxRows` are dropped deepest first.
 *
 * @example
 * process.stdout.write(renderWaterfall(w, { width: 100, color: true, maxRows: 40 }));
 */
export function renderWaterfall(
  w: Waterfall,
  options: { width: number; color: boolean; maxRows: number },
): string {
  let rows = w.rows;
  let maxDepth = rows.reduce((m, r) => Math.max(m, r.depth), 0);
  while (rows.length > options.maxRows && maxDepth > 0) {
    maxDepth--;
    const limit = maxDepth;
    rows = rows.filter((r) => r.depth <= limit);
  }
  const hidden = w.rows.length - rows.length;
  const label = (r: WaterfallRow) => `${'  '.repeat(r.depth)}${r.name}`;
  const labelWidth = Math.min(34, Math.max(...rows.map((r) => label(r).length), 4));
  const tail = 22; // " t12  123.4 ms Timeout"
  const barWidth = Math.max(10, options.width - labelWidth - tail - 4);
  const scale = w.totalMs > 0 ? barWidth / w.totalMs : 0;
  const lines: string[] = [];
  const axisLeft = ' '.repeat(labelWidth + 2);
  const right = `${w.totalMs.toFixed(1)} ms`;
  lines.push(`${axisLeft}0 ms${' '.repeat(Math.max(1, barWidth - 4 - right.length + 2))}${right}`);
  for (const r of rows) {
    const start = Math.min(barWidth - 1, Math.floor(r.offsetMs * scale));
    const len = Math.max(1, Math.min(barWidth - start, Math.round(r.durationMs * scale)));
    const waitStart = Math.max(0, Math.floor((r.offsetMs - r.waitMs) * scale));
    const failed = r.errorKind !== undefined;
    const glyph = failed ? (options.color ? '█' : '▒') : '█';
    let run = glyph.repeat(len);
    if (options.color && failed) run = `${RED}${run}${RESET}`;
    const bar =
      ' '.repeat(waitStart) +
      '·'.repeat(start - waitStart) +
      run +
      ' '.repeat(barWidth - start - len);
    const name = label(r);
    const shown = name.length > labelWidth ? `${name.slice(0, labelWidth - 1)}…` : name;
    const thread = r.threadId === undefined ? '' : `t${r.threadId}`;
    let outcome = r.errorKind ?? '';
    if (options.color && failed) outcome = `${RED}${outcome}${RESET}`;
    lines.push(
      `${shown.padEnd(labelWidth)} |${bar}| ${thread.padStart(3)} ${r.durationMs.toFixed(1).padStart(7)} ms ${outcome}`,
    );
  }
  if (rows.some((r) => r.waitMs > 0)) {
    lines.push(
      `${' '.repeat(labelWidth + 2)}· waiting for a thread   █ running   ${options.color ? '' : '▒ failed'}`.trimEnd(),
    );
  }
  if (hidden > 0) {
    const note = `(${hidden} deeper spans not shown; all are in the trace file)`;
    lines.push(options.color ? `${DIM}${note}${RESET}` : note);
  }
  return `${lines.join('\n')}\n`;
}
