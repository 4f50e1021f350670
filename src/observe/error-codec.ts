// serializeError / deserializeError: what an error becomes when it crosses a
// thread. A pure codec: no I/O, no state but the class registry; src/wire.ts
// re-exports it for both the pool and the worker side.
//
// Invariants (tested in test/error-codec.test.ts, property-tested):
//   serializeError never throws, and its result is structured-cloneable
//   (structuredClone, MessagePort and worker postMessage carry it unchanged).
//   Every node's `kind` is classifyError of the original node, computed on the
//   sending thread (with that thread's classifiers).
//   deserializeError(serializeError(e)) classifies as classifyError(e) did, has
//   e's name, message, stack and string code, and the same for each cause and
//   AggregateError member: where the restored class alone would classify
//   differently (a kind from a classifier the receiving thread lacks, a class
//   it does not know), the restored error gets an own `kind` property.
//   The error walk's bounds apply (walk.ts): a cycle ends a chain, and at most
//   MAX_WALK_NODES errors, MAX_WALK_DEPTH deep, are kept.

import { classifyError } from './classify.js';
import { safeString, toCloneable } from './cloneable.js';
import { lookupErrorClass } from './error-classes.js';
import { type ErrorKind, isErrorKind } from './error-kind.js';
import { ChannelClosedError, KindError, WaitGroupError } from './kind-error.js';
import { resultType } from './result-type.js';
import { isObject, MAX_WALK_DEPTH, MAX_WALK_NODES, readProp } from './walk.js';

/**
 * SerializedError is an error (or any thrown value) as it crosses a thread:
 * plain, structured-cloneable data.
 *
 * @example
 * serializeError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED', port: 1 }));
 * // { name: 'Error', message: 'refused', stack: '...', code: 'ECONNREFUSED', kind: 'Network', props: { port: 1 } }
 */
export interface SerializedError {
  /** The error's `name`; for a thrown non-Error, its resultType (`'string'`, `'object'`, ...). */
  name: string;
  /** The constructor's name, when it differs from `name` (`'DOMException'` for an AbortError). */
  className?: string;
  message: string;
  stack?: string;
  /** The error's `code` when it is a string (Node's `'ECONNREFUSED'`, KindError's code). */
  code?: string;
  /** classifyError of the original, on the sending thread. */
  kind: ErrorKind;
  cause?: SerializedError;
  /** An AggregateError's `errors` (or any error's array `errors`). */
  errors?: SerializedError[];
  /** Own enumerable data properties, cloneable (depth ≤ 3, ≤ 4 KiB each; anything else as String()). */
  props?: Record<string, unknown>;
  /** Set when the thrown value was not an Error; `value` then holds a cloneable copy of it. */
  nonError?: true;
  value?: unknown;
}

const MAX_PROPS = 64;
const BUILTINS: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

type State = { seen: object[]; count: number };

/**
 * serializeError turns an error, or any thrown value, into a SerializedError:
 * `{ name, message, stack, code, kind, cause, errors, props }`. `kind` is
 * classifyError's answer on this thread; `props` keeps the error's own data
 * properties in cloneable form (depth ≤ 3, ≤ 4 KiB each, anything else as
 * String()). A thrown non-Error is kept as `value` with `nonError: true`.
 * Cycles end a cause chain. It never throws.
 *
 * @example
 * const s = serializeError(new KindError('NotFound', 'no user 42', { code: 'USER_MISSING' }));
 * port.postMessage(s); // the other thread calls deserializeError(s)
 */
export function serializeError(err: unknown): SerializedError {
  return encode(err, 0, { seen: [], count: 0 });
}

function encode(value: unknown, depth: number, state: State): SerializedError {
  state.count++;
  if (isObject(value)) state.seen.push(value);
  const kind = classifyError(value);
  if (!isErrorLike(value)) {
    return {
      name: resultType(value),
      message: messageOf(value),
      kind,
      nonError: true,
      value: toCloneable(value),
    };
  }
  const name = readProp(value, 'name');
  const s: SerializedError = {
    name: typeof name === 'string' ? name : (ctorName(value) ?? 'Error'),
    message: stringProp(value, 'message'),
    kind,
  };
  const className = ctorName(value);
  if (className !== undefined && className !== s.name) s.className = className;
  const stack = readProp(value, 'stack');
  if (typeof stack === 'string') s.stack = stack;
  const code = readProp(value, 'code');
  if (typeof code === 'string') s.code = code;
  const cause = readProp(value, 'cause');
  const errors = readProp(value, 'errors');
  const hasErrors = isArray(errors);
  if (depth < MAX_WALK_DEPTH) {
    if (cause !== undefined && admit(cause, state)) s.cause = encode(cause, depth + 1, state);
    if (hasErrors) s.errors = encodeAll(errors, depth + 1, state);
  }
  const props = ownProps(value, typeof code === 'string', hasErrors);
  if (props !== undefined) s.props = props;
  return s;
}

function encodeAll(errors: unknown[], depth: number, state: State): SerializedError[] {
  const out: SerializedError[] = [];
  try {
    for (let i = 0; i < errors.length; i++) {
      if (admit(errors[i], state)) out.push(encode(errors[i], depth, state));
    }
  } catch {
    // a Proxy array whose traps throw: keep what was read
  }
  return out;
}

/** admit reports whether a child is encoded: not a repeat (cycle), within the node bound. */
function admit(child: unknown, state: State): boolean {
  return state.count < MAX_WALK_NODES && !(isObject(child) && state.seen.includes(child));
}

function ownProps(
  err: object,
  codeTaken: boolean,
  errorsTaken: boolean,
): Record<string, unknown> | undefined {
  let props: Record<string, unknown> | undefined;
  let keys: string[];
  try {
    keys = Object.keys(err);
  } catch {
    return undefined;
  }
  let n = 0;
  for (const key of keys) {
    if (n >= MAX_PROPS) break;
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    if ((key === 'code' && codeTaken) || (key === 'errors' && errorsTaken)) continue;
    let desc: PropertyDescriptor | undefined;
    try {
      desc = Object.getOwnPropertyDescriptor(err, key);
    } catch {
      continue;
    }
    if (desc === undefined || !('value' in desc)) continue; // accessors are not read
    if (key === 'kind' && isErrorKind(desc.value)) continue; // the node's `kind` says it
    props ??= {};
    Object.defineProperty(props, key, {
      value: toCloneable(desc.value),
      writable: true,
      enumerable: true,
      configurable: true,
    });
    n++;
  }
  return props;
}

/**
 * deserializeError rebuilds an Error from a SerializedError. threadline's own
 * classes come back as themselves (KindError, ChannelClosedError,
 * WaitGroupError, with kind and code), built-in classes too (TypeError,
 * RangeError, AggregateError with its errors, ...), a DOMException as a
 * DOMException with its name (AbortError, TimeoutError), a class passed to
 * registerErrorClass as an instance of it (made without running its
 * constructor), and any other class as an Error with the original `name`.
 * The stack is the original's; `cause`, `code` and own data properties are
 * restored. The result classifies as the original did. A serialized non-Error
 * comes back as `KindError(kind, message, { cause: value })`.
 *
 * @example
 * const err = deserializeError(s);
 * err instanceof KindError && err.kind; // 'NotFound'
 */
export function deserializeError(s: SerializedError): Error {
  if (!isObject(s)) {
    throw new TypeError(
      `threadline: deserializeError argument must be a SerializedError, got ${resultType(s)}`,
    );
  }
  if (s.nonError === true) return new KindError(kindOf(s), String(s.message), { cause: s.value });
  return decodeError(s, 0);
}

function decode(s: SerializedError, depth: number): unknown {
  if (!isObject(s)) return undefined;
  return s.nonError === true ? s.value : decodeError(s, depth);
}

function decodeError(s: SerializedError, depth: number): Error {
  const deeper = depth < MAX_WALK_DEPTH + 1;
  const errors =
    deeper && Array.isArray(s.errors) ? s.errors.map((e) => decode(e, depth + 1)) : undefined;
  const message = typeof s.message === 'string' ? s.message : '';
  const name = typeof s.name === 'string' ? s.name : 'Error';
  const err = withoutStackCapture(() => construct(s, name, message, errors));
  if (err.name !== name) define(err, 'name', name, false);
  if (typeof s.stack === 'string') define(err, 'stack', s.stack, false);
  if (deeper && s.cause !== undefined) define(err, 'cause', decode(s.cause, depth + 1), false);
  if (typeof s.code === 'string' && readProp(err, 'code') !== s.code)
    define(err, 'code', s.code, true);
  if (errors !== undefined && !(err instanceof AggregateError)) define(err, 'errors', errors, true);
  if (isObject(s.props)) {
    for (const key of Object.keys(s.props)) define(err, key, s.props[key], true);
  }
  const kind = kindOf(s);
  if (classifyError(err) !== kind) define(err, 'kind', kind, true);
  return err;
}

function construct(
  s: SerializedError,
  name: string,
  message: string,
  errors: unknown[] | undefined,
): Error {
  const Registered = lookupErrorClass(s.className) ?? lookupErrorClass(name);
  // Reflect.construct(Error, ..., C) makes a real Error object with C's
  // prototype without running C's constructor, whose parameters we cannot know.
  if (Registered !== undefined) return Reflect.construct(Error, [message], Registered) as Error;
  if (s.className === 'DOMException') return new DOMException(message, name);
  if (s.className === undefined || s.className === name) {
    const options = typeof s.code === 'string' ? { code: s.code } : {};
    switch (name) {
      case 'KindError':
        return new KindError(kindOf(s), message, options);
      case 'ChannelClosedError':
        return new ChannelClosedError(message, options);
      case 'WaitGroupError':
        return new WaitGroupError(message, options);
      case 'AggregateError':
        return new AggregateError(errors ?? [], message);
    }
  }
  const Builtin = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
  return Builtin !== undefined ? new Builtin(message) : new Error(message);
}

/**
 * withoutStackCapture runs `make` with V8's stack capture off: the restored
 * error takes the original's stack, and capturing (then replacing) a local one
 * would cost most of deserializeError's time (measured: 5–18 µs per error).
 */
function withoutStackCapture<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    return make(); // a frozen Error: capture as usual
  }
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function kindOf(s: SerializedError): ErrorKind {
  return isErrorKind(s.kind) ? s.kind : 'Unknown';
}

function define(obj: object, key: string, value: unknown, enumerable: boolean): void {
  try {
    Object.defineProperty(obj, key, { value, writable: true, enumerable, configurable: true });
  } catch {
    // a frozen or exotic registered class: keep what it has
  }
}

function isErrorLike(value: unknown): value is object {
  if (!isObject(value)) return false;
  try {
    return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
  } catch {
    return false;
  }
}

function isArray(value: unknown): value is unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

function ctorName(value: object): string | undefined {
  try {
    const ctor = Object.getPrototypeOf(value)?.constructor;
    const name = typeof ctor === 'function' ? ctor.name : undefined;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

function stringProp(value: object, key: string): string {
  const v = readProp(value, key);
  return typeof v === 'string' ? v : v === undefined ? '' : safeString(v);
}

/** messageOf describes a thrown non-Error: a string as itself, an object by its `message`. */
function messageOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const message = readProp(value, 'message');
  return typeof message === 'string' ? message : safeString(value);
}
