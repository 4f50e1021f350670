// The raw-piscina baseline's worker: the same no-op as the go() task.
/** Returns its argument. */
export default function noop(x: number): number {
  return x;
}
