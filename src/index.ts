// The package root: re-exports only, by name, in README order.

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
export type { ErrorKind } from './observe/error-kind.js';
export { ERROR_KINDS, grpcCode, httpStatus, isErrorKind } from './observe/error-kind.js';
export type { KindErrorOptions } from './observe/kind-error.js';
export { ChannelClosedError, KindError, WaitGroupError } from './observe/kind-error.js';
export type { ObservableResult } from './observe/result.js';
export { unwrap } from './observe/result.js';
