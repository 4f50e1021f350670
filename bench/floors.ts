import { FloorChannel } from '../dist/src/cli/bench/floor-channel.js';

// Reference channels for the channel benches: what a channel costs with
// nothing but its queueing. None of them has close, abort, select or a yield
// budget; they exist to be measured against.
//
// FloorChannel (the one `threadline bench` measures against, from
// src/cli/bench): every send and recv returns one promise ("one promise per
// operation", the floor issue 3 names). FloorOkChannel: the same, with each
// receive resolving a fresh `{ value, ok }` as Channel.recv() must (Go's
// `v, ok := <-ch`). MinimalChannel: an unbuffered channel with
// trySend/tryRecv, the least a try-first rendezvous can cost: parked waiters
// in linked lists, nothing else.

export { FloorChannel };

/**
 * The same floor, except that a receive hands over Go's `v, ok` pair as a
 * `{ value, ok }` object, as Channel.recv() must (RecvResult): the
 * one-promise-per-operation floor of an API that reports `ok`. Resolving a
 * promise with an object costs more than with a number (allocation, and the
 * `then` lookup of the promise resolution procedure). The pair is made by the
 * sender and carried by a FloorChannel: one object per value either way.
 */
export class FloorOkChannel<T> {
  readonly #inner: FloorChannel<{ value: T; ok: boolean }>;
  constructor(cap: number) {
    this.#inner = new FloorChannel(cap);
  }
  send(value: T): Promise<void> {
    return this.#inner.send({ value, ok: true });
  }
  recv(): Promise<{ value: T; ok: boolean }> {
    return this.#inner.recv();
  }
}

/** A parked operation of MinimalChannel. */
class MinimalWaiter<T> {
  declare next: MinimalWaiter<T> | undefined;
  declare resolve: ((r: never) => void) | undefined;
  declare readonly value: T | undefined;
  constructor(value: T | undefined) {
    this.next = undefined;
    this.resolve = undefined;
    this.value = value;
  }
}

/**
 * An unbuffered channel with the try-first API and nothing else: each side a
 * singly linked FIFO of parked waiters. What any rendezvous channel whose
 * recv() resolves `{ value, ok }` must at least pay.
 */
export class MinimalChannel<T> {
  #recvHead: MinimalWaiter<T> | undefined = undefined;
  #recvTail: MinimalWaiter<T> | undefined = undefined;
  #sendHead: MinimalWaiter<T> | undefined = undefined;
  #sendTail: MinimalWaiter<T> | undefined = undefined;

  trySend(value: T): boolean {
    const w = this.#recvHead;
    if (w === undefined) return false;
    this.#recvHead = w.next;
    if (w.next === undefined) this.#recvTail = undefined;
    (w.resolve as (r: { value: T; ok: boolean }) => void)({ value, ok: true });
    return true;
  }
  send(value: T): Promise<void> {
    if (this.trySend(value)) return Promise.resolve();
    const w = new MinimalWaiter<T>(value);
    const p = new Promise<void>((resolve) => {
      w.resolve = resolve as (r: never) => void;
    });
    if (this.#sendTail === undefined) this.#sendHead = w;
    else this.#sendTail.next = w;
    this.#sendTail = w;
    return p;
  }
  tryRecv(): { value: T; ok: boolean } | undefined {
    const w = this.#sendHead;
    if (w === undefined) return undefined;
    this.#sendHead = w.next;
    if (w.next === undefined) this.#sendTail = undefined;
    (w.resolve as () => void)();
    return { value: w.value as T, ok: true };
  }
  recv(): Promise<{ value: T; ok: boolean }> {
    const r = this.tryRecv();
    if (r !== undefined) return Promise.resolve(r);
    const w = new MinimalWaiter<T>(undefined);
    const p = new Promise<{ value: T; ok: boolean }>((resolve) => {
      w.resolve = resolve as (r: never) => void;
    });
    if (this.#recvTail === undefined) this.#recvHead = w;
    else this.#recvTail.next = w;
    this.#recvTail = w;
    return p;
  }
}
