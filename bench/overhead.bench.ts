// The pool-overhead suite behind `threadline bench`, runnable from bench/ like
// the other suites. It runs the CLI's own implementation (src/cli/bench, built
// to dist/src/cli/bench) so the command and this file cannot drift apart:
// go() vs raw piscina.run vs raw postMessage (latency, throughput), Channel vs
// the one-promise-per-operation floor, tracing on vs off — each a ratio of
// medians from alternating rounds in the same run.
//
//   npm run build && npx tsx bench/overhead.bench.ts [--quick] [--json]
//   (the same as: node dist/src/cli/main.js bench [--quick] [--json])

import { benchCommand } from '../dist/src/cli/bench/command.js';

process.exitCode = await benchCommand({
  quick: process.argv.includes('--quick'),
  json: process.argv.includes('--json'),
});
