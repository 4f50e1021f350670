// Runs one task request inside a worker thread and builds its response: task
// lookup, caller context restored, the task span, timing, resultType before
// cloning, error capture, and the check that the value can be cloned back.
//
// Hot path: a task whose module is loaded and whose function returns a plain
// value runs and answers synchronously (no promise, no closure per task); the
// response is built directly in its wire form (src/wire.ts WireResponse).
//
// Invariants:
//   runTask never throws nor rejects: every failure (module not found, thrown
//     error, uncloneable value) becomes an `ok: false` response.
//   startTime/endTime/elapsedMs come from two performance.now() readings
//     around the call of the task function; the task span uses the same two.
//   The span recording (./recording.ts) is installed only by a sampled request;
//     once installed, a task without caller context runs with it suspended
//     (untraced tasks do not pay for AsyncLocalStorage).

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
  DONE,
  findUncloneable,
  parseBaggage,
  parseTraceparent,
  serializeError,
  type WireResponse,
  type WireTrace,
} from '../wire.js';
import { lookupTask } from './lookup.js';
import {
  drainSpans,
  install,
  isInstalled,
  type RecordingSpan,
  startTaskSpan,
  suspend,
} from './recording.js';

const TRANSFER_BRAND = Symbol.for('threadline.transfer');

/** A response with transferables to move along with it. */
export class Transferring {
  readonly response: WireResponse;
  readonly list: TransferListItem[];
  constructor(response: WireResponse, list: TransferListItem[]) {
    this.response = response;
    this.list = list;
  }
}

/** What runTask gives back: the encoded response, or one carrying transferables. */
export type RunOutput = WireResponse | Transferring;

const tid = isMainThread ? 0 : threadId;
const ORIGIN = performance.timeOrigin;

type Fn = (...args: unknown[]) => unknown;

/** The caller context of one task, as restored in this worker. */
interface TaskTrace {
  traceId: string;
  spanId: string;
  span: RecordingSpan | undefined;
  ctx: Context | undefined;
}

const UNTRACED: TaskTrace = { traceId: '', spanId: '', span: undefined, ctx: undefined };

/**
 * runTask runs one task and returns its encoded response (synchronously when
 * the task is loaded and returns a plain value); never throws nor rejects.
 * `fn` is the task's function when this thread already has it (cachedTask),
 * else undefined: runTask imports its module first and, when the import ends,
 * writes `starts[index]` (the task's run time starts then, see src/wire.ts).
 * `state[word] > DONE` tells whether main already settled the task (timeout or
 * abort); `state` undefined: it cannot be abandoned.
 *
 * @example
 * const out = await runTask(cachedTask(url, 'fib'), url, 'fib', [30], 'fib', 0, undefined, undefined, 0, undefined, 0);
 */
export function runTask(
  fn: Fn | undefined,
  url: string,
  name: string,
  args: unknown[],
  source: string,
  attempt: number,
  wt: WireTrace | undefined,
  state: Int32Array | undefined,
  word: number,
  starts: Float64Array | undefined,
  index: number,
): RunOutput | Promise<RunOutput> {
  if (fn === undefined) {
    return lookupAndRun(url, name, args, source, attempt, wt, state, word, starts, index);
  }
  return runWith(fn, undefined, name, args, source, attempt, wt, state, word);
}

async function lookupAndRun(
  url: string,
  name: string,
  args: unknown[],
  source: string,
  attempt: number,
  wt: WireTrace | undefined,
  state: Int32Array | undefined,
  word: number,
  starts: Float64Array | undefined,
  index: number,
): Promise<RunOutput> {
  let fn: Fn | undefined;
  let lookupError: unknown;
  try {
    fn = await lookupTask(url, name);
  } catch (err) {
    lookupError = err;
  }
  if (starts !== undefined) starts[index] = ORIGIN + performance.now();
  return runWith(fn, lookupError, name, args, source, attempt, wt, state, word);
}

function runWith(
  fn: Fn | undefined,
  lookupError: unknown,
  name: string,
  args: unknown[],
  source: string,
  attempt: number,
  wt: WireTrace | undefined,
  state: Int32Array | undefined,
  word: number,
): RunOutput | Promise<RunOutput> {
  let tt: TaskTrace;
  let t0: number;
  if (wt === undefined) {
    tt = untraced();
    t0 = performance.now();
  } else {
    const restored = restore(wt, name, source, attempt);
    tt = restored;
    t0 = restored.t0;
  }
  if (fn === undefined) {
    return finish(true, lookupError, undefined, name, tt, t0, performance.now(), state, word);
  }
  let out: unknown;
  try {
    out = tt.ctx === undefined ? fn(...args) : context.with(tt.ctx, fn, undefined, ...args);
  } catch (err) {
    return finish(true, err, undefined, name, tt, t0, performance.now(), state, word);
  }
  if (isPromiseLike(out)) {
    return Promise.resolve(out).then(
      (v) => settleValue(v, name, tt, t0, state, word),
      (err: unknown) => finish(true, err, undefined, name, tt, t0, performance.now(), state, word),
    );
  }
  return settleValue(out, name, tt, t0, state, word);
}

function untraced(): TaskTrace {
  if (isInstalled()) suspend();
  return UNTRACED;
}

function settleValue(
  out: unknown,
  name: string,
  tt: TaskTrace,
  t0: number,
  state: Int32Array | undefined,
  word: number,
): RunOutput {
  const t1 = performance.now();
  let list: TransferListItem[] | undefined;
  if (isTransferWrapper(out)) {
    list = out.list as TransferListItem[];
    out = out.value;
  }
  return finish(false, out, list, name, tt, t0, t1, state, word);
}

/**
 * Restores the caller context of a traced task and takes its start reading
 * (`t0`, after the recording is installed, before the task span starts).
 */
function restore(
  wt: WireTrace,
  name: string,
  source: string,
  attempt: number,
): TaskTrace & { t0: number } {
  const p = parseTraceparent(wt.traceparent);
  if (p === undefined) {
    untraced();
    return { traceId: '', spanId: '', span: undefined, ctx: undefined, t0: performance.now() };
  }
  const parent: SpanContext = {
    traceId: p.traceId,
    spanId: p.spanId,
    traceFlags: p.traceFlags,
    isRemote: true,
  };
  if ((p.traceFlags & 1) === 1) install();
  const tt = {
    traceId: parent.traceId,
    spanId: wt.spanId,
    span: undefined as RecordingSpan | undefined,
    ctx: undefined as Context | undefined,
    t0: 0,
  };
  if (!isInstalled()) {
    tt.t0 = performance.now();
    return tt;
  }
  if (wt.tracestate !== undefined) parent.traceState = parseTraceState(wt.tracestate);
  let ctx: Context;
  const t0 = performance.now();
  tt.t0 = t0;
  if ((parent.traceFlags & 1) === 1) {
    tt.span = startTaskSpan(
      source,
      wt.spanId,
      parent,
      wt.root === true,
      taskSpanAttributes(source, name, attempt, tid),
      toHrTime(t0),
    );
    ctx = trace.setSpan(ROOT_CONTEXT, tt.span);
  } else {
    ctx = trace.setSpanContext(ROOT_CONTEXT, { ...parent, spanId: wt.spanId });
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
  tt.ctx = ctx;
  return tt;
}

/** Builds the encoded response (src/wire.ts encodeResponse's layout). */
function finish(
  thrown: boolean,
  valueOrError: unknown,
  list: TransferListItem[] | undefined,
  name: string,
  tt: TaskTrace,
  t0: number,
  t1: number,
  state: Int32Array | undefined,
  word: number,
): RunOutput {
  let value: unknown;
  let error: unknown;
  if (thrown) error = valueOrError;
  else value = valueOrError;
  let type = 'undefined';
  if (!thrown) {
    const bad = findUncloneable(value);
    if (bad !== undefined) {
      thrown = true;
      error = new KindError(
        'Validation',
        `threadline: task "${name}" returned a value that cannot be cloned: ${bad}`,
      );
      value = undefined;
      list = undefined;
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
  // ended by main, with the same id: drop ours. A task span user code did not
  // touch does not travel either: main records it from the response, with the
  // same id and the same readings (src/pool/task-trace.ts recordTaskSpan).
  const span = tt.span;
  if (span?.touched === true && !(state !== undefined && Atomics.load(state, word) > DONE)) {
    endTaskSpan(
      span,
      { ok: !thrown, error: errObj, errorKind: kind, resultType: type, elapsedMs },
      toHrTime(t1),
    );
  }
  const response: WireResponse = [
    thrown ? 0 : 1,
    thrown ? serializeError(errObj) : value,
    type,
    ORIGIN + t0,
    elapsedMs,
    tt.traceId,
    tt.spanId,
    tid,
  ];
  if (thrown) response.push(kind);
  const spans = isInstalled() ? drainSpans() : undefined;
  if (spans !== undefined) {
    if (!thrown) response.push(undefined);
    response.push(spans);
  }
  return list === undefined || list.length === 0 ? response : new Transferring(response, list);
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
