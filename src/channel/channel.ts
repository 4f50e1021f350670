// Channel<T>: Go's chan T for one thread (one event loop).
//
// Names: #ring is the buffer (undefined until the first buffered value), #recvq
// and #sendq are the parked receivers and senders (undefined until the first
// one parks), #ext holds what only some channels need (a name and its metrics
// probe, after()'s timer hooks), so an idle channel is one small object.
//
// Invariants (property-tested in test/channel-model.test.ts):
//   At least one of #recvq and #sendq is empty, except while one select waits
//   on both sides of the same unbuffered channel (Go's TestSelfSelect).
//   #ring.length > 0 implies #recvq is empty; #ring.length < capacity implies
//   #sendq is empty.
//   After close(): #sendq and #recvq stay empty; receivers drain #ring, then
//   get ok=false; senders reject with ChannelClosedError.
//   A value leaves #ring or a parked sender exactly once, for the receiver that
//   won it, synchronously at the commit; a waiter leaves its queue exactly once
//   (woken, withdrawn by its select, or aborted), so an abort after the commit
//   has no effect and a withdrawn waiter loses and duplicates nothing.
//   Nothing here awaits: an operation that can complete returns an
//   already-resolved promise (within the yield budget, see yield-budget.ts),
//   one that cannot parks one Waiter and returns one promise.

import { ChannelClosedError } from '../observe/kind-error.js';
import { type ChannelOp, observeChannel } from '../observe/metrics.js';
import { ChannelIterator } from './iterator.js';
import { Ring } from './ring.js';
import type {
  ChannelOptions,
  ReceiveChannel,
  RecvOptions,
  RecvResult,
  SendChannel,
  SendOptions,
} from './types.js';
import {
  type CaseWaiter,
  failSend,
  handOff,
  K_ITER,
  K_RECV,
  K_SEND,
  park,
  parkRecv,
  parkSend,
  takeSent,
  WaitQueue,
  wakeRecv,
} from './wait-queue.js';
import { resolvedVoid, resolvedWith } from './yield-budget.js';

interface ChannelExt {
  readonly name: string | undefined;
  /** Held here so that the metrics module, which holds it weakly, sees it while the channel lives. */
  probe: { readonly name: string; length(): number; waiters(op: ChannelOp): number } | undefined;
  onRecvBusy: (() => void) | undefined;
  onRecvIdle: (() => void) | undefined;
}

/** Internal entry points for select.ts, after.ts, the iterator and tests; not exported from the package root. */
export interface ChannelInternals {
  isChannel(value: unknown): value is Channel<unknown>;
  recvReady(ch: Channel<unknown>): boolean;
  sendReady(ch: Channel<unknown>): boolean;
  /** Commits a ready receive for select case `index`. Precondition: recvReady(ch). */
  selectRecv(ch: Channel<unknown>, index: number): { index: number; value: unknown; ok: boolean };
  /** Commits a ready send; false when the channel is closed. Precondition: sendReady(ch). */
  selectSend(ch: Channel<unknown>, value: unknown): boolean;
  /** Parks a K_SELECT waiter on the receive side. */
  parkRecv(ch: Channel<unknown>, w: CaseWaiter): void;
  /** Parks a K_SELECT waiter on the send side. */
  parkSend(ch: Channel<unknown>, w: CaseWaiter): void;
  /** An iterator's next(). */
  next<T>(ch: Channel<T>): Promise<IteratorResult<T, undefined>>;
  /** Runs `busy` when the first receiver parks and `idle` when the last one leaves. */
  watchReceivers(ch: Channel<unknown>, busy: () => void, idle: () => void): void;
  unwatchReceivers(ch: Channel<unknown>): void;
  /** Blocked senders or receivers now. */
  waiters(ch: Channel<unknown>, op: ChannelOp): number;
}

/** @internal */
export let internals: ChannelInternals;

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Channel is Go's `chan T`: a FIFO queue of `capacity` values (0: unbuffered,
 * each send waits for a receiver) that async functions send into and receive
 * from. Go semantics: values arrive in send order and each reaches exactly one
 * receiver; `close()` wakes every blocked receiver (`ok: false` once the buffer
 * is drained) and rejects every blocked sender; a send on a closed channel
 * rejects (`trySend` throws) with `ChannelClosedError` where Go panics.
 * Throws RangeError unless `capacity` is an integer >= 0.
 *
 * Operations that may wait return a promise and take `{ signal }`: when the
 * signal aborts, the operation is withdrawn (nothing is lost or delivered twice)
 * and the promise rejects with `signal.reason`; an already-aborted signal
 * rejects at once without committing; an abort after the commit has no effect.
 *
 * @example
 * const ch = new Channel<number>();
 * const producer = (async () => { for (let i = 0; i < 3; i++) await ch.send(i); ch.close(); })();
 * for await (const v of ch) console.log(v); // 0, 1, 2
 * await producer;
 */
export class Channel<T> implements ReceiveChannel<T>, SendChannel<T> {
  readonly #capacity: number;
  #ring: Ring<T> | undefined = undefined;
  #recvq: WaitQueue | undefined = undefined;
  #sendq: WaitQueue | undefined = undefined;
  #closed = false;
  #ext: ChannelExt | undefined = undefined;

  constructor(capacity = 0, options?: ChannelOptions) {
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(
        `threadline: Channel capacity must be an integer >= 0, got ${describe(capacity)}`,
      );
    }
    this.#capacity = capacity;
    const name = options?.name;
    if (name !== undefined) {
      if (typeof name !== 'string') {
        throw new TypeError(`threadline: Channel name must be a string, got ${describe(name)}`);
      }
      const probe = {
        name,
        length: () => this.length,
        waiters: (op: ChannelOp) => internals.waiters(this, op),
      };
      this.#ext = { name, probe, onRecvBusy: undefined, onRecvIdle: undefined };
      observeChannel(probe);
    }
  }

  /** The buffer size given to the constructor, Go's `cap(ch)`. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Values buffered now, Go's `len(ch)`. */
  get length(): number {
    return this.#ring === undefined ? 0 : this.#ring.length;
  }

  /** Whether `close()` was called; buffered values may still be received. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The name given to the constructor, if any. */
  get name(): string | undefined {
    return this.#ext?.name;
  }

  /**
   * send delivers `value`: it resolves once a receiver took it (unbuffered) or
   * it was buffered. Rejects with ChannelClosedError when the channel is closed
   * (now or while waiting), and with `signal.reason` when the signal aborts
   * before the commit. Any value is sendable, `undefined` included.
   *
   * @example
   * await ch.send(42, { signal: AbortSignal.timeout(1000) });
   */
  send(value: T, options?: SendOptions): Promise<void> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new ChannelClosedError());
    if (this.#offer(value)) return resolvedVoid();
    if (this.#sendq === undefined) this.#sendq = new WaitQueue();
    return signal === undefined
      ? parkSend(this.#sendq, value)
      : park<void>(this.#sendq, K_SEND, value, signal);
  }

  /**
   * trySend sends `value` if that does not block (a receiver is waiting or the
   * buffer has room) and says whether it did. Throws ChannelClosedError on a
   * closed channel. `ch.trySend(v) || (await ch.send(v))` is the fast path.
   *
   * @example
   * if (!ch.trySend(v)) dropped++;
   */
  trySend(value: T): boolean {
    // A parked receiver first: #recvq is empty once closed, so this needs no #closed check.
    const recvq = this.#recvq;
    if (recvq !== undefined && recvq.size > 0) {
      handOff(recvq, value);
      return true;
    }
    if (this.#closed) throw new ChannelClosedError();
    return this.#offer(value);
  }

  /**
   * recv receives the next value: `{ value, ok: true }`, or `{ value: undefined,
   * ok: false }` once the channel is closed and drained. Rejects with
   * `signal.reason` when the signal aborts before a value was taken.
   *
   * @example
   * const { value, ok } = await ch.recv();
   */
  recv(options?: RecvOptions): Promise<RecvResult<T>> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // The three ready cases spelled out: this is the hottest path of the package.
    const ring = this.#ring;
    if (ring !== undefined && ring.length > 0)
      return resolvedWith({ value: this.#take(), ok: true });
    const sendq = this.#sendq;
    if (sendq !== undefined && sendq.size > 0)
      return resolvedWith({ value: takeSent(sendq) as T, ok: true });
    if (this.#closed) return resolvedWith({ value: undefined, ok: false });
    return this.#parkRecv(K_RECV, signal);
  }

  /**
   * tryRecv receives without blocking: a RecvResult, or `undefined` when a
   * receive would block (nothing buffered, no sender waiting, not closed).
   *
   * @example
   * const r = ch.tryRecv();
   * if (r?.ok) use(r.value);
   */
  tryRecv(): RecvResult<T> | undefined {
    if (!this.#recvReady()) return undefined;
    if (this.#isDrained()) return { value: undefined, ok: false };
    return { value: this.#take(), ok: true };
  }

  /**
   * close records that no more values will be sent. Blocked receivers wake
   * with `ok: false` (the buffer is empty whenever a receiver waits); blocked
   * senders reject with ChannelClosedError; buffered values stay receivable.
   * Throws ChannelClosedError `threadline: close of closed channel` when
   * already closed.
   *
   * @example
   * ch.close();
   */
  close(): void {
    if (this.#closed) throw new ChannelClosedError('threadline: close of closed channel');
    this.#closed = true;
    // One waiter at a time from the head: a waking select withdraws its other
    // cases, possibly from this very queue.
    const recvq = this.#recvq;
    if (recvq !== undefined) {
      for (let w = recvq.shift(); w !== undefined; w = recvq.shift()) wakeRecv(w, undefined, false);
    }
    const sendq = this.#sendq;
    if (sendq !== undefined) {
      for (let w = sendq.shift(); w !== undefined; w = sendq.shift()) {
        failSend(w, new ChannelClosedError());
      }
    }
  }

  /**
   * Go's `for v := range ch`: yields each value until the channel is closed
   * and drained. Leaving the loop early does not close the channel.
   *
   * @example
   * for await (const job of jobs) await handle(job);
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return new ChannelIterator<T>(this, internals.next);
  }

  /** Hands `value` to a parked receiver or the buffer; false when it would block. */
  #offer(value: T): boolean {
    const recvq = this.#recvq;
    if (recvq !== undefined && recvq.size > 0) {
      handOff(recvq, value);
      return true;
    }
    if (this.#capacity === 0) return false;
    let ring = this.#ring;
    if (ring === undefined) ring = this.#ring = new Ring<T>(this.#capacity);
    if (ring.length >= this.#capacity) return false;
    ring.push(value);
    return true;
  }

  #recvReady(): boolean {
    return (
      (this.#ring !== undefined && this.#ring.length > 0) ||
      (this.#sendq !== undefined && this.#sendq.size > 0) ||
      this.#closed
    );
  }

  /** Precondition: #recvReady(). True when closed with nothing left to take. */
  #isDrained(): boolean {
    return (
      (this.#ring === undefined || this.#ring.length === 0) &&
      (this.#sendq === undefined || this.#sendq.size === 0)
    );
  }

  /** Takes the next value. Precondition: a value is buffered or a sender waits. */
  #take(): T {
    const ring = this.#ring;
    const sendq = this.#sendq;
    if (ring !== undefined && ring.length > 0) {
      const value = ring.shift();
      // The buffer was full: the oldest parked sender's value takes the freed slot.
      if (sendq !== undefined && sendq.size > 0) ring.push(takeSent(sendq) as T);
      return value;
    }
    return takeSent(sendq as WaitQueue) as T;
  }

  #parkRecv<R>(kind: number, signal: AbortSignal | undefined): Promise<R> {
    const q = this.#receivers();
    return signal === undefined ? parkRecv<R>(q, kind) : park<R>(q, kind, undefined, signal);
  }

  #receivers(): WaitQueue {
    let q = this.#recvq;
    if (q === undefined) {
      q = this.#recvq = new WaitQueue();
      q.onBusy = this.#ext?.onRecvBusy;
      q.onIdle = this.#ext?.onRecvIdle;
    }
    return q;
  }

  static {
    // The brand lets a second copy of the package recognise this copy's channels.
    Object.defineProperty(Channel.prototype, Symbol.for('threadline.channel'), { value: true });
    internals = {
      isChannel: (value): value is Channel<unknown> => value instanceof Channel,
      recvReady: (ch) => ch.#recvReady(),
      sendReady: (ch) =>
        ch.#closed ||
        (ch.#recvq !== undefined && ch.#recvq.size > 0) ||
        (ch.#ring === undefined ? 0 : ch.#ring.length) < ch.#capacity,
      selectRecv: (ch, index) => {
        const ok = !ch.#isDrained();
        return { index, value: ok ? ch.#take() : undefined, ok };
      },
      selectSend: (ch, value) => !ch.#closed && ch.#offer(value),
      parkRecv: (ch, w) => ch.#receivers().push(w),
      parkSend: (ch, w) => {
        if (ch.#sendq === undefined) ch.#sendq = new WaitQueue();
        ch.#sendq.push(w);
      },
      next: <T>(ch: Channel<T>) => {
        if (ch.#recvReady()) {
          const done = ch.#isDrained();
          const value = done ? undefined : ch.#take();
          return resolvedWith({ value, done } as IteratorResult<T, undefined>);
        }
        return ch.#parkRecv<IteratorResult<T, undefined>>(K_ITER, undefined);
      },
      watchReceivers: (ch, busy, idle) => {
        const ext = (ch.#ext ??= {
          name: undefined,
          probe: undefined,
          onRecvBusy: undefined,
          onRecvIdle: undefined,
        });
        ext.onRecvBusy = busy;
        ext.onRecvIdle = idle;
        const q = ch.#receivers();
        q.onBusy = busy;
        q.onIdle = idle;
        if (q.size > 0) busy();
      },
      unwatchReceivers: (ch) => {
        const ext = ch.#ext;
        if (ext !== undefined) ext.onRecvBusy = ext.onRecvIdle = undefined;
        if (ch.#recvq !== undefined) ch.#recvq.onBusy = ch.#recvq.onIdle = undefined;
      },
      waiters: (ch, op) => {
        const q = op === 'send' ? ch.#sendq : ch.#recvq;
        return q === undefined ? 0 : q.size;
      },
    };
  }

  /** Channels kept alive for their hidden classes, see the static block. */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held, never read: see below
  static #shapeKeepers: readonly object[] = [];

  static {
    // Hidden classes live only while an object has them: V8 holds the maps a
    // class's instances reach (one per field added) weakly, so a full GC that
    // finds no instance drops them and deoptimizes every function compiled
    // against them. A program whose channels all came and went (no parked waiter, no
    // buffered value at that moment) then re-ran the hot paths in the
    // interpreter and re-optimized them: the next million ping-pong messages
    // ran 20-40% slower per message (measured in one process, before and after
    // a gc()). These channels, never reachable from outside, hold one
    // instance of each shape the hot paths use: a channel with parked
    // receivers (its queue, a plain Waiter, an iterator), one with a parked
    // sender, one with a ring buffer. Their promises never settle; they hold
    // no handle.
    // A static field, not a module constant: a module-level binding that no
    // function reads is not kept after the module ran.
    const parkedRecv = new Channel<unknown>(0);
    void parkedRecv.recv();
    const iterator = parkedRecv[Symbol.asyncIterator]();
    void iterator.next();
    const parkedSend = new Channel<unknown>(0);
    void parkedSend.send(undefined);
    const buffered = new Channel<unknown>(1);
    buffered.trySend(undefined);
    Channel.#shapeKeepers = [parkedRecv, iterator, parkedSend, buffered];
  }
}
