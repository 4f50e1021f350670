// Runs one task request inside a worker thread and builds its response: task
// lookup, caller context restored, the task span, timing, resultType before
// cloning, error capture, and the check that the value can be cloned back.
//
// Invariants:
//   runTask never rejects: every failure (module not found, thrown error,
//     uncloneable value) becomes an `ok: false` response.
//   startTime/endTime/elapsedMs come from two performance.now() readings
//     around the call of the task function; the task span uses the same two.
//   The span recording (./recording.ts) is installed only by a sampled request.

import { isMainThread, type TransferListItem, threadId } from 'node:worker_threads';
import {
  type BaggageEntry,
  baggageEntryMetadataFromString,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import { classifyError } from '../observe/classify.js';
import { KindError } from '../observe/kind-error.js';
import { resultType } from '../observe/result-type.js';
import { endTaskSpan, taskSpanAttributes, toHrTime } from '../observe/span-outcome.js';
import {
  findUncloneable,
  parseBaggage,
  parseTraceparent,
  serializeError,
  type TaskRequest,
  type TaskResponse,
} from '../wire.js';
import { cachedTask, lookupTask } from './lookup.js';
import {
  drainSpans,
  install,
  isInstalled,
  type RecordingSpan,
  startTaskSpan,
} from './recording.js';

const TRANSFER_BRAND = Symbol.for('threadline.transfer');

/** A response and the transferables to move with it. */
export interface RunResult {
  readonly response: TaskResponse;
  readonly transferList: TransferListItem[] | undefined;
}

const tid = isMainThread ? 0 : threadId;
const ORIGIN = performance.timeOrigin;

/**
 * runTask runs `req` and returns its response; never rejects. `abandoned()`
 * tells whether main already settled the task (timeout or abort).
 *
 * @example
 * const { response, transferList } = await runTask(request, () => false);
 */
export async function runTask(req: TaskRequest, abandoned: () => boolean): Promise<RunResult> {
  let fn = cachedTask(req.url, req.name);
  let lookupError: unknown;
  if (fn === undefined) {
    try {
      fn = await lookupTask(req.url, req.name);
    } catch (err) {
      lookupError = err;
    }
  }

  // Caller context.
  let traceId = '';
  let spanId = '';
  let span: RecordingSpan | undefined;
  let ctx: Context | undefined;
  const wt = req.trace;
  let parent: SpanContext | undefined;
  if (wt !== undefined) {
    const p = parseTraceparent(wt.traceparent);
    if (p !== undefined) {
      parent = { traceId: p.traceId, spanId: p.spanId, traceFlags: p.traceFlags, isRemote: true };
      if ((p.traceFlags & 1) === 1) install();
    }
  }

  let value: unknown;
  let thrown = false;
  let error: unknown;
  let transferList: TransferListItem[] | undefined;
  const t0 = performance.now();
  if (parent !== undefined && wt !== undefined) {
    traceId = parent.traceId;
    spanId = wt.spanId;
    if (isInstalled()) {
      if (wt.tracestate !== undefined) parent.traceState = parseTraceState(wt.tracestate);
      if ((parent.traceFlags & 1) === 1) {
        span = startTaskSpan(
          req.source,
          spanId,
          parent,
          wt.root === true,
          taskSpanAttributes(req.source, req.name, req.attempt, tid),
          toHrTime(t0),
        );
        ctx = trace.setSpan(ROOT_CONTEXT, span);
      } else {
        ctx = trace.setSpanContext(ROOT_CONTEXT, { ...parent, spanId });
      }
      if (wt.baggage !== undefined) {
        const entries: Record<string, BaggageEntry> = {};
        for (const [key, e] of parseBaggage(wt.baggage)) {
          entries[key] =
            e.metadata === undefined
              ? { value: e.value }
              : { value: e.value, metadata: baggageEntryMetadataFromString(e.metadata) };
        }
        ctx = propagation.setBaggage(ctx, propagation.createBaggage(entries));
      }
    }
  }

  if (fn === undefined) {
    thrown = true;
    error = lookupError;
  } else {
    try {
      let out = ctx === undefined ? fn(...req.args) : context.with(ctx, fn, undefined, ...req.args);
      if (isPromiseLike(out)) out = await out;
      if (isTransferWrapper(out)) {
        transferList = out.list as TransferListItem[];
        out = out.value;
      }
      value = out;
    } catch (err) {
      thrown = true;
      error = err;
    }
  }
  const t1 = performance.now();

  let type = 'undefined';
  if (!thrown) {
    const bad = findUncloneable(value);
    if (bad !== undefined) {
      thrown = true;
      error = new KindError(
        'Validation',
        `threadline: task "${req.name}" returned a value that cannot be cloned: ${bad}`,
      );
      value = undefined;
      transferList = undefined;
    } else {
      type = resultType(value);
    }
  }
  let errObj: Error | undefined;
  let kind: ReturnType<typeof classifyError> | undefined;
  if (thrown) {
    errObj = toError(error);
    kind = classifyError(errObj);
  }
  const elapsedMs = t1 - t0;
  // An abandoned task (main settled it at its timeout or abort) has its span
  // ended by main, with the same id: drop ours.
  if (span !== undefined && !abandoned()) {
    endTaskSpan(
      span,
      { ok: !thrown, error: errObj, errorKind: kind, resultType: type, elapsedMs },
      toHrTime(t1),
    );
  }
  const origin = ORIGIN;
  const response: { -readonly [K in keyof TaskResponse]: TaskResponse[K] } = {
    ok: !thrown,
    resultType: type,
    startTime: origin + t0,
    endTime: origin + t1,
    elapsedMs,
    traceId,
    spanId,
    threadId: tid,
  };
  if (thrown) {
    response.error = serializeError(errObj);
    response.errorKind = kind;
  } else {
    response.value = value;
  }
  const spans = isInstalled() ? drainSpans() : undefined;
  if (spans !== undefined) response.spans = spans;
  return { response, transferList };
}

function parseTraceState(value: string): SpanContext['traceState'] {
  // A minimal W3C tracestate (list of key=value), enough to carry it to child spans.
  const entries = new Map<string, string>();
  for (const member of value.split(',')) {
    const eq = member.indexOf('=');
    if (eq > 0) entries.set(member.slice(0, eq).trim(), member.slice(eq + 1).trim());
  }
  const make = (m: Map<string, string>): NonNullable<SpanContext['traceState']> => ({
    set: (k, v) => make(new Map([[k, v], ...[...m].filter(([key]) => key !== k)])),
    unset: (k) => make(new Map([...m].filter(([key]) => key !== k))),
    get: (k) => m.get(k),
    serialize: () => [...m].map(([k, v]) => `${k}=${v}`).join(','),
  });
  return make(entries);
}

function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const d =
    typeof thrown === 'string'
      ? JSON.stringify(thrown)
      : typeof thrown === 'object' && thrown !== null
        ? Object.prototype.toString.call(thrown)
        : String(thrown);
  return new KindError('Unknown', `threadline: task threw a non-Error value: ${d}`, {
    cause: thrown,
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function isTransferWrapper(value: unknown): value is { value: unknown; list: readonly unknown[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [TRANSFER_BRAND]?: unknown })[TRANSFER_BRAND] === true
  );
}
