// The one-promise-per-operation floor: a channel with nothing but the queueing
// (no close, abort, select, fairness or yield budget), whose every send and
// recv returns one promise. Channel's cost is reported relative to it, here
// and in bench/ (bench/floors.ts).
//
// Invariants: a settled waiter or a received value leaves its array at once
// (shift, or its buffer slot cleared), so the floor retains nothing it has
// delivered. An earlier version advanced read indexes over its waiter arrays
// and trimmed them every 1024 entries: the up to 1024 settled resolve
// functions it kept alive survived young-generation collections, and on a
// rendezvous (unbuffered producer→consumer, ping-pong) it measured ~10%
// slower per value than this one: a floor set too high.

/**
 * FloorChannel is the floor's channel.
 *
 * @example
 * const ch = new FloorChannel<number>(0); void ch.send(1); await ch.recv();
 */
export class FloorChannel<T> {
  readonly #cap: number;
  #buf: (T | undefined)[] = [];
  #head = 0;
  #senders: { value: T; resolve: () => void }[] = [];
  #receivers: ((v: T) => void)[] = [];

  constructor(capacity: number) {
    this.#cap = capacity;
  }

  send(value: T): Promise<void> {
    const r = this.#receivers.shift();
    if (r !== undefined) {
      r(value);
      return Promise.resolve();
    }
    if (this.#buf.length - this.#head < this.#cap) {
      this.#buf.push(value);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#senders.push({ value, resolve }));
  }

  recv(): Promise<T> {
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
      return Promise.resolve(v);
    }
    const s = this.#senders.shift();
    if (s !== undefined) {
      s.resolve();
      return Promise.resolve(s.value);
    }
    return new Promise((resolve) => this.#receivers.push(resolve));
  }
}
