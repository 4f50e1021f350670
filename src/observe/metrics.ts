// Metrics: threadline's instruments, created through the OpenTelemetry metrics
// API (the application owns the SDK). Names and attributes are DESIGN.md's
// metrics table, from ./attributes.ts.
//
// Invariants (tested in test/metrics.test.ts):
//   `current` describes the MeterProvider that metrics.getMeterProvider() returned
//   at the last call into this module: every entry point calls bound() first, so
//   instruments follow a provider registered (or replaced) after import.
//   @opentelemetry/api 1.9 has no proxy MeterProvider: a meter taken before
//   registration stays a no-op forever, hence this re-check (one global lookup).
//   With the no-op provider, current.instruments is undefined and recording
//   returns before building any attribute object.
//   Pools and channels are held weakly (WeakSources): observing never leaks.
//   Nothing here throws into user code: failures go to diag.warn, once per message.
//
// Observable instruments are registered on the provider current when bound()
// runs; a provider registered after the last task, pool or channel was seen
// reports the gauges from the next one on.

import {
  type Attributes,
  type BatchObservableResult,
  type Counter,
  createNoopMeter,
  diag,
  type Histogram,
  type MeterProvider,
  metrics,
  type Observable,
  type ObservableCounter,
  type ObservableGauge,
} from '@opentelemetry/api';
import {
  ATTR_APP_ERROR_KIND,
  ATTR_APP_RESULT_TYPE,
  ATTR_APP_SOURCE,
  ATTR_CHANNEL_NAME,
  ATTR_CHANNEL_OP,
  ATTR_EXIT_REASON,
  ATTR_POOL_NAME,
  ATTR_TASK_LOCATION,
  INSTRUMENTATION_SCOPE,
  METRIC_CHANNEL_LENGTH,
  METRIC_CHANNEL_WAITERS,
  METRIC_POOL_BUSY_TIME,
  METRIC_POOL_QUEUE_SIZE,
  METRIC_POOL_TASKS_RUNNING,
  METRIC_POOL_THREADS,
  METRIC_POOL_WORKER_EXITS,
  METRIC_TASK_DURATION,
} from './attributes.js';
import type { ObservableResult } from './result.js';
import { WeakSources } from './weak-sources.js';

/**
 * Bucket boundaries of `threadline.task.duration`, in seconds: 50 µs to 60 s,
 * given as instrument advice so that no View is needed.
 */
export const TASK_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5, 10, 30, 60,
]);

/** Where a task ran: on a worker thread or on the main thread's event loop. */
export type TaskLocation = 'worker' | 'loop';

/** Why a pool's worker thread exited (`reason` on `threadline.pool.worker.exits`). */
export type WorkerExitReason = 'crash' | 'oom' | 'timeout' | 'abort' | 'idle';

/** Which side of a channel waits (`op` on `threadline.channel.waiters`). */
export type ChannelOp = 'send' | 'recv';

/**
 * PoolSource is what `observePool` reads at each metrics collection. It is held
 * weakly: pass the pool itself, or an adapter stored in one of the pool's fields
 * (an adapter referenced by nothing else would be collected at once).
 */
export interface PoolSource {
  readonly name: string;
  /** Tasks waiting for a thread. */
  queueSize(): number;
  /** Tasks running now. */
  running(): number;
  /** Live worker threads. */
  threads(): number;
  /** Cumulative seconds that threads spent running tasks (monotonic). */
  busyTimeSeconds(): number;
}

/**
 * ChannelSource is what `observeChannel` reads at each metrics collection. Held
 * weakly, like PoolSource: keep it reachable from the channel.
 */
export interface ChannelSource {
  readonly name: string;
  /** Values buffered now (`len(ch)`). */
  length(): number;
  /** Blocked senders or receivers now. */
  waiters(op: ChannelOp): number;
}

interface Instruments {
  readonly taskDuration: Histogram;
  readonly workerExits: Counter;
  readonly observables: Observable[];
  readonly queueSize: ObservableGauge;
  readonly running: ObservableGauge;
  readonly threads: ObservableGauge;
  readonly busyTime: ObservableCounter;
  readonly channelLength: ObservableGauge;
  readonly channelWaiters: ObservableGauge;
  readonly unregister: () => void;
}

interface Bound {
  readonly provider: MeterProvider;
  /** undefined while the provider is a no-op. */
  readonly instruments: Instruments | undefined;
}

const NOOP_HISTOGRAM = createNoopMeter().createHistogram(METRIC_TASK_DURATION);
const pools = new WeakSources<PoolSource>();
const channels = new WeakSources<ChannelSource>();
let current: Bound | undefined;

function bound(): Bound {
  const provider = metrics.getMeterProvider();
  if (current !== undefined && current.provider === provider) return current;
  current?.instruments?.unregister();
  current = { provider, instruments: createInstruments(provider) };
  return current;
}

function createInstruments(provider: MeterProvider): Instruments | undefined {
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
  const taskDuration = meter.createHistogram(METRIC_TASK_DURATION, {
    description: 'Run time of the last attempt of each threadline task.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...TASK_DURATION_BUCKETS] },
  });
  if (taskDuration === NOOP_HISTOGRAM) return undefined;
  const queueSize = meter.createObservableGauge(METRIC_POOL_QUEUE_SIZE, {
    description: 'Tasks waiting for a thread in the pool.',
    unit: '{task}',
  });
  const running = meter.createObservableGauge(METRIC_POOL_TASKS_RUNNING, {
    description: 'Tasks running in the pool.',
    unit: '{task}',
  });
  const threads = meter.createObservableGauge(METRIC_POOL_THREADS, {
    description: 'Live worker threads of the pool.',
    unit: '{thread}',
  });
  const busyTime = meter.createObservableCounter(METRIC_POOL_BUSY_TIME, {
    description: 'Seconds the pool threads spent running tasks; rate / threads = utilization.',
    unit: 's',
  });
  const channelLength = meter.createObservableGauge(METRIC_CHANNEL_LENGTH, {
    description: 'Values buffered in a named channel.',
    unit: '{value}',
  });
  const channelWaiters = meter.createObservableGauge(METRIC_CHANNEL_WAITERS, {
    description: 'Senders or receivers blocked on a named channel.',
    unit: '{waiter}',
  });
  const observables = [queueSize, running, threads, busyTime, channelLength, channelWaiters];
  const instruments: Instruments = {
    taskDuration,
    workerExits: meter.createCounter(METRIC_POOL_WORKER_EXITS, {
      description: 'Worker threads that exited, by reason.',
      unit: '{thread}',
    }),
    observables,
    queueSize,
    running,
    threads,
    busyTime,
    channelLength,
    channelWaiters,
    unregister: () => meter.removeBatchObservableCallback(collect, observables),
  };
  const collect = (result: BatchObservableResult): void => observeAll(instruments, result);
  meter.addBatchObservableCallback(collect, observables);
  return instruments;
}

function observeAll(ins: Instruments, result: BatchObservableResult): void {
  for (const pool of pools.live()) {
    try {
      const attrs = { [ATTR_POOL_NAME]: pool.name };
      result.observe(ins.queueSize, pool.queueSize(), attrs);
      result.observe(ins.running, pool.running(), attrs);
      result.observe(ins.threads, pool.threads(), attrs);
      result.observe(ins.busyTime, pool.busyTimeSeconds(), attrs);
    } catch (err) {
      warn('pool gauges', err);
    }
  }
  for (const ch of channels.live()) {
    try {
      result.observe(ins.channelLength, ch.length(), { [ATTR_CHANNEL_NAME]: ch.name });
      for (const op of ['send', 'recv'] as const) {
        const attrs = { [ATTR_CHANNEL_NAME]: ch.name, [ATTR_CHANNEL_OP]: op };
        result.observe(ins.channelWaiters, ch.waiters(op), attrs);
      }
    } catch (err) {
      warn('channel gauges', err);
    }
  }
}

const warned = new Set<string>();

function warn(what: string, err: unknown): void {
  const message = `threadline: metrics: ${what} failed: ${err instanceof Error ? err.message : String(err)}`;
  if (warned.has(message) || warned.size >= 64) return;
  warned.add(message);
  diag.warn(message);
}

/**
 * recordTaskDuration records a settled task's `elapsedMs` on the
 * `threadline.task.duration` histogram (seconds), with its source, error kind
 * (absent on success), result type, location and, for worker tasks, pool name.
 * Call it once per task, after the last attempt. Never throws.
 *
 * @example
 * recordTaskDuration(result, 'worker', pool.name);
 */
export function recordTaskDuration(
  result: ObservableResult<unknown>,
  location: TaskLocation,
  poolName?: string,
): void {
  try {
    const ins = bound().instruments;
    if (ins === undefined) return;
    const seconds = result.elapsedMs / 1000;
    if (!(seconds >= 0)) {
      warn('recordTaskDuration', `elapsedMs is ${result.elapsedMs}`);
      return;
    }
    const attrs: Attributes = {
      [ATTR_APP_SOURCE]: result.source,
      [ATTR_APP_RESULT_TYPE]: result.resultType,
      [ATTR_TASK_LOCATION]: location,
    };
    if (result.errorKind !== undefined) attrs[ATTR_APP_ERROR_KIND] = result.errorKind;
    if (poolName !== undefined) attrs[ATTR_POOL_NAME] = poolName;
    ins.taskDuration.record(seconds, attrs);
  } catch (err) {
    warn('recordTaskDuration', err);
  }
}

/**
 * recordWorkerExit counts one exit of a pool's worker thread, by reason.
 * Never throws.
 *
 * @example
 * worker.on('exit', () => recordWorkerExit(pool.name, idle ? 'idle' : 'crash'));
 */
export function recordWorkerExit(poolName: string, reason: WorkerExitReason): void {
  try {
    bound().instruments?.workerExits.add(1, {
      [ATTR_POOL_NAME]: poolName,
      [ATTR_EXIT_REASON]: reason,
    });
  } catch (err) {
    warn('recordWorkerExit', err);
  }
}

/**
 * observePool reports a pool's queue size, running tasks, threads and busy time
 * at each metrics collection, until the returned function is called (call it
 * from `close()`) or the source is garbage-collected. Never throws.
 *
 * @example
 * this.#unobserve = observePool(this); // in the Pool constructor
 * this.#unobserve();                   // in close()
 */
export function observePool(source: PoolSource): () => void {
  try {
    bound();
    return pools.add(source);
  } catch (err) {
    warn('observePool', err);
    return () => {};
  }
}

/**
 * observeChannel reports a named channel's length and its blocked senders and
 * receivers at each metrics collection, until the returned function is called
 * or the source is garbage-collected. Never throws.
 *
 * @example
 * this.#probe = { name, length: () => this.length, waiters: (op) => this.#waiting(op) };
 * observeChannel(this.#probe);
 */
export function observeChannel(source: ChannelSource): () => void {
  try {
    bound();
    return channels.add(source);
  } catch (err) {
    warn('observeChannel', err);
    return () => {};
  }
}
