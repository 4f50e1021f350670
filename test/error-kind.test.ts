import {
  ChannelClosedError,
  classifyError,
  ERROR_KINDS,
  type ErrorKind,
  grpcCode,
  httpStatus,
  isErrorKind,
  KindError,
  WaitGroupError,
} from 'threadline';
import { describe, expect, it } from 'vitest';

// DESIGN.md "Error kinds", row by row: kind, HTTP status, gRPC code name and number.
const DESIGN_TABLE: [ErrorKind, number, string, number][] = [
  ['Validation', 400, 'INVALID_ARGUMENT', 3],
  ['NotFound', 404, 'NOT_FOUND', 5],
  ['Conflict', 409, 'ALREADY_EXISTS', 6],
  ['Timeout', 504, 'DEADLINE_EXCEEDED', 4],
  ['Canceled', 499, 'CANCELLED', 1],
  ['Network', 503, 'UNAVAILABLE', 14],
  ['Closed', 503, 'UNAVAILABLE', 14],
  ['ResourceExhausted', 429, 'RESOURCE_EXHAUSTED', 8],
  ['Panic', 500, 'INTERNAL', 13],
  ['Unknown', 500, 'UNKNOWN', 2],
];

describe('ErrorKind', () => {
  it('has the ten kinds of DESIGN.md, in its order', () => {
    expect(ERROR_KINDS).toEqual(DESIGN_TABLE.map(([kind]) => kind));
    expect(Object.isFrozen(ERROR_KINDS)).toBe(true);
  });

  describe('httpStatus()', () => {
    it.each(DESIGN_TABLE)('maps %s to HTTP %i', (kind, status) => {
      expect(httpStatus(kind)).toBe(status);
    });

    it('throws a TypeError for a string that is not a kind', () => {
      expect(() => httpStatus('Timeout ' as ErrorKind)).toThrow(
        new TypeError('threadline: unknown ErrorKind Timeout '),
      );
      expect(() => httpStatus('toString' as ErrorKind)).toThrow(
        new TypeError('threadline: unknown ErrorKind toString'),
      );
    });
  });

  describe('grpcCode()', () => {
    it.each(DESIGN_TABLE)('maps %s to %s (%s)', (kind, _status, _name, code) => {
      expect(grpcCode(kind)).toBe(code);
    });

    it('throws a TypeError for a value that is not a kind', () => {
      expect(() => grpcCode(undefined as unknown as ErrorKind)).toThrow(
        new TypeError('threadline: unknown ErrorKind undefined'),
      );
    });
  });

  describe('isErrorKind()', () => {
    it('accepts exactly the ten kinds', () => {
      for (const kind of ERROR_KINDS) expect(isErrorKind(kind)).toBe(true);
      for (const other of [
        'timeout',
        'Error',
        '',
        'constructor',
        '__proto__',
        1,
        null,
        undefined,
      ]) {
        expect(isErrorKind(other)).toBe(false);
      }
    });
  });
});

describe('KindError', () => {
  describe('constructor()', () => {
    it('carries kind, code, cause and the name KindError', () => {
      const cause = new Error('db down');
      const err = new KindError('Network', 'user service unreachable', { cause, code: 'E_USERS' });
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('KindError');
      expect(err.message).toBe('user service unreachable');
      expect(err.kind).toBe('Network');
      expect(err.code).toBe('E_USERS');
      expect(err.cause).toBe(cause);
      expect(String(err)).toBe('KindError: user service unreachable');
    });

    it('has no own cause when none is given, and an undefined code', () => {
      const err = new KindError('Unknown', 'x');
      expect(Object.hasOwn(err, 'cause')).toBe(false);
      expect(err.code).toBeUndefined();
    });

    it('throws a TypeError for a kind that is not an ErrorKind', () => {
      expect(() => new KindError('timeout' as ErrorKind, 'x')).toThrow(
        new TypeError('threadline: KindError kind must be an ErrorKind, got timeout'),
      );
    });

    it('names a subclass after the subclass without setting name', () => {
      class QuotaError extends KindError {
        constructor() {
          super('ResourceExhausted', 'quota used up');
        }
      }
      const err = new QuotaError();
      expect(err.name).toBe('QuotaError');
      expect(classifyError(err)).toBe('ResourceExhausted');
    });
  });

  describe('ChannelClosedError', () => {
    it('is a Closed KindError with Go wording', () => {
      const err = new ChannelClosedError();
      expect(err).toBeInstanceOf(KindError);
      expect(err.name).toBe('ChannelClosedError');
      expect(err.kind).toBe('Closed');
      expect(err.message).toBe('threadline: send on closed channel');
      expect(new ChannelClosedError('threadline: close of closed channel').message).toBe(
        'threadline: close of closed channel',
      );
    });
  });

  describe('WaitGroupError', () => {
    it('is a Panic KindError with Go wording', () => {
      const err = new WaitGroupError();
      expect(err).toBeInstanceOf(KindError);
      expect(err.name).toBe('WaitGroupError');
      expect(err.kind).toBe('Panic');
      expect(err.message).toBe('threadline: negative WaitGroup counter');
    });
  });
});
