// registerErrorClass: the user classes deserializeError restores (error-codec.ts).
//
// Invariants (tested in test/error-codec.test.ts):
//   Classes are keyed by their `name`; for one name the latest registration
//   still in place wins. Removing a registration is idempotent and removes
//   that registration only.
//   The registry lives on globalThis under Symbol.for('threadline.errorClasses'),
//   so two copies of the package in one thread share it. Each thread has its own.

import { resultType } from './result-type.js';
import { isObject } from './walk.js';

/** A class registerErrorClass can restore: any Error subclass. */
// biome-ignore lint/suspicious/noExplicitAny: constructor parameters are the user's
export type ErrorClass = abstract new (...args: any[]) => Error;

const REGISTRY = Symbol.for('threadline.errorClasses');
const classes: Map<string, ErrorClass[]> = ((
  globalThis as { [REGISTRY]?: Map<string, ErrorClass[]> }
)[REGISTRY] ??= new Map());

/**
 * registerErrorClass lets deserializeError restore instances of `Ctor`,
 * matched by its `name` (the class's or the instance's `name`). The instance
 * is made without running the constructor: its prototype, name, message,
 * stack, cause, code and own data properties come back, `#private` fields and
 * constructor side effects do not. A later registration of the same name wins
 * until it is removed. Returns the function that removes it (also usable with
 * `using`). Registrations are per thread: register on the receiving side.
 *
 * @throws TypeError when `Ctor` is not a named class.
 * @example
 * class HttpError extends Error { status = 500; }
 * const unregister = registerErrorClass(HttpError);
 * deserializeError(serializeError(new HttpError('down'))) instanceof HttpError; // true
 */
export function registerErrorClass(Ctor: ErrorClass): (() => void) & Disposable {
  const key = typeof Ctor === 'function' ? Ctor.name : '';
  if (typeof key !== 'string' || key === '' || !isObject(Ctor.prototype)) {
    throw new TypeError(
      `threadline: registerErrorClass argument must be a named class, got ${typeof Ctor === 'function' ? 'an anonymous function' : resultType(Ctor)}`,
    );
  }
  classes.set(key, [...(classes.get(key) ?? []), Ctor]);
  let registered = true;
  const unregister = () => {
    if (!registered) return;
    registered = false;
    const list = classes.get(key) ?? [];
    const i = list.lastIndexOf(Ctor);
    const rest = i < 0 ? list : list.filter((_, j) => j !== i);
    if (rest.length === 0) classes.delete(key);
    else classes.set(key, rest);
  };
  return Object.assign(unregister, { [Symbol.dispose]: unregister });
}

/**
 * lookupErrorClass returns the latest class registered under `name`, if any.
 *
 * @example
 * lookupErrorClass('HttpError'); // HttpError once registered, else undefined
 */
export function lookupErrorClass(name: unknown): ErrorClass | undefined {
  if (typeof name !== 'string') return undefined;
  const list = classes.get(name);
  return list === undefined ? undefined : list[list.length - 1];
}
