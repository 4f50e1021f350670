// The channel types shared by Channel, select(), after() and timer(): Go's
// `<-chan T` (ReceiveChannel) and `chan<- T` (SendChannel), the results of a
// receive, and the options of the operations that may wait.

/**
 * RecvResult is what a receive gives: `ok` is `true` with the value sent, or
 * `false` with `value: undefined` once the channel is closed and drained (Go's
 * `v, ok := <-ch`). A closed channel is not an error.
 *
 * @example
 * const r = await ch.recv();
 * if (r.ok) use(r.value);
 */
export type RecvResult<T> = { value: T; ok: true } | { value: undefined; ok: false };

/**
 * Options of `send()`.
 *
 * @example
 * await ch.send(job, { signal: AbortSignal.timeout(500) } satisfies SendOptions);
 */
export interface SendOptions {
  /** Withdraws the blocked send when it aborts: the promise rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/**
 * Options of `recv()`.
 *
 * @example
 * const r = await ch.recv({ signal: controller.signal } satisfies RecvOptions);
 */
export interface RecvOptions {
  /** Withdraws the blocked receive when it aborts: the promise rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/**
 * Options of the Channel constructor.
 *
 * @example
 * const jobs = new Channel<Job>(64, { name: 'jobs' } satisfies ChannelOptions);
 */
export interface ChannelOptions {
  /**
   * Labels the channel for metrics: a named channel reports `threadline.channel.length`
   * and `threadline.channel.waiters`. Unnamed channels cost nothing extra.
   */
  name?: string | undefined;
}

/**
 * ReceiveChannel is the receiving half of a channel, Go's `<-chan T`. A
 * `Channel<T>` is one; `after()` and `timer()` return one.
 *
 * @example
 * async function sum(values: ReceiveChannel<number>): Promise<number> {
 *   let total = 0;
 *   for await (const v of values) total += v;
 *   return total;
 * }
 */
export interface ReceiveChannel<T> extends AsyncIterable<T> {
  /** Blocks until a value is received or the channel is closed and drained (`ok: false`). */
  recv(options?: RecvOptions): Promise<RecvResult<T>>;
  /** Receives without blocking: `undefined` when a receive would block. */
  tryRecv(): RecvResult<T> | undefined;
  /** Values buffered now, Go's `len(ch)`. */
  readonly length: number;
  /** The buffer size, Go's `cap(ch)`. */
  readonly capacity: number;
  /** Whether `close()` was called (buffered values may still be received). */
  readonly closed: boolean;
  /** Go's `range`: yields values until the channel is closed and drained. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T>;
}

/**
 * SendChannel is the sending half of a channel, Go's `chan<- T`.
 *
 * @example
 * async function produce(out: SendChannel<number>): Promise<void> {
 *   for (let i = 0; i < 3; i++) await out.send(i);
 *   out.close();
 * }
 */
export interface SendChannel<T> {
  /** Blocks until a receiver took the value or it was buffered; rejects on a closed channel. */
  send(value: T, options?: SendOptions): Promise<void>;
  /** Sends without blocking: `false` when a send would block; throws on a closed channel. */
  trySend(value: T): boolean;
  /** Closes the channel; throws when it is already closed. */
  close(): void;
  /** Values buffered now, Go's `len(ch)`. */
  readonly length: number;
  /** The buffer size, Go's `cap(ch)`. */
  readonly capacity: number;
  /** Whether `close()` was called. */
  readonly closed: boolean;
}
