import { Group, go } from 'threadline';
import { describe, expect, it } from 'vitest';
import { subscriberCount } from '../dist/src/pool/signals.js';

declare const gc: () => void;

const N = 100_000;
const BATCH = 1_000;
const MB = 1024 * 1024;

function heapAfterGc(): number {
  gc();
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Runs `submit` n times in concurrent batches, dropping every result. */
async function churn(submit: () => Promise<unknown>, n = N): Promise<void> {
  for (let done = 0; done < n; done += BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < BATCH; i++) batch.push(submit());
    await Promise.all(batch);
  }
}

describe('go()', () => {
  describe('with one long-lived signal', () => {
    it('leaves no listener and no memory behind after 10^5 tasks', async () => {
      const shutdown = new AbortController();
      const signal = shutdown.signal;
      const fn = async () => 1;
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      await churn(() => go(fn, { signal })); // warm-up: JIT, relay, Set capacity
      const before = heapAfterGc();
      await churn(() => go(fn, { signal }));
      const grown = heapAfterGc() - before;
      process.off('warning', onWarning);
      // One listener on the signal however many tasks share it: no MaxListenersExceededWarning.
      expect(warnings.map((w) => w.name)).toEqual([]);
      expect(subscriberCount(signal)).toBe(0);
      expect(grown).toBeLessThan(2 * MB);
    });

    it('leaves none behind with timeoutMs and retries either', async () => {
      const signal = new AbortController().signal;
      const fn = async () => 1;
      const options = { signal, timeoutMs: 60_000, retries: 1 };
      // 3·10^4 tasks: a leak of 70 B per task would still cross 2 MB.
      await churn(() => go(fn, options), N / 2);
      const before = heapAfterGc();
      await churn(() => go(fn, options), 0.3 * N);
      const grown = heapAfterGc() - before;
      expect(subscriberCount(signal)).toBe(0);
      expect(grown).toBeLessThan(2 * MB);
    });

    it('leaves none behind through Groups that share a parent signal', async () => {
      const parent = new AbortController().signal;
      const fn = async () => 1;
      const round = async (n: number) => {
        for (let done = 0; done < n; done += BATCH) {
          const g = new Group({ signal: parent, limit: 100 });
          for (let i = 0; i < BATCH; i++) g.go(fn, { signal: parent });
          await g.wait();
        }
      };
      await round(N / 2);
      const before = heapAfterGc();
      await round(0.3 * N);
      const grown = heapAfterGc() - before;
      expect(subscriberCount(parent)).toBe(0);
      expect(grown).toBeLessThan(2 * MB);
    });
  });
});
