// metrics-server: serves threadline's metrics to Prometheus after running a mix
// of succeeding and failing tasks, then keeps serving until SIGTERM or SIGINT.
//
//   npm run build && node dist/examples/metrics-server.js --port 9464
//   curl -s http://127.0.0.1:9464/metrics | grep threadline_
//
// Tasks: in-thread go() fed by a named channel (parse/json), in-thread calls
// with a timeout (user-api/v3), and worker tasks on a named pool (hash/sha256).
// It prints one JSON line once they settled and the pool's idle threads exited:
//   {"metrics":"http://127.0.0.1:9464/metrics","ran":{"parse/json":{"ok":27,"Validation":3},...}}
// where `ran` counts the results go() returned, by source and error kind
// ("ok" for success). The e2e suite (test/e2e/prometheus.test.ts) checks that
// Prometheus sees exactly these counts.
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Channel, createPool, go, KindError, type ObservableResult } from 'threadline';
import { sha256 } from './metrics-tasks.js';

function portFromArgs(): number {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  const raw =
    i === -1
      ? process.env.THREADLINE_METRICS_PORT
      : argv[i]?.includes('=')
        ? argv[i]?.slice('--port='.length)
        : argv[i + 1];
  const port = Number(raw ?? 9464);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`metrics-server: --port must be an integer in 1..65535, got ${raw}`);
  }
  return port;
}

const port = portFromArgs();
// 127.0.0.1 only: the exporter's default is every interface.
const exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
await exporter.startServer();
const provider = new MeterProvider({ readers: [exporter] });
metrics.setGlobalMeterProvider(provider);
const pool = createPool({ name: 'hashing', minThreads: 0, maxThreads: 2, idleTimeout: 100 });

// The exporter's server is unref'd: hold the process open until told to stop.
const keepAlive = setInterval(() => {}, 1 << 30);
const stop = async () => {
  clearInterval(keepAlive);
  await pool.close();
  await provider.shutdown();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const results: ObservableResult<unknown>[] = [];

// parse/json: documents flow through a named channel (its length and waiters
// are gauges); every tenth document is malformed.
const jobs = new Channel<string>(8, { name: 'jobs' });
const producer = go(
  async () => {
    for (let i = 0; i < 30; i++) await jobs.send(i % 10 === 9 ? '{"id": ' : `{"id": ${i}}`);
    jobs.close();
  },
  { source: 'jobs/produce' },
);
const parsing: Array<Promise<ObservableResult<unknown>>> = [];
let n = 0;
for await (const text of jobs) {
  const i = n++;
  parsing.push(
    go(
      () => {
        try {
          return JSON.parse(text) as { id: number };
        } catch (err) {
          throw new KindError('Validation', `malformed document ${i}`, { cause: err });
        }
      },
      { source: 'parse/json' },
    ),
  );
}
results.push(await producer, ...(await Promise.all(parsing)));

// user-api/v3: a flaky remote call; some time out, some fail to connect.
const calls: Array<Promise<ObservableResult<unknown>>> = [];
for (let i = 0; i < 20; i++) {
  calls.push(
    go(
      async ({ signal }) => {
        if (i % 7 === 3) throw new KindError('Network', `connect ECONNREFUSED (user ${i})`);
        await sleep(i % 4 === 1 ? 1000 : 5, signal);
        return { id: i };
      },
      { source: 'user-api/v3', timeoutMs: 50 },
    ),
  );
}
results.push(...(await Promise.all(calls)));

// hash/sha256: CPU work on a named worker pool (queue, running, threads and
// busy-time gauges); an empty input fails. Its idle threads exit afterwards
// (worker exits by reason).
const hashes: Array<Promise<ObservableResult<unknown>>> = [];
for (let i = 0; i < 18; i++) {
  hashes.push(go(sha256, [i % 9 === 8 ? '' : `document ${i}`], { source: 'hash/sha256', pool }));
}
results.push(...(await Promise.all(hashes)));
const deadline = Date.now() + 10_000;
while (pool.threads() > 0 && Date.now() < deadline) await sleep(50);

const ran: Record<string, Record<string, number>> = {};
for (const r of results) {
  const bySource = (ran[r.source] ??= {});
  const key = r.errorKind ?? 'ok';
  bySource[key] = (bySource[key] ?? 0) + 1;
}
console.log(JSON.stringify({ metrics: `http://127.0.0.1:${port}/metrics`, ran }));
