// Hand-combined abort signals.
//
// AbortSignal.any leaks on Node 20 (nodejs/node#55351), and a service passes one
// long-lived shutdown signal to every task, so tasks never add listeners to a
// caller's signal themselves. Instead each source signal gets one Relay, created
// on first use, that holds a single 'abort' listener and fans out to a Set of
// subscribers: subscribe/unsubscribe are O(1) and never touch the EventTarget
// (whose removeEventListener is O(listeners) and warns past 10 listeners).
//
// Invariants:
//   A Relay is reachable only from its signal (through the listener) and from
//     the WeakMap entry keyed by that signal, so it dies with the signal.
//   After the abort has been relayed, the Relay is gone and its Set is empty;
//     subscribe() on an aborted signal returns false and subscribes nothing.
//   A subscriber is called at most once per subscription, and never after
//     unsubscribe() returned.

/** Something that wants to hear about an abort. Tasks implement it: no closure per subscription. */
export interface AbortSubscriber {
  onAbort(reason: unknown): void;
}

const relays = new WeakMap<AbortSignal, Relay>();

class Relay {
  readonly #signal: AbortSignal;
  readonly #subscribers = new Set<AbortSubscriber>();

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener('abort', this, { once: true });
  }

  get size(): number {
    return this.#subscribers.size;
  }

  add(subscriber: AbortSubscriber): void {
    this.#subscribers.add(subscriber);
  }

  delete(subscriber: AbortSubscriber): void {
    this.#subscribers.delete(subscriber);
  }

  handleEvent(): void {
    relays.delete(this.#signal);
    const reason = this.#signal.reason;
    // Subscribers unsubscribe (and may subscribe others) while we iterate: take a snapshot.
    const subscribers = [...this.#subscribers];
    this.#subscribers.clear();
    for (const subscriber of subscribers) {
      try {
        subscriber.onAbort(reason);
      } catch (err) {
        // A subscriber is threadline code; a throw here is a bug, but it must not
        // keep the other subscribers from hearing the abort.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/**
 * subscribe arranges for `subscriber.onAbort(signal.reason)` to run once when
 * `signal` aborts. Returns false, subscribing nothing, when it already aborted.
 *
 * @example
 * if (!subscribe(signal, task)) task.onAbort(signal.reason);
 * // ... when the task settles:
 * unsubscribe(signal, task);
 */
export function subscribe(signal: AbortSignal, subscriber: AbortSubscriber): boolean {
  if (signal.aborted) return false;
  let relay = relays.get(signal);
  if (relay === undefined) {
    relay = new Relay(signal);
    relays.set(signal, relay);
  }
  relay.add(subscriber);
  return true;
}

/**
 * unsubscribe removes a subscription made by subscribe(); harmless when there is none.
 *
 * @example
 * unsubscribe(signal, task);
 */
export function unsubscribe(signal: AbortSignal, subscriber: AbortSubscriber): void {
  relays.get(signal)?.delete(subscriber);
}

/**
 * CombinedSignal is an AbortController that aborts with the reason of the first
 * of its sources to abort. `dispose()` removes its subscriptions; call it when
 * the owner settles.
 *
 * @example
 * const combined = new CombinedSignal(callerSignal, groupSignal);
 * try { await work(combined.signal); } finally { combined.dispose(); }
 */
export class CombinedSignal implements AbortSubscriber {
  readonly #controller = new AbortController();
  readonly #a: AbortSignal;
  readonly #b: AbortSignal | undefined;

  constructor(a: AbortSignal, b?: AbortSignal) {
    this.#a = a;
    this.#b = b;
    if (!subscribe(a, this)) {
      this.#controller.abort(a.reason);
    } else if (b !== undefined && !subscribe(b, this)) {
      this.onAbort(b.reason);
    }
  }

  /** The combined signal. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Aborts the combined signal with `reason` (also used for a timeout) and drops the subscriptions. */
  onAbort(reason: unknown): void {
    this.dispose();
    this.#controller.abort(reason);
  }

  /** Removes the subscriptions on the sources. Idempotent. */
  dispose(): void {
    unsubscribe(this.#a, this);
    if (this.#b !== undefined) unsubscribe(this.#b, this);
  }
}

/**
 * sleep resolves `true` after `ms`, or `false` as soon as `signal` aborts.
 * Never rejects.
 *
 * @example
 * if (!(await sleep(backoffDelay(10, n), signal))) return; // aborted: no retry
 */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (signal === undefined) {
      setTimeout(resolve, ms, true);
      return;
    }
    const sub: AbortSubscriber = {
      onAbort() {
        clearTimeout(timer);
        resolve(false);
      },
    };
    const timer = setTimeout(() => {
      unsubscribe(signal, sub);
      resolve(true);
    }, ms);
    if (!subscribe(signal, sub)) sub.onAbort(signal.reason);
  });
}

/**
 * Test hook: how many subscriptions `signal` holds now. Internal.
 *
 * @example
 * expect(subscriberCount(shutdown.signal)).toBe(0);
 */
export function subscriberCount(signal: AbortSignal): number {
  return relays.get(signal)?.size ?? 0;
}
