// The worker thread's entry: piscina's `filename`. The only file in threadline
// with top-level side effects: it marks the thread as a threadline worker, so a
// go(handle, ...) inside a task runs the child on this thread.
//
// One piscina call = one Call (src/wire.ts). The tasks of a call run one after
// the other; each is claimed by compare-and-swap of its state word from QUEUED
// to RUNNING (its start time written first), so a task main canceled while it
// was queued is skipped and no task runs twice. A call of one task returns its
// response as piscina's result; a batch posts each response on parentPort as
// soon as the task settles, so a crash later in the batch loses none of them.
// A one-task call usually names a slot of the pool's slab (workerData) for its
// state words instead of carrying a buffer (src/wire.ts "One-task calls").
// After its task, a slot call may spin (./handoff.ts): it posts the response
// like a batch and runs the tasks main hands it, until the spin ends.
// A direct call (src/wire.ts "Direct calls") is a one-task call main posts on
// the handoff port instead of through piscina, while this thread is idle; its
// response goes back on that port.
//
// Invariants:
//   Word WORD_CURRENT names the running task's index, -1 between tasks; main
//     reads it to find the task a dying or timed-out worker was running.
//   The response of a task is posted before its state word moves to DONE,
//     except a direct call's (see directDone).
//   One call at a time: a call (piscina's or direct) that arrives while an
//     async one still runs starts after it (`busy`). Main posts a direct call
//     only while no piscina call is in flight, but a piscina call posted after
//     it may still arrive first: messages on two ports are not ordered.

import {
  type MessagePort,
  parentPort,
  type TransferListItem,
  threadId,
  workerData,
} from 'node:worker_threads';
import { KindError } from '../observe/kind-error.js';
import {
  DONE,
  EXITED,
  FLUSH_SPANS_REQUEST,
  FLUSHED_SPANS_MESSAGE,
  HEADER_WORDS,
  QUEUED,
  RESPONSE_KIND,
  RESPONSE_OK,
  RESPONSE_TYPE,
  RESPONSE_VALUE,
  RUNNING,
  SLOT_TASKS,
  serializeError,
  slotOffset,
  startOffset,
  type WireCall,
  type WireHanded,
  type WireResponse,
  type WireResult,
  type WireTrace,
  WORD_CURRENT,
  WORD_THREAD,
} from '../wire.js';
import {
  armSpin,
  callEntered,
  port as handoffPort,
  spin,
  spinning,
  startSpinning,
  stopSpinning,
} from './handoff.js';
import { cachedTask } from './lookup.js';
import { drainSpans } from './recording.js';
import { type RunOutput, runTask, Transferring } from './run-task.js';
import { CurrentTask, setCurrentTask } from './task-signal.js';

(globalThis as { [k: symbol]: unknown })[Symbol.for('threadline.worker')] = true;

// The state word of the task running now, so that a process.exit() inside it
// marks it EXITED before the thread goes (main then waits for the thread's exit
// instead of timing the task out while the thread is still shutting down).
let runningState: Int32Array | undefined;
let runningWord = 0;
process.on('exit', () => {
  if (runningState !== undefined)
    Atomics.compareExchange(runningState, runningWord, RUNNING, EXITED);
});

type Move = (value: unknown) => unknown;
let move: Move | undefined;

async function loadMove(): Promise<Move> {
  if (move === undefined) {
    const mod = (await import('piscina')) as unknown as { move: Move };
    move = mod.move;
  }
  return move;
}

/** Fields per task in an encoded call (src/wire.ts encodeCall), after its 3 header fields. */
const TASK_FIELDS = 6;
const CALL_HEADER = 3;
/** Header fields of a one-task call naming a slab slot: `[id, slot]`. */
const SLOT_HEADER = 2;

// The pool's slab of one-task state slots (src/wire.ts "One-task calls") and
// this thread's views of its slots, made on first use.
const data = workerData as
  | { threadlineSlab?: SharedArrayBuffer; threadlineTag?: string }
  | null
  | undefined;
const slab = data?.threadlineSlab;
/** The pool's tag, on the responses a slot call posts (like a batch's). */
const poolTag = data?.threadlineTag ?? '';
/** Fields before a handed task's fields in a WireHanded: its index. */
const HANDED_HEADER = 1;
const slotStates: Int32Array[] = [];
const slotStarts: Float64Array[] = [];

/**
 * Runs one piscina call: one task (returns its WireResponse) or a batch (posts
 * each response, returns the number of tasks run). The call is read in its wire
 * form, without decoding it into objects. A one-task call of a loaded task that
 * returns a plain value answers synchronously (piscina accepts either).
 *
 * @example
 * // piscina calls it; see src/pool/pool.ts
 */
export default function run(wire: WireCall): unknown {
  if (busy !== undefined) return after(busy, () => run(wire));
  const out = runCall(wire);
  if (isPromise(out)) occupy(out);
  return out;
}

/** Settles when the async call running on this thread is over; undefined while none runs. */
let busy: Promise<unknown> | undefined;

function occupy(p: Promise<unknown>): void {
  busy = p;
  const clear = (): void => {
    if (busy === p) busy = undefined;
  };
  p.then(clear, clear);
}

function after<T>(p: Promise<unknown>, next: () => T): Promise<T> {
  return p.then(next, next);
}

function runCall(wire: WireCall): unknown {
  const slot = wire[1];
  if (typeof slot === 'number') return runSlot(wire, slot);
  const n = (wire.length - CALL_HEADER) / TASK_FIELDS;
  const sab = wire[2] as SharedArrayBuffer;
  const state = new Int32Array(sab, 0, HEADER_WORDS + n);
  const starts = new Float64Array(sab, startOffset(n), n);
  Atomics.store(state, WORD_THREAD, threadId);
  callEntered();
  if (n === 1) {
    const out = runOne(wire, CALL_HEADER, state, starts, 0);
    if (out === undefined) return undefined;
    if (isPromise(out)) return out.then((o) => single(o, state));
    return single(out, state);
  }
  return runBatch(wire, state, starts, n);
}

/** This thread's views of slab slot `slot`: its state words and start times. */
function slotViews(slot: number): [Int32Array, Float64Array] {
  let state = slotStates[slot];
  let starts = slotStarts[slot];
  if (state === undefined || starts === undefined) {
    if (slab === undefined) {
      throw new Error('threadline: internal: a slot call reached a worker without a slab');
    }
    state = new Int32Array(slab, slotOffset(slot), HEADER_WORDS + SLOT_TASKS);
    starts = new Float64Array(slab, slotOffset(slot) + startOffset(SLOT_TASKS), SLOT_TASKS);
    slotStates[slot] = state;
    slotStarts[slot] = starts;
  }
  return [state, starts];
}

/** A one-task call whose state words are slot `slot` of the pool's slab. */
function runSlot(wire: WireCall, slot: number): unknown {
  const [state, starts] = slotViews(slot);
  Atomics.store(state, WORD_THREAD, threadId);
  callEntered();
  const out = runOne(wire, SLOT_HEADER, state, starts, 0);
  if (out === undefined) return undefined;
  const id = wire[0] as number;
  if (isPromise(out)) return out.then((o) => afterSlotTask(id, o, state, starts));
  return afterSlotTask(id, out, state, starts);
}

// ── Direct calls ─────────────────────────────────────────────────────────────

/**
 * Runs a direct call: one task, its state in a slab slot or its own buffer,
 * posted on the handoff port. Answers on that port with exactly one
 * WireResult: the response, or index -1 when main canceled the task first.
 */
function runDirect(wire: WireCall): void {
  if (busy !== undefined) {
    void after(busy, () => runDirect(wire));
    return;
  }
  const id = wire[0] as number;
  const slot = wire[1];
  let state: Int32Array;
  let starts: Float64Array;
  let at: number;
  if (typeof slot === 'number') {
    [state, starts] = slotViews(slot);
    at = SLOT_HEADER;
  } else {
    const sab = wire[2] as SharedArrayBuffer;
    state = new Int32Array(sab, 0, HEADER_WORDS + 1);
    starts = new Float64Array(sab, startOffset(1), 1);
    at = CALL_HEADER;
  }
  Atomics.store(state, WORD_THREAD, threadId);
  const out = runOne(wire, at, state, starts, 0);
  if (!isPromise(out)) {
    directDone(id, out, state);
    return;
  }
  occupy(
    out.then(
      (o) => directDone(id, o, state),
      () => directDone(id, undefined, state), // runTask never rejects; main settles it Panic
    ),
  );
}

function directDone(id: number, out: RunOutput | undefined, state: Int32Array): void {
  const to = handoffPort as MessagePort;
  if (out === undefined) {
    to.postMessage([poolTag, id, -1, undefined]);
    return;
  }
  // DONE before the post, unlike a batch's task: main gives the call's slot
  // back as soon as the answer arrives, and a CAS after the post could land on
  // the slot's next call. Main waits for the answer either way (DONE: keep it).
  Atomics.compareExchange(state, HEADER_WORDS, RUNNING, DONE);
  if (out instanceof Transferring) post(poolTag, id, 0, out.response, out.list, to);
  else post(poolTag, id, 0, out, undefined, to);
}

if (handoffPort !== undefined && !spinning()) {
  handoffPort.on('message', onHandoffMessage);
}

function onHandoffMessage(m: WireCall | typeof FLUSH_SPANS_REQUEST): void {
  if (m === FLUSH_SPANS_REQUEST) flushSpans();
  else runDirect(m);
}

/**
 * Main abandoned a traced task of this thread: post the spans ended so far now,
 * not with a response that may never come (the thread is terminated if the
 * task does not stop). Runs at once, even while a task is running: a task that
 * hangs on an await leaves the event loop free; one that spins on the CPU
 * never lets this run, and its spans are lost with the thread.
 */
function flushSpans(): void {
  const spans = drainSpans();
  if (spans !== undefined) parentPort?.postMessage([FLUSHED_SPANS_MESSAGE, poolTag, spans]);
}

/**
 * The slot call's own task is over: return its response as the call's result,
 * or post it and spin for handed tasks (returns then how many ran).
 */
function afterSlotTask(
  id: number,
  out: RunOutput | undefined,
  state: Int32Array,
  starts: Float64Array,
): unknown {
  if (out === undefined) return undefined;
  if (!startSpinning()) return single(out, state);
  armSpin(state); // before the response: main may hand the next task as soon as it has it
  respond(poolTag, id, 0, out, state);
  return spinLoop(id, state, starts, 1, 0, true);
}

/** Wins the spinner word and arms the slot for task `i + 1`, if the slot has room. */
function rearm(state: Int32Array, i: number): boolean {
  if (i + 1 >= SLOT_TASKS || !startSpinning()) return false;
  armSpin(state);
  return true;
}

/**
 * Runs the tasks handed to the slot call, one after the other, while the
 * spin goes on and the slot has room; returns the number of tasks run.
 * `armed`: the caller won the spinner word and armed the slot.
 */
function spinLoop(
  id: number,
  state: Int32Array,
  starts: Float64Array,
  ran: number,
  last: number,
  armed: boolean,
): number | Promise<number> {
  let i = last;
  let count = ran;
  let spinning = armed;
  for (;;) {
    if (!spinning && !rearm(state, i)) break;
    spinning = false;
    const m: WireHanded | undefined = spin(state);
    if (m === undefined) break;
    i = m[0] as number;
    if (m.length === HANDED_HEADER) continue; // main could not post it
    const out = runOne(m as WireCall, HANDED_HEADER, state, starts, i);
    if (out === undefined) continue; // canceled before it started
    if (isPromise(out)) {
      const index = i;
      return out.then((o) => {
        const again = rearm(state, index);
        let n = count;
        if (o !== undefined) {
          respond(poolTag, id, index, o, state);
          n++;
        }
        return again ? spinLoop(id, state, starts, n, index, true) : end(state, n);
      });
    }
    spinning = rearm(state, i);
    respond(poolTag, id, i, out, state);
    count++;
    if (!spinning) break;
  }
  return end(state, count);
}

function end(state: Int32Array, ran: number): number {
  stopSpinning(state);
  return ran;
}

function single(out: RunOutput | undefined, state: Int32Array): unknown {
  if (out === undefined) return undefined;
  Atomics.compareExchange(state, HEADER_WORDS, RUNNING, DONE);
  if (out instanceof Transferring) {
    // piscina's move() takes one transferable-bearing object: wrap the response.
    return loadMove().then((m) => m(new MovableResponse(out.response, out.list)));
  }
  return out;
}

async function runBatch(
  wire: WireCall,
  state: Int32Array,
  starts: Float64Array,
  n: number,
): Promise<number> {
  const tag = wire[1] as string;
  const id = wire[0] as number;
  let ran = 0;
  for (let i = 0; i < n; i++) {
    let out = runOne(wire, CALL_HEADER + i * TASK_FIELDS, state, starts, i);
    if (out === undefined) continue;
    if (isPromise(out)) out = await out;
    if (out === undefined) continue;
    ran++;
    respond(tag, id, i, out, state);
  }
  return ran;
}

/** Posts task `i`'s response on parentPort, then marks it DONE (in that order: see the invariants). */
function respond(tag: string, id: number, i: number, out: RunOutput, state: Int32Array): void {
  if (out instanceof Transferring) post(tag, id, i, out.response, out.list);
  else post(tag, id, i, out, undefined);
  Atomics.compareExchange(state, HEADER_WORDS + i, RUNNING, DONE);
}

/** Claims task `i` (its fields from `wire[at]` on) and runs it; undefined when main canceled it first. */
function runOne(
  wire: WireCall,
  at: number,
  state: Int32Array,
  starts: Float64Array,
  i: number,
): RunOutput | Promise<RunOutput | undefined> | undefined {
  const url = wire[at] as string;
  const name = wire[at + 1] as string;
  const fn = cachedTask(url, name);
  const now = performance.timeOrigin + performance.now();
  // A task whose module this thread has yet to import starts its run time when
  // the import ends (runTask writes it then): negative until then (src/wire.ts).
  starts[i] = fn === undefined ? -now : now;
  const word = HEADER_WORDS + i;
  if (Atomics.compareExchange(state, word, QUEUED, RUNNING) !== QUEUED) return undefined;
  Atomics.store(state, WORD_CURRENT, i);
  runningState = state;
  runningWord = word;
  const current = new CurrentTask(state, i);
  setCurrentTask(current);
  let out: RunOutput | Promise<RunOutput>;
  try {
    out = runTask(
      fn,
      url,
      name,
      wire[at + 2] as unknown[],
      wire[at + 3] as string,
      wire[at + 4] as number,
      wire[at + 5] as WireTrace | undefined,
      state,
      word,
      starts,
      i,
    );
  } catch (err) {
    // runTask never throws; if it did (a bug), keep the bookkeeping right.
    endRun(current, state);
    throw err;
  }
  if (isPromise(out)) {
    return out.then(
      (o) => {
        endRun(current, state);
        return o;
      },
      (err: unknown) => {
        endRun(current, state);
        throw err;
      },
    );
  }
  endRun(current, state);
  return out;
}

function endRun(current: CurrentTask, state: Int32Array): void {
  current.dispose();
  setCurrentTask(undefined);
  runningState = undefined;
  Atomics.store(state, WORD_CURRENT, -1);
}

function isPromise(value: unknown): value is Promise<RunOutput | undefined> {
  return value instanceof Promise;
}

function post(
  tag: string,
  callId: number,
  index: number,
  response: WireResponse,
  transferList: TransferListItem[] | undefined,
  to?: MessagePort,
): void {
  const port = to ?? parentPort;
  if (port === null)
    throw new Error('threadline: internal: worker entry loaded on the main thread');
  const message: WireResult = [tag, callId, index, response];
  try {
    port.postMessage(message, transferList);
  } catch (err) {
    // A value findUncloneable missed: report the task as Validation instead.
    const failed = response.slice();
    failed[RESPONSE_OK] = 0;
    failed[RESPONSE_VALUE] = serializeError(
      new KindError('Validation', 'threadline: task returned a value that cannot be cloned', {
        cause: err,
      }),
    );
    failed[RESPONSE_TYPE] = 'undefined';
    failed[RESPONSE_KIND] = 'Validation';
    port.postMessage([tag, callId, index, failed] satisfies WireResult);
  }
}

/** A response carrying transferables, in the shape piscina's move() accepts. */
class MovableResponse {
  readonly #response: WireResponse;
  readonly #list: TransferListItem[];
  constructor(response: WireResponse, list: TransferListItem[]) {
    this.#response = response;
    this.#list = list;
  }
  get [Symbol.for('Piscina.transferable')](): TransferListItem[] {
    return this.#list;
  }
  get [Symbol.for('Piscina.valueOf')](): WireResponse {
    return this.#response;
  }
}
