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
 * fresh `{ value, ok }` object, as Channel.recv() must (RecvResult): the
 * one-promise-per-operation floor of an API that reports `ok`. Resolving a
 * promise with an object costs more than with a number (allocation, and the
 * `then` lookup of the promise resolution procedure).
 *
 * A copy of FloorChannel's logic, not a wrapper: made by the sender and
 * carried through FloorChannel, the pair sat in the buffer and survived
 * young-generation collections there, and buffered producer→consumer measured
 * 1.14× the bare floor instead of 1.02× (bench/channel.bench.ts): a floor must
 * be as cheap as the API allows, so the pair is made when it is received.
 */
export class FloorOkChannel<T> {
  readonly #cap: number;
  #buf: (T | undefined)[] = [];
  #head = 0;
  #senders: { value: T; resolve: () => void }[] = [];
  #receivers: ((r: { value: T; ok: boolean }) => void)[] = [];
  constructor(cap: number) {
    this.#cap = cap;
  }
  send(value: T): Promise<void> {
    const r = this.#receivers.shift();
    if (r !== undefined) {
      r({ value, ok: true });
      return Promise.resolve();
    }
    if (this.#buf.length - this.#head < this.#cap) {
      this.#buf.push(value);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#senders.push({ value, resolve }));
  }
  recv(): Promise<{ value: T; ok: boolean }> {
    if (this.#buf.length > this.#head) {
      const v = this.#buf[this.#head] as T;
      this.#buf[this.#head++] = undefined;
      if (this.#head > 1024) {
        this.#buf = this.#buf.slice(this.#head);
        this.#head = 0;
      }
      const s = this.#senders.shift();
      if (s !== undefined) {
        this.#buf.push(s.value);
        s.resolve();
      }
      return Promise.resolve({ value: v, ok: true });
    }
    const s = this.#senders.shift();
    if (s !== undefined) {
      s.resolve();
      return Promise.resolve({ value: s.value, ok: true });
    }
    return new Promise((resolve) => this.#receivers.push(resolve));
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
