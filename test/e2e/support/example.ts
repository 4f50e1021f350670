// Runs examples/metrics-server (built to dist/) as a child process and reads
// the JSON line that reports what it ran.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopProcess } from './prometheus.js';

const SCRIPT = fileURLToPath(new URL('../../../dist/examples/metrics-server.js', import.meta.url));

/** Counts of settled tasks by source, then by error kind ('ok' for success). */
export type Ran = Record<string, Record<string, number>>;

/** The running example. */
export interface MetricsServer {
  readonly pid: number;
  readonly ran: Ran;
  readonly metricsUrl: string;
  /** stop sends SIGTERM to the pid and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * startMetricsServer starts the example on 127.0.0.1:`port` and resolves with
 * its report once its tasks settled (it keeps serving afterwards).
 *
 * @example
 * const app = await startMetricsServer(await freePort());
 */
export function startMetricsServer(port: number): Promise<MetricsServer> {
  if (!existsSync(SCRIPT)) {
    return Promise.reject(new Error(`threadline e2e: ${SCRIPT} missing: run npm run build first`));
  }
  const child = spawn(process.execPath, [SCRIPT, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = () => stopProcess(child, exited);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`threadline e2e: metrics-server printed no report in 20s: ${stderr}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`threadline e2e: metrics-server exited with ${code}: ${stderr}`));
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      try {
        const report = JSON.parse(stdout.slice(0, newline)) as { metrics: string; ran: Ran };
        resolve({ pid: child.pid ?? -1, ran: report.ran, metricsUrl: report.metrics, stop });
      } catch (err) {
        void stop();
        reject(err);
      }
    });
  });
}
