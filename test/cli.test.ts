// The `threadline` command as a subprocess (built: dist/src/cli/main.js):
// usage and exit codes, the demo's seeded counts, its JSON schema, the trace
// file's parent/child structure across threads, metrics, SIGINT, and the
// library's import graph.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trace as otelTrace, ROOT_CONTEXT } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alternate, median } from '../dist/src/cli/bench/harness.js';
import { escapeHtml } from '../dist/src/cli/html-report.js';
import { JsonLinesSpanExporter } from '../dist/src/cli/jsonl-exporter.js';
import { expectedKind, planBlocks } from '../dist/src/cli/plan.js';
import { Progress } from '../dist/src/cli/progress.js';
import { summarize } from '../dist/src/cli/summary.js';
import { layoutWaterfall } from '../dist/src/cli/waterfall.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const clean = { ...process.env };
  delete clean.OTEL_EXPORTER_OTLP_ENDPOINT;
  Object.assign(clean, env);
  return spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: clean });
}

function finish(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const cli = (args: readonly string[]) => finish(start(args));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'threadline-cli-test-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Progress', () => {
  const stream = (isTTY: boolean) => {
    const out = {
      text: '',
      isTTY,
      columns: 80,
      write(t: string) {
        out.text += t;
        return true;
      },
    };
    return out;
  };

  describe('tick()', () => {
    it('redraws one line in place with a bar on a TTY', () => {
      const out = stream(true);
      const p = new Progress(out, 10);
      p.update(5, 1);
      p.tick();
      p.finish();
      expect(out.text.startsWith('\r\x1b[2K[')).toBe(true);
      expect(out.text).toContain('5/10 tasks  50%');
      expect(out.text).toContain('1 failed');
      expect(out.text.endsWith('\n')).toBe(true);
      expect(out.text.split('\n')).toHaveLength(2);
    });

    it('writes plain lines without a bar elsewhere', () => {
      const out = stream(false);
      const p = new Progress(out, 4);
      p.update(4, 0);
      p.tick();
      p.finish();
      expect(out.text).toMatch(/^progress: 4\/4 tasks 100% {2}[\d.]+\/s {2}0 failed\n/);
      expect(out.text).not.toContain('\r');
    });
  });
});

describe('threadline', () => {
  describe('--help', () => {
    it('prints the command list and exits 0', async () => {
      const r = await cli(['--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: threadline <command> [options]');
      expect(r.stdout).toContain('demo');
      expect(r.stdout).toContain('bench');
    });

    it('prints the bench usage for bench --help', async () => {
      const r = await cli(['bench', '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: threadline bench [options]');
      expect(r.stdout).toContain('--quick');
    });

    it('prints the demo usage for demo --help', async () => {
      const r = await cli(['demo', '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: threadline demo [options]');
      expect(r.stdout).toContain('--fail-rate');
    });
  });

  describe('bad usage', () => {
    it('exits 2 with the message and the usage for an unknown flag', async () => {
      const r = await cli(['demo', '--frobnicate']);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe("threadline: Unknown option '--frobnicate'");
      expect(r.stderr).toContain('Usage: threadline demo [options]');
      expect(r.stdout).toBe('');
    });

    it('exits 2 naming the flag, the rule and the value for a bad value', async () => {
      const r = await cli(['demo', '--tasks', 'lots']);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(
        "threadline: --tasks must be an integer in 1..1000000, got 'lots'",
      );
    });

    it('exits 2 for a fail rate outside 0..1', async () => {
      const r = await cli(['demo', '--fail-rate', '1.5']);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(
        "threadline: --fail-rate must be a number in 0..1, got '1.5'",
      );
    });

    it('exits 2 for an unknown command', async () => {
      const r = await cli(['frob']);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe("threadline: unknown command 'frob'");
      expect(r.stderr).toContain('Usage: threadline <command> [options]');
    });
  });

  describe('demo', () => {
    const plan = { tasks: 32, failRate: 0.3, seed: 9, batchSize: 8 };
    const flags = [
      '--tasks',
      String(plan.tasks),
      '--fail-rate',
      String(plan.failRate),
      '--seed',
      String(plan.seed),
      '--batch',
      String(plan.batchSize),
      '--threads',
      '2',
      '--timeout-ms',
      '1000',
    ];
    let json: Run;
    let text: Run;
    let report: Record<string, unknown> & {
      rows: {
        source: string;
        outcome: string;
        count: number;
        p50Ms: number;
        p95Ms: number;
        p99Ms: number;
        firstError?: string;
      }[];
      trace: { file: string; spans: number; waterfall: { rows: unknown[] } | null };
    };
    let traceFile: string;
    let htmlFile: string;

    beforeAll(async () => {
      traceFile = join(dir, 'trace.jsonl');
      htmlFile = join(dir, 'report.html');
      [json, text] = await Promise.all([
        cli(['demo', ...flags, '--json', '--trace-file', traceFile, '--html', htmlFile]),
        cli(['demo', ...flags, '--trace-file', join(dir, 'trace-text.jsonl')]),
      ]);
      report = JSON.parse(json.stdout);
    }, 120_000);

    function expectedCounts(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const b of planBlocks(plan)) {
        const key = `${b.source} ${expectedKind(b.fault) ?? 'ok'}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    }

    it('exits 0 with injected failures', () => {
      expect(json.code, json.stderr).toBe(0);
      expect(text.code, text.stderr).toBe(0);
    });

    it('reports counts by source and kind that match the seeded plan', () => {
      const got = new Map(report.rows.map((r) => [`${r.source} ${r.outcome}`, r.count]));
      const want = expectedCounts();
      expect(want.size).toBeGreaterThan(3); // the seed gives failures of several kinds
      expect(got).toEqual(want);
    });

    it('prints the same counts in the text summary table', () => {
      for (const [key, count] of expectedCounts()) {
        const [source, outcome] = key.split(' ');
        const line = text.stdout
          .split('\n')
          .find((l) => new RegExp(`^${source}\\s+${outcome}\\s`).test(l));
        expect(line, key).toBeDefined();
        expect(line!.split(/\s+/)[2]).toBe(String(count));
      }
      expect(text.stdout).toMatch(new RegExp(`^total\\s+${plan.tasks}$`, 'm'));
      expect(text.stdout).toContain('Waterfall of one batch');
      expect(text.stdout).toMatch(/^Traces: \d+ spans written to .*trace-text\.jsonl$/m);
    });

    it('prints JSON with the documented schema', () => {
      expect(report).toMatchObject({
        command: 'demo',
        node: process.version,
        options: { tasks: 32, threads: 2, failRate: 0.3, seed: 9, batchSize: 8, timeoutMs: 1000 },
        interrupted: false,
        planned: 32,
        submitted: 32,
        finished: 32,
        delivered: 32,
        trace: { file: traceFile, otlpEndpoint: null },
        metricsUrl: null,
        html: htmlFile,
      });
      expect(typeof report.version).toBe('string');
      expect(typeof report.durationMs).toBe('number');
      expect((report.ok as number) + (report.failed as number)).toBe(32);
      for (const row of report.rows) {
        expect(Object.keys(row).sort()).toEqual(
          [
            'count',
            'outcome',
            'p50Ms',
            'p95Ms',
            'p99Ms',
            'source',
            ...(row.outcome === 'ok' ? [] : ['firstError']),
          ].sort(),
        );
        expect(row.p50Ms).toBeLessThanOrEqual(row.p95Ms);
        expect(row.p95Ms).toBeLessThanOrEqual(row.p99Ms);
      }
      const failed = report.rows.filter((r) => r.outcome !== 'ok').reduce((s, r) => s + r.count, 0);
      expect(report.failed).toBe(failed);
      expect(
        Object.values(report.byKind as Record<string, number>).reduce((a, b) => a + b, 0),
      ).toBe(failed);
      const pool = report.pool as {
        waitMs: { p50: number };
        runMs: { p50: number };
        runShare: number;
      };
      expect(pool.runShare).toBeGreaterThan(0);
      expect(pool.runShare).toBeLessThanOrEqual(1);
      expect(report.trace.waterfall?.rows.length).toBeGreaterThan(1);
    });

    it('writes a trace file whose worker spans are children of their batch span', () => {
      const spans = readFileSync(traceFile, 'utf8')
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              traceId: string;
              spanId: string;
              parentSpanId: string | null;
              name: string;
              attributes: Record<string, unknown>;
            },
        );
      expect(spans.length).toBe(report.trace.spans);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const batches = spans.filter((s) => s.name === 'pipeline/batch');
      expect(batches).toHaveLength(plan.tasks / plan.batchSize);
      for (const b of batches) {
        expect(b.parentSpanId).toBeNull();
        expect(b.attributes['thread.id']).toBe(0);
      }
      const tasks = spans.filter((s) => s.name.startsWith('ingest/'));
      expect(tasks).toHaveLength(plan.tasks);
      for (const t of tasks) {
        const parent = byId.get(t.parentSpanId!);
        expect(parent?.name).toBe('pipeline/batch');
        expect(parent?.traceId).toBe(t.traceId);
      }
      // Steps recorded inside the workers hang under their task span, on a worker thread.
      const steps = spans.filter((s) => s.name.startsWith('block.'));
      expect(steps.length).toBeGreaterThanOrEqual(report.ok as number);
      for (const s of steps) {
        const parent = byId.get(s.parentSpanId!);
        expect(parent?.name.startsWith('ingest/')).toBe(true);
        expect(parent?.traceId).toBe(s.traceId);
        expect(s.attributes['thread.id']).toBeGreaterThan(0);
        expect(parent?.attributes['thread.id']).toBe(s.attributes['thread.id']);
      }
    });

    it('writes a self-contained HTML report', () => {
      const html = readFileSync(htmlFile, 'utf8');
      expect(html.startsWith('<!doctype html>')).toBe(true);
      for (const id of ['heatmap', 'histogram', 'waterfall', 'summary']) {
        expect(html).toContain(`id="${id}"`);
      }
      expect(html).not.toMatch(/<script|<link|src="http/);
    });
  });

  describe('demo under SIGINT', () => {
    it('shuts the pool down and prints a partial summary, exit 130, serving metrics until then', async () => {
      const port = await freePort();
      const child = start([
        'demo',
        '--tasks',
        '100000',
        '--fail-rate',
        '0',
        '--threads',
        '2',
        '--seed',
        '1',
        '--metrics-port',
        String(port),
        '--trace-file',
        join(dir, 'sigint.jsonl'),
      ]);
      const done = finish(child);
      // Wait until tasks complete (a progress line), then scrape and interrupt.
      await new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          if (/progress: [1-9]/.test(String(d))) {
            child.stderr!.off('data', onData);
            resolve();
          }
        };
        child.stderr!.on('data', onData);
      });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/threadline_task_duration_count\{[^}]*app_source="ingest\//);
      child.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(130);
      expect(r.stderr).toContain('threadline: interrupted, shutting down the pool');
      expect(r.stdout).toMatch(/^Interrupted: partial summary\. (\d+) of 100000 tasks settled/m);
      const settled = Number(/(\d+) of 100000 tasks settled/.exec(r.stdout)![1]);
      expect(settled).toBeGreaterThan(0);
      expect(settled).toBeLessThan(100000);
      expect(r.stdout).toMatch(new RegExp(`^total\\s+${settled}$`, 'm'));
    }, 60_000);
  });

  describe('demo under two SIGINTs', () => {
    it('exits 130 at once on the second', async () => {
      const child = start([
        'demo',
        '--tasks',
        '100000',
        '--threads',
        '1',
        '--trace-file',
        join(dir, 'twice.jsonl'),
      ]);
      const done = finish(child);
      await new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()));
      child.kill('SIGINT');
      await new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          if (String(d).includes('interrupted, shutting down')) {
            child.stderr!.off('data', onData);
            resolve();
          }
        };
        child.stderr!.on('data', onData);
      });
      child.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(130);
      expect(r.stderr).toContain('threadline: interrupted twice, exiting now');
    }, 60_000);
  });

  describe('demo with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    it('exports the spans by OTLP/HTTP instead of writing a file', async () => {
      const bodies: { url: string; body: string }[] = [];
      const server = createHttpServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          bodies.push({ url: req.url ?? '', body });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      try {
        const r = await finish(
          start(
            [
              'demo',
              '--tasks',
              '6',
              '--batch',
              '3',
              '--fail-rate',
              '0',
              '--threads',
              '1',
              '--json',
            ],
            {
              OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
            },
          ),
        );
        expect(r.code, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout);
        expect(report.trace).toMatchObject({
          file: null,
          otlpEndpoint: `http://127.0.0.1:${port}`,
        });
        expect(bodies.length).toBeGreaterThan(0);
        expect(new Set(bodies.map((b) => b.url))).toEqual(new Set(['/v1/traces']));
        const names = bodies.flatMap((b) =>
          (
            JSON.parse(b.body) as {
              resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
            }
          ).resourceSpans.flatMap((rs) =>
            rs.scopeSpans.flatMap((ss) => ss.spans.map((sp) => sp.name)),
          ),
        );
        expect(names.filter((n) => n === 'pipeline/batch')).toHaveLength(2);
        expect(names.filter((n) => n.startsWith('ingest/'))).toHaveLength(6);
        expect(names.length).toBe(report.trace.spans);
      } finally {
        server.close();
      }
    }, 60_000);
  });

  describe('demo --metrics-port', () => {
    it('exits 1 naming the port when it is taken', async () => {
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const { port } = srv.address() as { port: number };
      try {
        const r = await cli(['demo', '--tasks', '1', '--metrics-port', String(port)]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
          `threadline: cannot serve metrics on 127.0.0.1:${port}: listen EADDRINUSE`,
        );
      } finally {
        srv.close();
      }
    });
  });

  describe('import graph', () => {
    it('keeps CLI-only packages out of every library file outside dist/src/cli', () => {
      const cliOnly =
        /(?:from\s+|import\s*\(\s*)['"](@opentelemetry\/(?:sdk-|exporter-|context-async-hooks|resources|core)[^'"]*|tinybench|[^'"]*\/cli\/[^'"]*)['"]/;
      const offenders: string[] = [];
      const walk = (d: string) => {
        for (const name of readdirSync(d)) {
          const p = join(d, name);
          if (statSync(p).isDirectory()) {
            if (p !== join(ROOT, 'dist/src/cli')) walk(p);
          } else if (p.endsWith('.js') && cliOnly.test(readFileSync(p, 'utf8'))) {
            offenders.push(relative(ROOT, p));
          }
        }
      };
      walk(join(ROOT, 'dist/src'));
      expect(offenders).toEqual([]);
    });
  });
});

describe('planBlocks()', () => {
  it('is a function of its options alone', () => {
    const o = { tasks: 50, failRate: 0.3, seed: 5, batchSize: 7 };
    expect(planBlocks(o)).toEqual(planBlocks(o));
    expect(planBlocks({ ...o, seed: 6 })).not.toEqual(planBlocks(o));
  });

  it('numbers and batches the blocks in order, with no fault at fail rate 0', () => {
    const blocks = planBlocks({ tasks: 20, failRate: 0, seed: 1, batchSize: 6 });
    expect(blocks.map((b) => b.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(blocks.map((b) => b.batch)).toEqual(
      Array.from({ length: 20 }, (_, i) => Math.floor(i / 6)),
    );
    expect(blocks.every((b) => b.fault === 'none')).toBe(true);
  });

  it('faults every block at fail rate 1, with several kinds', () => {
    const faults = new Set(
      planBlocks({ tasks: 60, failRate: 1, seed: 3, batchSize: 8 }).map((b) => b.fault),
    );
    expect(faults).toEqual(new Set(['validation', 'timeout', 'crash']));
  });
});

describe('summarize()', () => {
  const result = (source: string, kind: string | undefined, elapsedMs: number) =>
    ({
      ok: kind === undefined,
      errorKind: kind,
      error: kind === undefined ? undefined : new Error(`${kind} ${elapsedMs}`),
      source,
      elapsedMs,
      waitMs: 1,
    }) as never;

  it('groups by source and outcome, counts add up, percentiles are ordered', () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            source: fc.constantFrom('a', 'b', 'c'),
            kind: fc.constantFrom(undefined, 'Timeout', 'Panic'),
            ms: fc.double({ min: 0, max: 1000, noNaN: true }),
          }),
          { maxLength: 60 },
        ),
        (items) => {
          const rows = summarize(items.map((i) => result(i.source, i.kind, i.ms)));
          expect(rows.reduce((s, r) => s + r.count, 0)).toBe(items.length);
          for (const r of rows) {
            expect(r.p50Ms).toBeLessThanOrEqual(r.p95Ms);
            expect(r.p95Ms).toBeLessThanOrEqual(r.p99Ms);
            const first = items.find(
              (i) => i.source === r.source && (i.kind ?? 'ok') === r.outcome,
            );
            expect(r.firstError).toBe(
              first?.kind === undefined ? undefined : `${first.kind} ${first.ms}`,
            );
          }
        },
      ),
    ));
});

describe('layoutWaterfall()', () => {
  const span = (spanId: string, parentSpanId: string | null, startMs: number, endMs: number) => ({
    traceId: 't',
    spanId,
    parentSpanId,
    name: spanId,
    kind: 0,
    startMs,
    endMs,
    durationMs: endMs - startMs,
    status: { code: 'UNSET' as const },
    attributes: {},
    events: [],
    scope: 's',
    service: undefined,
  });

  it('puts children after their parent, by start time, with offsets inside the trace', () => {
    const w = layoutWaterfall(
      [
        span('c2', 'root', 30, 40),
        span('root', null, 10, 50),
        span('g', 'c1', 21, 22),
        span('c1', 'root', 20, 25),
      ],
      new Map([['c2', 100]]),
    );
    expect(w.rows.map((r) => [r.spanId, r.depth])).toEqual([
      ['root', 0],
      ['c1', 1],
      ['g', 2],
      ['c2', 1],
    ]);
    expect(w.totalMs).toBe(40);
    expect(w.rows.map((r) => r.offsetMs)).toEqual([0, 10, 11, 20]);
    expect(w.rows.find((r) => r.spanId === 'c2')?.waitMs).toBe(20); // clipped at the trace's start
  });
});

describe('escapeHtml()', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});

describe('JsonLinesSpanExporter', () => {
  it('writes one JSON line per span with its parent id', async () => {
    const file = join(dir, 'unit.jsonl');
    const exporter = new JsonLinesSpanExporter(file);
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('unit');
    const parent = tracer.startSpan('parent');
    const child = tracer.startSpan('child', {}, otelTrace.setSpan(ROOT_CONTEXT, parent));
    child.setAttribute('k', 1);
    child.end();
    parent.end();
    await provider.shutdown();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.name)).toEqual(['child', 'parent']);
    expect(lines[0].parentSpanId).toBe(lines[1].spanId);
    expect(lines[1].parentSpanId).toBeNull();
    expect(lines[0].attributes).toEqual({ k: 1 });
    expect(lines[0].durationMs).toBeCloseTo(lines[0].endMs - lines[0].startMs, 3);
    expect(exporter.written).toBe(2);
  });
});

describe('alternate()', () => {
  it('measures every variant once per round, rotating the order, after one warm-up each', async () => {
    const calls: string[] = [];
    const variant = (name: string) => ({
      name,
      run: async (ops: number) => {
        calls.push(`${name}${ops}`);
      },
    });
    const r = await alternate('s', 'op', 8, 3, [variant('a'), variant('b'), variant('c')], 2);
    expect(calls).toEqual(['a2', 'b2', 'c2', 'a8', 'b8', 'c8', 'b8', 'c8', 'a8', 'c8', 'a8', 'b8']);
    expect(r.variants.map((v) => [v.name, v.samples.length])).toEqual([
      ['a', 3],
      ['b', 3],
      ['c', 3],
    ]);
    for (const v of r.variants) {
      expect(v.minNs).toBeLessThanOrEqual(v.medianNs);
      expect(v.medianNs).toBeLessThanOrEqual(v.maxNs);
    }
  });
});

describe('median()', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
