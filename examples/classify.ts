// Error kinds: classify failures, map them to HTTP/gRPC codes, carry them across
// threads. Run: npm run build && node dist/examples/classify.js
// test/classify.test.ts runs this program and checks its output line by line.
import { MessageChannel } from 'node:worker_threads';
import {
  ChannelClosedError,
  classifyError,
  deserializeError,
  grpcCode,
  httpStatus,
  isKind,
  KindError,
  registerClassifier,
  registerErrorClass,
  resultType,
  serializeError,
} from 'threadline';

// --- KindError: state the kind where you know it ---------------------------
const missing = new KindError('NotFound', 'user 42 not found', { code: 'USER_MISSING' });
console.log(missing.name, missing.kind, missing.code); // KindError NotFound USER_MISSING
console.log(new ChannelClosedError().message); // threadline: send on closed channel

// --- httpStatus / grpcCode ---------------------------------------------------
console.log(httpStatus('Timeout'), grpcCode('Timeout')); // 504 4

// --- classifyError: explicit kinds, classifiers, Node codes, then Panic ----
// What Node's fetch throws when the port is closed: a TypeError whose cause is coded.
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
  code: 'ECONNREFUSED',
});
console.log(classifyError(new TypeError('fetch failed', { cause: refused }))); // Network
console.log(classifyError(new Error('render failed', { cause: new TypeError('x is undefined') }))); // Panic
console.log(classifyError(new Error('wrapped', { cause: missing }))); // NotFound
console.log(
  classifyError(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
); // Timeout
console.log(classifyError('a thrown string')); // Unknown

// --- isKind: Go's errors.Is over the same walk ------------------------------
const shutdown = new KindError('Canceled', 'shutting down', {
  cause: new KindError('Timeout', 'db query timed out'),
});
console.log(classifyError(shutdown), isKind(shutdown, 'Timeout')); // Canceled true

// --- registerClassifier: teach it your libraries' errors --------------------
class PgError extends Error {
  constructor(
    message: string,
    readonly sqlState: string,
  ) {
    super(message);
  }
}
const unregister = registerClassifier((err) =>
  err instanceof PgError && err.sqlState === '23505' ? 'Conflict' : undefined,
);
console.log(classifyError(new PgError('duplicate key', '23505'))); // Conflict
unregister();
console.log(classifyError(new PgError('duplicate key', '23505'))); // Unknown

// --- resultType: the runtime type name of a value ---------------------------
class User {
  constructor(readonly id: number) {}
}
console.log([42, null, { a: 1 }, [1], new Uint8Array(2), new User(1)].map(resultType).join(' '));
// number null object Array Uint8Array User

// --- serializeError / deserializeError / registerErrorClass -----------------
class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
const stopRestoring = registerErrorClass(HttpError);
const { port1, port2 } = new MessageChannel();
const received = new Promise<unknown>((resolve) => port2.once('message', resolve));
port1.postMessage(serializeError(new HttpError('upstream down', 503))); // what a worker sends
const restored = deserializeError((await received) as Parameters<typeof deserializeError>[0]);
console.log(restored instanceof HttpError, restored.name, (restored as HttpError).status); // true HttpError 503
const fromWorker = deserializeError(serializeError(missing));
console.log(fromWorker instanceof KindError, classifyError(fromWorker)); // true NotFound
stopRestoring();
port1.close();
