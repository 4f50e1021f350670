// ChannelIterator: `for await (const v of ch)`, Go's `for v := range ch`.
//
// Invariants: once return() ran (a `break` out of the loop), next() answers
// done without receiving; the iterator never closes the channel. It imports
// nothing from channel.ts (no import cycle): Channel hands it its next().

/**
 * ChannelIterator is the iterator behind `for await (const v of ch)`. Its
 * `return()` (a `break` out of the loop) ends this iteration only: the channel
 * stays open for other receivers. Internal: not exported from the package root.
 *
 * @example
 * for await (const v of ch) if (v === stop) break; // ch stays open
 */
export class ChannelIterator<T> implements AsyncIterableIterator<T> {
  readonly #ch: object;
  readonly #next: (ch: never) => Promise<IteratorResult<T, undefined>>;
  #done = false;

  /** `next` receives one value from `ch` as an IteratorResult (Channel's internal entry point). */
  constructor(ch: object, next: (ch: never) => Promise<IteratorResult<T, undefined>>) {
    this.#ch = ch;
    this.#next = next;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return this.#next(this.#ch as never);
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.#done = true;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
