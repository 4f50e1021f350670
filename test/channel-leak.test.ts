import { Channel, recv, select } from 'threadline';
import { describe, expect, it } from 'vitest';
import { waiters } from './support/channels.js';

declare const gc: () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const ROUNDS = 100_000;

async function churn(ch: Channel<number>, signal: AbortSignal, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    // A select parked on the long-lived channel that another case wins.
    const other = new Channel<number>();
    const s = select([recv(ch), recv(other), recv(ch)], { signal });
    other.trySend(i);
    await s;
    // A receive on the long-lived channel aborted while parked.
    const ac = new AbortController();
    const r = ch.recv({ signal: ac.signal });
    ac.abort();
    await r.catch(() => {});
    // A receive that completes, with a long-lived signal: its listener must go.
    const done = ch.recv({ signal });
    ch.trySend(i);
    await done;
  }
}

describe('Channel', () => {
  describe('waiter queues', () => {
    it('retain nothing after 10^5 abandoned selects and aborted receives on a long-lived channel', async () => {
      expect(typeof gc).toBe('function');
      const ch = new Channel<number>();
      const longLived = new AbortController();
      await churn(ch, longLived.signal, 1000); // warm up: JIT code and pools are not a leak
      const before = heapAfterGc();
      await churn(ch, longLived.signal, ROUNDS);
      const grown = heapAfterGc() - before;
      expect(waiters(ch)).toEqual({ send: 0, recv: 0 });
      expect(grown).toBeLessThan(2 * 1024 * 1024);
    });
  });
});
