// Promise helpers shared by the suites (Node 20 has no Promise.withResolvers).

/** A promise with its resolve/reject. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves after the microtask queue drained (and one macrotask). */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A promise that never settles. */
export const never = () => new Promise<never>(() => {});

/** Tracks whether a promise has settled yet, and with which rejection. */
export function watch(p: Promise<unknown>) {
  const state = { done: false, error: undefined as unknown };
  p.then(
    () => {
      state.done = true;
    },
    (err) => {
      state.done = true;
      state.error = err;
    },
  );
  return state;
}
