// Ring: the FIFO buffer of a buffered channel.
//
// Invariants:
//   #items.length is a power of two and #mask === #items.length - 1.
//   The values are #items[(#head + i) & #mask] for 0 <= i < #length, oldest first;
//   every other slot holds undefined, so a received value is not retained.
//   The array starts small and doubles when full: an idle or lightly used
//   buffered channel does not pay for its whole capacity. The caller (Channel)
//   bounds #length by the channel's capacity.

const INITIAL_SLOTS = 16;

/**
 * Ring is a growable circular FIFO queue with O(1) push and shift.
 * Internal: not exported from the package root.
 *
 * @example
 * const r = new Ring<number>(128);
 * r.push(1); r.push(2);
 * r.shift(); // 1
 */
export class Ring<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  /** `capacity` bounds the first allocation only. */
  constructor(capacity: number) {
    let slots = 1;
    while (slots < capacity && slots < INITIAL_SLOTS) slots *= 2;
    this.#items = new Array<T | undefined>(slots);
    this.#mask = slots - 1;
  }

  /** Values held now. */
  get length(): number {
    return this.#length;
  }

  /** push appends `value`, doubling the array when it is full. */
  push(value: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = value;
    this.#length++;
  }

  /** shift removes and returns the oldest value. Precondition: length > 0. */
  shift(): T {
    const head = this.#head;
    const value = this.#items[head] as T;
    this.#items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#length--;
    return value;
  }

  #grow(): void {
    const old = this.#items;
    const items = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) items[i] = old[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = items.length - 1;
    this.#head = 0;
  }
}
