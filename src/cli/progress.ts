// Progress display of the demo: a one-line bar redrawn in place on a TTY,
// plain lines (at most one a second) otherwise, so logs and CI output stay
// readable. Written to stderr, so `--json` keeps stdout machine-readable.
//
// Invariants:
//   On a TTY, finish() leaves the cursor at the start of an empty line.
//   Nothing is written after finish().

/** Where progress goes: a writable stream with optional TTY facts. */
export interface ProgressStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * Progress draws "tasks done / total, rate, failures".
 *
 * @example
 * const p = new Progress(process.stderr, 200);
 * p.update(10, 1); p.tick(); p.finish();
 */
export class Progress {
  readonly #out: ProgressStream;
  readonly #total: number;
  readonly #tty: boolean;
  readonly #start = performance.now();
  #done = 0;
  #failed = 0;
  #lastLine = Number.NEGATIVE_INFINITY;
  #finished = false;

  constructor(out: ProgressStream, total: number, options: { enabled?: boolean } = {}) {
    this.#out = out;
    this.#total = total;
    this.#tty = out.isTTY === true;
    if (options.enabled === false) this.#finished = true;
  }

  /** Milliseconds between redraws the caller should tick at. */
  get intervalMs(): number {
    return this.#tty ? 100 : 1000;
  }

  /** Records the latest counts (drawn on the next tick). */
  update(done: number, failed: number): void {
    this.#done = done;
    this.#failed = failed;
  }

  /** Draws the bar (TTY) or a line (at most one a second otherwise). */
  tick(): void {
    if (this.#finished) return;
    const now = performance.now();
    if (this.#tty) {
      this.#out.write(`\r\x1b[2K${this.#line(now, true)}`);
    } else if (now - this.#lastLine >= 1000) {
      this.#lastLine = now;
      this.#out.write(`${this.#line(now, false)}\n`);
    }
  }

  /** Draws the final state and stops. */
  finish(): void {
    if (this.#finished) return;
    const now = performance.now();
    this.#out.write(
      this.#tty ? `\r\x1b[2K${this.#line(now, true)}\n` : `${this.#line(now, false)}\n`,
    );
    this.#finished = true;
  }

  #line(now: number, bar: boolean): string {
    const seconds = Math.max((now - this.#start) / 1000, 1e-3);
    const rate = this.#done / seconds;
    const pct = this.#total === 0 ? 100 : Math.floor((this.#done / this.#total) * 100);
    const stats = `${this.#done}/${this.#total} tasks ${String(pct).padStart(3)}%  ${rate.toFixed(1)}/s  ${this.#failed} failed`;
    if (!bar) return `progress: ${stats}`;
    const width = Math.max(10, Math.min(40, (this.#out.columns ?? 80) - stats.length - 4));
    const filled = this.#total === 0 ? width : Math.round((this.#done / this.#total) * width);
    return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${stats}`;
  }
}
