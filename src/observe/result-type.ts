// resultType: the runtime type name of a task's value (ObservableResult.resultType,
// the `app.result.type` span and metric attribute).
//
// Invariants (tested in test/result-type.test.ts):
//   Never throws: a Proxy whose traps throw, a revoked Proxy, a throwing
//   `constructor` or `name` getter all fall back to 'object' (or 'Array').
//   Never calls user code for primitives, plain objects and arrays, the
//   common results; for the rest it reads the prototype's `constructor.name`
//   (and an error's `name`), nothing else.
//   The name is a class name, never data: it stays low-cardinality as long as
//   the application's class and error names do.

/**
 * resultType returns the runtime type name of a value: `'undefined'`,
 * `'null'`, `'boolean'`, `'number'`, `'bigint'`, `'string'`, `'symbol'`,
 * `'function'`, `'object'` for plain objects (and `Object.create(null)`),
 * `'Array'`, and otherwise the class name from the constructor: `'Map'`,
 * `'Set'`, `'Date'`, `'RegExp'`, `'Promise'`, `'Uint8Array'`, `'Buffer'`,
 * `'ArrayBuffer'`, `'DataView'`, `'User'`. An error gives its `name` when that
 * says more than `'Error'` (`'TypeError'`, `'AbortError'`), else its class
 * name. It never throws.
 *
 * @example
 * resultType(42);              // 'number'
 * resultType(null);            // 'null'
 * resultType({ a: 1 });        // 'object'
 * resultType(new Uint8Array()); // 'Uint8Array'
 * class User {}
 * resultType(new User());      // 'User'
 */
export function resultType(value: unknown): string {
  const t = typeof value;
  if (t !== 'object') return t;
  if (value === null) return 'null';
  let proto: object | null;
  try {
    proto = Object.getPrototypeOf(value);
  } catch {
    return isArray(value) ? 'Array' : 'object'; // a Proxy whose trap throws, or a revoked one
  }
  if (proto === Object.prototype || proto === null) return 'object';
  if (proto === Array.prototype) return 'Array';
  return namedType(value as object, proto);
}

function namedType(value: object, proto: object): string {
  try {
    if (value instanceof Error) {
      const name = (value as { name?: unknown }).name;
      if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
    }
  } catch {
    // a throwing name getter: the class name below
  }
  try {
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (typeof ctor === 'function') {
      const name = ctor.name;
      // A plain object from another realm (vm) has that realm's Object.
      if (typeof name === 'string' && name !== '' && name !== 'Object') return name;
    }
  } catch {
    // a throwing getter or trap: fall through
  }
  return isArray(value) ? 'Array' : 'object';
}

function isArray(value: unknown): boolean {
  try {
    return Array.isArray(value);
  } catch {
    return false; // a revoked Proxy
  }
}
