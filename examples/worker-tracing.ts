// Spans from worker tasks reach the application's exporter on the main thread:
// wrap your span processor with threadlineSpanProcessor().
//
// Run: npm run build && node dist/examples/worker-tracing.js

import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { go, shutdown, threadlineSpanProcessor } from 'threadline';
import { fib } from './worker-tasks.js';

// Configure OpenTelemetry once, on the main thread.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  spanProcessors: [threadlineSpanProcessor(new SimpleSpanProcessor(exporter))],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

const tracer = trace.getTracer('example');
await tracer.startActiveSpan('request', async (span) => {
  const r = await go(fib, [25], { source: 'math/fib' });
  console.log(r.traceId === span.spanContext().traceId); // true: the caller's trace continues in the worker
  span.end();
});

for (const s of exporter.getFinishedSpans()) {
  console.log(
    s.name,
    s.attributes['app.result.type'] ?? '',
    s.parentSpanContext?.spanId !== undefined,
  );
}
// math/fib number true
// request  false

await shutdown();
await provider.shutdown();
