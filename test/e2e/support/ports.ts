// Free TCP ports on 127.0.0.1 for the servers an e2e test starts.
import { createServer } from 'node:net';

/**
 * freePort asks the kernel for a port that is free on 127.0.0.1 now. Another
 * process may take it before the caller binds it; the window is short.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('threadline e2e: no port from the kernel'));
      });
    });
  });
}

/**
 * poll calls `probe` every `intervalMs` until it returns a value other than
 * undefined, and throws with the last probe's state once `timeoutMs` passed.
 *
 * @example
 * const series = await poll(() => query('up'), { timeoutMs: 20_000, what: 'up' });
 */
export async function poll<T>(
  probe: () => Promise<T | undefined>,
  {
    timeoutMs = 20_000,
    intervalMs = 250,
    what,
  }: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'no value yet';
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : String(last);
      throw new Error(`threadline e2e: ${what} not ready after ${timeoutMs}ms (last: ${detail})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
