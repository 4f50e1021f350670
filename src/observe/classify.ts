// classifyError, isKind and registerClassifier: which ErrorKind a failure is.
//
// Invariants (tested in test/classify.test.ts, property-tested with fast-check):
//   classifyError never throws and always returns an ErrorKind, whatever was
//   thrown: primitives, null, Proxies, objects with throwing getters, cycles.
//   It walks the error (walk.ts: cause, then errors; pre-order; bounded) and
//   makes passes over the whole walk, the first hit of the earliest pass
//   winning, so an inner ECONNREFUSED beats an outer TypeError('fetch failed'):
//     1. explicit kinds: any object whose `kind` is an ErrorKind string
//        (KindError, or one deserialized from another copy of the package);
//     2. registered classifiers, in registration order for each error;
//     3. Node, undici and DOMException codes and names (CODE_KINDS, byName);
//     4. the first programming error (TypeError, RangeError, ...) → Panic;
//   else Unknown.
//   A classifier that throws or returns a non-kind is skipped and reported
//   through `diag`; it never reaches the caller.
//   The classifier list is copy-on-write, so a classifier that registers or
//   unregisters while classifyError runs affects only later calls.

import { diag } from '@opentelemetry/api';
import { type ErrorKind, isErrorKind } from './error-kind.js';
import { collectWalk, isObject, readProp } from './walk.js';

/**
 * A Classifier names the kind of one error by itself (not its causes:
 * classifyError walks those), or returns `undefined` to pass.
 *
 * @example
 * const grpc: Classifier = (err) =>
 *   (err as { code?: unknown })?.code === 14 ? 'Network' : undefined;
 */
export type Classifier = (err: unknown) => ErrorKind | undefined;

// Shared through globalThis, like the brands, so two copies of the package in
// one process see the same classifiers.
const REGISTRY = Symbol.for('threadline.classifiers');
type Registry = { list: readonly Classifier[] };
const registry: Registry = ((globalThis as { [REGISTRY]?: Registry })[REGISTRY] ??= { list: [] });

// Node (libuv, net, worker_threads, ESM loader) and undici codes. undici's
// connect/headers/body timeouts are Timeout like ETIMEDOUT (Go's net.Error
// reports Timeout() for a dial timeout); a closed or destroyed undici client is
// the caller using a closed dispatcher, hence Closed.
const CODE_KINDS: ReadonlyMap<string, ErrorKind> = new Map<string, ErrorKind>([
  ['ETIMEDOUT', 'Timeout'],
  ['ERR_SOCKET_CONNECTION_TIMEOUT', 'Timeout'],
  ['UND_ERR_CONNECT_TIMEOUT', 'Timeout'],
  ['UND_ERR_HEADERS_TIMEOUT', 'Timeout'],
  ['UND_ERR_BODY_TIMEOUT', 'Timeout'],
  ['ECONNREFUSED', 'Network'],
  ['ECONNRESET', 'Network'],
  ['ECONNABORTED', 'Network'],
  ['ENOTFOUND', 'Network'],
  ['EAI_AGAIN', 'Network'],
  ['EPIPE', 'Network'],
  ['EHOSTUNREACH', 'Network'],
  ['ENETUNREACH', 'Network'],
  ['EHOSTDOWN', 'Network'],
  ['ENETDOWN', 'Network'],
  ['UND_ERR_SOCKET', 'Network'],
  ['UND_ERR_BPL_MISSING_UPSTREAM', 'Network'],
  ['UND_ERR_CLOSED', 'Closed'],
  ['UND_ERR_DESTROYED', 'Closed'],
  ['ENOENT', 'NotFound'],
  ['ERR_MODULE_NOT_FOUND', 'NotFound'],
  ['EEXIST', 'Conflict'],
  ['ERR_WORKER_OUT_OF_MEMORY', 'ResourceExhausted'],
  ['EMFILE', 'ResourceExhausted'],
  ['ENFILE', 'ResourceExhausted'],
]);

const PROGRAMMING_ERRORS: ReadonlySet<string> = new Set([
  'TypeError',
  'ReferenceError',
  'SyntaxError',
  'RangeError',
  'EvalError',
  'URIError',
]);

// A reused walk buffer: classification runs on every failed task. A classifier
// that calls classifyError re-enters, finds it taken and allocates its own.
let spare: unknown[] | undefined = [];

function withWalk<T>(err: unknown, fn: (nodes: unknown[]) => T): T {
  const nodes = spare ?? [];
  spare = undefined;
  try {
    collectWalk(err, nodes);
    return fn(nodes);
  } finally {
    nodes.length = 0; // never keep an error alive
    spare = nodes;
  }
}

/**
 * classifyError returns the ErrorKind of a failure. It walks the error
 * depth-first (its `cause`, then an AggregateError's `errors`; a cycle ends the
 * walk; at most 128 errors, 32 deep) and makes passes over the whole walk, the
 * first hit winning:
 *
 * 1. an explicit kind: a KindError, or any object with a `kind` that is an
 *    ErrorKind string (so one deserialized from another copy of threadline);
 * 2. the classifiers added with registerClassifier, in registration order;
 * 3. Node, undici and DOMException codes and names: `ETIMEDOUT`,
 *    `UND_ERR_*_TIMEOUT` and `TimeoutError` → Timeout; `ECONNREFUSED`,
 *    `ECONNRESET`, `ENOTFOUND`, `EAI_AGAIN`, `EPIPE`, `UND_ERR_SOCKET`, ... →
 *    Network; `AbortError` → Canceled (Timeout when its cause is a timeout);
 *    `DataCloneError` → Validation; `ERR_WORKER_OUT_OF_MEMORY` →
 *    ResourceExhausted (the full table is in the README);
 * 4. the first programming error (TypeError, ReferenceError, SyntaxError,
 *    RangeError, EvalError, URIError) → Panic;
 *
 * else Unknown. It never throws, whatever was thrown (strings, `undefined`,
 * Proxies, objects with throwing getters).
 *
 * @example
 * const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
 * classifyError(new TypeError('fetch failed', { cause: refused })); // 'Network'
 * classifyError(new Error('x', { cause: new TypeError('y') }));       // 'Panic'
 * classifyError('boom');                                               // 'Unknown'
 */
export function classifyError(err: unknown): ErrorKind {
  // Fast path: an explicit kind at the root wins before anything else is read.
  const own = explicitKind(err);
  if (own !== undefined) return own;
  return withWalk(err, classifyWalk);
}

function classifyWalk(nodes: unknown[]): ErrorKind {
  const n = nodes.length;
  for (let i = 1; i < n; i++) {
    const k = explicitKind(nodes[i]);
    if (k !== undefined) return k;
  }
  const list = registry.list;
  if (list.length > 0) {
    for (let i = 0; i < n; i++) {
      const k = byClassifiers(list, nodes[i]);
      if (k !== undefined) return k;
    }
  }
  for (let i = 0; i < n; i++) {
    const k = builtinKind(nodes[i]);
    if (k !== undefined) return k;
  }
  for (let i = 0; i < n; i++) {
    if (isProgrammingError(nodes[i])) return 'Panic';
  }
  return 'Unknown';
}

/**
 * isKind reports whether any error in `err`'s walk (the one classifyError
 * makes) is of `kind` by itself, its causes aside: Go's `errors.Is`. So a
 * Timeout wrapped in a Canceled KindError is both Canceled and Timeout.
 *
 * @throws TypeError when `kind` is not an ErrorKind.
 * @example
 * const err = new KindError('Canceled', 'shutting down', { cause: new KindError('Timeout', 'slow') });
 * isKind(err, 'Timeout');       // true
 * classifyError(err);           // 'Canceled'
 */
export function isKind(err: unknown, kind: ErrorKind): boolean {
  if (!isErrorKind(kind)) throw new TypeError(`threadline: unknown ErrorKind ${String(kind)}`);
  return withWalk(err, (nodes) => {
    for (let i = 0; i < nodes.length; i++) {
      if (classifyOne(nodes[i]) === kind) return true;
    }
    return false;
  });
}

/** classifyOne is the kind of one error by itself, its causes aside. */
function classifyOne(node: unknown): ErrorKind {
  return (
    explicitKind(node) ??
    byClassifiers(registry.list, node) ??
    builtinKind(node) ??
    (isProgrammingError(node) ? 'Panic' : 'Unknown')
  );
}

/**
 * registerClassifier adds a classifier that classifyError (and isKind)
 * consult after explicit kinds and before Node's codes, and returns the
 * function that removes it (also usable with `using`). Classifiers run in
 * registration order for each error of the walk; the first kind returned wins.
 * A classifier that throws, or returns something that is not an ErrorKind, is
 * skipped and reported through OpenTelemetry's `diag`. Classifiers are per
 * thread: a worker thread registers its own.
 *
 * @throws TypeError when `fn` is not a function.
 * @example
 * const unregister = registerClassifier((err) =>
 *   err instanceof Error && err.name === 'PrismaClientKnownRequestError' ? 'Conflict' : undefined,
 * );
 * // ...
 * unregister();
 */
export function registerClassifier(fn: Classifier): (() => void) & Disposable {
  if (typeof fn !== 'function') {
    throw new TypeError(
      `threadline: registerClassifier argument must be a function, got ${describe(fn)}`,
    );
  }
  registry.list = [...registry.list, fn];
  let registered = true;
  const unregister = () => {
    if (!registered) return;
    registered = false;
    const i = registry.list.indexOf(fn);
    if (i >= 0) registry.list = registry.list.filter((_, j) => j !== i);
  };
  return Object.assign(unregister, { [Symbol.dispose]: unregister });
}

function explicitKind(node: unknown): ErrorKind | undefined {
  const kind = readProp(node, 'kind');
  return isErrorKind(kind) ? kind : undefined;
}

function byClassifiers(list: readonly Classifier[], node: unknown): ErrorKind | undefined {
  for (let i = 0; i < list.length; i++) {
    const fn = list[i]!;
    let kind: unknown;
    try {
      kind = fn(node);
    } catch (e) {
      diag.warn('threadline: classifier threw, skipping it', e);
      continue;
    }
    if (kind === undefined) continue;
    if (isErrorKind(kind)) return kind;
    diag.warn(`threadline: classifier returned ${describe(kind)}, not an ErrorKind; skipping it`);
  }
  return undefined;
}

function builtinKind(node: unknown): ErrorKind | undefined {
  if (!isObject(node)) return undefined;
  const code = readProp(node, 'code');
  if (typeof code === 'string') {
    const kind = CODE_KINDS.get(code);
    if (kind !== undefined) return kind;
  }
  switch (readProp(node, 'name')) {
    case 'AbortError':
      // Node's own AbortError (timers, events, streams) carries signal.reason as cause.
      return isTimeout(readProp(node, 'cause')) ? 'Timeout' : 'Canceled';
    case 'TimeoutError':
      return 'Timeout';
    case 'DataCloneError':
      return 'Validation';
    case 'NetworkError':
      return 'Network';
    case 'QuotaExceededError':
      return 'ResourceExhausted';
    default:
      return undefined;
  }
}

function isTimeout(cause: unknown): boolean {
  if (!isObject(cause)) return false;
  if (readProp(cause, 'name') === 'TimeoutError') return true;
  const kind = readProp(cause, 'kind');
  if (kind === 'Timeout') return true;
  const code = readProp(cause, 'code');
  return typeof code === 'string' && CODE_KINDS.get(code) === 'Timeout';
}

function isProgrammingError(node: unknown): boolean {
  if (!isObject(node)) return false;
  const name = readProp(node, 'name');
  if (typeof name === 'string' && PROGRAMMING_ERRORS.has(name)) return true;
  try {
    return (
      node instanceof TypeError ||
      node instanceof RangeError ||
      node instanceof ReferenceError ||
      node instanceof SyntaxError ||
      node instanceof EvalError ||
      node instanceof URIError
    );
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/** describe names a value for a message without calling user code. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'object':
      return 'object';
    case 'function':
      return 'function';
    case 'symbol':
      return 'symbol';
    default:
      return String(value);
  }
}
