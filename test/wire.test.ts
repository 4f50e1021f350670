import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  allocState,
  decodeSpan,
  encodeSpan,
  findUncloneable,
  formatBaggage,
  formatTraceparent,
  HEADER_WORDS,
  parseBaggage,
  parseTraceparent,
  randomId,
  startOffset,
  type WireSpan,
  WORD_CURRENT,
} from '../dist/src/wire.js';

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const hrTime = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 999_999_999 }));
// Every AttributeValue type: primitives and homogeneous arrays, whose elements may be null/undefined.
const attributeValue = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.oneof(fc.string(), fc.constant(null), fc.constant(undefined))),
  fc.array(fc.oneof(fc.double(), fc.constant(null), fc.constant(undefined))),
  fc.array(fc.oneof(fc.boolean(), fc.constant(null), fc.constant(undefined))),
);
const attributes = fc.dictionary(fc.string(), attributeValue, { noNullPrototype: true });
const event = fc.record(
  { name: fc.string(), time: hrTime, attributes },
  { requiredKeys: ['name', 'time'], noNullPrototype: true },
);
const link = fc.record(
  { traceId: hex(32), spanId: hex(16), traceFlags: fc.integer({ min: 0, max: 255 }), attributes },
  { requiredKeys: ['traceId', 'spanId', 'traceFlags'], noNullPrototype: true },
);
const wireSpan: fc.Arbitrary<WireSpan> = fc.record(
  {
    name: fc.string(),
    kind: fc.integer({ min: 0, max: 4 }),
    traceId: hex(32),
    spanId: hex(16),
    traceFlags: fc.integer({ min: 0, max: 255 }),
    traceState: fc.string(),
    parentSpanId: hex(16),
    parentRemote: fc.boolean(),
    startTime: hrTime,
    endTime: hrTime,
    attributes,
    events: fc.oneof(
      fc.array(event, { maxLength: 0 }),
      fc.array(event, { minLength: 1, maxLength: 3 }),
    ),
    links: fc.oneof(
      fc.array(link, { maxLength: 0 }),
      fc.array(link, { minLength: 1, maxLength: 3 }),
    ),
    status: fc.record(
      { code: fc.integer({ min: 0, max: 2 }), message: fc.string() },
      { requiredKeys: ['code'], noNullPrototype: true },
    ),
    scope: fc.record(
      { name: fc.string(), version: fc.string() },
      { requiredKeys: ['name'], noNullPrototype: true },
    ),
    droppedAttributesCount: fc.nat(),
    droppedEventsCount: fc.nat(),
  },
  {
    requiredKeys: [
      'name',
      'kind',
      'traceId',
      'spanId',
      'traceFlags',
      'startTime',
      'endTime',
      'attributes',
      'events',
      'links',
      'status',
      'scope',
      'droppedAttributesCount',
      'droppedEventsCount',
    ],
    noNullPrototype: true,
  },
);

/**
 * The codec's one intentional normalisation: `parentRemote` travels as 1/0, and
 * decodeSpan only sets it when true, so `parentRemote: false` comes back absent.
 */
function normalised(s: WireSpan): WireSpan {
  if (s.parentRemote !== false) return s;
  const { parentRemote: _, ...rest } = s;
  return rest;
}

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

    it('agrees with the W3C grammar as a regular expression on valid values with one character changed', () => {
      // The reference: the version-00 traceparent grammar, all-zero ids invalid.
      const reference = (value: string) => {
        const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value);
        if (m === null || /^0+$/.test(m[1] as string) || /^0+$/.test(m[2] as string)) {
          return undefined;
        }
        return {
          traceId: m[1] as string,
          spanId: m[2] as string,
          traceFlags: Number.parseInt(m[3] as string, 16),
        };
      };
      const valid = fc.tuple(hex(32), hex(16), hex(2)).map(([t, s, f]) => `00-${t}-${s}-${f}`);
      const mutated = fc
        .tuple(valid, fc.nat(60), fc.constantFrom(...'0af9AFgz-_ x'), fc.boolean())
        .map(([v, at, c, insert]) =>
          insert ? v.slice(0, at) + c + v.slice(at) : v.slice(0, at) + c + v.slice(at + 1),
        );
      fc.assert(
        fc.property(fc.oneof(valid, mutated), (value) => {
          expect(parseTraceparent(value)).toEqual(reference(value));
        }),
        { numRuns: 5000 },
      );
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

  describe('encodeSpan() / decodeSpan()', () => {
    it('round-trips any span record, optional fields present or absent', () =>
      fc.assert(
        fc.property(wireSpan, (s) => {
          expect(decodeSpan(encodeSpan(s))).toStrictEqual(normalised(s));
        }),
        { numRuns: 300 },
      ));

    it('round-trips through structuredClone of the encoded form', () =>
      fc.assert(
        fc.property(wireSpan, (s) => {
          expect(decodeSpan(structuredClone(encodeSpan(s)))).toStrictEqual(normalised(s));
        }),
        { numRuns: 300 },
      ));

    it('brings parentRemote: false back absent, and keeps empty events and links empty', () => {
      const s: WireSpan = {
        name: 'n',
        kind: 0,
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: 1,
        parentSpanId: '00f067aa0ba902b8',
        parentRemote: false,
        startTime: [1, 2],
        endTime: [3, 4],
        attributes: {},
        events: [],
        links: [],
        status: { code: 0 },
        scope: { name: 'x' },
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
      };
      const back = decodeSpan(structuredClone(encodeSpan(s)));
      expect('parentRemote' in back).toBe(false);
      expect(back.events).toEqual([]);
      expect(back.links).toEqual([]);
      expect(decodeSpan(encodeSpan({ ...s, parentRemote: true })).parentRemote).toBe(true);
    });
  });

  describe('randomId()', () => {
    it('returns lowercase hex of the requested size', () => {
      expect(randomId(16)).toMatch(/^[0-9a-f]{32}$/);
      expect(randomId(8)).toMatch(/^[0-9a-f]{16}$/);
    });

    it('returns distinct, well-formed, non-zero trace and span ids over many draws', () => {
      for (const [bytes, re] of [
        [16, /^[0-9a-f]{32}$/],
        [8, /^[0-9a-f]{16}$/],
        [6, /^[0-9a-f]{12}$/],
      ] as const) {
        const seen = new Set<string>();
        for (let i = 0; i < 5_000; i++) {
          const id = randomId(bytes);
          expect(id).toMatch(re);
          expect(id).not.toMatch(/^0+$/);
          seen.add(id);
        }
        expect(seen.size).toBe(5_000);
      }
    });

    it('draws again instead of returning an all-zero id', () => {
      const random = vi.spyOn(Math, 'random');
      try {
        for (const [bytes, re] of [
          [16, /^[0-9a-f]{32}$/],
          [8, /^[0-9a-f]{16}$/],
          [6, /^[0-9a-f]{12}$/],
        ] as const) {
          // Zeros for at least one whole draw (one hex digit per call at most),
          // then Math.random's own values.
          const zeros = bytes * 2;
          random.mockReset();
          for (let i = 0; i < zeros; i++) random.mockReturnValueOnce(0);
          random.mockImplementation(() => 0.5);
          const id = randomId(bytes);
          expect(random.mock.calls.length).toBeGreaterThan(zeros); // it drew again
          expect(id).toMatch(re);
          expect(id).not.toMatch(/^0+$/);
        }
      } finally {
        random.mockRestore();
      }
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
