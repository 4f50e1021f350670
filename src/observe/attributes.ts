// Span attribute and metric names: the contract in DESIGN.md ("Telemetry").
// Never inline these strings elsewhere.

/** The runtime type name of the task's value (`ObservableResult.resultType`). */
export const ATTR_APP_RESULT_TYPE = 'app.result.type' as const;
/** The attempt's run time in ms (`ObservableResult.elapsedMs`). */
export const ATTR_APP_DURATION_MS = 'app.duration_ms' as const;
/** The failure's ErrorKind; absent on success. */
export const ATTR_APP_ERROR_KIND = 'app.error.kind' as const;
/** OpenTelemetry semantic convention `error.type`: the ErrorKind; absent on success. */
export const ATTR_ERROR_TYPE = 'error.type' as const;
/** `ObservableResult.source`. */
export const ATTR_APP_SOURCE = 'app.source' as const;
/** `ObservableResult.retryCount`. */
export const ATTR_APP_RETRY_COUNT = 'app.retry.count' as const;
/** The task's name: the defineTask name or the function's name. */
export const ATTR_APP_TASK_NAME = 'app.task.name' as const;
/** The thread that ran the attempt: 0 for the main thread. */
export const ATTR_THREAD_ID = 'thread.id' as const;

/** Where a task ran: `'worker'` or `'loop'`. */
export const ATTR_TASK_LOCATION = 'threadline.task.location' as const;
/** The pool's name. */
export const ATTR_POOL_NAME = 'threadline.pool.name' as const;
/** A named channel's name. */
export const ATTR_CHANNEL_NAME = 'threadline.channel.name' as const;
/** `'send'` or `'recv'` on channel waiter gauges. */
export const ATTR_CHANNEL_OP = 'op' as const;
/** Why a worker exited: `crash`, `oom`, `timeout`, `abort`, `idle`. */
export const ATTR_EXIT_REASON = 'reason' as const;

/** Instrumentation scope of threadline's tracer and meter. */
export const INSTRUMENTATION_SCOPE = 'threadline' as const;

export const METRIC_TASK_DURATION = 'threadline.task.duration' as const;
export const METRIC_POOL_QUEUE_SIZE = 'threadline.pool.queue.size' as const;
export const METRIC_POOL_TASKS_RUNNING = 'threadline.pool.tasks.running' as const;
export const METRIC_POOL_THREADS = 'threadline.pool.threads' as const;
export const METRIC_POOL_BUSY_TIME = 'threadline.pool.busy.time' as const;
export const METRIC_POOL_WORKER_EXITS = 'threadline.pool.worker.exits' as const;
export const METRIC_CHANNEL_LENGTH = 'threadline.channel.length' as const;
export const METRIC_CHANNEL_WAITERS = 'threadline.channel.waiters' as const;
