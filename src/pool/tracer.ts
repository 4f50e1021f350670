// The tracer go() records with, or `undefined` when no SDK is registered.
//
// Why: with no SDK, go() skips the span, context.with and the attribute object
// altogether (the API's no-op span would only echo the parent's ids, which go()
// reads itself), keeping go() close to a plain `await fn()`. The check runs on
// every call, so an SDK registered later (or replaced after trace.disable()) is
// picked up at the next go().

import { ProxyTracerProvider, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from '../observe/attributes.js';

// The API's no-op provider: what a ProxyTracerProvider delegates to until an SDK is set.
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

let cachedProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * activeTracer returns threadline's tracer from the registered provider, or
 * `undefined` when the registered provider is the API's no-op one.
 *
 * @example
 * const tracer = activeTracer();
 * if (tracer !== undefined) span = tracer.startSpan(source, options, parent);
 */
export function activeTracer(): Tracer | undefined {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (provider === NOOP_PROVIDER) return undefined;
  if (provider !== cachedProvider) {
    cachedProvider = provider;
    cachedTracer = provider.getTracer(INSTRUMENTATION_SCOPE);
  }
  return cachedTracer;
}
