// toCloneable: an error's own data property made safe to cross a thread (internal,
// used by error-codec.ts).
//
// Invariants (tested in test/error-codec.test.ts):
//   The result is structured-cloneable: primitives, plain objects and arrays,
//   Map, Set, Date, RegExp, ArrayBuffer and typed-array copies. Anything else
//   (functions, symbols, errors, SharedArrayBuffers, objects nested deeper than
//   MAX_PROP_DEPTH) becomes its String().
//   A value whose copy would exceed MAX_PROP_BYTES (estimated: string lengths,
//   8 per other primitive, byte lengths) becomes its String(), cut to that size.
//   Copies never alias the original's objects (a small view over a huge buffer
//   copies the view only) and never invoke setters (`__proto__` keys included).
//   Getters are not called: accessor properties are left out. Nothing throws.

/** Deepest nesting kept in a property (the property itself is level 1). */
export const MAX_PROP_DEPTH = 3;
/** Largest estimated size of one property, in bytes. */
export const MAX_PROP_BYTES = 4096;

type Budget = { bytes: number };

/**
 * toCloneable returns a structured-cloneable copy of `value`, bounded in
 * depth and size, or its String() when it is too deep, too big or not
 * cloneable.
 *
 * @example
 * toCloneable({ status: 503, retry: () => 1 }); // { status: 503, retry: '() => 1' }
 */
export function toCloneable(value: unknown): unknown {
  const budget: Budget = { bytes: 0 };
  let out: unknown;
  try {
    out = copy(value, 1, budget);
  } catch {
    return safeString(value);
  }
  return budget.bytes <= MAX_PROP_BYTES ? out : safeString(value);
}

/**
 * safeString is String(value), cut to MAX_PROP_BYTES, or a placeholder when String() throws.
 *
 * @example
 * safeString(Symbol('s')); // 'Symbol(s)'
 */
export function safeString(value: unknown): string {
  let s: string;
  try {
    s = String(value);
  } catch {
    try {
      s = Object.prototype.toString.call(value);
    } catch {
      s = '[object]';
    }
  }
  return s.length > MAX_PROP_BYTES ? s.slice(0, MAX_PROP_BYTES) : s;
}

function copy(value: unknown, depth: number, budget: Budget): unknown {
  switch (typeof value) {
    case 'string':
      budget.bytes += value.length;
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      budget.bytes += 8;
      return value;
    case 'symbol':
    case 'function':
      return leaf(value, budget);
  }
  if (value === null) return null;
  if (budget.bytes > MAX_PROP_BYTES) return undefined; // over budget: the caller discards it
  if (depth > MAX_PROP_DEPTH) return leaf(value, budget);
  const obj = value as object;
  if (obj instanceof Date) {
    budget.bytes += 8;
    return new Date(obj.getTime());
  }
  if (obj instanceof RegExp) {
    budget.bytes += obj.source.length;
    return new RegExp(obj.source, obj.flags);
  }
  if (obj instanceof ArrayBuffer) {
    budget.bytes += obj.byteLength;
    return budget.bytes <= MAX_PROP_BYTES ? obj.slice(0) : undefined;
  }
  if (ArrayBuffer.isView(obj)) return copyView(obj, budget);
  if (obj instanceof Error || obj instanceof SharedArrayBuffer) return leaf(value, budget);
  if (Array.isArray(obj)) {
    const out: unknown[] = [];
    for (let i = 0; i < obj.length && budget.bytes <= MAX_PROP_BYTES; i++) {
      out.push(copy(obj[i], depth + 1, budget));
    }
    return out;
  }
  if (obj instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of obj) {
      if (budget.bytes > MAX_PROP_BYTES) break;
      out.set(copy(k, depth + 1, budget), copy(v, depth + 1, budget));
    }
    return out;
  }
  if (obj instanceof Set) {
    const out = new Set<unknown>();
    for (const v of obj) {
      if (budget.bytes > MAX_PROP_BYTES) break;
      out.add(copy(v, depth + 1, budget));
    }
    return out;
  }
  return copyData(obj, depth, budget);
}

/** copyData copies own enumerable data properties into a plain object, as structuredClone would. */
function copyData(obj: object, depth: number, budget: Budget): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    if (budget.bytes > MAX_PROP_BYTES) break;
    const desc = Object.getOwnPropertyDescriptor(obj, key);
    if (desc === undefined || !('value' in desc)) continue;
    budget.bytes += key.length;
    Object.defineProperty(out, key, {
      value: copy(desc.value, depth + 1, budget),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}

const VIEW_CTORS: Readonly<Record<string, new (buffer: ArrayBuffer) => ArrayBufferView>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

function copyView(view: ArrayBufferView, budget: Budget): unknown {
  budget.bytes += view.byteLength;
  if (budget.bytes > MAX_PROP_BYTES) return undefined;
  const bytes = new Uint8Array(view.byteLength);
  bytes.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  if (view instanceof DataView) return new DataView(bytes.buffer);
  // A Buffer arrives as a Uint8Array, as structuredClone would make it.
  const tag = Object.prototype.toString.call(view).slice(8, -1);
  const Ctor = VIEW_CTORS[tag];
  return Ctor === undefined ? bytes : new Ctor(bytes.buffer);
}

function leaf(value: unknown, budget: Budget): string {
  const s = safeString(value);
  budget.bytes += s.length;
  return s;
}
