// WeakSources: the set of pools and channels whose gauges threadline reports.
//
// Invariants (tested in test/metrics.test.ts):
//   A source is never kept alive by this set: it holds WeakRefs only, so an
//   unclosed pool or a dropped channel can be collected.
//   A WeakRef leaves #refs when its unregister function runs, when its source is
//   finalized, or when live() finds it dead; whichever comes first, once.
//
// Why a FinalizationRegistry as well as the purge in live(): live() only runs on
// a metrics collection, and with no MeterProvider registered there is none, so a
// program creating many named channels would otherwise grow #refs forever.

/**
 * WeakSources holds observed objects weakly, in registration order.
 *
 * @example
 * const pools = new WeakSources<PoolSource>();
 * const unregister = pools.add(pool);
 * for (const p of pools.live()) report(p);
 * unregister();
 */
export class WeakSources<T extends object> {
  #refs = new Set<WeakRef<T>>();
  #finalizer = new FinalizationRegistry<WeakRef<T>>((ref) => {
    this.#refs.delete(ref);
  });

  /**
   * add starts holding `source` weakly and returns the function that stops it.
   * The returned function is idempotent.
   */
  add(source: T): () => void {
    const ref = new WeakRef(source);
    this.#refs.add(ref);
    // The ref doubles as the unregister token: it is an object the registry holds weakly.
    this.#finalizer.register(source, ref, ref);
    return () => {
      if (this.#refs.delete(ref)) this.#finalizer.unregister(ref);
    };
  }

  /** live yields the sources still alive and registered, dropping dead refs. */
  *live(): Generator<T, void, undefined> {
    for (const ref of this.#refs) {
      const source = ref.deref();
      if (source === undefined) {
        this.#refs.delete(ref);
      } else {
        yield source;
      }
    }
  }

  /** size is the number of registered refs, dead ones not yet dropped included. */
  get size(): number {
    return this.#refs.size;
  }
}
