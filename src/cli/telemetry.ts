// The demo's OpenTelemetry set-up, done once on the main thread as an
// application would: an AsyncLocalStorage context manager, a tracer provider
// whose processors are wrapped with threadlineSpanProcessor (so spans recorded
// in worker threads reach them), a trace exporter (OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, else a JSON-lines file), an in-memory
// SpanRecorder for the waterfall, and, with a port, a Prometheus exporter on
// 127.0.0.1.
//
// Only src/cli imports the SDK packages: the library records through
// @opentelemetry/api alone (test/cli.test.ts checks the import graph).
//
// Invariants:
//   setupTelemetry registers the globals; shutdown() flushes the exporters and
//     unregisters them, and is idempotent.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { threadlineSpanProcessor } from '../index.js';
import { JsonLinesSpanExporter } from './jsonl-exporter.js';
import { SpanRecorder } from './span-recorder.js';

/** What setupTelemetry needs. */
export interface TelemetryOptions {
  /** JSON-lines file; default a new file in the temp dir. Ignored with OTLP. */
  traceFile: string | undefined;
  /** Port of the Prometheus /metrics endpoint on 127.0.0.1; none when undefined. */
  metricsPort: number | undefined;
  /** Traces kept in memory for the waterfall. */
  keepTraces: number;
  /** Environment (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME). */
  env: NodeJS.ProcessEnv;
}

/** The demo's registered telemetry. */
export interface Telemetry {
  readonly recorder: SpanRecorder;
  /** The JSON-lines file, when traces go there. */
  readonly traceFile: string | undefined;
  /** The OTLP endpoint, when traces go there. */
  readonly otlpEndpoint: string | undefined;
  /** The /metrics URL, when served. */
  readonly metricsUrl: string | undefined;
  /** Flushes and unregisters everything. */
  shutdown(): Promise<void>;
}

/**
 * setupTelemetry registers the demo's context manager, tracer provider and,
 * with a port, its meter provider.
 *
 * @throws when the metrics port cannot be bound, or the OTLP exporter is not installed.
 * @example
 * const telemetry = await setupTelemetry({ traceFile: undefined, metricsPort: 9464, keepTraces: 64, env: process.env });
 */
export async function setupTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const resource = resourceFromAttributes({
    'service.name': options.env.OTEL_SERVICE_NAME || 'threadline-demo',
  });
  const otlpEndpoint = options.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  let exporter: SpanExporter;
  let traceFile: string | undefined;
  if (otlpEndpoint !== undefined) {
    // Loaded only when asked for: it brings the OTLP transformer with it.
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http').catch(
      (err: unknown) => {
        throw new Error(
          `OTEL_EXPORTER_OTLP_ENDPOINT is set but @opentelemetry/exporter-trace-otlp-http cannot be loaded (npm install @opentelemetry/exporter-trace-otlp-http@0.223.0): ${(err as Error).message}`,
        );
      },
    );
    exporter = new OTLPTraceExporter();
  } else {
    traceFile =
      options.traceFile ?? join(tmpdir(), `threadline-demo-${process.pid}-${Date.now()}.jsonl`);
    exporter = new JsonLinesSpanExporter(traceFile);
  }

  let meterShutdown: (() => Promise<void>) | undefined;
  let metricsUrl: string | undefined;
  if (options.metricsPort !== undefined) {
    const [{ PrometheusExporter }, { MeterProvider }] = await Promise.all([
      import('@opentelemetry/exporter-prometheus'),
      import('@opentelemetry/sdk-metrics'),
    ]).catch((err: unknown) => {
      throw new Error(
        `--metrics-port needs @opentelemetry/exporter-prometheus and @opentelemetry/sdk-metrics (npm install @opentelemetry/exporter-prometheus@0.223.0 @opentelemetry/sdk-metrics@2.12.0): ${(err as Error).message}`,
      );
    });
    // 127.0.0.1 only: the exporter's default is every interface.
    const reader = new PrometheusExporter({
      host: '127.0.0.1',
      port: options.metricsPort,
      preventServerStart: true,
    });
    await reader.startServer().catch((err: unknown) => {
      throw new Error(
        `cannot serve metrics on 127.0.0.1:${options.metricsPort}: ${(err as Error).message}`,
      );
    });
    const meterProvider = new MeterProvider({ resource, readers: [reader] });
    metrics.setGlobalMeterProvider(meterProvider);
    metricsUrl = `http://127.0.0.1:${options.metricsPort}/metrics`;
    meterShutdown = async () => {
      await meterProvider.shutdown();
      metrics.disable();
    };
  }

  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const recorder = new SpanRecorder(options.keepTraces);
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      threadlineSpanProcessor(
        new BatchSpanProcessor(exporter, {
          maxQueueSize: 65_536,
          maxExportBatchSize: 1024,
          scheduledDelayMillis: 500,
        }),
      ),
      threadlineSpanProcessor(recorder),
    ],
  });
  trace.setGlobalTracerProvider(provider);

  let closing: Promise<void> | undefined;
  return {
    recorder,
    traceFile,
    otlpEndpoint,
    metricsUrl,
    shutdown() {
      closing ??= (async () => {
        await provider.shutdown();
        trace.disable();
        context.disable();
        await meterShutdown?.();
      })();
      return closing;
    },
  };
}
