// WaitQueue: a channel's queue of parked senders (sendq) or receivers (recvq),
// Go's waitq of sudogs. Internal: not exported from the package root.
//
// Invariants:
//   The queue is an intrusive doubly linked list: a Parked is in at most one
//   queue, and w.queue names it (undefined once the waiter left: woken,
//   withdrawn or aborted). Push, shift and remove are O(1) and allocate nothing.
//   size equals the number of linked waiters. tail is the newest waiter
//   when size >= 2 and undefined when size <= 1 (then head is the only one).
//   onBusy runs when size goes 0 -> 1 and onIdle when it goes 1 -> 0 (after()
//   refs and unrefs its timer there); both are undefined on ordinary channels.
//
// A Parked is one parked operation. A plain send/recv/iteration parks a Waiter,
// which owns its promise (resolve/reject) and, when given a signal, is itself
// the abort listener (handleEvent), so parking allocates no closure besides
// the promise's. A select
// parks one CaseWaiter per case, all pointing at the same SelectOwner, which
// settles the select and withdraws the losing cases when one of them is woken.
// wakeRecv/wakeSend/failSend settle a waiter that its channel has just unlinked.

import { resume } from './yield-budget.js';

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
  win(w: CaseWaiter, value: unknown, ok: boolean): void;
  /** A send case failed (its channel was closed while it waited). */
  fail(w: CaseWaiter, error: unknown): void;
}

/**
 * armPromise creates a promise and leaves its resolving functions in `out`.
 * The executor is a fresh arrow function on purpose: TurboFan inlines it into
 * the Promise constructor. One shared executor that handed the functions over
 * through module-level variables (no closure allocated) measured 10-20% slower
 * per message (unbuffered producer→consumer and ping-pong, 1M messages).
 */
export function armPromise<V>(out: {
  resolve: (value: never) => void;
  reject: (e: unknown) => void;
}): Promise<V> {
  return new Promise<V>((resolve, reject) => {
    out.resolve = resolve as (value: never) => void;
    out.reject = reject;
  });
}

/**
 * Parked is what a WaitQueue links: the part every parked operation shares
 * (Go's sudog). Kept to five fields: parking allocates one of these per
 * blocked operation, and its size shows up directly in GC time.
 *
 * @example
 * if (w.kind === K_SELECT) (w as CaseWaiter).owner.win(w as CaseWaiter, value, true);
 */
export class Parked {
  // `declare` + constructor assignments: plain stores, cheaper than class-field
  // definitions on this hot allocation.
  declare prev: Parked | undefined;
  declare next: Parked | undefined;
  /** The queue this waiter is linked in; undefined once it left it. */
  declare queue: WaitQueue | undefined;
  /** K_SEND, K_RECV, K_ITER or K_SELECT. */
  declare readonly kind: number;
  /** The value a sender offers; unused by receivers. */
  declare value: unknown;

  constructor(kind: number, value: unknown) {
    this.prev = undefined;
    this.next = undefined;
    this.queue = undefined;
    this.kind = kind;
    this.value = value;
  }
}

/**
 * Waiter is a parked plain operation (send, recv, iterator next): it owns its
 * promise and, given a signal, is itself the abort listener.
 *
 * @example
 * const w = new Waiter(K_RECV, undefined, signal);
 * const promise = armPromise(w);
 */
export class Waiter implements Parked {
  declare prev: Parked | undefined;
  declare next: Parked | undefined;
  declare queue: WaitQueue | undefined;
  declare readonly kind: number;
  declare value: unknown;
  declare resolve: (value: never) => void;
  declare reject: (reason: unknown) => void;
  /** Set while this waiter listens for an abort. */
  declare signal: AbortSignal | undefined;

  // Parked's fields spelled out instead of `extends Parked`: one constructor,
  // no super() call, on the allocation every parked send/recv makes.
  constructor(kind: number, value: unknown, signal: AbortSignal | undefined) {
    this.prev = undefined;
    this.next = undefined;
    this.queue = undefined;
    this.kind = kind;
    this.value = value;
    this.resolve = noop;
    this.reject = noop;
    this.signal = signal;
  }

  /** The abort listener: withdraw, then reject with the reason. */
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

/**
 * CaseWaiter is one case of a parked select; its owner settles the select.
 *
 * @example
 * const w = new CaseWaiter(K_SELECT, value, op, index);
 */
export class CaseWaiter extends Parked {
  declare readonly owner: SelectOwner;
  /** The case index in the select's cases array. */
  declare readonly index: number;

  constructor(kind: number, value: unknown, owner: SelectOwner, index: number) {
    super(kind, value);
    this.owner = owner;
    this.index = index;
  }
}

function noop(): void {}

/**
 * park links a new Waiter for an operation with a signal at the tail of `q`,
 * listening for the signal's abort, and returns its promise.
 *
 * @example
 * return park<RecvResult<T>>(recvq, K_RECV, undefined, signal);
 */
export function park<V>(
  q: WaitQueue,
  kind: number,
  value: unknown,
  signal: AbortSignal,
): Promise<V> {
  const w = new Waiter(kind, value, signal);
  const promise = armPromise<V>(w);
  q.push(w);
  signal.addEventListener('abort', w, { once: true });
  return promise;
}

// The rendezvous hot path: handOff, parkRecv, parkSend and takeSent serve a
// plain send()/recv()/iteration with no signal, the common case, without park()'s and
// wakeRecv()'s dispatch on kind and signal; every other waiter takes the
// general path. Against the general path alone they measured 1-5% fewer
// instructions per message (callgrind, unbuffered ping-pong and
// producer→consumer).

/**
 * handOff gives `value` to the oldest receiver parked in `q` (precondition:
 * q.size > 0) and resumes it.
 */
export function handOff(q: WaitQueue, value: unknown): void {
  const w = q.shift() as Waiter;
  if (w.kind !== K_RECV || w.signal !== undefined) wakeRecv(w, value, true);
  else resume(w.resolve, { value, ok: true });
}

/**
 * parkRecv parks a receive with no signal (`kind` K_RECV or K_ITER) at the
 * tail of `q`: it can only be resolved (close() wakes receivers with
 * ok=false), so its promise keeps resolve alone.
 */
export function parkRecv<V>(q: WaitQueue, kind: number): Promise<V> {
  const w = new Waiter(kind, undefined, undefined);
  const promise = new Promise<V>((resolve) => {
    w.resolve = resolve as (value: never) => void;
  });
  q.push(w);
  return promise;
}

/** parkSend parks a plain send() with no signal at the tail of `q`. */
export function parkSend(q: WaitQueue, value: unknown): Promise<void> {
  const w = new Waiter(K_SEND, value, undefined);
  const promise = armPromise<void>(w);
  q.push(w);
  return promise;
}

/**
 * takeSent takes the value of the oldest sender parked in `q` (precondition:
 * q.size > 0) and releases that sender.
 */
export function takeSent(q: WaitQueue): unknown {
  const w = q.shift() as Waiter;
  const value = w.value;
  w.value = undefined;
  if (w.kind !== K_SEND || w.signal !== undefined) wakeSend(w);
  else resume(w.resolve, undefined);
  return value;
}

/** Wakes receiver `w` (already unlinked) with a value, or with ok=false on close. */
export function wakeRecv(p: Parked, value: unknown, ok: boolean): void {
  // A plain recv() first: the rendezvous hot path.
  if (p.kind === K_RECV) {
    const w = p as Waiter;
    if (w.signal !== undefined) unlisten(w);
    resume(w.resolve, { value, ok });
    return;
  }
  if (p.kind === K_SELECT) {
    (p as CaseWaiter).owner.win(p as CaseWaiter, value, ok);
    return;
  }
  const w = p as Waiter;
  if (w.signal !== undefined) unlisten(w);
  resume(w.resolve, { value, done: !ok });
}

/** Releases sender `w` (already unlinked) whose value was taken. */
export function wakeSend(p: Parked): void {
  p.value = undefined;
  if (p.kind === K_SELECT) {
    (p as CaseWaiter).owner.win(p as CaseWaiter, undefined, true);
    return;
  }
  const w = p as Waiter;
  if (w.signal !== undefined) unlisten(w);
  resume(w.resolve, undefined);
}

/** Rejects sender `w` (already unlinked): its channel was closed. */
export function failSend(p: Parked, error: unknown): void {
  p.value = undefined;
  if (p.kind === K_SELECT) {
    (p as CaseWaiter).owner.fail(p as CaseWaiter, error);
    return;
  }
  const w = p as Waiter;
  if (w.signal !== undefined) unlisten(w);
  w.reject(error);
}

/** Stops listening for an abort: the operation committed. Precondition: w.signal is set. */
function unlisten(w: Waiter): void {
  const signal = w.signal as AbortSignal;
  w.signal = undefined;
  signal.removeEventListener('abort', w);
}

/**
 * WaitQueue is a FIFO of parked waiters with O(1) removal from the middle.
 *
 * @example
 * const q = new WaitQueue();
 * q.push(w);
 * q.remove(w); // withdrawn: q.size === 0
 */
export class WaitQueue {
  head: Parked | undefined = undefined;
  /** The newest waiter when there are two or more; undefined otherwise (see below). */
  tail: Parked | undefined = undefined;
  size = 0;
  onBusy: (() => void) | undefined = undefined;
  onIdle: (() => void) | undefined = undefined;

  // Why `tail` stays undefined for a lone waiter: a channel and its queues live
  // long (old generation) and every parked waiter is new, so each store of a
  // waiter into the queue takes V8's write barrier slow path (the remembered
  // set). A lone waiter, the rendezvous case, then costs one such store, not two.

  /** push links `w` at the tail. Precondition: `w` is in no queue. */
  push(w: Parked): void {
    w.queue = this;
    w.next = undefined;
    const head = this.head;
    if (head === undefined) {
      w.prev = undefined;
      this.head = w;
    } else {
      const last = this.tail ?? head;
      w.prev = last;
      last.next = w;
      this.tail = w;
    }
    if (++this.size === 1 && this.onBusy !== undefined) this.onBusy();
  }

  /** shift unlinks and returns the oldest waiter, or undefined when empty. */
  shift(): Parked | undefined {
    // remove() specialised for the head (its prev is undefined): every wake-up goes through here.
    const w = this.head;
    if (w === undefined) return undefined;
    const next = w.next;
    this.head = next;
    if (next !== undefined) {
      next.prev = undefined;
      if (next.next === undefined) this.tail = undefined;
      w.next = undefined;
    }
    w.queue = undefined;
    if (--this.size === 0 && this.onIdle !== undefined) this.onIdle();
    return w;
  }

  /** remove unlinks `w`. Precondition: `w.queue === this`. */
  remove(w: Parked): void {
    const { prev, next } = w;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next !== undefined) next.prev = prev;
    const head = this.head;
    if (head === undefined || head.next === undefined) this.tail = undefined;
    else if (next === undefined) this.tail = prev;
    w.prev = undefined;
    w.next = undefined;
    w.queue = undefined;
    if (--this.size === 0 && this.onIdle !== undefined) this.onIdle();
  }
}
