// GoOptions: what go(), WaitGroup.go and Group.go accept, and their validation.
// Invalid options throw synchronously (TypeError for a wrong type, RangeError
// for a value out of range), naming the option and the value received.

import type { SendChannel } from '../channel/types.js';
import type { ErrorKind } from '../observe/error-kind.js';
import { isErrorKind } from '../observe/error-kind.js';
import type { ObservableResult } from '../observe/result.js';

/**
 * Where `into` sends a finished result: a channel's send side (any
 * `SendChannel<ObservableResult<R>>`; only `send` is used).
 *
 * @example
 * const results = new Channel<ObservableResult<number>>(16);
 * go(job, { into: results });
 */
export type ResultSink<T> = Pick<SendChannel<T>, 'send'>;

/**
 * Options of go(), `wg.go()` and `g.go()`. Every field is optional.
 *
 * @example
 * go(fetchUser, { source: 'user-api/v3', timeoutMs: 500, retries: 2 });
 */
export interface GoOptions<R = unknown> {
  /** Low-cardinality origin label (span name, `app.source`); default: the task name, fn.name, 'anonymous'. */
  source?: string;
  /** Cancels the task: queued, it settles without running; running, it settles at the abort. */
  signal?: AbortSignal;
  /** Run-time limit of each attempt in ms (> 0); default none. */
  timeoutMs?: number;
  /** Extra attempts for failures whose kind is in `retryOn`; default 0. */
  retries?: number;
  /** Kinds worth a retry; default `['Timeout', 'Network']`. */
  retryOn?: readonly ErrorKind[];
  /** First backoff delay in ms (doubling, with jitter); default 10. */
  retryDelayMs?: number;
  /** Sends the finished result on this channel; the task settles once it was sent. */
  into?: ResultSink<ObservableResult<R>>;
}

/**
 * GoOptions after validation, with defaults applied.
 *
 * @example
 * const { retries, retryOn } = resolveGoOptions(options);
 */
export interface ResolvedGoOptions {
  readonly source: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number | undefined;
  readonly retries: number;
  readonly retryOn: readonly ErrorKind[];
  readonly retryDelayMs: number;
  readonly into: ResultSink<ObservableResult<unknown>> | undefined;
}

const DEFAULT_RETRY_ON: readonly ErrorKind[] = Object.freeze(['Timeout', 'Network']);

/**
 * The options of a go() with none: shared, so the hot path allocates nothing for them.
 *
 * @example
 * resolveGoOptions(undefined) === DEFAULT_GO_OPTIONS; // true
 */
export const DEFAULT_GO_OPTIONS: ResolvedGoOptions = Object.freeze({
  source: undefined,
  signal: undefined,
  timeoutMs: undefined,
  retries: 0,
  retryOn: DEFAULT_RETRY_ON,
  retryDelayMs: 10,
  into: undefined,
});

/**
 * resolveGoOptions validates `options` (undefined or a GoOptions object) and
 * applies the defaults. Unknown keys are ignored (worker-only options pass
 * through the same object).
 *
 * @example
 * resolveGoOptions({ retries: 1.5 }); // RangeError: threadline: go option retries must be an integer >= 0, got 1.5
 */
export function resolveGoOptions(options: unknown): ResolvedGoOptions {
  if (options === undefined) return DEFAULT_GO_OPTIONS;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`threadline: go options must be an object, got ${describeValue(options)}`);
  }
  const o = options as GoOptions;
  const { source, signal, timeoutMs, retries, retryOn, retryDelayMs, into } = o;
  if (source !== undefined && (typeof source !== 'string' || source === '')) {
    throw new TypeError(
      `threadline: go option source must be a non-empty string, got ${describeValue(source)}`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `threadline: go option signal must be an AbortSignal, got ${describeValue(signal)}`,
    );
  }
  if (timeoutMs !== undefined) checkNumber('timeoutMs', timeoutMs, 'a number > 0', (n) => n > 0);
  if (retries !== undefined) {
    checkNumber('retries', retries, 'an integer >= 0', (n) => Number.isInteger(n) && n >= 0);
  }
  if (retryDelayMs !== undefined) {
    checkNumber(
      'retryDelayMs',
      retryDelayMs,
      'a finite number >= 0',
      (n) => n >= 0 && n < Infinity,
    );
  }
  if (retryOn !== undefined && (!Array.isArray(retryOn) || !retryOn.every(isErrorKind))) {
    throw new TypeError(
      `threadline: go option retryOn must be an array of ErrorKind, got ${describeValue(retryOn)}`,
    );
  }
  if (
    into !== undefined &&
    (typeof into !== 'object' || into === null || typeof into.send !== 'function')
  ) {
    throw new TypeError(
      `threadline: go option into must be a channel with send(), got ${describeValue(into)}`,
    );
  }
  return {
    source,
    signal,
    timeoutMs,
    retries: retries ?? 0,
    retryOn: retryOn === undefined ? DEFAULT_RETRY_ON : Object.freeze([...retryOn]),
    retryDelayMs: retryDelayMs ?? 10,
    into: into as ResultSink<ObservableResult<unknown>> | undefined,
  };
}

function checkNumber(name: string, value: unknown, rule: string, ok: (n: number) => boolean): void {
  if (typeof value !== 'number') {
    throw new TypeError(
      `threadline: go option ${name} must be ${rule}, got ${describeValue(value)}`,
    );
  }
  if (!ok(value)) {
    throw new RangeError(
      `threadline: go option ${name} must be ${rule}, got ${describeValue(value)}`,
    );
  }
}

/**
 * describeValue renders a received value for an error message: strings quoted,
 * numbers as written, objects by their tag (`[object Object]`, `[object Array]`).
 *
 * @example
 * describeValue('1'); // '"1"'
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object' && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}
