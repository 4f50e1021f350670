// biome-ignore-all lint/suspicious/noDuplicateTestHooks: after() is threadline's time.After, not a test hook
import { execFile } from 'node:child_process';
import { after, Channel, recv, select, timer } from 'threadline';
import { describe, expect, it } from 'vitest';
import { track, turn, waiters } from './support/channels.js';

/** Runs an ES module snippet in a fresh node process that imports the built package. */
function runModule(code: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', code],
      { cwd: process.cwd(), timeout: 20_000 },
      (_err, stdout) => resolve({ code: child.exitCode, stdout: String(stdout) }),
    );
  });
}

describe('after', () => {
  describe('after()', () => {
    it('receives Date.now() once and is never closed', async () => {
      const before = Date.now();
      const c = after(1);
      expect(c.capacity).toBe(1);
      const r = await c.recv();
      expect(r.ok).toBe(true);
      expect(r.value).toBeGreaterThanOrEqual(before);
      expect(r.value).toBeLessThanOrEqual(Date.now());
      await turn();
      expect(c.closed).toBe(false);
      expect(c.tryRecv()).toBeUndefined();
    });

    it('blocks a receiver until the delay has passed', async () => {
      const c = after(20);
      const p = c.recv();
      const r = track(p);
      await turn();
      expect(r.state).toBe('pending');
      expect(waiters(c).recv).toBe(1);
      expect((await p).ok).toBe(true);
      expect(waiters(c).recv).toBe(0);
    });

    it('throws a RangeError naming the value for a NaN, non-number or too long delay', () => {
      expect(() => after(Number.NaN)).toThrow(
        new RangeError('threadline: after() ms must be a number <= 2147483647, got NaN'),
      );
      expect(() => after('5' as unknown as number)).toThrow(
        'threadline: after() ms must be a number <= 2147483647, got "5"',
      );
      expect(() => timer(2 ** 31)).toThrow(
        'threadline: timer() ms must be a number <= 2147483647, got 2147483648',
      );
    });

    it('fires at once for a delay <= 0', async () => {
      expect((await after(-10).recv()).ok).toBe(true);
      expect((await after(0).recv()).ok).toBe(true);
    });
  });

  describe('process liveness', () => {
    it('keeps the process alive while something waits on it, and never otherwise', async () => {
      const [awaited, forgotten, lostSelect, unstoppedTimer] = await Promise.all([
        runModule(`import { after } from 'threadline';
          const r = await after(50).recv(); console.log('fired', r.ok);`),
        runModule(`import { after } from 'threadline';
          after(60_000); console.log('done');`),
        runModule(`import { after, Channel, recv, select } from 'threadline';
          const ch = new Channel(); const s = select([recv(ch), recv(after(60_000))]);
          ch.trySend(1); console.log('won', (await s).index);`),
        runModule(`import { timer } from 'threadline';
          const t = timer(60_000); await Promise.resolve(); console.log('left', typeof t.stop);`),
      ]);
      expect(awaited).toEqual({ code: 0, stdout: 'fired true\n' });
      expect(forgotten).toEqual({ code: 0, stdout: 'done\n' });
      expect(lostSelect).toEqual({ code: 0, stdout: 'won 0\n' });
      expect(unstoppedTimer).toEqual({ code: 0, stdout: 'left function\n' });
    });
  });
});

describe('timer', () => {
  describe('stop()', () => {
    it('returns true before the timer fired, and nothing is received afterwards', async () => {
      const t = timer(5);
      expect(t.stop()).toBe(true);
      const r = track(t.c.recv());
      await after(30).recv();
      expect(r.state).toBe('pending');
      expect(t.c.tryRecv()).toBeUndefined();
    });

    it('returns true when the value fired but was not received yet, and takes it back', async () => {
      const t = timer(1);
      await after(20).recv();
      expect(t.c.length).toBe(1);
      expect(t.stop()).toBe(true);
      expect(t.c.tryRecv()).toBeUndefined();
      expect(t.c.length).toBe(0);
    });

    it('returns false once the value was received', async () => {
      const t = timer(1);
      expect((await t.c.recv()).ok).toBe(true);
      expect(t.stop()).toBe(false);
    });

    it('returns false when already stopped', () => {
      const t = timer(1000);
      expect(t.stop()).toBe(true);
      expect(t.stop()).toBe(false);
    });
  });

  describe('timer()', () => {
    it('works as a select case that can be stopped when another case wins', async () => {
      const done = new Channel<string>(1);
      const t = timer(10_000);
      done.trySend('ok');
      const r = await select([recv(done), recv(t.c)]);
      expect(r).toEqual({ index: 0, value: 'ok', ok: true });
      expect(t.stop()).toBe(true);
      expect(waiters(t.c).recv).toBe(0);
    });
  });
});
