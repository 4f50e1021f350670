// Worker task module of examples/metrics-server.ts: go(sha256, [text]) runs on a
// pool thread, which imports this module by its URL.
import { createHash } from 'node:crypto';
import { defineTask, KindError } from 'threadline';

/** sha256 returns the hex digest of `text`; an empty text is a Validation failure. */
export const sha256 = defineTask(import.meta.url, 'sha256', (text: string) => {
  if (text.length === 0) throw new KindError('Validation', 'sha256: empty input');
  return createHash('sha256').update(text).digest('hex');
});
