// A task module: functions that go() runs on worker threads. Define each task
// with defineTask(import.meta.url, name, fn) and export the handle; the worker
// imports this module's URL and finds the handle by its name.
//
// Built to dist/examples/worker-tasks.js (workers load the .js; see the README
// section "TypeScript task modules" for loading .ts with tsx in development).

import { defineTask, KindError, taskSignal, transfer } from 'threadline';

/** CPU-bound: the n-th Fibonacci number, the slow way. */
export const fib = defineTask(import.meta.url, 'fib', (n: number): number => {
  const f = (k: number): number => (k < 2 ? k : f(k - 1) + f(k - 2));
  return f(n);
});

/** Returns a buffer without copying it: transfer(value, list). */
export const noise = defineTask(import.meta.url, 'noise', (bytes: number) => {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 2654435761) >>> 24;
  return transfer(out, [out.buffer]);
});

/** Long work that checks taskSignal() between steps, so a timeout stops it early. */
export const crunch = defineTask(import.meta.url, 'crunch', async (steps: number) => {
  const signal = taskSignal();
  let done = 0;
  for (let i = 0; i < steps; i++) {
    signal.throwIfAborted();
    const end = performance.now() + 5;
    while (performance.now() < end) done++;
    await new Promise((resolve) => setImmediate(resolve)); // let the abort arrive
  }
  return done;
});

/** Fails with a kind, which survives the thread boundary. */
export const lookup = defineTask(import.meta.url, 'lookup', (id: number) => {
  if (id !== 42) throw new KindError('NotFound', `user ${id} not found`, { code: 'USER_MISSING' });
  return { id, name: 'Ada' };
});
