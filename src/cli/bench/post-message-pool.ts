// The raw postMessage baseline: a minimal pipelining pool (one message per
// task, round-robin over the threads, no bookkeeping, no cancellation, no
// error handling). The floor a worker pool's per-task cost is measured from.

import { Worker } from 'node:worker_threads';

const ECHO = new URL('./echo-worker.js', import.meta.url);

/**
 * PostMessagePool sends each task to the next thread and resolves when it
 * echoes back.
 *
 * @example
 * const p = await PostMessagePool.start(2); await p.run(1); await p.close();
 */
export class PostMessagePool {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, (v: number) => void>();
  #next = 0;
  #id = 0;

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    for (const w of workers) {
      w.on('message', ([id, value]: [number, number]) => {
        const resolve = this.#pending.get(id);
        this.#pending.delete(id);
        resolve?.(value);
      });
    }
  }

  /** Starts `threads` workers and waits until they are online. */
  static async start(threads: number): Promise<PostMessagePool> {
    const workers = Array.from({ length: threads }, () => new Worker(ECHO));
    await Promise.all(workers.map((w) => new Promise((r) => w.once('online', r))));
    return new PostMessagePool(workers);
  }

  run(value: number): Promise<number> {
    const id = this.#id++;
    const w = this.#workers[this.#next]!;
    this.#next = (this.#next + 1) % this.#workers.length;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      w.postMessage([id, value]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
