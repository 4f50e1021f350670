// The one-promise-per-operation floor: a channel with nothing but the queueing
// (no close, abort, select or fairness), whose every send and recv returns one
// promise. Channel's cost is reported relative to it.

/**
 * FloorChannel is the floor's channel.
 *
 * @example
 * const ch = new FloorChannel<number>(0); void ch.send(1); await ch.recv();
 */
export class FloorChannel<T> {
  readonly #cap: number;
  #buf: T[] = [];
  #head = 0;
  #senders: { value: T; resolve: () => void }[] = [];
  #sendHead = 0;
  #receivers: ((v: T) => void)[] = [];
  #recvHead = 0;

  constructor(capacity: number) {
    this.#cap = capacity;
  }

  send(value: T): Promise<void> {
    if (this.#recvHead > 1024) {
      this.#receivers = this.#receivers.slice(this.#recvHead);
      this.#recvHead = 0;
    }
    if (this.#recvHead < this.#receivers.length) {
      this.#receivers[this.#recvHead++]!(value);
      return Promise.resolve();
    }
    if (this.#buf.length - this.#head < this.#cap) {
      this.#buf.push(value);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#senders.push({ value, resolve }));
  }

  recv(): Promise<T> {
    if (this.#sendHead > 1024) {
      this.#senders = this.#senders.slice(this.#sendHead);
      this.#sendHead = 0;
    }
    if (this.#buf.length > this.#head) {
      const v = this.#buf[this.#head++] as T;
      if (this.#head > 1024) {
        this.#buf = this.#buf.slice(this.#head);
        this.#head = 0;
      }
      if (this.#sendHead < this.#senders.length) {
        const s = this.#senders[this.#sendHead++]!;
        this.#buf.push(s.value);
        s.resolve();
      }
      return Promise.resolve(v);
    }
    if (this.#sendHead < this.#senders.length) {
      const s = this.#senders[this.#sendHead++]!;
      s.resolve();
      return Promise.resolve(s.value);
    }
    return new Promise((resolve) => this.#receivers.push(resolve));
  }
}
