import type { ErrorKind } from './error-kind.js';

/**
 * ObservableResult is what every task settles with: its value or error, and
 * the facts an operator needs to find and explain it. Awaiting a Task yields
 * one and never rejects; `unwrap(result)` turns it back into value-or-throw.
 */
export interface ObservableResult<R> {
  /** The task's value; `undefined` on failure. */
  value?: R;
  /** The failure, always an Error (a thrown non-Error becomes a KindError('Unknown') with it as cause). */
  error?: Error;
  ok: boolean;
  /** The failure's kind; `undefined` on success. */
  errorKind: ErrorKind | undefined;
  /** Runtime type name of the value: 'number', 'Uint8Array', 'User', 'null', ... */
  resultType: string;
  /** Run time of the last attempt, monotonic clock, sub-µs resolution. */
  elapsedMs: number;
  /** Time from go() to the first start (Group and pool queues included). */
  waitMs: number;
  /** The task span's trace id whenever its context is valid, '' otherwise. */
  traceId: string;
  /** The task span's span id whenever its context is valid, '' otherwise. */
  spanId: string;
  /** Low-cardinality origin label: options.source, else the task name, fn.name, 'anonymous'. */
  source: string;
  /** Retries made (attempts − 1). */
  retryCount: number;
  /** Epoch ms when it finished. */
  timestamp: number;
  /** Thread that ran it: 0 for the main thread. */
  threadId: number;
}

/**
 * unwrap returns the result's value, or throws its error.
 *
 * @example
 * const n = unwrap(await go(() => 42)); // 42
 */
export function unwrap<R>(result: ObservableResult<R>): R {
  if (result.ok) return result.value as R;
  throw result.error;
}
