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
//
// Invariants:
//   Word WORD_CURRENT names the running task's index, -1 between tasks; main
//     reads it to find the task a dying or timed-out worker was running.
//   The response of a task is posted before its state word moves to DONE.

import { parentPort, type TransferListItem, threadId } from 'node:worker_threads';
import { KindError } from '../observe/kind-error.js';
import {
  type Call,
  DONE,
  decodeCall,
  EXITED,
  encodeResponse,
  HEADER_WORDS,
  QUEUED,
  RUNNING,
  serializeError,
  startOffset,
  type TaskResponse,
  type WireCall,
  type WireResponse,
  type WireResult,
  WORD_CURRENT,
  WORD_THREAD,
} from '../wire.js';
import { type RunResult, runTask } from './run-task.js';
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

/**
 * Runs one piscina call: one task (returns its TaskResponse) or a batch (posts
 * each response, returns the number of tasks run).
 *
 * @example
 * // piscina calls it; see src/pool/pool.ts
 */
export default async function run(wire: WireCall): Promise<unknown> {
  const call = decodeCall(wire);
  const n = call.tasks.length;
  const state = new Int32Array(call.state, 0, HEADER_WORDS + n);
  const starts = new Float64Array(call.state, startOffset(n), n);
  Atomics.store(state, WORD_THREAD, threadId);
  if (n === 1) {
    const result = await runOne(call, state, starts, 0);
    if (result === undefined) return undefined;
    Atomics.compareExchange(state, HEADER_WORDS, RUNNING, DONE);
    if (result.transferList !== undefined && result.transferList.length > 0) {
      const m = await loadMove();
      // piscina's move() takes one transferable-bearing object: wrap the response.
      return m(new MovableResponse(encodeResponse(result.response), result.transferList));
    }
    return encodeResponse(result.response);
  }
  let ran = 0;
  for (let i = 0; i < n; i++) {
    const result = await runOne(call, state, starts, i);
    if (result === undefined) continue;
    ran++;
    post(call.tag, call.id, i, result.response, result.transferList);
    Atomics.compareExchange(state, HEADER_WORDS + i, RUNNING, DONE);
  }
  return ran;
}

async function runOne(
  call: Call,
  state: Int32Array,
  starts: Float64Array,
  i: number,
): Promise<RunResult | undefined> {
  starts[i] = performance.timeOrigin + performance.now();
  if (Atomics.compareExchange(state, HEADER_WORDS + i, QUEUED, RUNNING) !== QUEUED)
    return undefined;
  Atomics.store(state, WORD_CURRENT, i);
  runningState = state;
  runningWord = HEADER_WORDS + i;
  const current = new CurrentTask(state, i);
  setCurrentTask(current);
  try {
    const word = HEADER_WORDS + i;
    return await runTask(
      call.tasks[i] as Call['tasks'][number],
      () => Atomics.load(state, word) > DONE,
    );
  } finally {
    current.dispose();
    setCurrentTask(undefined);
    runningState = undefined;
    Atomics.store(state, WORD_CURRENT, -1);
  }
}

function post(
  tag: string,
  callId: number,
  index: number,
  response: TaskResponse,
  transferList: TransferListItem[] | undefined,
): void {
  const port = parentPort;
  if (port === null)
    throw new Error('threadline: internal: worker entry loaded on the main thread');
  const message: WireResult = [tag, callId, index, encodeResponse(response)];
  try {
    port.postMessage(message, transferList);
  } catch (err) {
    // A value findUncloneable missed: report the task as Validation instead.
    const failed: TaskResponse = {
      ...response,
      ok: false,
      value: undefined,
      resultType: 'undefined',
      errorKind: 'Validation',
      error: serializeError(
        new KindError('Validation', 'threadline: task returned a value that cannot be cloned', {
          cause: err,
        }),
      ),
    };
    port.postMessage([tag, callId, index, encodeResponse(failed)] satisfies WireResult);
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
