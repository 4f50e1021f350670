// What crosses between the main thread and a pool's worker threads: the task
// request and response envelopes, the per-call state words, W3C trace context
// (traceparent, tracestate, baggage) written and read by threadline itself, and
// serialized spans. Pure types and codecs: imported by src/pool and
// src/workers, importing neither.
//
// One piscina call carries a Call (encoded as a flat array, see "Compact
// encodings"): one task (`tasks.length === 1`, its response is the call's
// return value) or a batch (each response is posted on the worker's parentPort
// as a WireResult as soon as that task settles).
//
// State words (Int32Array over `Call.state`, a SharedArrayBuffer):
//   word 0            threadId of the worker running the call (0 until it starts)
//   word 1            index of the task running now, -1 between tasks
//   word 2            spin handoff of a slot call (see "Spinning workers"), unused otherwise
//   word 3 + i        state of task i: QUEUED → RUNNING (worker, CAS) → DONE (worker, CAS)
//                     QUEUED → CANCELED (main, CAS: the worker never runs it)
//                     RUNNING → ABORTED_TIMEOUT | ABORTED_CANCEL (main, CAS: settled by main;
//                     the worker's taskSignal fires, the thread is terminated after the grace)
//                     RUNNING → EXITED (worker, from its process 'exit' event: a timeout must
//                     not race a process.exit() whose thread is still shutting down)
//   float64 at startOffset(n) + 8i   epoch ms at which task i's run time started (worker,
//                     before RUNNING); while the thread first imports the task's module it
//                     is minus the claim time, then (worker, after the import) the moment
//                     the import ended: timeoutMs counts run time, not a module's import
// One-task state buffers are recycled by main once their call is over; most
// one-task calls use a slot of the pool's slab instead (see "One-task calls").
// Invariant: each task's state leaves QUEUED exactly once, so a task either runs
// once or never (exactly-once execution); main settles each task exactly once,
// whichever of the response, the abort and the worker's death it sees first.

import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { SerializedError } from './observe/error-codec.js';
import type { ErrorKind } from './observe/error-kind.js';

// The wire error is error-codec's SerializedError; both sides take the codec from here.
export type { SerializedError } from './observe/error-codec.js';
export { deserializeError, serializeError } from './observe/error-codec.js';

/** Task state: dispatched, not started. */
export const QUEUED = 0;
/** Task state: claimed by the worker, running. */
export const RUNNING = 1;
/** Task state: finished in the worker; its response is posted. */
export const DONE = 2;
/** Task state: canceled by main before it started; the worker skips it. */
export const CANCELED = 3;
/** Task state: timed out while running; settled by main. */
export const ABORTED_TIMEOUT = 4;
/** Task state: canceled while running; settled by main. */
export const ABORTED_CANCEL = 5;
/** Task state: the worker called process.exit() while running it (set from the worker's 'exit' event). */
export const EXITED = 6;

/** Index of the state word holding the worker's threadId. */
export const WORD_THREAD = 0;
/** Index of the state word holding the running task's index. */
export const WORD_CURRENT = 1;
/** Index of the state word of a slot call's spin handoff (see "Spinning workers"). */
export const WORD_HANDOFF = 2;
/** Number of header words before the per-task state words. */
export const HEADER_WORDS = 3;

/** Byte offset of the start-time Float64Array in a call's state buffer of `n` tasks. */
export function startOffset(n: number): number {
  return Math.ceil(((HEADER_WORDS + n) * 4) / 8) * 8;
}

/**
 * allocState makes the shared state buffer of a call of `n` tasks (all QUEUED).
 *
 * @example
 * const state = allocState(64); new Int32Array(state, 0, HEADER_WORDS + 64);
 */
export function allocState(n: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(startOffset(n) + 8 * n);
  new Int32Array(sab, 0, 2)[WORD_CURRENT] = -1;
  return sab;
}

// ── One-task calls: slots of the pool's slab ───────────────────────────────
// A pool hands its workers one SharedArrayBuffer, the slab, in piscina's
// workerData; a one-task call names a slot of it (`[id, slot, ...task]`, slot a
// number) instead of carrying its own buffer and the batch tag (smaller call:
// cheaper to clone both ways). A slot has the layout of a state buffer of
// SLOT_TASKS tasks (`SLOT_BYTES` each): task 0 is the call's own, the others are
// tasks handed to the call while its worker spins. Main owns a slot from
// dispatch until the call returned or its worker died, so no two calls share a
// slot at the same time. The slab starts with the pool words (POOL_HEADER_BYTES).
//
// ── Spinning workers ───────────────────────────────────────────────────────
// Waking a worker that sleeps in Atomics.wait costs tens of µs on a VM (most of
// a lone task's latency); a worker that is still running takes a message in
// well under one. So in a pool with spinMicros > 0, after the task of a slot
// call, a worker may spin, like Go's spinning threads: it arms its slot's
// WORD_HANDOFF, posts the response on parentPort (instead of returning it),
// then polls WORD_HANDOFF for up to spinMicros before it returns the call.
// Only spinning pools count POOL_WORD_WAITING; every pool's workers make a
// handoff port (see "Direct calls" for what a pool that does not spin uses it for).
//   WORD_HANDOFF  OFF → SPINNING (worker, store; only while it holds the pool's
//                 spinner word: at most one spinner per pool)
//                 SPINNING → HANDED (main, CAS: it posts one WireHanded on the
//                 worker's handoff port; the worker runs it as task `index` of
//                 the call, then spins again while the slot has room)
//                 SPINNING → OFF (worker, CAS: time is up; or main, at close)
// A worker stops spinning at once when POOL_WORD_WAITING > 0: a piscina call is
// waiting to start, perhaps for this very thread.

// ── Direct calls ─────────────────────────────────────────────────────────────
// In a pool that does not spin, a lone task dispatched while no piscina call is
// in flight is posted as a one-task WireCall straight on an idle worker's
// handoff port: no piscina task record, no piscina reply. The worker answers on
// the same port with exactly one WireResult `[tag, call id, 0, response]`, or
// `[tag, call id, -1, undefined]` when main canceled the task before it
// started. State words, timeouts, aborts and exactly-once are those of any
// call. What piscina's call would tell main otherwise:
//   the worker died: main watches each thread's 'exit' (and its last 'error',
//     for out-of-memory and uncaught exceptions), takes the answers already in
//     the port, then requeues a task still QUEUED and fails one that RUNNING;
//   the process must stay alive: main refs the port while the call is out;
//   the thread is busy: piscina does not know, so threadline ends idle threads
//     itself (piscina's idleTimeout is off) and the worker runs one call at a
//     time, whichever of a direct and a piscina call arrives first.
// Idle workers wait in their event loop (piscina atomics 'async') so that a
// message on the port reaches them.

/** Tasks a slot call can hold: its own and those handed to it while its worker spins. */
export const SLOT_TASKS = 16;
/** WORD_HANDOFF: the worker does not spin (or stopped). */
export const HANDOFF_OFF = 0;
/** WORD_HANDOFF: the worker spins, waiting for a handed task. */
export const HANDOFF_SPINNING = 1;
/** WORD_HANDOFF: main handed a task; the worker reads it from its handoff port. */
export const HANDOFF_HANDED = 2;

/** Pool word: piscina calls posted by main and not yet entered by a worker. */
export const POOL_WORD_WAITING = 0;
/** Pool word: threadId of the worker spinning now, 0 when none. */
export const POOL_WORD_SPINNER = 1;
/** Pool word: the pool's spinMicros (0: workers do not spin). */
export const POOL_WORD_SPIN = 2;
/** Pool words at the start of the slab. */
export const POOL_WORDS = 3;
/** Bytes of the pool words at the start of the slab (slots start 8-aligned). */
export const POOL_HEADER_BYTES = 16;

/** Bytes per slot of a pool's slab: the state buffer of a call of SLOT_TASKS tasks. */
export const SLOT_BYTES = startOffset(SLOT_TASKS) + 8 * SLOT_TASKS;

/** Byte offset of slot `slot` in a pool's slab. */
export function slotOffset(slot: number): number {
  return POOL_HEADER_BYTES + slot * SLOT_BYTES;
}

/**
 * allocSlab makes a pool's slab: the pool words (zero) and `slots` state
 * buffers of SLOT_TASKS tasks (all QUEUED).
 *
 * @example
 * const slab = allocSlab(4); new Int32Array(slab, slotOffset(2), HEADER_WORDS + SLOT_TASKS);
 */
export function allocSlab(slots: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(POOL_HEADER_BYTES + SLOT_BYTES * slots);
  for (let i = 0; i < slots; i++) new Int32Array(sab, slotOffset(i), 2)[WORD_CURRENT] = -1;
  return sab;
}

/**
 * A task handed to a spinning worker, on its handoff port: `[index, url, name,
 * args, source, attempt, trace]`, or `[index]` alone when main could not post
 * the task (the worker skips that index and spins on).
 */
export type WireHanded = readonly unknown[];

/** First field of the message a worker posts on parentPort with its handoff port. */
export const HANDOFF_PORT_MESSAGE = 'threadline.handoff-port';

/**
 * Main → worker, on its handoff port: a traced task of this thread was
 * abandoned (timeout, abort) and may never answer; send the spans ended so far.
 * Only to workers that do not spin (a spinning worker reads that port for tasks).
 */
export const FLUSH_SPANS_REQUEST = 'threadline.flush-spans';

/**
 * First field of the worker's answer, on parentPort: `[FLUSHED_SPANS_MESSAGE,
 * poolTag, EncodedSpan[]]`, the spans its recording held. Without it, the user
 * spans a hung task had ended died with its terminated thread.
 */
export const FLUSHED_SPANS_MESSAGE = 'threadline.flushed-spans';

/** W3C trace context of the caller, as threadline writes it. */
export interface WireTrace {
  /** `00-<trace-id>-<parent-id>-<flags>`. */
  readonly traceparent: string;
  /** W3C tracestate header value, when the caller's span context has one. */
  readonly tracestate?: string;
  /** W3C baggage header value, when the caller's context has baggage. */
  readonly baggage?: string;
  /** The task span's id, chosen by main so main can end the span itself when the task is abandoned. */
  readonly spanId: string;
  /**
   * true when the caller had no span: the task span is a root, the traceparent
   * only carries the new trace id and main's sampling decision.
   */
  readonly root?: boolean;
}

/** One task of a call. */
export interface TaskRequest {
  /** The task module's URL (defineTask's first argument). */
  readonly url: string;
  /** The task's name in that module. */
  readonly name: string;
  readonly args: unknown[];
  /** `ObservableResult.source`, the span name. */
  readonly source: string;
  /** Retries made before this attempt (`app.retry.count`). */
  readonly attempt: number;
  /** Caller context; absent when no SDK is registered on main. */
  readonly trace?: WireTrace;
}

/** What one piscina call carries. */
export interface Call {
  /** Id of the call, unique in its pool; batch responses name it. */
  readonly id: number;
  /** Pool-unique tag of the batch message channel (the parentPort messages of this pool). */
  readonly tag: string;
  readonly tasks: TaskRequest[];
  /** State words, see the file-top comment. */
  readonly state: SharedArrayBuffer;
}

/** How one task ended, as the worker reports it. */
export interface TaskResponse {
  readonly ok: boolean;
  readonly value?: unknown;
  /** The serialized error; absent on success. */
  readonly error?: SerializedError;
  readonly errorKind?: ErrorKind;
  readonly resultType: string;
  /** Epoch ms (sub-ms) of the two clock readings; elapsedMs is their monotonic difference. */
  readonly startTime: number;
  readonly endTime: number;
  readonly elapsedMs: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly threadId: number;
  /** Spans ended in the worker since the previous response (the task span included). */
  readonly spans?: WireSpan[];
}

// ── Compact encodings ────────────────────────────────────────────────────────
// Calls, responses and result messages travel as flat arrays: structured
// cloning an array of values costs about half as much as an object with keys
// (measured: 1.8 µs vs 4 µs for a one-task call), and these cross on every task.

/** Fields per task in an encoded call. */
const TASK_FIELDS = 6;

/** An encoded Call: `[id, tag, state, ...TASK_FIELDS per task]`, or `[id, slot, ...TASK_FIELDS]` for a slab slot. */
export type WireCall = unknown[];
/** An encoded TaskResponse. */
export type WireResponse = unknown[];
/** A batch result posted on the worker's parentPort: `[pool tag, call id, task index, WireResponse]`. */
export type WireResult = [string, number, number, WireResponse];

/**
 * encodeCall flattens a call for postMessage; decodeCall restores it.
 *
 * @example
 * decodeCall(encodeCall(call)); // deep-equals call
 */
export function encodeCall(call: Call): WireCall {
  const out: unknown[] = [call.id, call.tag, call.state];
  for (const t of call.tasks) out.push(t.url, t.name, t.args, t.source, t.attempt, t.trace);
  return out;
}

/** decodeCall is encodeCall's inverse. */
export function decodeCall(w: WireCall): Call {
  const tasks: TaskRequest[] = [];
  for (let i = 3; i < w.length; i += TASK_FIELDS) {
    const trace = w[i + 5] as WireTrace | undefined;
    const t = {
      url: w[i] as string,
      name: w[i + 1] as string,
      args: w[i + 2] as unknown[],
      source: w[i + 3] as string,
      attempt: w[i + 4] as number,
    };
    tasks.push(trace === undefined ? t : { ...t, trace });
  }
  return { id: w[0] as number, tag: w[1] as string, state: w[2] as SharedArrayBuffer, tasks };
}

/** Index of `ok` (1 or 0) in a WireResponse. */
export const RESPONSE_OK = 0;
/** Index of the value (ok) or the SerializedError (failed) in a WireResponse. */
export const RESPONSE_VALUE = 1;
/** Index of `resultType` in a WireResponse. */
export const RESPONSE_TYPE = 2;
/** Index of `startTime` in a WireResponse. */
export const RESPONSE_START = 3;
/** Index of `elapsedMs` in a WireResponse. */
export const RESPONSE_ELAPSED = 4;
/** Index of `traceId` in a WireResponse. */
export const RESPONSE_TRACE_ID = 5;
/** Index of `spanId` in a WireResponse. */
export const RESPONSE_SPAN_ID = 6;
/** Index of `threadId` in a WireResponse. */
export const RESPONSE_THREAD = 7;
/** Index of `errorKind` (failed) in a WireResponse. */
export const RESPONSE_KIND = 8;
/** Index of `spans` (EncodedSpan[]) in a WireResponse. */
export const RESPONSE_SPANS = 9;

/**
 * encodeResponse flattens a response; decodeResponse restores it (endTime is
 * recomputed as startTime + elapsedMs).
 *
 * @example
 * decodeResponse(encodeResponse(response));
 */
export function encodeResponse(r: TaskResponse): WireResponse {
  return [
    r.ok ? 1 : 0,
    r.ok ? r.value : r.error,
    r.resultType,
    r.startTime,
    r.elapsedMs,
    r.traceId,
    r.spanId,
    r.threadId,
    r.errorKind,
    r.spans?.map(encodeSpan),
  ];
}

/** decodeResponse is encodeResponse's inverse. */
export function decodeResponse(w: WireResponse): TaskResponse {
  const ok = w[0] === 1;
  const startTime = w[3] as number;
  const elapsedMs = w[4] as number;
  const r: { -readonly [K in keyof TaskResponse]: TaskResponse[K] } = {
    ok,
    resultType: w[2] as string,
    startTime,
    endTime: startTime + elapsedMs,
    elapsedMs,
    traceId: w[5] as string,
    spanId: w[6] as string,
    threadId: w[7] as number,
  };
  if (ok) r.value = w[1];
  else {
    r.error = w[1] as SerializedError;
    r.errorKind = w[8] as ErrorKind;
  }
  if (w[9] !== undefined) r.spans = (w[9] as EncodedSpan[]).map(decodeSpan);
  return r;
}

/** A span event as it travels. */
export interface WireEvent {
  readonly name: string;
  readonly time: HrTime;
  readonly attributes?: Attributes;
}

/** A span link as it travels. */
export interface WireLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly attributes?: Attributes;
}

/** An ended span recorded in a worker. */
export interface WireSpan {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState?: string;
  readonly parentSpanId?: string;
  /** true when the parent is the caller's span on another thread. */
  readonly parentRemote?: boolean;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly attributes: Attributes;
  readonly events: WireEvent[];
  readonly links: WireLink[];
  readonly status: { readonly code: number; readonly message?: string };
  readonly scope: { readonly name: string; readonly version?: string };
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
}

/**
 * An encoded WireSpan (flat array, see "Compact encodings"): spans travel in
 * every traced task's response.
 */
export type EncodedSpan = unknown[];

/**
 * encodeSpan flattens a span for the response; decodeSpan restores it.
 *
 * @example
 * decodeSpan(encodeSpan(span)); // deep-equals span
 */
export function encodeSpan(s: WireSpan): EncodedSpan {
  return [
    s.name,
    s.kind,
    s.traceId,
    s.spanId,
    s.traceFlags,
    s.traceState,
    s.parentSpanId,
    s.parentRemote === true ? 1 : 0,
    s.startTime[0],
    s.startTime[1],
    s.endTime[0],
    s.endTime[1],
    s.attributes,
    s.events.length === 0 ? undefined : s.events,
    s.links.length === 0 ? undefined : s.links,
    s.status.code,
    s.status.message,
    s.scope.name,
    s.scope.version,
    s.droppedAttributesCount,
    s.droppedEventsCount,
  ];
}

/** decodeSpan is encodeSpan's inverse. */
export function decodeSpan(e: EncodedSpan): WireSpan {
  const message = e[16] as string | undefined;
  const version = e[18] as string | undefined;
  const span: { -readonly [K in keyof WireSpan]: WireSpan[K] } = {
    name: e[0] as string,
    kind: e[1] as number,
    traceId: e[2] as string,
    spanId: e[3] as string,
    traceFlags: e[4] as number,
    startTime: [e[8] as number, e[9] as number],
    endTime: [e[10] as number, e[11] as number],
    attributes: e[12] as Attributes,
    events: (e[13] as WireEvent[] | undefined) ?? [],
    links: (e[14] as WireLink[] | undefined) ?? [],
    status: message === undefined ? { code: e[15] as number } : { code: e[15] as number, message },
    scope: version === undefined ? { name: e[17] as string } : { name: e[17] as string, version },
    droppedAttributesCount: e[19] as number,
    droppedEventsCount: e[20] as number,
  };
  if (e[5] !== undefined) span.traceState = e[5] as string;
  if (e[6] !== undefined) span.parentSpanId = e[6] as string;
  if (e[7] === 1) span.parentRemote = true;
  return span;
}

const INVALID_TRACE = '00000000000000000000000000000000';
const INVALID_SPAN = '0000000000000000';

/**
 * formatTraceparent writes a span context as a W3C `traceparent` (version 00).
 *
 * @example
 * formatTraceparent({ traceId, spanId, traceFlags: 1 }); // '00-<traceId>-<spanId>-01'
 */
export function formatTraceparent(
  ctx: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>,
): string {
  const flags = (ctx.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${ctx.traceId}-${ctx.spanId}-${flags}`;
}

/**
 * parseTraceparent reads a W3C `traceparent`; `undefined` when malformed or
 * carrying the all-zero ids.
 *
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
 */
export function parseTraceparent(
  value: string,
): { traceId: string; spanId: string; traceFlags: number } | undefined {
  // Version 00 only: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`.
  // By hand rather than with a regular expression: this runs for every traced
  // task in the worker, where the match array cost ~1 µs.
  if (
    typeof value !== 'string' ||
    value.length !== 55 ||
    value.charCodeAt(0) !== 48 || // '0'
    value.charCodeAt(1) !== 48 ||
    value.charCodeAt(2) !== 45 || // '-'
    value.charCodeAt(35) !== 45 ||
    value.charCodeAt(52) !== 45 ||
    !isLowerHex(value, 3, 35) ||
    !isLowerHex(value, 36, 52) ||
    !isLowerHex(value, 53, 55)
  ) {
    return undefined;
  }
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  if (traceId === INVALID_TRACE || spanId === INVALID_SPAN) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(value.slice(53, 55), 16) };
}

/** Whether value[from, to) is all lowercase hex digits. */
function isLowerHex(value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * formatBaggage writes entries as a W3C `baggage` header value
 * (`key=value;metadata`, values percent-encoded).
 *
 * @example
 * formatBaggage([['user', { value: 'a b' }]]); // 'user=a%20b'
 */
export function formatBaggage(
  entries: Iterable<readonly [string, { value: string; metadata?: { toString(): string } }]>,
): string {
  const parts: string[] = [];
  for (const [key, entry] of entries) {
    let part = `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`;
    const meta = entry.metadata?.toString();
    if (meta !== undefined && meta !== '') part += `;${meta}`;
    parts.push(part);
  }
  return parts.join(',');
}

/**
 * parseBaggage reads a W3C `baggage` header value; malformed members are skipped.
 *
 * @example
 * parseBaggage('user=a%20b;p=1'); // [['user', { value: 'a b', metadata: 'p=1' }]]
 */
export function parseBaggage(value: string): [string, { value: string; metadata?: string }][] {
  const out: [string, { value: string; metadata?: string }][] = [];
  for (const member of value.split(',')) {
    const [pair, ...meta] = member.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (pair === undefined || eq <= 0) continue;
    try {
      const key = decodeURIComponent(pair.slice(0, eq).trim());
      const v = decodeURIComponent(pair.slice(eq + 1).trim());
      const entry: { value: string; metadata?: string } = { value: v };
      if (meta.length > 0) entry.metadata = meta.join(';').trim();
      out.push([key, entry]);
    } catch {
      // a malformed percent-encoding: skip the member, as the W3C spec asks
    }
  }
  return out;
}

/** Scratch bytes of randomId: Buffer's native hex encoding is ~6x faster than building the string in JS. */
const ID_BYTES = Buffer.allocUnsafe(20);

/**
 * randomId returns `bytes` (at most 16) random bytes as lowercase hex,
 * never all zeros (trace ids: 16 bytes, span ids: 8). Math.random, as the
 * OpenTelemetry SDK's id generator: ids need uniqueness, not secrecy.
 *
 * @example
 * randomId(8); // 'a3f09c1d5e7b2468'
 */
export function randomId(bytes: number): string {
  let any = 0;
  for (let i = 0; i < bytes; i += 4) {
    const n = (Math.random() * 0x100000000) >>> 0;
    // Of a last, partial word only its high (first) bytes are used.
    any |= i + 4 <= bytes ? n : n >>> (8 * (i + 4 - bytes));
    ID_BYTES.writeUInt32BE(n, i);
  }
  return any === 0 ? randomId(bytes) : ID_BYTES.toString('hex', 0, bytes);
}

// findUncloneable: a cheap walk that finds what structured cloning would reject,
// so main answers Validation before dispatching an argument, and a worker
// answers Validation instead of dying in postMessage (piscina posts a call's
// result itself; a DataCloneError there kills the worker). Primitives cost one
// typeof; the walk stops after MAX_NODES objects and then trusts the rest;
// cycles are followed once.
const MAX_NODES = 10_000;

function isFlat(values: unknown[]): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if ((typeof v === 'object' && v !== null) || typeof v === 'function' || typeof v === 'symbol') {
      return false;
    }
  }
  return true;
}

/**
 * findUncloneable returns a description of the first value in `root` that
 * cannot be structured-cloned, or undefined.
 *
 * @example
 * findUncloneable({ f: () => 1 }); // 'a function at .f'
 */
export function findUncloneable(root: unknown): string | undefined {
  const t = typeof root;
  if (t === 'function') return 'a function';
  if (t === 'symbol') return 'a symbol';
  if (t !== 'object' || root === null) return undefined;
  if (Array.isArray(root) && isFlat(root)) return undefined; // the common args shape: no allocation
  const seen = new Set<object>();
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    const vt = typeof value;
    if (vt === 'function') return `a function at ${path || 'the top'}`;
    if (vt === 'symbol') return `a symbol at ${path || 'the top'}`;
    if (vt !== 'object' || value === null) continue;
    const obj = value as object;
    if (seen.has(obj)) continue;
    seen.add(obj);
    if (seen.size > MAX_NODES) return undefined;
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof Date) continue;
    if (obj instanceof RegExp || obj instanceof Error) continue;
    if (
      obj instanceof Promise ||
      obj instanceof WeakMap ||
      obj instanceof WeakSet ||
      obj instanceof WeakRef
    ) {
      return `a ${obj.constructor.name} at ${path || 'the top'}`;
    }
    if (obj instanceof Map) {
      for (const [k, v] of obj) {
        stack.push([k, `${path}.<key>`], [v, `${path}.get(…)`]);
      }
      continue;
    }
    if (obj instanceof Set) {
      for (const v of obj) stack.push([v, `${path}.<item>`]);
      continue;
    }
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        const v = obj[i];
        if (typeof v === 'object' || typeof v === 'function' || typeof v === 'symbol') {
          stack.push([v, `${path}[${i}]`]);
        }
      }
      continue;
    }
    for (const key of Object.keys(obj)) {
      const v = (obj as Record<string, unknown>)[key];
      if (typeof v === 'object' || typeof v === 'function' || typeof v === 'symbol') {
        stack.push([v, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}
