import { type ErrorKind, isErrorKind } from './error-kind.js';

/** Options of the KindError constructor. */
export interface KindErrorOptions {
  /** The underlying failure; `classifyError` and `isKind` walk it. */
  cause?: unknown;
  /** A machine-readable code, e.g. `'ERR_QUEUE_FULL'`. */
  code?: string;
}

/**
 * KindError is an Error that states its ErrorKind explicitly. `classifyError`
 * returns the kind of the first KindError in an error's cause chain, before
 * any other rule. Subclasses (ChannelClosedError, WaitGroupError, ...) keep
 * their own `name`.
 *
 * @example
 * throw new KindError('NotFound', 'user 42 not found', { code: 'USER_MISSING' });
 */
export class KindError extends Error {
  readonly kind: ErrorKind;
  readonly code: string | undefined;

  constructor(kind: ErrorKind, message: string, options?: KindErrorOptions) {
    if (!isErrorKind(kind)) {
      throw new TypeError(`threadline: KindError kind must be an ErrorKind, got ${String(kind)}`);
    }
    super(message, options != null && 'cause' in options ? { cause: options.cause } : undefined);
    this.kind = kind;
    this.code = options?.code;
    // Non-enumerable like Error.prototype.name, and taken from the concrete class
    // so a subclass (a user's too) names itself without setting it.
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

/** ChannelClosedError is thrown by a send on, or a close of, a closed channel (Go panics). */
export class ChannelClosedError extends KindError {
  constructor(message = 'threadline: send on closed channel', options: KindErrorOptions = {}) {
    super('Closed', message, options);
  }
}

/** WaitGroupError is thrown on WaitGroup misuse, e.g. a negative counter (Go panics). */
export class WaitGroupError extends KindError {
  constructor(message = 'threadline: negative WaitGroup counter', options: KindErrorOptions = {}) {
    super('Panic', message, options);
  }
}
