import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { K_SEND, Parked, WaitQueue } from '../dist/src/channel/wait-queue.js';

type Op = { op: 'push' } | { op: 'shift' } | { op: 'remove'; at: number };

/** The queue's waiters from head to tail, checking every link on the way. */
function walk(q: WaitQueue): Parked[] {
  const out: Parked[] = [];
  let prev: Parked | undefined;
  for (let w = q.head; w !== undefined; w = w.next) {
    expect(w.prev).toBe(prev);
    expect(w.queue).toBe(q);
    out.push(w);
    prev = w;
  }
  return out;
}

describe('WaitQueue', () => {
  it('matches an array model under any sequence of push, shift and remove', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant<Op>({ op: 'push' }),
            fc.constant<Op>({ op: 'shift' }),
            fc.nat({ max: 15 }).map((at): Op => ({ op: 'remove', at })),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const q = new WaitQueue();
          const model: Parked[] = [];
          let busy = 0;
          let idle = 0;
          q.onBusy = () => busy++;
          q.onIdle = () => idle++;
          let id = 0;
          for (const step of ops) {
            if (step.op === 'push') {
              const w = new Parked(K_SEND, id++);
              q.push(w);
              model.push(w);
            } else if (step.op === 'shift') {
              const w = q.shift();
              expect(w).toBe(model.shift());
              if (w !== undefined)
                expect([w.queue, w.prev, w.next]).toEqual([undefined, undefined, undefined]);
            } else if (model.length > 0) {
              const w = model.splice(step.at % model.length, 1)[0] as Parked;
              q.remove(w);
              expect([w.queue, w.prev, w.next]).toEqual([undefined, undefined, undefined]);
            }
            expect(walk(q)).toEqual(model);
            expect(q.size).toBe(model.length);
            // tail names the newest waiter only when there are two or more.
            expect(q.tail).toBe(model.length >= 2 ? model[model.length - 1] : undefined);
          }
          // onBusy and onIdle alternate, starting with onBusy.
          expect(busy - idle).toBe(model.length > 0 ? 1 : 0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
