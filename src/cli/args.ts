// Command-line parsing for `threadline` (node:util parseArgs, strict): the
// subcommand, its flags, their validation, and the usage texts.
//
// Invariants:
//   parseCommand either returns a fully validated command or throws UsageError;
//     it never exits and never prints (main.ts does, exit code 2).
//   Every flag's value is range-checked here; the demo and bench trust them.

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

/**
 * UsageError is a command-line mistake: main prints the message and the usage,
 * and exits 2.
 *
 * @example
 * throw new UsageError("threadline: unknown command 'frob'", MAIN_USAGE);
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The usage text to print with the message. */
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

/** Validated options of `threadline demo`. */
export interface DemoOptions {
  tasks: number;
  threads: number;
  failRate: number;
  seed: number;
  batchSize: number;
  timeoutMs: number;
  json: boolean;
  html: string | undefined;
  traceFile: string | undefined;
  metricsPort: number | undefined;
  progress: boolean;
}

/** Validated options of `threadline bench`. */
export interface BenchOptions {
  quick: boolean;
  json: boolean;
}

/** What the command line asked for. */
export type Command =
  | { readonly name: 'demo'; readonly options: DemoOptions }
  | { readonly name: 'bench'; readonly options: BenchOptions }
  | { readonly name: 'help'; readonly text: string }
  | { readonly name: 'version' };

/** Usage of `threadline` (printed by --help and with usage errors). */
export const MAIN_USAGE = `Usage: threadline <command> [options]

Commands:
  demo     run a CPU-bound pipeline on the worker pool, with injected failures,
           and show what threadline observed (summary, waterfall, traces, metrics)
  bench    measure the pool's and channels' overhead on this machine

Options:
  -h, --help       show help (also: threadline <command> --help)
  -v, --version    print the version

Run 'threadline demo' first.`;

/** Usage of `threadline demo`. */
export const DEMO_USAGE = `Usage: threadline demo [options]

Generates blocks, hashes and compresses them with go() on the worker pool
(a Group with a limit), fans the results in over a channel with select and an
after() tick, and injects failures: validation, timeout and a crashing worker.

Options:
  --tasks <n>          blocks to process (one worker task each)    [default: 200]
  --threads <n>        worker threads                              [default: ${availableParallelism()}]
  --fail-rate <r>      share of blocks with an injected fault, 0..1 [default: 0.1]
  --seed <n>           seed of the blocks and faults (printed)     [default: random]
  --batch <n>          blocks per batch (one trace each)           [default: 16]
  --timeout-ms <ms>    per-task timeout                            [default: 500]
  --json               print the summary as JSON on stdout (progress on stderr)
  --html <file>        write a self-contained HTML report
  --trace-file <file>  JSON-lines trace file           [default: a file in the temp dir]
                       (with OTEL_EXPORTER_OTLP_ENDPOINT set, traces go there by OTLP/HTTP)
  --metrics-port <n>   serve Prometheus /metrics on 127.0.0.1:<n> while running
  --no-progress        no progress display
  -h, --help           show this help

Exit codes: 0 done (injected failures are expected), 1 error, 2 bad usage,
130 interrupted (Ctrl-C: the pool shuts down, a partial summary is printed).`;

/** Usage of `threadline bench`. */
export const BENCH_USAGE = `Usage: threadline bench [options]

Measures, in one run with alternating rounds (medians, spread):
  go() on a worker vs raw piscina vs raw postMessage (latency and throughput),
  Channel send/recv vs the one-promise-per-operation floor,
  go() with tracing on vs off.

Options:
  --quick      short rounds (under 20 s; the CI smoke test)
  --json       print the results as JSON
  -h, --help   show this help`;

function intFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  usage: string,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `threadline: --${name} must be an integer in ${min}..${max}, got '${raw}'`,
      usage,
    );
  }
  return n;
}

function parse(
  args: string[],
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'],
  usage: string,
): { values: Record<string, string | boolean | undefined> } {
  try {
    const { values } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    });
    return { values: values as Record<string, string | boolean | undefined> };
  } catch (err) {
    // parseArgs' messages are good ("Unknown option '--x'"); keep them, prefixed.
    const message = (err as Error).message.split('. To specify')[0];
    throw new UsageError(`threadline: ${message}`, usage);
  }
}

/**
 * parseCommand turns `process.argv.slice(2)` into a Command.
 *
 * @throws UsageError for an unknown command or flag, a missing or bad value.
 * @example
 * parseCommand(['demo', '--tasks', '50', '--seed', '7']);
 */
export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic === 'demo') return { name: 'help', text: DEMO_USAGE };
    if (topic === 'bench') return { name: 'help', text: BENCH_USAGE };
    return { name: 'help', text: MAIN_USAGE };
  }
  if (first === '-v' || first === '--version') return { name: 'version' };
  if (first === 'demo') return parseDemo(rest);
  if (first === 'bench') return parseBench(rest);
  throw new UsageError(`threadline: unknown command '${first}'`, MAIN_USAGE);
}

function parseDemo(args: string[]): Command {
  const { values } = parse(
    args,
    {
      tasks: { type: 'string' },
      threads: { type: 'string' },
      'fail-rate': { type: 'string' },
      seed: { type: 'string' },
      batch: { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
      html: { type: 'string' },
      'trace-file': { type: 'string' },
      'metrics-port': { type: 'string' },
      progress: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    DEMO_USAGE,
  );
  if (values.help === true) return { name: 'help', text: DEMO_USAGE };
  const str = (k: string) => values[k] as string | undefined;
  const rawRate = str('fail-rate');
  let failRate = 0.1;
  if (rawRate !== undefined) {
    failRate = Number(rawRate);
    if (rawRate.trim() === '' || !Number.isFinite(failRate) || failRate < 0 || failRate > 1) {
      throw new UsageError(
        `threadline: --fail-rate must be a number in 0..1, got '${rawRate}'`,
        DEMO_USAGE,
      );
    }
  }
  for (const k of ['html', 'trace-file']) {
    if (str(k) === '') {
      throw new UsageError(`threadline: --${k} must be a file path, got ''`, DEMO_USAGE);
    }
  }
  const options: DemoOptions = {
    tasks: intFlag('tasks', str('tasks'), 200, 1, 1_000_000, DEMO_USAGE),
    threads: intFlag('threads', str('threads'), availableParallelism(), 1, 256, DEMO_USAGE),
    failRate,
    seed: intFlag(
      'seed',
      str('seed'),
      Math.floor(Math.random() * 1_000_000),
      0,
      2 ** 31 - 1,
      DEMO_USAGE,
    ),
    batchSize: intFlag('batch', str('batch'), 16, 1, 10_000, DEMO_USAGE),
    timeoutMs: intFlag('timeout-ms', str('timeout-ms'), 500, 1, 3_600_000, DEMO_USAGE),
    json: values.json === true,
    html: str('html'),
    traceFile: str('trace-file'),
    metricsPort:
      str('metrics-port') === undefined
        ? undefined
        : intFlag('metrics-port', str('metrics-port'), 0, 1, 65_535, DEMO_USAGE),
    progress: values.progress !== false,
  };
  return { name: 'demo', options };
}

function parseBench(args: string[]): Command {
  const { values } = parse(
    args,
    {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    BENCH_USAGE,
  );
  if (values.help === true) return { name: 'help', text: BENCH_USAGE };
  return { name: 'bench', options: { quick: values.quick === true, json: values.json === true } };
}
