// Helpers for the channel suites: observing promise state without timing, and
// reading a channel's waiter queues through the internal test hook.

import type { Channel, ReceiveChannel } from 'threadline';
import { internals } from '../../dist/src/channel/channel.js';

/** turn resolves after two event-loop turns: every microtask and deferred resumption has run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** Settlement records how a promise settled, read synchronously after `turn()`. */
export interface Settlement<T> {
  state: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  reason?: unknown;
}

/** track starts observing `promise` (and marks its rejection handled). */
export function track<T>(promise: Promise<T>): Settlement<T> {
  const s: Settlement<T> = { state: 'pending' };
  promise.then(
    (value) => {
      s.state = 'fulfilled';
      s.value = value;
    },
    (reason: unknown) => {
      s.state = 'rejected';
      s.reason = reason;
    },
  );
  return s;
}

/** waiters reads how many senders and receivers are parked on `ch` (test hook). */
export function waiters(ch: ReceiveChannel<unknown> | Channel<unknown>): {
  send: number;
  recv: number;
} {
  // The hook's Channel type is dist's; the suites see src's through 'threadline'.
  const c = ch as unknown as Parameters<typeof internals.waiters>[0];
  return { send: internals.waiters(c, 'send'), recv: internals.waiters(c, 'recv') };
}

/**
 * drainWithAborts receives until `ch` is closed and drained; before receive i it
 * parks one extra receive that is aborted when aborts[i % aborts.length] is true,
 * and checks that the aborted receive took nothing.
 */
export async function drainWithAborts<T>(ch: ReceiveChannel<T>, aborts: boolean[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; ; i++) {
    if (aborts.length > 0 && aborts[i % aborts.length]) {
      const ac = new AbortController();
      const abandoned = track(ch.recv({ signal: ac.signal }));
      ac.abort();
      await turn();
      // It either committed before the abort (then its value counts) or rejected.
      if (abandoned.state === 'fulfilled') {
        const r = abandoned.value as { value: T; ok: boolean };
        if (!r.ok) return out;
        out.push(r.value);
        continue;
      }
      if (abandoned.state !== 'rejected') throw new Error('aborted recv still pending');
    }
    const r = await ch.recv();
    if (!r.ok) return out;
    out.push(r.value);
  }
}

/** sortNumbers returns a sorted copy, for multiset comparisons. */
export function sortNumbers(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}
