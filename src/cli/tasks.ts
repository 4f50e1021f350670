// The demo's worker task module: the pool's threads import this file by URL
// (defineTask's import.meta.url) and run `digest` there. Everything the task
// needs travels in its BlockSpec; the block's bytes are generated in the
// worker from the spec's seed, so nothing large crosses threads.
//
// A block is: a 4-byte header (magic 'TLB1'), then `bytes` of content in which
// a share `redundancy` of the positions repeat the previous byte (so deflate
// has something to find). The injected faults act as real ones would:
//   validation: the header is corrupt and validation rejects the block;
//   timeout:    the "codec" spins on the CPU far past the task's timeoutMs;
//   crash:      the "native codec" takes the thread down (process.exit).

import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { trace } from '@opentelemetry/api';
import { ATTR_THREAD_ID, defineTask, KindError } from '../index.js';
import { type BlockSpec, mulberry32 } from './plan.js';

const MAGIC = 0x544c4231; // 'TLB1'
/** How long a "hung codec" spins; the pool's timeout ends it long before. */
const HANG_MS = 10_000;

/** What `digest` returns for a block. */
export type DigestResult = {
  index: number;
  sha256: string;
  rawBytes: number;
  compressedBytes: number;
};

function generate(spec: BlockSpec): Uint8Array {
  const rand = mulberry32(spec.contentSeed);
  const block = new Uint8Array(4 + spec.bytes);
  const view = new DataView(block.buffer);
  view.setUint32(0, spec.fault === 'validation' ? MAGIC ^ 0xff : MAGIC);
  let prev = 0;
  for (let i = 4; i < block.length; i++) {
    prev = rand() < spec.redundancy ? prev : Math.floor(rand() * 256);
    block[i] = prev;
  }
  return block;
}

function validate(spec: BlockSpec, block: Uint8Array): void {
  const magic = new DataView(block.buffer, block.byteOffset).getUint32(0);
  if (magic !== MAGIC) {
    throw new KindError(
      'Validation',
      `block ${spec.index}: bad header 0x${magic.toString(16).padStart(8, '0')} (want 0x${MAGIC.toString(16)})`,
      { code: 'E_BAD_HEADER' },
    );
  }
}

function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

const tracer = trace.getTracer('threadline-demo');

/** Runs `fn` under a child span of the task span (recorded in the worker, exported on main). */
function step<T>(name: string, threadId: number, fn: () => T): T {
  return tracer.startActiveSpan(name, (span) => {
    span.setAttribute(ATTR_THREAD_ID, threadId);
    try {
      return fn();
    } finally {
      span.end();
    }
  });
}

/**
 * digest generates a block, validates it, hashes it (SHA-256) and compresses
 * it (raw deflate), each step under its own span; it fails the way the spec's
 * fault says.
 *
 * @example
 * const r = await go(digest, [spec], { source: spec.source, timeoutMs: 500, pool });
 */
export const digest = defineTask(
  import.meta.url,
  'digest',
  async (spec: BlockSpec): Promise<DigestResult> => {
    const { threadId } = await import('node:worker_threads');
    const block = step('block.generate', threadId, () => generate(spec));
    step('block.validate', threadId, () => validate(spec, block));
    const sha256 = step('block.sha256', threadId, () =>
      createHash('sha256').update(block).digest('hex'),
    );
    const compressed = step('block.deflate', threadId, () => {
      if (spec.fault === 'crash') process.exit(70);
      if (spec.fault === 'timeout') spin(HANG_MS);
      return deflateRawSync(block, { level: 6 });
    });
    return {
      index: spec.index,
      sha256,
      rawBytes: block.length,
      compressedBytes: compressed.length,
    };
  },
);
