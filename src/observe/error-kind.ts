// ErrorKind: the ten classes a failure falls into, with their HTTP and gRPC
// mappings. The table is the contract in DESIGN.md ("Error kinds").

/** The class of a failure. `undefined` in an ObservableResult means success. */
export type ErrorKind =
  | 'Validation'
  | 'NotFound'
  | 'Conflict'
  | 'Timeout'
  | 'Canceled'
  | 'Network'
  | 'Closed'
  | 'ResourceExhausted'
  | 'Panic'
  | 'Unknown';

/** Every ErrorKind, in the order of DESIGN.md's table. */
export const ERROR_KINDS: readonly ErrorKind[] = Object.freeze([
  'Validation',
  'NotFound',
  'Conflict',
  'Timeout',
  'Canceled',
  'Network',
  'Closed',
  'ResourceExhausted',
  'Panic',
  'Unknown',
]);

const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  Validation: 400,
  NotFound: 404,
  Conflict: 409,
  Timeout: 504,
  Canceled: 499,
  Network: 503,
  Closed: 503,
  ResourceExhausted: 429,
  Panic: 500,
  Unknown: 500,
};

const GRPC_CODE: Readonly<Record<ErrorKind, number>> = {
  Validation: 3, // INVALID_ARGUMENT
  NotFound: 5, // NOT_FOUND
  Conflict: 6, // ALREADY_EXISTS
  Timeout: 4, // DEADLINE_EXCEEDED
  Canceled: 1, // CANCELLED
  Network: 14, // UNAVAILABLE
  Closed: 14, // UNAVAILABLE
  ResourceExhausted: 8, // RESOURCE_EXHAUSTED
  Panic: 13, // INTERNAL
  Unknown: 2, // UNKNOWN
};

/** isErrorKind reports whether `value` is one of the ten ErrorKind strings. */
export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && Object.hasOwn(HTTP_STATUS, value);
}

/**
 * httpStatus returns the HTTP status code for a kind (`Canceled` is nginx's 499).
 * @throws TypeError when `kind` is not an ErrorKind.
 */
export function httpStatus(kind: ErrorKind): number {
  if (!isErrorKind(kind)) throw new TypeError(`threadline: unknown ErrorKind ${String(kind)}`);
  return HTTP_STATUS[kind];
}

/**
 * grpcCode returns the gRPC status code for a kind.
 * @throws TypeError when `kind` is not an ErrorKind.
 */
export function grpcCode(kind: ErrorKind): number {
  if (!isErrorKind(kind)) throw new TypeError(`threadline: unknown ErrorKind ${String(kind)}`);
  return GRPC_CODE[kind];
}
