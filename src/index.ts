// The package root: re-exports only, by name, in README order.

// Goroutines on this thread, and what every task settles with.
export { go } from './pool/go.js';
export type { TaskFunction, TaskFunctionContext } from './pool/inline-runner.js';
export type { GoOptions, ResultSink } from './pool/options.js';
export type { Task } from './pool/task.js';
export type { ObservableResult } from './observe/result.js';
export { unwrap } from './observe/result.js';

// Worker tasks and pools.
export type {
  Cloneable,
  CloneableObject,
  TaskReturn,
  Transfer,
  WorkerTask,
} from './pool/define-task.js';
export { defineTask, isWorkerTask, transfer } from './pool/define-task.js';
export type { WorkerGoOptions } from './pool/worker-runner.js';
export { taskSignal } from './workers/task-signal.js';
export { createPool, getDefaultPool, shutdown } from './pool/default-pool.js';
export { Pool } from './pool/pool.js';
export type { PoolOptions } from './pool/pool-options.js';
export type { SpanProcessorLike } from './observe/span-processor.js';
export { ThreadlineSpanProcessor, threadlineSpanProcessor } from './observe/span-processor.js';

// Channels and select.
export { Channel } from './channel/channel.js';
export type {
  ChannelOptions,
  ReceiveChannel,
  RecvOptions,
  RecvResult,
  SendChannel,
  SendOptions,
} from './channel/types.js';
export { recv, select, send } from './channel/select.js';
export type {
  NilCase,
  RecvCase,
  SelectCase,
  SelectOptions,
  SelectResult,
  SendCase,
} from './channel/select.js';
export { after, timer } from './channel/after.js';
export type { Timer } from './channel/after.js';

// Waiting: WaitGroup and Group (errgroup).
export type { WaitOptions } from './waitgroup/wait-group.js';
export { WaitGroup } from './waitgroup/wait-group.js';
export type { GroupOptions, GroupSummary, TryGo } from './waitgroup/group.js';
export { Group } from './waitgroup/group.js';
export type { DurationStats, GroupStats } from './waitgroup/group-stats.js';

// Error kinds, classification, errors across threads.
export type { ErrorKind } from './observe/error-kind.js';
export { ERROR_KINDS, grpcCode, httpStatus, isErrorKind } from './observe/error-kind.js';
export type { KindErrorOptions } from './observe/kind-error.js';
export { ChannelClosedError, KindError, WaitGroupError } from './observe/kind-error.js';
export type { Classifier } from './observe/classify.js';
export { classifyError, isKind, registerClassifier } from './observe/classify.js';
export { resultType } from './observe/result-type.js';
export type { SerializedError } from './observe/error-codec.js';
export { deserializeError, serializeError } from './observe/error-codec.js';
export type { ErrorClass } from './observe/error-classes.js';
export { registerErrorClass } from './observe/error-classes.js';

// Telemetry: span attribute and metric names.
export {
  ATTR_APP_DURATION_MS,
  ATTR_APP_ERROR_KIND,
  ATTR_APP_RESULT_TYPE,
  ATTR_APP_RETRY_COUNT,
  ATTR_APP_SOURCE,
  ATTR_APP_TASK_NAME,
  ATTR_CHANNEL_NAME,
  ATTR_CHANNEL_OP,
  ATTR_ERROR_TYPE,
  ATTR_EXIT_REASON,
  ATTR_POOL_NAME,
  ATTR_TASK_LOCATION,
  ATTR_THREAD_ID,
  INSTRUMENTATION_SCOPE,
  METRIC_CHANNEL_LENGTH,
  METRIC_CHANNEL_WAITERS,
  METRIC_POOL_BUSY_TIME,
  METRIC_POOL_QUEUE_SIZE,
  METRIC_POOL_TASKS_RUNNING,
  METRIC_POOL_THREADS,
  METRIC_POOL_WORKER_EXITS,
  METRIC_TASK_DURATION,
} from './observe/attributes.js';
