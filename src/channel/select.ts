// select(): Go's select statement over channel cases built with recv() and send().
//
// Invariants (tested in test/select.test.ts and test/channel-model.test.ts):
//   Exactly one case commits, or none when the select rejects (abort, bad case).
//   When several cases are ready, each is chosen with equal probability
//   (reservoir sampling over the ready cases, in one pass).
//   A case whose channel is null (Go's nil channel) is never ready and never parks.
//   When no case is ready, one K_SELECT waiter per case parks on its channel.
//   The first one woken wins; win()/fail() unlink every sibling synchronously,
//   before the select's promise settles, so no channel keeps a reference to a
//   finished select and a value is never taken by a case that lost.
//   No Promise.race: a parked select holds no promise of anyone else's
//   (Promise.race over long-lived promises leaks, nodejs/node#17469).

import { ChannelClosedError } from '../observe/kind-error.js';
import { Channel, internals } from './channel.js';
import type { ReceiveChannel, SendChannel } from './types.js';
import { armPromise, CaseWaiter, K_SELECT, type SelectOwner } from './wait-queue.js';
import { resolvedWith, resume } from './yield-budget.js';

/**
 * A receive case, built by `recv(ch)`.
 *
 * @example
 * const numbers = new Channel<number>();
 * const c: RecvCase<number> = recv(numbers);
 */
export interface RecvCase<T> {
  readonly kind: 'recv';
  readonly channel: ReceiveChannel<T> | null;
}

/**
 * A send case, built by `send(ch, value)`.
 *
 * @example
 * const numbers = new Channel<number>();
 * const c: SendCase<number> = send(numbers, 42);
 */
export interface SendCase<T> {
  readonly kind: 'send';
  readonly channel: SendChannel<T> | null;
  readonly value: T;
}

/**
 * A case built on a `null` channel (Go's nil channel): it never fires.
 *
 * @example
 * const maybe = input === undefined ? recv(null) : recv(input);
 */
export interface NilCase {
  readonly kind: 'recv' | 'send';
  readonly channel: null;
}

/**
 * A case of `select()`. `null` and `undefined` entries are allowed and never fire.
 *
 * @example
 * const cases: SelectCase[] = [recv(a), send(b, 1), recv(null)];
 */
export type SelectCase = RecvCase<unknown> | SendCase<unknown> | NilCase;

/**
 * Options of `select()`.
 *
 * @example
 * const r = await select([recv(ch)], { default: true } satisfies SelectOptions);
 */
export interface SelectOptions {
  /** Withdraws every case of a blocked select when it aborts: rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** When no case is ready, return `{ index: -1, value: undefined, ok: false }` at once (Go's `default:`). */
  default?: boolean | undefined;
}

type CaseResult<N extends number, C> = C extends NilCase | null | undefined
  ? never
  : C extends RecvCase<infer T>
    ? { index: N; value: T; ok: true } | { index: N; value: undefined; ok: false }
    : C extends SendCase<unknown>
      ? { index: N; value: undefined; ok: true }
      : never;

/**
 * SelectResult says which case of a select committed: `index` in the cases
 * array (-1 for `default`), the `value` received (undefined for a send case)
 * and `ok` (false for a receive from a closed, drained channel, and for default).
 * For a literal cases array it is a union discriminated by `index`.
 *
 * @example
 * const numbers = new Channel<number>();
 * const names = new Channel<string>();
 * const r = await select([recv(numbers), recv(names)]);
 * if (r.index === 1 && r.ok) r.value; // string
 */
export type SelectResult<Cs extends readonly unknown[] = readonly unknown[]> =
  number extends Cs['length']
    ? { index: number; value: unknown; ok: boolean }
    :
        | {
            [K in keyof Cs]: K extends `${infer N extends number}` ? CaseResult<N, Cs[K]> : never;
          }[number]
        | { index: -1; value: undefined; ok: false };

class Case {
  constructor(
    readonly kind: 'recv' | 'send',
    readonly channel: Channel<unknown> | null,
    readonly value: unknown,
  ) {}
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object' || typeof value === 'function') {
    return value.constructor?.name ?? typeof value;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function checkChannel(fn: string, ch: unknown): Channel<unknown> | null {
  if (ch === null || internals.isChannel(ch)) return ch;
  throw new TypeError(`threadline: ${fn}() needs a Channel or null, got ${describe(ch)}`);
}

/**
 * recv builds a select case that receives from `ch`; `null` builds a case that
 * never fires (Go's nil channel). Throws TypeError for anything else than a
 * threadline channel or null.
 *
 * @example
 * const r = await select([recv(results), recv(after(1000))]);
 */
export function recv(ch: null): NilCase;
export function recv<T>(ch: ReceiveChannel<T> | null): RecvCase<T>;
export function recv<T>(ch: ReceiveChannel<T> | null): RecvCase<T> | NilCase {
  return new Case('recv', checkChannel('recv', ch), undefined) as RecvCase<T>;
}

/**
 * send builds a select case that sends `value` on `ch`; `null` builds a case
 * that never fires. If it wins on a closed channel, the select rejects with
 * ChannelClosedError.
 *
 * @example
 * await select([send(out, job), recv(quit)]);
 */
export function send(ch: null, value: unknown): NilCase;
export function send<T>(ch: SendChannel<T> | null, value: T): SendCase<T>;
export function send<T>(ch: SendChannel<T> | null, value: T): SendCase<T> | NilCase {
  return new Case('send', checkChannel('send', ch), value) as SendCase<T>;
}

/** A parked select: the owner of its case waiters and the abort listener. */
class SelectOp implements SelectOwner {
  readonly waiters: CaseWaiter[] = [];
  resolve: (value: never) => void = noop;
  reject: (reason: unknown) => void = noop;
  signal: AbortSignal | undefined;
  done = false;

  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
  }

  win(w: CaseWaiter, value: unknown, ok: boolean): void {
    this.#finish(w);
    resume(this.resolve, { index: w.index, value, ok });
  }

  fail(w: CaseWaiter, error: unknown): void {
    this.#finish(w);
    this.reject(error);
  }

  handleEvent(): void {
    const signal = this.signal;
    if (this.done || signal === undefined) return;
    this.#finish(undefined);
    this.reject(signal.reason);
  }

  /** Withdraws every case but `winner` (already unlinked) and stops listening. */
  #finish(winner: CaseWaiter | undefined): void {
    this.done = true;
    for (const w of this.waiters) {
      if (w !== winner && w.queue !== undefined) w.queue.remove(w);
      w.value = undefined;
    }
    this.waiters.length = 0;
    const signal = this.signal;
    if (signal !== undefined) {
      this.signal = undefined;
      signal.removeEventListener('abort', this);
    }
  }
}

function noop(): void {}

/**
 * select waits until one of `cases` can proceed and commits that one only,
 * Go's `select`. When several are ready it picks one uniformly at random; with
 * `default: true` it returns `{ index: -1 }` at once when none is ready. A case
 * on a `null` channel never fires; losing cases are withdrawn before the
 * promise settles, so nothing they would have sent or received is lost.
 * A select with no case that can ever fire and no `default` waits forever
 * (Go's `select {}`) unless `signal` aborts. Rejects with `signal.reason` on
 * abort (an already-aborted signal commits nothing), with ChannelClosedError
 * when a send case on a closed channel is chosen, and with TypeError when a
 * case was not built by `recv()` or `send()`.
 *
 * @example
 * const jobs = new Channel<string>();
 * const out = new Channel<number>(1);
 * const r = await select([recv(jobs), send(out, 42), recv(after(100))]);
 * if (r.index === 0 && r.ok) console.log(r.value.toUpperCase()); // a job
 * if (r.index === 2) console.log('no job within 100 ms');
 */
export function select<const Cs extends readonly (SelectCase | null | undefined)[]>(
  cases: Cs,
  options?: SelectOptions,
): Promise<SelectResult<Cs>> {
  type R = SelectResult<Cs>;
  if (!Array.isArray(cases)) {
    return Promise.reject(
      new TypeError(`threadline: select() needs an array of cases, got ${describe(cases)}`),
    );
  }
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  let chosen = -1;
  let ready = 0;
  let live = 0;
  for (let i = 0; i < cases.length; i++) {
    const c: unknown = cases[i];
    if (c === null || c === undefined) continue;
    if (!(c instanceof Case)) {
      return Promise.reject(
        new TypeError(
          `threadline: select case ${i} must be built with recv() or send(), got ${describe(c)}`,
        ),
      );
    }
    const ch = c.channel;
    if (ch === null) continue;
    live++;
    if (c.kind === 'recv' ? internals.recvReady(ch) : internals.sendReady(ch)) {
      ready++;
      if (ready === 1 || Math.random() * ready < 1) chosen = i;
    }
  }
  if (chosen >= 0) {
    const c = cases[chosen] as unknown as Case;
    const ch = c.channel as Channel<unknown>;
    if (c.kind === 'recv') return resolvedWith(internals.selectRecv(ch, chosen) as R);
    if (!internals.selectSend(ch, c.value)) return Promise.reject(new ChannelClosedError());
    return resolvedWith({ index: chosen, value: undefined, ok: true } as R);
  }
  if (options?.default === true) {
    return resolvedWith({ index: -1, value: undefined, ok: false } as R);
  }
  // A fresh promise each time: awaiting a shared never-settling one would retain every awaiter.
  if (live === 0 && signal === undefined) return new Promise<R>(noop);
  const op = new SelectOp(signal);
  const promise = armPromise<R>(op);
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i] as unknown as Case | null | undefined;
    if (c === null || c === undefined || c.channel === null) continue;
    const w = new CaseWaiter(K_SELECT, c.value, op, i);
    op.waiters.push(w);
    if (c.kind === 'recv') internals.parkRecv(c.channel, w);
    else internals.parkSend(c.channel, w);
  }
  if (signal !== undefined) signal.addEventListener('abort', op, { once: true });
  return promise;
}

/**
 * Two channels, never reachable from outside, with a select parked on them,
 * and its cases: they keep the hidden classes of a parked select (Case,
 * SelectOp, CaseWaiter) alive across full GCs, as Channel's #shapeKeepers do
 * for plain operations (why: see there). Internal: exported only so that the
 * binding is kept.
 */
export const selectShapeKeepers: readonly unknown[] = parkSelect();

function parkSelect(): unknown[] {
  const a = new Channel<unknown>(0);
  const b = new Channel<unknown>(0);
  const cases = [recv(a), send(b, undefined)];
  void select(cases);
  return [a, b, cases];
}
