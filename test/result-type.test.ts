import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { ChannelClosedError, KindError, resultType } from 'threadline';
import { describe, expect, it } from 'vitest';

class User {
  constructor(readonly id: number) {}
}
class HttpError extends Error {}
class NamedError extends Error {
  override name = 'NamedError';
}
class Users extends Map<number, User> {}
const Anonymous = (() => class {})();

describe('resultType()', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['boolean', true],
    ['number', 1.5],
    ['number', Number.NaN],
    ['bigint', 1n],
    ['string', ''],
    ['symbol', Symbol('s')],
    ['function', () => 1],
    ['function', User],
    ['function', async () => 1],
    ['object', {}],
    ['object', { constructor: 'not a function' }],
    ['object', Object.create(null)],
    ['object', new Anonymous()],
    ['Array', []],
    ['Array', [1, 2]],
    ['Uint8Array', new Uint8Array(1)],
    ['Float64Array', new Float64Array(1)],
    ['BigInt64Array', new BigInt64Array(1)],
    ['Buffer', Buffer.from('x')],
    ['ArrayBuffer', new ArrayBuffer(1)],
    ['SharedArrayBuffer', new SharedArrayBuffer(1)],
    ['DataView', new DataView(new ArrayBuffer(1))],
    ['Map', new Map()],
    ['Set', new Set()],
    ['WeakMap', new WeakMap()],
    ['Date', new Date(0)],
    ['RegExp', /x/],
    ['Promise', Promise.resolve(1)],
    ['Number', Object(1)],
    ['User', new User(1)],
    ['Users', new Users()],
  ])('returns %s for %o', (expected, value) => {
    expect(resultType(value)).toBe(expected);
  });

  it('names errors by their name, else by their class', () => {
    expect(resultType(new Error('x'))).toBe('Error');
    expect(resultType(new TypeError('x'))).toBe('TypeError');
    expect(resultType(new AggregateError([]))).toBe('AggregateError');
    expect(resultType(new KindError('Timeout', 'x'))).toBe('KindError');
    expect(resultType(new ChannelClosedError())).toBe('ChannelClosedError');
    expect(resultType(new DOMException('x', 'AbortError'))).toBe('AbortError');
    expect(resultType(new HttpError('x'))).toBe('HttpError');
    expect(resultType(new NamedError('x'))).toBe('NamedError');
  });

  it('names values from another realm (vm) like this realm’s', () => {
    expect(resultType(runInNewContext('({ a: 1 })'))).toBe('object');
    expect(resultType(runInNewContext('[1]'))).toBe('Array');
    expect(resultType(runInNewContext('new Map()'))).toBe('Map');
    expect(resultType(runInNewContext('new TypeError("x")'))).toBe('TypeError');
  });

  describe('hostile values', () => {
    const trap = () => {
      throw new Error('trap');
    };

    it('names a transparent Proxy after its target', () => {
      expect(resultType(new Proxy(new Map(), {}))).toBe('Map');
      expect(resultType(new Proxy([], {}))).toBe('Array');
    });

    it('falls back to object or Array when Proxy traps throw, without calling get', () => {
      expect(resultType(new Proxy({}, { getPrototypeOf: trap, get: trap }))).toBe('object');
      expect(resultType(new Proxy([], { getPrototypeOf: trap, get: trap }))).toBe('Array');
      expect(resultType(new Proxy(new User(1), { get: trap }))).toBe('User'); // reads the prototype, not the proxy
    });

    it('falls back to object for a revoked Proxy', () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      expect(resultType(proxy)).toBe('object');
    });

    it('falls back to object when the constructor or its name getter throws', () => {
      const proto = Object.defineProperty({}, 'constructor', { get: trap });
      expect(resultType(Object.create(proto))).toBe('object');
      class Ctor {}
      Object.defineProperty(Ctor, 'name', { get: trap });
      expect(resultType(new Ctor())).toBe('object');
    });

    it('falls back to the class name when an error’s name getter throws', () => {
      const err = Object.defineProperty(new HttpError('x'), 'name', { get: trap });
      expect(resultType(err)).toBe('HttpError');
    });

    it('never throws and always returns a non-empty string, for any value', () => {
      fc.assert(
        fc.property(
          fc.anything({
            withObjectString: true,
            withNullPrototype: true,
            withMap: true,
            withSet: true,
            withTypedArray: true,
            withDate: true,
          }),
          (value) => {
            const name = resultType(value);
            expect(typeof name).toBe('string');
            expect(name.length).toBeGreaterThan(0);
          },
        ),
      );
    });
  });
});
