// The error walk that classifyError, isKind and the error codec share (internal).
//
// Invariants (tested in test/classify.test.ts and test/error-codec.test.ts):
//   The walk is depth-first pre-order: an error, then its `cause` subtree, then
//   each element of its `errors` array (AggregateError, or any object with an
//   array `errors`), in index order.
//   An object appears at most once: a cycle, or an error reachable twice, ends
//   that branch at the repeat. `undefined` children are not visited.
//   At most MAX_WALK_NODES values are visited, none deeper than MAX_WALK_DEPTH
//   (the root is depth 0): a hostile or runaway chain costs a bounded amount.
//   Nothing here throws: property reads go through readProp, which turns a
//   throwing getter, a Proxy trap or a revoked Proxy into `undefined`.

/** Deepest level the walk descends to (root = 0). Real cause chains are 1–5 deep. */
export const MAX_WALK_DEPTH = 32;
/** Most values one walk visits. */
export const MAX_WALK_NODES = 128;

/**
 * readProp reads `value[key]`, or gives undefined when it is not an object or the read throws.
 *
 * @example
 * readProp(new Error('x', { cause: 1 }), 'cause'); // 1
 * readProp('a string', 'cause');                  // undefined
 */
export function readProp(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function')
    return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * isObject reports whether `value` can carry properties (and so take part in a cycle).
 *
 * @example
 * isObject(() => 1); // true
 * isObject(null);    // false
 */
export function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * collectWalk appends the walk from `root` to `out` (which must be empty) in
 * pre-order. The root is always visited, whatever its type.
 *
 * @example
 * const nodes: unknown[] = [];
 * collectWalk(new Error('a', { cause: 'b' }), nodes); // [Error('a'), 'b']
 */
export function collectWalk(root: unknown, out: unknown[]): void {
  out.push(root);
  if (isObject(root)) visitChildren(root, 1, out);
}

function visit(value: unknown, depth: number, out: unknown[]): void {
  if (value === undefined || out.length >= MAX_WALK_NODES) return;
  if (!isObject(value)) {
    out.push(value);
    return;
  }
  // Linear scan: walks are a handful of nodes, and a Set would cost an
  // allocation on every failed task.
  if (out.includes(value)) return;
  out.push(value);
  if (depth < MAX_WALK_DEPTH) visitChildren(value, depth + 1, out);
}

function visitChildren(value: object, depth: number, out: unknown[]): void {
  visit(readProp(value, 'cause'), depth, out);
  const errors = readProp(value, 'errors');
  try {
    if (!Array.isArray(errors)) return;
    const n = errors.length;
    for (let i = 0; i < n && out.length < MAX_WALK_NODES; i++) visit(errors[i], depth, out);
  } catch {
    // A Proxy array whose traps throw: the rest of it is not walked.
  }
}
