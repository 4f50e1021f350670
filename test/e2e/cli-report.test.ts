// The demo's --html report in a real browser: headless Chromium (Debian's
// `chromium`) driven over the DevTools protocol through --remote-debugging-pipe
// (fd 3 in, fd 4 out, NUL-delimited JSON: no WebSocket, no extra package).
// Checks that the report renders its sections with the run's numbers, loads
// nothing from outside, logs no error, and saves a screenshot.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');

function requireChromium(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  throw new Error(
    'threadline e2e: chromium not found on PATH; install it with: apt-get update && ' +
      'apt-get install -y --no-install-recommends chromium (.ci/run does this)',
  );
}

/** A DevTools protocol client over Chromium's debugging pipe. */
class Cdp {
  readonly #in: Writable;
  #id = 0;
  #buffer = '';
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly #listeners = new Set<(method: string, params: Record<string, unknown>) => void>();

  constructor(child: ChildProcess) {
    this.#in = child.stdio[3] as Writable;
    (child.stdio[4] as Readable).on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('utf8');
      let end = this.#buffer.indexOf('\0');
      while (end !== -1) {
        const msg = JSON.parse(this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end + 1);
        if (msg.id !== undefined) {
          const p = this.#pending.get(msg.id);
          this.#pending.delete(msg.id);
          if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
          else p?.resolve(msg.result);
        } else {
          for (const l of this.#listeners) l(msg.method, msg.params ?? {});
        }
        end = this.#buffer.indexOf('\0');
      }
    });
  }

  send<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<T> {
    const id = ++this.#id;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#in.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  on(listener: (method: string, params: Record<string, unknown>) => void): void {
    this.#listeners.add(listener);
  }

  waitFor(method: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      const l = (m: string, p: Record<string, unknown>) => {
        if (m === method) {
          this.#listeners.delete(l);
          resolve(p);
        }
      };
      this.#listeners.add(l);
    });
  }
}

interface Report {
  finished: number;
  byKind: Record<string, number>;
  rows: { source: string; outcome: string; count: number }[];
  trace: { waterfall: { rows: { errorKind?: string }[] } };
}

let dir: string;
let chromium: ChildProcess | undefined;
let cdp: Cdp;
let session: string;
let report: Report;
const problems: string[] = [];
const requests: string[] = [];

async function evaluate<T>(expression: string): Promise<T> {
  const r = await cdp.send<{ result: { value: T }; exceptionDetails?: unknown }>(
    'Runtime.evaluate',
    { expression, returnByValue: true },
    session,
  );
  if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
  return r.result.value;
}

beforeAll(async () => {
  const binary = requireChromium();
  dir = mkdtempSync(join(tmpdir(), 'threadline-report-e2e-'));
  const html = join(dir, 'report.html');
  const out = execFileSync(
    process.execPath,
    [
      MAIN,
      'demo',
      '--tasks',
      '48',
      '--seed',
      '11',
      '--fail-rate',
      '0.3',
      '--threads',
      '2',
      '--batch',
      '12',
      '--timeout-ms',
      '1500',
      '--json',
      '--no-progress',
      '--html',
      html,
      '--trace-file',
      join(dir, 'trace.jsonl'),
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    },
  );
  report = JSON.parse(out);
  chromium = spawn(
    binary,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
  );
  cdp = new Cdp(chromium);
  const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', {
    url: 'about:blank',
  });
  ({ sessionId: session } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
    targetId,
    flatten: true,
  }));
  cdp.on((method, params) => {
    if (method === 'Runtime.exceptionThrown') problems.push(JSON.stringify(params));
    if (method === 'Runtime.consoleAPICalled' && params.type === 'error') {
      problems.push(JSON.stringify(params.args));
    }
    if (method === 'Log.entryAdded') {
      const entry = params.entry as { level: string; text: string };
      if (entry.level === 'error') problems.push(entry.text);
    }
    if (method === 'Network.requestWillBeSent') {
      requests.push((params.request as { url: string }).url);
    }
  });
  await Promise.all(
    ['Page.enable', 'Runtime.enable', 'Log.enable', 'Network.enable'].map((m) =>
      cdp.send(m, {}, session),
    ),
  );
  await cdp.send(
    'Emulation.setDeviceMetricsOverride',
    { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false },
    session,
  );
  const loaded = cdp.waitFor('Page.loadEventFired');
  await cdp.send('Page.navigate', { url: pathToFileURL(html).href }, session);
  await loaded;
}, 120_000);

afterAll(async () => {
  if (chromium !== undefined && chromium.exitCode === null) {
    const exited = new Promise((r) => chromium!.once('exit', r));
    // Browser.close lets Chromium shut its helper processes down; SIGTERM is the fallback.
    await Promise.race([cdp.send('Browser.close'), new Promise((r) => setTimeout(r, 5000))]).catch(
      () => {},
    );
    const fallback = setTimeout(() => chromium!.kill('SIGTERM'), 5000);
    await exited;
    clearTimeout(fallback);
  }
  // Helper processes may still be writing the profile for a moment after the browser exits.
  if (dir !== undefined)
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('threadline demo --html', () => {
  it('renders the report with its title and run facts', async () => {
    expect(await evaluate<string>('document.title')).toBe('threadline demo report');
    const settled = await evaluate<string>(
      `document.querySelector('[data-metric="finished"] b').textContent`,
    );
    expect(Number(settled)).toBe(report.finished);
  });

  it('draws a heatmap cell per source × kind with the run failure counts', async () => {
    const cells = await evaluate<
      { source: string; kind: string; count: number; w: number; h: number }[]
    >(
      `[...document.querySelectorAll('#heatmap td.cell')].map((td) => {
         const r = td.getBoundingClientRect();
         return { source: td.dataset.source, kind: td.dataset.kind, count: Number(td.dataset.count), w: r.width, h: r.height };
       })`,
    );
    const sources = new Set(report.rows.map((r) => r.source));
    const kinds = new Set(cells.map((c) => c.kind));
    expect(cells).toHaveLength(sources.size * kinds.size);
    for (const c of cells) {
      expect(c.w).toBeGreaterThan(0);
      expect(c.h).toBeGreaterThan(0);
      const row = report.rows.find((r) => r.source === c.source && r.outcome === c.kind);
      expect(c.count, `${c.source} × ${c.kind}`).toBe(row?.count ?? 0);
    }
    for (const [kind, n] of Object.entries(report.byKind)) {
      expect(cells.filter((c) => c.kind === kind).reduce((s, c) => s + c.count, 0)).toBe(n);
    }
  });

  it('draws a duration histogram whose bars add up to the settled tasks', async () => {
    const bars = await evaluate<{ count: number; failed: boolean; fill: string }[]>(
      `[...document.querySelectorAll('#histogram rect.bar')].map((r) => ({
         count: Number(r.dataset.count), failed: r.classList.contains('failed'), fill: getComputedStyle(r).fill }))`,
    );
    expect(bars.length).toBeGreaterThan(0);
    expect(bars.reduce((s, b) => s + b.count, 0)).toBe(report.finished);
    expect(bars.filter((b) => b.failed).reduce((s, b) => s + b.count, 0)).toBe(
      Object.values(report.byKind).reduce((a, b) => a + b, 0),
    );
    expect(new Set(bars.filter((b) => b.failed).map((b) => b.fill))).toEqual(
      new Set(['rgb(220, 38, 38)']),
    );
    const box = await evaluate<{ w: number; h: number }>(
      `(() => { const r = document.querySelector('#histogram svg').getBoundingClientRect(); return { w: r.width, h: r.height }; })()`,
    );
    expect(box.w).toBeGreaterThan(300);
    expect(box.h).toBeGreaterThan(100);
  });

  it('draws the batch waterfall: one bar per span, inside the chart, failures in red', async () => {
    const spans = await evaluate<{ x: number; right: number; w: number; failed: boolean }[]>(
      `(() => { const svg = document.querySelector('#waterfall svg').getBoundingClientRect();
         return [...document.querySelectorAll('#waterfall g.span')].map((g) => {
           const r = g.querySelector('rect.run').getBoundingClientRect();
           return { x: r.left - svg.left, right: svg.right - r.right, w: r.width, failed: g.classList.contains('failed') };
         }); })()`,
    );
    expect(spans).toHaveLength(report.trace.waterfall.rows.length);
    for (const s of spans) {
      expect(s.w).toBeGreaterThan(0);
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.right).toBeGreaterThanOrEqual(-0.5);
    }
    expect(spans.filter((s) => s.failed)).toHaveLength(
      report.trace.waterfall.rows.filter((r) => r.errorKind !== undefined).length,
    );
  });

  it('loads nothing but the file itself and logs no error', () => {
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('produces a screenshot', async () => {
    const { data } = await cdp.send<{ data: string }>(
      'Page.captureScreenshot',
      { format: 'png', captureBeyondViewport: true },
      session,
    );
    const png = Buffer.from(data, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const path = process.env.THREADLINE_SCREENSHOT ?? join(tmpdir(), 'threadline-report.png');
    writeFileSync(path, png);
    expect(readFileSync(path).length).toBe(png.length);
  });
});
