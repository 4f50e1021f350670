// Retry backoff: exponential from retryDelayMs, with "equal jitter" (half fixed,
// half random) so retries of a batch that failed together spread out but never
// come back sooner than half the nominal delay.

/** Longest single backoff sleep, whatever retryDelayMs and the attempt number. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * backoffDelay returns the sleep before retry number `retryCount + 1`:
 * `retryDelayMs * 2^retryCount`, capped at MAX_BACKOFF_MS, times a random
 * factor in [0.5, 1).
 *
 * @example
 * backoffDelay(10, 0); // 5..10
 * backoffDelay(10, 3); // 40..80
 */
export function backoffDelay(
  retryDelayMs: number,
  retryCount: number,
  random: () => number = Math.random,
): number {
  const nominal = Math.min(MAX_BACKOFF_MS, retryDelayMs * 2 ** retryCount);
  return nominal * (0.5 + random() / 2);
}
