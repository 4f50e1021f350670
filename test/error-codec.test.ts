import { setTimeout as sleep } from 'node:timers/promises';
import { MessageChannel, Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  ChannelClosedError,
  classifyError,
  deserializeError,
  ERROR_KINDS,
  type ErrorKind,
  KindError,
  registerClassifier,
  registerErrorClass,
  type SerializedError,
  serializeError,
  WaitGroupError,
} from 'threadline';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PROP_BYTES } from '../dist/src/observe/cloneable.js';
import { MAX_WALK_DEPTH } from '../dist/src/observe/walk.js';

const coded = (code: string, message = `failed with ${code}`) =>
  Object.assign(new Error(message), { code });

const roundTrip = (err: unknown) => deserializeError(structuredClone(serializeError(err)));

async function throughPort(s: SerializedError): Promise<SerializedError> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<SerializedError>((resolve) => port2.once('message', resolve));
  port1.postMessage(s);
  try {
    return await received;
  } finally {
    port1.close();
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const off of cleanups.splice(0)) off();
});

describe('serializeError()', () => {
  it('keeps name, message, stack, code and kind, and other own data as props', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      port: 1,
    });
    expect(serializeError(err)).toEqual({
      name: 'Error',
      message: 'connect ECONNREFUSED 127.0.0.1:1',
      stack: err.stack,
      code: 'ECONNREFUSED',
      kind: 'Network',
      props: { errno: -111, syscall: 'connect', port: 1 },
    });
  });

  it('keeps a KindError’s kind and code as fields, not props', () => {
    const s = serializeError(new KindError('NotFound', 'no user', { code: 'USER_MISSING' }));
    expect(s).toMatchObject({ name: 'KindError', kind: 'NotFound', code: 'USER_MISSING' });
    expect(s.props).toBeUndefined();
    expect(s.className).toBeUndefined();
  });

  it('records the class name when it differs from name', () => {
    class HttpError extends Error {}
    expect(serializeError(new HttpError('x'))).toMatchObject({
      name: 'Error',
      className: 'HttpError',
    });
    expect(serializeError(new DOMException('stop', 'AbortError'))).toMatchObject({
      name: 'AbortError',
      className: 'DOMException',
      message: 'stop',
      kind: 'Canceled',
    });
  });

  it('serializes causes and AggregateError members, each with its own kind', () => {
    const err = new AggregateError([coded('ETIMEDOUT'), 'a string'], 'all failed', {
      cause: new TypeError('bad'),
    });
    const s = serializeError(err);
    expect(s.kind).toBe('Timeout');
    expect(s.cause).toMatchObject({ name: 'TypeError', message: 'bad', kind: 'Panic' });
    expect(s.errors).toMatchObject([
      { name: 'Error', code: 'ETIMEDOUT', kind: 'Timeout' },
      { name: 'string', message: 'a string', kind: 'Unknown', nonError: true, value: 'a string' },
    ]);
  });

  it('ends a cause chain at a cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const s = serializeError(a);
    expect(s.cause?.message).toBe('b');
    expect(s.cause?.cause).toBeUndefined();
  });

  it(`keeps at most ${MAX_WALK_DEPTH} causes below the root`, () => {
    let err = new Error('bottom');
    for (let i = 0; i < 1000; i++) err = new Error(`level ${i}`, { cause: err });
    let depth = 0;
    for (let s: SerializedError | undefined = serializeError(err).cause; s; s = s.cause) depth++;
    expect(depth).toBe(MAX_WALK_DEPTH);
  });

  describe('props', () => {
    const propsOf = (extra: Record<string, unknown>) =>
      serializeError(Object.assign(new Error('x'), extra)).props;

    it('copies cloneable data: primitives, arrays, plain objects, Map, Set, Date, RegExp, bytes', () => {
      const props = propsOf({
        status: 503,
        big: 1n,
        none: null,
        tags: ['a', 'b'],
        body: { error: { reason: 'down' } },
        seen: new Map([['a', 1]]),
        ids: new Set([1]),
        at: new Date(0),
        pattern: /a+/g,
        bytes: new Uint16Array([1, 2]),
      });
      expect(props).toEqual({
        status: 503,
        big: 1n,
        none: null,
        tags: ['a', 'b'],
        body: { error: { reason: 'down' } },
        seen: new Map([['a', 1]]),
        ids: new Set([1]),
        at: new Date(0),
        pattern: /a+/g,
        bytes: new Uint16Array([1, 2]),
      });
    });

    it('turns what cannot be cloned into its String()', () => {
      const props = propsOf({
        retry: function retry() {},
        tag: Symbol('t'),
        inner: new Error('nested'),
        shared: new SharedArrayBuffer(1),
      });
      expect(props).toEqual({
        retry: 'function retry() {}',
        tag: 'Symbol(t)',
        inner: 'Error: nested',
        shared: '[object SharedArrayBuffer]',
      });
    });

    it('keeps three levels and turns deeper ones into their String()', () => {
      expect(propsOf({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({
        a: { b: { c: { d: '[object Object]' } } },
      });
    });

    it(`cuts a property over ${MAX_PROP_BYTES} bytes to its String(), at most ${MAX_PROP_BYTES} long`, () => {
      const props = propsOf({
        log: 'x'.repeat(10_000),
        rows: Array.from({ length: 5000 }, () => 1),
      });
      expect(props?.log).toBe('x'.repeat(MAX_PROP_BYTES));
      expect(typeof props?.rows).toBe('string');
      expect(String(props?.rows).length).toBe(MAX_PROP_BYTES);
    });

    it('copies only the bytes of a small view over a large buffer', () => {
      const big = new ArrayBuffer(1 << 20);
      const bytes = serializeError(
        Object.assign(new Error('x'), { head: new Uint8Array(big, 8, 4) }),
      ).props?.head as Uint8Array;
      expect(bytes.byteLength).toBe(4);
      expect(bytes.buffer.byteLength).toBe(4);
      const buf = serializeError(Object.assign(new Error('x'), { buf: Buffer.from('hi') })).props
        ?.buf;
      expect(buf).toEqual(new Uint8Array([104, 105]));
    });

    it('skips accessors without calling them, and keeps a __proto__ key as data', () => {
      let called = false;
      const err = Object.defineProperty(new Error('x'), 'lazy', {
        enumerable: true,
        get() {
          called = true;
          return 1;
        },
      });
      Object.defineProperty(err, '__proto__', { value: { polluted: true }, enumerable: true });
      const props = serializeError(err).props!;
      expect(called).toBe(false);
      expect(Object.keys(props)).toEqual(['__proto__']);
      expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
    });
  });

  describe('thrown non-Errors', () => {
    it.each([
      ['a string', 'boom', { name: 'string', message: 'boom', value: 'boom' }],
      ['a number', 42, { name: 'number', message: '42', value: 42 }],
      ['undefined', undefined, { name: 'undefined', message: 'undefined', value: undefined }],
      ['null', null, { name: 'null', message: 'null', value: null }],
      ['a symbol', Symbol('s'), { name: 'symbol', message: 'Symbol(s)', value: 'Symbol(s)' }],
      [
        'an object',
        { message: 'quota', status: 429 },
        { name: 'object', message: 'quota', value: { message: 'quota', status: 429 } },
      ],
    ])('keeps %s as a cloneable value', (_, thrown, expected) => {
      expect(serializeError(thrown)).toEqual({ ...expected, kind: 'Unknown', nonError: true });
    });

    it('classifies a thrown object by its kind or code', () => {
      expect(serializeError({ code: 'ECONNRESET' }).kind).toBe('Network');
      expect(serializeError({ kind: 'Conflict' }).kind).toBe('Conflict');
    });

    it('never throws, and its result survives structuredClone, for any value', () => {
      fc.assert(
        fc.property(
          fc.anything({
            withObjectString: true,
            withNullPrototype: true,
            withMap: true,
            withSet: true,
            withTypedArray: true,
            withDate: true,
            withBigInt: true,
          }),
          (value) => {
            const s = serializeError(value);
            expect(structuredClone(s)).toEqual(s);
            const wrapped = serializeError(new Error('x', { cause: value }));
            expect(structuredClone(wrapped)).toEqual(wrapped);
          },
        ),
      );
    });

    it('survives hostile values: Proxies whose traps throw, revoked Proxies, throwing getters', () => {
      const trap = () => {
        throw new Error('trap');
      };
      const hostile = new Proxy(new Error('x'), {
        get: trap,
        getPrototypeOf: trap,
        ownKeys: trap,
        getOwnPropertyDescriptor: trap,
      });
      const { proxy, revoke } = Proxy.revocable(new Error('x'), {});
      revoke();
      const getters = Object.defineProperty(new Error('x'), 'cause', { get: trap });
      for (const value of [hostile, proxy, getters, new Error('y', { cause: hostile })]) {
        const s = serializeError(value);
        expect(structuredClone(s)).toEqual(s);
        expect(ERROR_KINDS).toContain(s.kind);
      }
    });
  });

  describe('crossing threads', () => {
    const sample = () =>
      new AggregateError(
        [new KindError('Timeout', 'slow', { code: 'E_SLOW' }), coded('ECONNRESET'), 7],
        'batch failed',
        { cause: Object.assign(new TypeError('bad', { cause: 'why' }), { meta: { n: 1n } }) },
      );

    it('passes through a MessagePort unchanged', async () => {
      const s = serializeError(sample());
      expect(await throughPort(s)).toEqual(s);
    });

    it('comes back from a worker thread, where it was made, with stack and kinds intact', async () => {
      const codec = new URL('../dist/src/observe/error-codec.js', import.meta.url).href;
      const kinds = new URL('../dist/src/observe/kind-error.js', import.meta.url).href;
      const worker = new Worker(
        `const { parentPort } = require('node:worker_threads');
        Promise.all([import(${JSON.stringify(codec)}), import(${JSON.stringify(kinds)})]).then(([codec, { KindError }]) => {
          const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          const err = new TypeError('fetch failed', { cause: refused });
          const kindError = new KindError('Conflict', 'exists', { code: 'E_DUP' });
          parentPort.postMessage({ fetch: codec.serializeError(err), stack: err.stack,
            kind: codec.serializeError(kindError), thrown: codec.serializeError('a string') });
        });`,
        { eval: true },
      );
      const msg = await new Promise<{
        fetch: SerializedError;
        kind: SerializedError;
        thrown: SerializedError;
        stack: string;
      }>((resolve) => worker.once('message', resolve));
      await worker.terminate();
      const fetchErr = deserializeError(msg.fetch);
      expect(fetchErr).toBeInstanceOf(TypeError);
      expect(fetchErr.stack).toBe(msg.stack);
      expect(fetchErr.stack).toContain('[worker eval]');
      expect(classifyError(fetchErr)).toBe('Network');
      const kindErr = deserializeError(msg.kind);
      expect(kindErr).toBeInstanceOf(KindError); // this thread's class
      expect(kindErr).toMatchObject({ kind: 'Conflict', code: 'E_DUP', message: 'exists' });
      expect(deserializeError(msg.thrown)).toMatchObject({ kind: 'Unknown', cause: 'a string' });
    });
  });
});

describe('deserializeError()', () => {
  it('restores threadline’s classes with kind, code, message and stack', () => {
    const original = new KindError('Validation', 'bad id', {
      code: 'E_ID',
      cause: new Error('why'),
    });
    const err = roundTrip(original) as KindError;
    expect(err).toBeInstanceOf(KindError);
    expect(err).toMatchObject({
      name: 'KindError',
      kind: 'Validation',
      code: 'E_ID',
      message: 'bad id',
    });
    expect(err.stack).toBe(original.stack);
    expect((err.cause as Error).message).toBe('why');
    const closed = roundTrip(new ChannelClosedError('threadline: close of closed channel'));
    expect(closed).toBeInstanceOf(ChannelClosedError);
    expect(closed).toMatchObject({
      kind: 'Closed',
      message: 'threadline: close of closed channel',
    });
    const wg = roundTrip(new WaitGroupError());
    expect(wg).toBeInstanceOf(WaitGroupError);
    expect(wg).toMatchObject({ kind: 'Panic', message: 'threadline: negative WaitGroup counter' });
  });

  it.each([Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError])(
    'restores a %o as its class',
    (Ctor) => {
      const original = new Ctor('m');
      const err = roundTrip(original);
      expect(Object.getPrototypeOf(err)).toBe(Ctor.prototype);
      expect(err.name).toBe(Ctor.name);
      expect(err.stack).toBe(original.stack);
    },
  );

  it('restores an AggregateError with its members', () => {
    const err = roundTrip(new AggregateError([new RangeError('r'), 'x'], 'agg')) as AggregateError;
    expect(err).toBeInstanceOf(AggregateError);
    expect(err.message).toBe('agg');
    expect(err.errors[0]).toBeInstanceOf(RangeError);
    expect(err.errors[1]).toBe('x');
  });

  it.each([
    ['AbortError', 20, 'Canceled'],
    ['TimeoutError', 23, 'Timeout'],
    ['DataCloneError', 25, 'Validation'],
  ] as const)('restores a DOMException %s with its name and code', (name, code, kind) => {
    const original = new DOMException('msg', name);
    const err = roundTrip(original) as DOMException;
    expect(err).toBeInstanceOf(DOMException);
    expect(err).toMatchObject({ name, code, message: 'msg' });
    expect(err.stack).toBe(original.stack);
    expect(classifyError(err)).toBe(kind);
  });

  it('restores the real reason of AbortSignal.timeout(1), and Node’s AbortError around it', async () => {
    const signal = AbortSignal.timeout(1);
    const aborted = await sleep(10_000, undefined, { signal }).catch((e: unknown) => e);
    const err = roundTrip(aborted);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(err.cause).toBeInstanceOf(DOMException);
    expect((err.cause as DOMException).name).toBe('TimeoutError');
    expect(classifyError(err)).toBe('Timeout');
    expect(classifyError(roundTrip(signal.reason))).toBe('Timeout');
  });

  it('restores a DataCloneError from structuredClone as Validation', () => {
    let thrown: unknown;
    try {
      structuredClone({ f() {} });
    } catch (e) {
      thrown = e;
    }
    expect(classifyError(roundTrip(thrown))).toBe('Validation');
  });

  it('restores an unknown class as an Error with the original name and props', () => {
    class QuotaError extends Error {
      override name = 'QuotaError';
      limit = 10;
    }
    const err = roundTrip(new QuotaError('over quota'));
    expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
    expect(err).toMatchObject({ name: 'QuotaError', message: 'over quota', limit: 10 });
    expect(String(err)).toBe('QuotaError: over quota');
  });

  it('gives a restored error an own kind when only the sending side could classify it', () => {
    class PgError extends Error {}
    const off = registerClassifier((e) => (e instanceof PgError ? 'Conflict' : undefined));
    const s = serializeError(new Error('insert failed', { cause: new PgError('duplicate key') }));
    off();
    expect(s.kind).toBe('Conflict');
    const err = deserializeError(s);
    expect(classifyError(err)).toBe('Conflict');
    expect((err.cause as { kind?: unknown }).kind).toBe('Conflict');
    expect(Object.hasOwn(err, 'kind')).toBe(false); // its cause already says it
  });

  it('gives no own kind where the restored class already classifies right', () => {
    const err = roundTrip(new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }));
    expect(Object.hasOwn(err, 'kind')).toBe(false);
    expect(Object.hasOwn(err.cause as object, 'kind')).toBe(false);
  });

  it('wraps a thrown non-Error in a KindError of its kind, the value as cause', () => {
    const err = roundTrip('boom') as KindError;
    expect(err).toBeInstanceOf(KindError);
    expect(err).toMatchObject({ kind: 'Unknown', message: 'boom', cause: 'boom' });
    const refused = roundTrip({ code: 'ECONNREFUSED', message: 'refused' }) as KindError;
    expect(refused).toMatchObject({ kind: 'Network', message: 'refused' });
    expect(refused.cause).toEqual({ code: 'ECONNREFUSED', message: 'refused' });
  });

  it('throws a TypeError for a value that is not a SerializedError', () => {
    expect(() => deserializeError(null as never)).toThrow(
      new TypeError('threadline: deserializeError argument must be a SerializedError, got null'),
    );
  });

  describe('over random error trees', () => {
    it('keeps kind, name, message, code and the shape of causes and members, node by node', () => {
      const off = registerErrorClass(HttpError);
      cleanups.push(off);
      fc.assert(
        fc.property(errorSpecArb, (spec) => {
          const original = build(spec);
          const restored = deserializeError(structuredClone(serializeError(original)));
          expect(shape(restored)).toEqual(shape(original));
        }),
      );
    });
  });
});

describe('registerErrorClass()', () => {
  it('restores instances of the class without running its constructor', () => {
    let constructed = 0;
    class RetryableError extends Error {
      override name = 'RetryableError';
      constructor(
        message: string,
        readonly attempts: number,
      ) {
        super(message);
        constructed++;
      }
      describe() {
        return `${this.message} after ${this.attempts} attempts`;
      }
    }
    cleanups.push(registerErrorClass(RetryableError));
    const original = new RetryableError('gave up', 3);
    const err = roundTrip(original) as RetryableError;
    expect(constructed).toBe(1);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.describe()).toBe('gave up after 3 attempts');
    expect(err.stack).toBe(original.stack);
    expect(Object.prototype.toString.call(err)).toBe('[object Error]');
  });

  it('matches a class whose instances keep the inherited name Error', () => {
    cleanups.push(registerErrorClass(HttpError));
    const err = roundTrip(new HttpError('down', 503));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(503);
  });

  it('gives a KindError subclass its kind back', () => {
    class QuotaError extends KindError {
      constructor(message: string) {
        super('ResourceExhausted', message, { code: 'E_QUOTA' });
      }
    }
    cleanups.push(registerErrorClass(QuotaError));
    const err = roundTrip(new QuotaError('over quota'));
    expect(err).toBeInstanceOf(QuotaError);
    expect(err).toMatchObject({ kind: 'ResourceExhausted', code: 'E_QUOTA', name: 'QuotaError' });
  });

  it('lets the latest registration of a name win until it is removed; removal is idempotent', () => {
    const first = class Dup extends Error {};
    const second = class Dup extends Error {};
    const offFirst = registerErrorClass(first);
    const offSecond = registerErrorClass(second);
    cleanups.push(offFirst, offSecond);
    expect(roundTrip(new first('x'))).toBeInstanceOf(second);
    offSecond();
    offSecond();
    expect(roundTrip(new first('x'))).toBeInstanceOf(first);
    offFirst[Symbol.dispose]();
    expect(Object.getPrototypeOf(roundTrip(new first('x')))).toBe(Error.prototype);
  });

  it('throws a TypeError for an anonymous function or a non-function', () => {
    expect(() => registerErrorClass((() => () => {})() as never)).toThrow(
      new TypeError(
        'threadline: registerErrorClass argument must be a named class, got an anonymous function',
      ),
    );
    expect(() => registerErrorClass({} as never)).toThrow(
      new TypeError('threadline: registerErrorClass argument must be a named class, got object'),
    );
  });
});

// --- random error trees --------------------------------------------------------

class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

type Head =
  | { t: 'error'; ctor: 'Error' | 'TypeError' | 'RangeError' | 'HttpError'; code?: string }
  | { t: 'kind'; kind: ErrorKind; code?: string }
  | { t: 'dom'; name: 'AbortError' | 'TimeoutError' | 'DataCloneError' }
  | { t: 'value'; value: string | number | { code: string } };
type Spec = { head: Head; message: string; cause?: Spec; errors?: Spec[] };

const codeArb = fc.option(fc.constantFrom('ECONNREFUSED', 'ETIMEDOUT', 'ENOENT', 'E_CUSTOM'), {
  nil: undefined,
});
const headArb: fc.Arbitrary<Head> = fc.oneof(
  fc.record({
    t: fc.constant('error' as const),
    ctor: fc.constantFrom(
      'Error' as const,
      'TypeError' as const,
      'RangeError' as const,
      'HttpError' as const,
    ),
    code: codeArb,
  }),
  fc.record({
    t: fc.constant('kind' as const),
    kind: fc.constantFrom(...ERROR_KINDS),
    code: codeArb,
  }),
  fc.record({
    t: fc.constant('dom' as const),
    name: fc.constantFrom(
      'AbortError' as const,
      'TimeoutError' as const,
      'DataCloneError' as const,
    ),
  }),
  fc.record({
    t: fc.constant('value' as const),
    value: fc.oneof(fc.string(), fc.integer(), fc.record({ code: fc.constant('EPIPE') })),
  }),
);
const specArb: fc.Arbitrary<Spec> = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'spec' },
    fc.record({ head: headArb, message: fc.string() }),
    fc.record({ head: headArb, message: fc.string(), cause: tie('spec') }),
    fc.record({
      head: headArb,
      message: fc.string(),
      cause: fc.option(tie('spec'), { nil: undefined, depthIdentifier: 'spec' }),
      errors: fc.array(tie('spec'), { maxLength: 2, depthIdentifier: 'spec' }),
    }),
  ),
})).spec;

const errorSpecArb = specArb.filter((spec) => spec.head.t !== 'value');

function build(spec: Spec): unknown {
  const { head, message } = spec;
  if (head.t === 'value') return head.value;
  const options = spec.cause === undefined ? {} : { cause: build(spec.cause) };
  const errors = spec.errors?.map(build);
  let err: Error;
  if (head.t === 'kind') err = new KindError(head.kind, message, { ...options, code: head.code });
  else if (head.t === 'dom') err = Object.assign(new DOMException(message, head.name), options);
  else if (head.ctor === 'Error' && errors !== undefined)
    err = new AggregateError(errors, message, options);
  else if (head.ctor === 'HttpError') err = Object.assign(new HttpError(message, 500), options);
  else err = new globalThis[head.ctor](message, options);
  if (head.t === 'error' && head.code !== undefined) Object.assign(err, { code: head.code });
  if (errors !== undefined && !(err instanceof AggregateError)) Object.assign(err, { errors });
  return err;
}

/** What must survive the trip, node by node. */
function shape(value: unknown): unknown {
  if (!(value instanceof Error)) return { value };
  const e = value as Error & { code?: unknown; errors?: unknown };
  return {
    class: Object.getPrototypeOf(e).constructor.name,
    name: e.name,
    message: e.message,
    code: e.code,
    kind: classifyError(e),
    stack: e.stack,
    cause: e.cause === undefined ? undefined : shape(e.cause),
    errors: Array.isArray(e.errors) ? e.errors.map(shape) : undefined,
  };
}
