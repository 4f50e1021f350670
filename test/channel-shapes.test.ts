// The channel's hidden classes survive a full GC that finds no channel in use
// (src/channel/channel.ts, #shapeKeepers; src/channel/select.ts). V8 holds the
// maps that a class's instances reach weakly: without an instance alive, a full
// GC drops them and deoptimizes every function compiled against them
// ("reason: weak objects" in --trace-deopt), and the next million ping-pong
// messages ran 20-40% slower. A child process runs each hot path until it is
// optimized, lets every channel go, runs gc(), and reports those deopts.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE = new URL('../dist/src/index.js', import.meta.url).href;

// Every channel is created inside a run and unreachable once it returns.
const SCRIPT = `
const { Channel, recv, select } = await import(${JSON.stringify(PACKAGE)});
const N = 20_000;
const scenarios = {
  async pingPong() {
    const ping = new Channel(0), pong = new Channel(0);
    const echo = (async () => {
      for (let i = 0; i < N; i++) {
        const r = ping.tryRecv() ?? (await ping.recv());
        pong.trySend(r.value) || (await pong.send(r.value));
      }
    })();
    for (let i = 0; i < N; i++) { await ping.send(i); await pong.recv(); }
    await echo;
  },
  async buffered() {
    const ch = new Channel(16);
    const p = (async () => { for (let i = 0; i < N; i++) await ch.send({ i }); ch.close(); })();
    for await (const v of ch) void v;
    await p;
  },
  async selects() {
    const a = new Channel(0), b = new Channel(0);
    const p = (async () => { for (let i = 0; i < N; i++) await (i & 1 ? a : b).send(i); })();
    for (let i = 0; i < N; i++) await select([recv(a), recv(b)]);
    await p;
  },
};
for (let round = 0; round < 10; round++) for (const run of Object.values(scenarios)) await run();
console.log('--- gc');
gc();
for (const run of Object.values(scenarios)) await run();
`;

/** The source of src/channel as built: a deopted function is threadline's if it is defined there. */
const CHANNEL_SOURCES = readdirSync(new URL('../dist/src/channel/', import.meta.url))
  .filter((f) => f.endsWith('.js'))
  .map((f) => readFileSync(new URL(`../dist/src/channel/${f}`, import.meta.url), 'utf8'))
  .join('\n');

function isThreadlines(name: string): boolean {
  if (['pingPong', 'buffered', 'selects'].includes(name)) return true; // the script's, inlining threadline's
  if (name === '') return false;
  const accessor = /^(get|set) (.+)$/.exec(name);
  const literal = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = accessor
    ? `^\\s+(static\\s+)?${accessor[1]}\\s+${literal(accessor[2] as string)}\\(`
    : `(function\\s+|class\\s+|^\\s+(static\\s+)?)${literal(name)}\\b`;
  return new RegExp(pattern, 'm').test(CHANNEL_SOURCES);
}

/**
 * threadline's functions (and the scenarios that inline them) deoptimized by
 * the gc() because an object their code embeds died. Node's own functions may
 * be among the deopts (module resolution's, run once): they are not counted.
 */
function weakObjectDeopts(): string[] {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--trace-deopt', '--input-type=module', '-e', SCRIPT],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    },
  );
  const at = out.indexOf('--- gc');
  expect(at).toBeGreaterThan(0);
  const names = new Set<string>();
  for (const line of out.slice(at).split('\n')) {
    if (!line.includes('reason: weak objects')) continue;
    const name = /<SharedFunctionInfo ?([^>]*)>/.exec(line)?.[1] ?? '';
    if (isThreadlines(name)) names.add(name);
  }
  return [...names].sort();
}

describe('Channel hidden classes', () => {
  it('keep their optimized code through a full GC that finds no channel in use', () => {
    expect(weakObjectDeopts()).toEqual([]);
  }, 60_000);
});
