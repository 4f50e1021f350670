// The worker's side of spinning (src/wire.ts "Spinning workers"): after the
// task of a slot call, the worker may keep the call open for up to the pool's
// spinMicros, polling its slot's WORD_HANDOFF for a task main hands it on the
// handoff port. Waking a thread asleep in Atomics.wait costs tens of µs on a
// VM; a spinning thread takes the next task in about one.
//
// Invariants:
//   At most one worker of a pool spins at a time (POOL_WORD_SPINNER holds its
//     threadId); on a machine with one core the pool sets spinMicros to 0.
//   A worker spins only while no piscina call waits to start
//     (POOL_WORD_WAITING == 0): spinning must never delay piscina's next call,
//     which may be queued for this very thread.
//   WORD_HANDOFF leaves SPINNING once: to HANDED by main's CAS (the worker then
//     reads exactly one WireHanded from its port) or to OFF (time up, or close).

import {
  MessageChannel,
  type MessagePort,
  parentPort,
  receiveMessageOnPort,
  threadId,
  workerData,
} from 'node:worker_threads';
import {
  HANDOFF_HANDED,
  HANDOFF_OFF,
  HANDOFF_PORT_MESSAGE,
  HANDOFF_SPINNING,
  POOL_WORD_SPIN,
  POOL_WORD_SPINNER,
  POOL_WORD_WAITING,
  POOL_WORDS,
  type WireHanded,
  WORD_HANDOFF,
} from '../wire.js';

const slab = (workerData as { threadlineSlab?: SharedArrayBuffer } | null | undefined)
  ?.threadlineSlab;
/** The pool words at the start of the slab (src/wire.ts). */
const poolWords = slab === undefined ? undefined : new Int32Array(slab, 0, POOL_WORDS);

// The port main hands tasks on: made here and sent to main once, at start-up
// (before piscina's ready message, so main knows it before any call). A pool
// that spins hands tasks on it to a spinning slot call; a pool that does not
// posts direct calls on it (src/wire.ts "Direct calls", ./direct.ts).
// POOL_WORD_SPIN is set before the pool's workers start and never changes, so
// a pool with spinning off pays for no counting.
const spins = poolWords !== undefined && Atomics.load(poolWords, POOL_WORD_SPIN) > 0;
/** This worker's handoff port, undefined outside a pool's worker. */
export let port: MessagePort | undefined;
if (poolWords !== undefined && parentPort !== null) {
  const channel = new MessageChannel();
  port = channel.port2;
  parentPort.postMessage([HANDOFF_PORT_MESSAGE, threadId, channel.port1], [channel.port1]);
}

/** Whether the pool spins (then the port carries handed tasks, not direct calls). */
export function spinning(): boolean {
  return spins;
}

/** Counts a piscina call as started: main counted it as waiting (spinning pools only). */
export function callEntered(): void {
  if (spins) Atomics.sub(poolWords as Int32Array, POOL_WORD_WAITING, 1);
}

/** Becomes the pool's spinner, if spinning is on, nobody spins, and no piscina call waits. */
export function startSpinning(): boolean {
  const words = poolWords;
  return (
    spins &&
    words !== undefined &&
    Atomics.load(words, POOL_WORD_WAITING) === 0 &&
    Atomics.compareExchange(words, POOL_WORD_SPINNER, 0, threadId) === 0
  );
}

/**
 * armSpin opens the slot for a handoff. Call it after startSpinning() won and
 * before posting the response main is waiting for: main answers that response
 * with its next go(), which must find the slot SPINNING.
 */
export function armSpin(state: Int32Array): void {
  Atomics.store(state, WORD_HANDOFF, HANDOFF_SPINNING);
}

/**
 * spin polls the slot's WORD_HANDOFF (`state`, armed by armSpin) for up to
 * spinMicros. Returns the task main handed, or undefined when the time is up, a
 * piscina call is waiting, or main stopped the spin. Gives up the spinner word
 * either way.
 */
export function spin(state: Int32Array): WireHanded | undefined {
  const words = poolWords as Int32Array;
  const deadline = performance.now() + Atomics.load(words, POOL_WORD_SPIN) / 1000;
  let handed = false;
  for (let n = 1; ; n++) {
    const word = Atomics.load(state, WORD_HANDOFF);
    if (word === HANDOFF_HANDED) {
      handed = true;
      break;
    }
    if (word !== HANDOFF_SPINNING) break; // main stopped it (pool closing)
    // The clock and the pool word every 64 polls: a poll is a few ns.
    if (
      (n & 63) === 0 &&
      (Atomics.load(words, POOL_WORD_WAITING) > 0 || performance.now() >= deadline)
    ) {
      const prev = Atomics.compareExchange(state, WORD_HANDOFF, HANDOFF_SPINNING, HANDOFF_OFF);
      handed = prev === HANDOFF_HANDED;
      break;
    }
  }
  Atomics.store(words, POOL_WORD_SPINNER, 0);
  if (!handed) return undefined;
  // Main posts right after its CAS: the message is at most a few µs away.
  const p = port as MessagePort;
  for (;;) {
    const m = receiveMessageOnPort(p);
    if (m !== undefined) return m.message as WireHanded;
  }
}

/** Ends the slot call's spinning for good (the worker returns the call). */
export function stopSpinning(state: Int32Array): void {
  Atomics.store(state, WORD_HANDOFF, HANDOFF_OFF);
}
