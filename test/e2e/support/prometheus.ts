// A real Prometheus for the e2e suite: one per run, on 127.0.0.1, with a
// temporary --storage.tsdb.path and a generated config. Stopped by its pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { freePort, poll } from './ports.js';

/** One element of an instant vector from the HTTP API. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A running Prometheus. */
export interface PrometheusServer {
  readonly url: string;
  readonly pid: number;
  /** query runs an instant query; it throws with Prometheus' error text when the query is rejected. */
  query(expr: string): Promise<Sample[]>;
  /** stop sends SIGTERM to the pid, waits for the exit and removes the temporary directory. */
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port targets of one scrape job, `job="threadline-example"`. */
  targets: string[];
  /** Rule files to load (absolute paths). */
  ruleFiles?: string[];
}

/**
 * startPrometheus starts Debian's prometheus scraping `targets` every second
 * and resolves once its /-/ready answers.
 *
 * @example
 * const prom = await startPrometheus({ targets: ['127.0.0.1:9464'] });
 * await prom.stop();
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = requireBinary('prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'threadline-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [
      { job_name: 'threadline-example', static_configs: [{ targets: options.targets }] },
    ],
  };
  // YAML is a superset of JSON.
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    await stopProcess(child, exited);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await poll(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
        }
        const res = await fetch(`${url}/-/ready`);
        return res.ok ? true : undefined;
      },
      { timeoutMs: 20_000, what: 'prometheus /-/ready' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    pid: child.pid ?? -1,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: Sample[] };
      };
      if (body.status !== 'success' || body.data === undefined) {
        throw new Error(`prometheus rejected ${expr}: ${body.error ?? res.status}`);
      }
      if (body.data.resultType !== 'vector') {
        throw new Error(`prometheus answered ${body.data.resultType} to ${expr}, want vector`);
      }
      return body.data.result;
    },
    stop,
  };
}

/**
 * stopProcess sends SIGTERM to the child's pid and waits for its exit, then
 * SIGKILL after 10 s.
 */
export async function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  process.kill(child.pid, 'SIGTERM');
  const killer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(killer);
}
