import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocState,
  findUncloneable,
  formatBaggage,
  formatTraceparent,
  HEADER_WORDS,
  parseBaggage,
  parseTraceparent,
  randomId,
  startOffset,
  WORD_CURRENT,
} from '../dist/src/wire.js';

describe('wire', () => {
  describe('formatTraceparent() / parseTraceparent()', () => {
    it('round-trips any valid span context', () =>
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 255 }), (flags) => {
          const ctx = { traceId: randomId(16), spanId: randomId(8), traceFlags: flags };
          expect(parseTraceparent(formatTraceparent(ctx))).toEqual(ctx);
        }),
      ));

    it('writes the W3C version-00 form', () => {
      const tp = formatTraceparent({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: 1,
      });
      expect(tp).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    });

    it('rejects malformed values and all-zero ids', () => {
      expect(parseTraceparent('garbage')).toBeUndefined();
      expect(
        parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'),
      ).toBeUndefined();
      expect(
        parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'),
      ).toBeUndefined();
      expect(
        parseTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'),
      ).toBeUndefined();
    });
  });

  describe('formatBaggage() / parseBaggage()', () => {
    it('round-trips keys and values with reserved characters', () =>
      fc.assert(
        fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string()), (dict) => {
          const entries = Object.entries(dict).map(([k, v]) => [k, { value: v }] as const);
          const back = parseBaggage(formatBaggage(entries));
          expect(Object.fromEntries(back.map(([k, e]) => [k, e.value]))).toEqual(dict);
        }),
      ));

    it('keeps metadata and skips malformed members', () => {
      expect(parseBaggage('user=a%20b;p=1,broken,=x,k=%E0')).toEqual([
        ['user', { value: 'a b', metadata: 'p=1' }],
      ]);
    });
  });

  describe('randomId()', () => {
    it('returns lowercase hex of the requested size', () => {
      expect(randomId(16)).toMatch(/^[0-9a-f]{32}$/);
      expect(randomId(8)).toMatch(/^[0-9a-f]{16}$/);
    });
  });

  describe('allocState()', () => {
    it('starts every task QUEUED, no task running, and aligns the start times', () => {
      for (const n of [1, 2, 3, 128]) {
        const sab = allocState(n);
        const words = new Int32Array(sab, 0, HEADER_WORDS + n);
        expect(words[WORD_CURRENT]).toBe(-1);
        expect([...words.slice(HEADER_WORDS)].every((w) => w === 0)).toBe(true);
        expect(startOffset(n) % 8).toBe(0);
        expect(new Float64Array(sab, startOffset(n), n).length).toBe(n);
      }
    });
  });

  describe('findUncloneable()', () => {
    it('accepts what structured cloning accepts', () => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      for (const v of [
        1,
        'x',
        null,
        undefined,
        10n,
        [1, [2]],
        { a: { b: new Date() } },
        new Map([[1, new Set([2])]]),
        new Uint8Array(3),
        cyclic,
        new Error('e'),
      ]) {
        expect(findUncloneable(v)).toBeUndefined();
        structuredClone(v);
      }
    });

    it('names the path of a function, symbol, promise or weak collection', () => {
      expect(findUncloneable(() => 1)).toBe('a function');
      expect(findUncloneable({ a: [1, { f: () => 1 }] })).toBe('a function at .a[1].f');
      expect(findUncloneable([Symbol('s')])).toBe('a symbol at [0]');
      expect(findUncloneable({ p: Promise.resolve() })).toBe('a Promise at .p');
      expect(findUncloneable(new Map([[1, new WeakMap()]]))).toBe('a WeakMap at .get(…)');
    });
  });
});
