import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import fc from 'fast-check';
import {
  ChannelClosedError,
  classifyError,
  ERROR_KINDS,
  type ErrorKind,
  isKind,
  KindError,
  registerClassifier,
  WaitGroupError,
} from 'threadline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_WALK_DEPTH, MAX_WALK_NODES } from '../dist/src/observe/walk.js';

const coded = (code: string, message = `failed with ${code}`) =>
  Object.assign(new Error(message), { code });

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Collects what threadline reports through OpenTelemetry's diag. */
function captureDiag(): { warnings: unknown[][] } {
  const warnings: unknown[][] = [];
  const push = (...args: unknown[]) => warnings.push(args);
  const logger: DiagLogger = { error: push, warn: push, info() {}, debug() {}, verbose() {} };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return { warnings };
}

// The code and name table of DESIGN.md ("Error kinds"), plus the codes the README adds.
const CODE_TABLE: [string, ErrorKind][] = [
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
];

describe('classifyError()', () => {
  describe('explicit kinds (pass 1)', () => {
    it.each(ERROR_KINDS.map((k) => [k]))('returns the kind of a KindError(%s)', (kind) => {
      expect(classifyError(new KindError(kind, 'x'))).toBe(kind);
    });

    it('returns the kind of threadline subclasses', () => {
      expect(classifyError(new ChannelClosedError())).toBe('Closed');
      expect(classifyError(new WaitGroupError())).toBe('Panic');
    });

    it('finds a KindError anywhere in the cause chain, before codes and programming errors', () => {
      const err = new TypeError('outer', {
        cause: Object.assign(new Error('mid', { cause: new KindError('Conflict', 'inner') }), {
          code: 'ECONNREFUSED',
        }),
      });
      expect(classifyError(err)).toBe('Conflict');
    });

    it('accepts any object whose kind is an ErrorKind string (another copy of the package)', () => {
      const foreign = Object.assign(new Error('from elsewhere'), {
        name: 'KindError',
        kind: 'Timeout',
      });
      expect(classifyError(new Error('wrapped', { cause: foreign }))).toBe('Timeout');
      expect(classifyError({ kind: 'NotFound' })).toBe('NotFound');
    });

    it('ignores a kind that is not an ErrorKind string', () => {
      expect(classifyError(Object.assign(new Error('x'), { kind: 'timeout' }))).toBe('Unknown');
      expect(classifyError(Object.assign(new Error('x'), { kind: 4 }))).toBe('Unknown');
    });

    it('takes the first explicit kind in walk order: cause subtree before errors', () => {
      const err = new AggregateError([new KindError('Network', 'b')], 'agg', {
        cause: new Error('c', { cause: new KindError('Validation', 'a') }),
      });
      expect(classifyError(err)).toBe('Validation');
    });
  });

  describe('Node, undici and DOMException codes and names (pass 3)', () => {
    it.each(CODE_TABLE)('classifies code %s as %s', (code, kind) => {
      expect(classifyError(coded(code))).toBe(kind);
    });

    it('ignores unknown codes and numeric codes', () => {
      expect(classifyError(coded('ERR_SOMETHING_ELSE'))).toBe('Unknown');
      expect(classifyError(Object.assign(new Error('x'), { code: 14 }))).toBe('Unknown');
    });

    it('classifies an inner code before an outer programming error (what fetch throws)', () => {
      expect(classifyError(new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }))).toBe(
        'Network',
      );
    });

    it('classifies a code on an AggregateError member', () => {
      const err = new AggregateError([new Error('a'), coded('ETIMEDOUT')], 'all failed');
      expect(classifyError(err)).toBe('Timeout');
    });

    it.each([
      [new DOMException('aborted', 'AbortError'), 'Canceled'],
      [new DOMException('timed out', 'TimeoutError'), 'Timeout'],
      [new DOMException('could not be cloned', 'DataCloneError'), 'Validation'],
      [new DOMException('offline', 'NetworkError'), 'Network'],
      [new DOMException('full', 'QuotaExceededError'), 'ResourceExhausted'],
      [Object.assign(new Error('x'), { name: 'AbortError' }), 'Canceled'],
      [Object.assign(new Error('x'), { name: 'TimeoutError' }), 'Timeout'],
    ] as const)('classifies %s as %s', (err, kind) => {
      expect(classifyError(err)).toBe(kind);
    });

    it('classifies an AbortError whose cause is a timeout as Timeout', () => {
      const abort = (cause: unknown) =>
        Object.assign(new Error('aborted', { cause }), { name: 'AbortError' });
      expect(classifyError(abort(new DOMException('t', 'TimeoutError')))).toBe('Timeout');
      expect(classifyError(abort(coded('ETIMEDOUT')))).toBe('Timeout');
      expect(classifyError(abort(new DOMException('a', 'AbortError')))).toBe('Canceled');
      expect(classifyError(abort('shutdown'))).toBe('Canceled');
    });
  });

  describe('real errors from Node', () => {
    it('classifies net.connect to a closed port as Network (ECONNREFUSED)', async () => {
      const port = await closedPort();
      const err = await new Promise<Error>((resolve) =>
        connect(port, '127.0.0.1').once('error', resolve),
      );
      expect((err as Error & { code: string }).code).toBe('ECONNREFUSED');
      expect(classifyError(err)).toBe('Network');
    });

    it("classifies fetch's TypeError('fetch failed') to a closed port as Network", async () => {
      const port = await closedPort();
      const err = await fetch(`http://127.0.0.1:${port}/`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe('fetch failed');
      expect(classifyError(err)).toBe('Network');
    });

    it('classifies the DataCloneError of structuredClone(function) as Validation', () => {
      let err: unknown;
      try {
        structuredClone(() => 1);
      } catch (e) {
        err = e;
      }
      expect((err as Error).name).toBe('DataCloneError');
      expect(classifyError(err)).toBe('Validation');
    });

    it('classifies the reason of AbortSignal.timeout(1) as Timeout', async () => {
      const signal = AbortSignal.timeout(1);
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      expect(classifyError(signal.reason)).toBe('Timeout');
    });

    it('classifies the reason of AbortController.abort() as Canceled', () => {
      const controller = new AbortController();
      controller.abort();
      expect(classifyError(controller.signal.reason)).toBe('Canceled');
    });

    it("classifies Node's AbortError from a timers sleep aborted by AbortSignal.timeout as Timeout", async () => {
      const err = await sleep(10_000, undefined, { signal: AbortSignal.timeout(1) }).catch(
        (e: unknown) => e,
      );
      expect((err as Error).name).toBe('AbortError');
      expect(classifyError(err)).toBe('Timeout');
    });

    it('classifies reading a missing file as NotFound (ENOENT)', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'threadline-'));
      try {
        const err = await readFile(join(dir, 'missing')).catch((e: unknown) => e);
        expect(classifyError(err)).toBe('NotFound');
      } finally {
        await rm(dir, { recursive: true });
      }
    });

    it('classifies a worker out of memory as ResourceExhausted', async () => {
      const worker = new Worker('const a = []; for (;;) a.push(new Array(1e5).fill(1));', {
        eval: true,
        resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 },
      });
      const err = await new Promise<Error>((resolve) => worker.once('error', resolve));
      expect((err as Error & { code: string }).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
      expect(classifyError(err)).toBe('ResourceExhausted');
    });
  });

  describe('programming errors (pass 4)', () => {
    it.each([
      [new TypeError('x')],
      [new RangeError('x')],
      [new ReferenceError('x')],
      [new SyntaxError('x')],
      [new EvalError('x')],
      [new URIError('x')],
    ])('classifies %s as Panic', (err) => {
      expect(classifyError(err)).toBe('Panic');
    });

    it('classifies a wrapped programming error as Panic', () => {
      expect(classifyError(new Error('x', { cause: new TypeError('y') }))).toBe('Panic');
      expect(classifyError(new AggregateError([new Error('a'), new RangeError('b')]))).toBe(
        'Panic',
      );
    });

    it('recognises a programming error by name (deserialized) and by class (renamed subclass)', () => {
      expect(classifyError({ name: 'ReferenceError', message: 'x is not defined' })).toBe('Panic');
      class SchemaError extends TypeError {
        override name = 'SchemaError';
      }
      expect(classifyError(new SchemaError('x'))).toBe('Panic');
    });

    it('classifies a plain Error as Unknown', () => {
      expect(classifyError(new Error('x'))).toBe('Unknown');
    });
  });

  describe('cycles and bounds', () => {
    it('ends the walk at a self-cause', () => {
      const err = new Error('self');
      (err as { cause?: unknown }).cause = err;
      expect(classifyError(err)).toBe('Unknown');
    });

    it('ends the walk at a cycle through causes and errors, after visiting every node', () => {
      const a = new Error('a');
      const agg = new AggregateError([a, coded('EPIPE')], 'agg');
      (a as { cause?: unknown }).cause = agg;
      expect(classifyError(new Error('root', { cause: a }))).toBe('Network');
      expect(classifyError(agg)).toBe('Network');
    });

    it(`finds a KindError ${MAX_WALK_DEPTH} causes deep, but not one deeper`, () => {
      const chain = (depth: number) => {
        let err: Error = new KindError('Conflict', 'deep');
        for (let i = 0; i < depth; i++) err = new Error(`level ${i}`, { cause: err });
        return err;
      };
      expect(classifyError(chain(MAX_WALK_DEPTH))).toBe('Conflict');
      expect(classifyError(chain(MAX_WALK_DEPTH + 1))).toBe('Unknown');
    });

    it(`visits at most ${MAX_WALK_NODES} values, the root included`, () => {
      const members = Array.from({ length: MAX_WALK_NODES - 1 }, (_, i) => new Error(`m${i}`));
      const last = (kind: ErrorKind) => new AggregateError([...members, new KindError(kind, 'x')]);
      expect(classifyError(last('Timeout'))).toBe('Unknown');
      members.pop();
      expect(classifyError(last('Timeout'))).toBe('Timeout');
    });
  });

  describe('thrown non-Errors', () => {
    const throwing = Object.defineProperty({}, 'cause', {
      get() {
        throw new Error('getter');
      },
    });
    const trap = () => {
      throw new Error('trap');
    };
    const hostile = new Proxy(
      {},
      { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap },
    );
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    it.each([
      ['a string', 'boom'],
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['a symbol', Symbol('s')],
      ['a bigint', 10n],
      ['a plain object', { message: 'x' }],
      ['a function', () => 1],
      ['an object with a throwing cause getter', throwing],
      ['a Proxy whose traps throw', hostile],
      ['a revoked Proxy', revocable.proxy],
      ['an Error whose cause is a hostile Proxy', new Error('x', { cause: hostile })],
      ['an AggregateError of non-Errors', new AggregateError(['a', 1, null])],
    ])('classifies %s as Unknown without throwing', (_, value) => {
      expect(classifyError(value)).toBe('Unknown');
    });

    it('never throws and always returns an ErrorKind, for any value', () => {
      fc.assert(
        fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (value) => {
          expect(ERROR_KINDS).toContain(classifyError(value));
          expect(ERROR_KINDS).toContain(classifyError(new Error('x', { cause: value })));
        }),
      );
    });
  });

  describe('over random cause chains and AggregateError trees', () => {
    it('returns the kind of the first explicit KindError in walk order', () => {
      fc.assert(
        fc.property(specArb, (spec) => {
          const kinds = preorder(spec).flatMap((h) => (h.t === 'kind' ? [h.kind] : []));
          fc.pre(kinds.length > 0);
          expect(classifyError(build(spec))).toBe(kinds[0]);
        }),
      );
    });

    it('agrees with a model of the four passes', () => {
      fc.assert(
        fc.property(specArb, (spec) => {
          expect(classifyError(build(spec))).toBe(modelKind(preorder(spec)));
        }),
      );
    });

    it('gives the same kind when a cause points back at the root (a cycle)', () => {
      fc.assert(
        fc.property(specArb, fc.nat(), (spec, pick) => {
          const root = build(spec);
          const expected = classifyError(root);
          const open = walkErrors(root).filter((e) => e instanceof Error && e.cause === undefined);
          fc.pre(open.length > 0);
          (open[pick % open.length] as { cause?: unknown }).cause = root;
          expect(classifyError(root)).toBe(expected);
        }),
      );
    });
  });
});

describe('isKind()', () => {
  it('is true for the kind of any error in the walk, as errors.Is is', () => {
    const err = new KindError('Canceled', 'shutting down', {
      cause: new Error('query', { cause: coded('ETIMEDOUT') }),
    });
    expect(classifyError(err)).toBe('Canceled');
    expect(isKind(err, 'Canceled')).toBe(true);
    expect(isKind(err, 'Timeout')).toBe(true);
    expect(isKind(err, 'Unknown')).toBe(true); // the plain Error('query') by itself
    expect(isKind(err, 'Network')).toBe(false);
  });

  it('classifies each error by itself: an outer TypeError is Panic although the walk says Network', () => {
    const err = new TypeError('fetch failed', { cause: coded('ECONNRESET') });
    expect(isKind(err, 'Panic')).toBe(true);
    expect(isKind(err, 'Network')).toBe(true);
  });

  it('looks into AggregateError members and survives cycles and non-Errors', () => {
    const agg = new AggregateError(['x', new KindError('NotFound', 'a')]);
    (agg as { cause?: unknown }).cause = agg;
    expect(isKind(agg, 'NotFound')).toBe(true);
    expect(isKind('boom', 'Unknown')).toBe(true);
    expect(isKind(undefined, 'Timeout')).toBe(false);
  });

  it('throws a TypeError for a kind that is not an ErrorKind', () => {
    expect(() => isKind(new Error(), 'timeout' as ErrorKind)).toThrow(
      new TypeError('threadline: unknown ErrorKind timeout'),
    );
  });
});

describe('registerClassifier()', () => {
  const unregisters: (() => void)[] = [];
  const register = (fn: Parameters<typeof registerClassifier>[0]) => {
    const off = registerClassifier(fn);
    unregisters.push(off);
    return off;
  };
  class PgError extends Error {
    constructor(readonly sqlState: string) {
      super(`sql state ${sqlState}`);
    }
  }
  const pg = (err: unknown) =>
    err instanceof PgError && err.sqlState === '23505' ? ('Conflict' as const) : undefined;

  beforeEach(() => {
    diag.disable();
  });
  afterEach(() => {
    for (const off of unregisters.splice(0)) off();
    diag.disable();
  });

  it('classifies what the classifier recognises, anywhere in the walk', () => {
    register(pg);
    expect(classifyError(new PgError('23505'))).toBe('Conflict');
    expect(classifyError(new TypeError('query failed', { cause: new PgError('23505') }))).toBe(
      'Conflict',
    );
    expect(classifyError(new PgError('42P01'))).toBe('Unknown');
  });

  it('runs after explicit kinds and before Node codes', () => {
    register((err) => ((err as { code?: unknown }).code === 'ECONNRESET' ? 'Conflict' : undefined));
    expect(classifyError(coded('ECONNRESET'))).toBe('Conflict');
    expect(classifyError(new Error('x', { cause: new KindError('Timeout', 'y') }))).toBe('Timeout');
    expect(classifyError(new Error('x', { cause: coded('ECONNRESET') }))).toBe('Conflict');
  });

  it('takes the first error in walk order that a classifier recognises, then registration order', () => {
    register((err) => (err instanceof RangeError ? 'Validation' : undefined));
    register((err) => (err instanceof Error && err.message === 'inner' ? 'NotFound' : undefined));
    register((err) => (err instanceof RangeError ? 'Conflict' : undefined));
    expect(classifyError(new RangeError('outer', { cause: new Error('inner') }))).toBe(
      'Validation',
    );
    expect(classifyError(new Error('outer', { cause: new Error('inner') }))).toBe('NotFound');
  });

  it('stops consulting a classifier once unregistered, and unregister is idempotent', () => {
    const off = register(pg);
    const other = register(pg);
    off();
    off();
    expect(classifyError(new PgError('23505'))).toBe('Conflict'); // the second registration
    other();
    expect(classifyError(new PgError('23505'))).toBe('Unknown');
  });

  it('is disposable', () => {
    {
      const registration = register(pg);
      expect(classifyError(new PgError('23505'))).toBe('Conflict');
      registration[Symbol.dispose]();
    }
    expect(classifyError(new PgError('23505'))).toBe('Unknown');
  });

  it('skips a classifier that throws, reports it through diag, and uses the next one', () => {
    const { warnings } = captureDiag();
    const boom = new Error('classifier bug');
    register(() => {
      throw boom;
    });
    register(pg);
    expect(classifyError(new PgError('23505'))).toBe('Conflict');
    expect(classifyError('a string')).toBe('Unknown');
    expect(warnings[0]).toEqual(['threadline: classifier threw, skipping it', boom]);
  });

  it('skips a classifier that returns something other than an ErrorKind, and reports it', () => {
    const { warnings } = captureDiag();
    register(() => 'conflict' as ErrorKind);
    expect(classifyError(new Error('x'))).toBe('Unknown');
    expect(warnings[0]).toEqual([
      'threadline: classifier returned "conflict", not an ErrorKind; skipping it',
    ]);
  });

  it('lets a classifier call classifyError (re-entrancy) and unregister itself', () => {
    const off = register((err) => {
      off();
      const cause = (err as { cause?: unknown }).cause;
      return cause !== undefined && classifyError(cause) === 'Network' ? 'Timeout' : undefined;
    });
    expect(classifyError(new Error('x', { cause: coded('ECONNRESET') }))).toBe('Timeout');
    expect(classifyError(new Error('x', { cause: coded('ECONNRESET') }))).toBe('Network');
  });

  it('throws a TypeError for a non-function', () => {
    expect(() => registerClassifier('nope' as never)).toThrow(
      new TypeError('threadline: registerClassifier argument must be a function, got "nope"'),
    );
  });
});

describe('examples/classify.ts', () => {
  it('prints what its comments say', async () => {
    const program = fileURLToPath(new URL('../dist/examples/classify.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [program]);
    expect(stdout.split('\n')).toEqual([
      'KindError NotFound USER_MISSING',
      'threadline: send on closed channel',
      '504 4',
      'Network',
      'Panic',
      'NotFound',
      'Timeout',
      'Unknown',
      'Canceled true',
      'Conflict',
      'Unknown',
      'number null object Array Uint8Array User',
      'true HttpError 503',
      'true NotFound',
      '',
    ]);
  });
});

// --- random error trees --------------------------------------------------------

type Head =
  | { t: 'plain' }
  | { t: 'programming' }
  | { t: 'kind'; kind: ErrorKind; foreign: boolean }
  | { t: 'code'; code: string }
  | { t: 'string' };
type Spec = { head: Head; cause?: Spec; errors?: Spec[] };

const headArb: fc.Arbitrary<Head> = fc.oneof(
  fc.constant({ t: 'plain' as const }),
  fc.constant({ t: 'programming' as const }),
  fc.record({
    t: fc.constant('kind' as const),
    kind: fc.constantFrom(...ERROR_KINDS),
    foreign: fc.boolean(),
  }),
  fc.record({
    t: fc.constant('code' as const),
    code: fc.constantFrom(...CODE_TABLE.map(([c]) => c)),
  }),
  fc.constant({ t: 'string' as const }),
);

// At most 3 children per node and 4 levels: 1 + 3 + 9 + 27 + 81 = 121 < MAX_WALK_NODES.
const specArb: fc.Arbitrary<Spec> = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'spec' },
    headArb.map((head) => ({ head })),
    fc.record({ head: headArb, cause: tie('spec') }),
    fc.record({
      head: headArb,
      errors: fc.array(tie('spec'), { maxLength: 3, depthIdentifier: 'spec' }),
    }),
    fc.record({
      head: headArb,
      cause: tie('spec'),
      errors: fc.array(tie('spec'), { maxLength: 2, depthIdentifier: 'spec' }),
    }),
  ),
})).spec;

function build(spec: Spec): unknown {
  const { head } = spec;
  if (head.t === 'string') return 'a thrown string'; // a leaf: strings carry no children
  const options = spec.cause === undefined ? undefined : { cause: build(spec.cause) };
  const errors = spec.errors?.map(build);
  let err: Error;
  switch (head.t) {
    case 'plain':
      err =
        errors === undefined
          ? new Error('plain', options)
          : new AggregateError(errors, 'agg', options);
      return err;
    case 'programming':
      err = new TypeError('programming', options);
      break;
    case 'kind':
      err = head.foreign
        ? Object.assign(new Error('foreign', options), { kind: head.kind })
        : new KindError(head.kind, 'explicit', options);
      break;
    case 'code':
      err = Object.assign(new Error('coded', options), { code: head.code });
      break;
  }
  if (errors !== undefined) Object.assign(err, { errors });
  return err;
}

function preorder(spec: Spec): Head[] {
  if (spec.head.t === 'string') return [spec.head];
  return [
    spec.head,
    ...(spec.cause === undefined ? [] : preorder(spec.cause)),
    ...(spec.errors ?? []).flatMap(preorder),
  ];
}

function modelKind(heads: Head[]): ErrorKind {
  for (const h of heads) if (h.t === 'kind') return h.kind;
  const codes = new Map(CODE_TABLE);
  for (const h of heads) if (h.t === 'code') return codes.get(h.code)!;
  return heads.some((h) => h.t === 'programming') ? 'Panic' : 'Unknown';
}

function walkErrors(root: unknown, out: unknown[] = []): unknown[] {
  if (!(root instanceof Error) || out.includes(root)) return out;
  out.push(root);
  walkErrors(root.cause, out);
  for (const e of (root as { errors?: unknown[] }).errors ?? []) walkErrors(e, out);
  return out;
}
