// WaitQueue: a channel's queue of parked senders (sendq) or receivers (recvq),
// Go's waitq of sudogs. Internal: not exported from the package root.
//
// Invariants:
//   The queue is an intrusive doubly linked list: a Waiter is in at most one
//   queue, and w.queue names it (undefined once the waiter left: woken,
//   withdrawn or aborted). Push, shift and remove are O(1) and allocate nothing.
//   size equals the number of linked waiters.
//   onBusy runs when size goes 0 -> 1 and onIdle when it goes 1 -> 0 (after()
//   refs and unrefs its timer there); both are undefined on ordinary channels.
//
// A Waiter is one parked operation. Plain send/recv/iteration waiters own their
// promise (resolve/reject) and, when given a signal, are themselves the abort
// listener (handleEvent), so parking allocates no closure. A select parks one
// waiter per case, all pointing at the same SelectOwner, which settles the
// select and withdraws the losing waiters when one of them is woken.

/** A parked `send()`. */
export const K_SEND = 0;
/** A parked `recv()`: resolves with `{ value, ok }`. */
export const K_RECV = 1;
/** A parked iterator `next()`: resolves with `{ value, done }`. */
export const K_ITER = 2;
/** One case of a parked `select()`: its owner settles the select. */
export const K_SELECT = 3;

/** The select a K_SELECT waiter belongs to (implemented in select.ts). */
export interface SelectOwner {
  /** A case won: `w` was unlinked by the channel, its siblings must be withdrawn. */
  win(w: Waiter, value: unknown, ok: boolean): void;
  /** A send case failed (its channel was closed while it waited). */
  fail(w: Waiter, error: unknown): void;
}

let capturedResolve: (value: never) => void;
let capturedReject: (reason: unknown) => void;
function capture(resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** newPromise creates a promise and leaves its resolving functions in `out`. */
export function armPromise<V>(out: {
  resolve: (value: never) => void;
  reject: (e: unknown) => void;
}): Promise<V> {
  const promise = new Promise<V>(capture);
  out.resolve = capturedResolve;
  out.reject = capturedReject;
  return promise;
}

/**
 * Waiter is one parked channel operation (Go's sudog).
 *
 * @example
 * const w = new Waiter(K_RECV, undefined, signal, undefined, 0);
 * const promise = armPromise(w);
 */
export class Waiter {
  // `declare` + constructor assignments: plain stores, cheaper than class-field
  // definitions on this hot allocation.
  declare prev: Waiter | undefined;
  declare next: Waiter | undefined;
  /** The queue this waiter is linked in; undefined once it left it. */
  declare queue: WaitQueue | undefined;
  declare resolve: (value: never) => void;
  declare reject: (reason: unknown) => void;
  /** K_SEND, K_RECV, K_ITER or K_SELECT. */
  declare readonly kind: number;
  /** The value a sender offers; unused by receivers. */
  declare value: unknown;
  /** Set while this waiter listens for an abort (plain operations only). */
  declare signal: AbortSignal | undefined;
  /** The select of a K_SELECT waiter. */
  declare readonly owner: SelectOwner | undefined;
  /** The case index of a K_SELECT waiter. */
  declare readonly index: number;

  constructor(
    kind: number,
    value: unknown,
    signal: AbortSignal | undefined,
    owner: SelectOwner | undefined,
    index: number,
  ) {
    this.prev = undefined;
    this.next = undefined;
    this.queue = undefined;
    this.resolve = noop;
    this.reject = noop;
    this.kind = kind;
    this.value = value;
    this.signal = signal;
    this.owner = owner;
    this.index = index;
  }

  /** The abort listener of a plain operation: withdraw, then reject with the reason. */
  handleEvent(): void {
    const queue = this.queue;
    const signal = this.signal;
    if (queue === undefined || signal === undefined) return; // already committed
    queue.remove(this);
    this.signal = undefined;
    this.value = undefined;
    this.reject(signal.reason);
  }
}

function noop(): void {}

/**
 * WaitQueue is a FIFO of parked waiters with O(1) removal from the middle.
 *
 * @example
 * const q = new WaitQueue();
 * q.push(w);
 * q.remove(w); // withdrawn: q.size === 0
 */
export class WaitQueue {
  head: Waiter | undefined = undefined;
  tail: Waiter | undefined = undefined;
  size = 0;
  onBusy: (() => void) | undefined = undefined;
  onIdle: (() => void) | undefined = undefined;

  /** push links `w` at the tail. Precondition: `w` is in no queue. */
  push(w: Waiter): void {
    w.queue = this;
    w.prev = this.tail;
    w.next = undefined;
    if (this.tail === undefined) this.head = w;
    else this.tail.next = w;
    this.tail = w;
    if (++this.size === 1 && this.onBusy !== undefined) this.onBusy();
  }

  /** shift unlinks and returns the oldest waiter, or undefined when empty. */
  shift(): Waiter | undefined {
    const w = this.head;
    if (w !== undefined) this.remove(w);
    return w;
  }

  /** remove unlinks `w`. Precondition: `w.queue === this`. */
  remove(w: Waiter): void {
    const { prev, next } = w;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    w.prev = undefined;
    w.next = undefined;
    w.queue = undefined;
    if (--this.size === 0 && this.onIdle !== undefined) this.onIdle();
  }
}
