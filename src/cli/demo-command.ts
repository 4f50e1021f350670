// `threadline demo` as a process: SIGINT handling, output on stdout/stderr,
// the HTML report file. The pipeline itself is in ./demo.ts.
//
// Ctrl-C once: the pipeline stops dispatching, running tasks settle Canceled,
// the pool closes, telemetry flushes, and a partial summary is printed (exit
// 130). Ctrl-C twice: exit 130 at once.

import { writeFileSync } from 'node:fs';
import type { DemoOptions } from './args.js';
import { runDemo } from './demo.js';
import { demoHeader, renderDemoText } from './demo-text.js';
import { renderHtmlReport } from './html-report.js';

/**
 * demoCommand runs the demo for the command line and returns the exit code.
 *
 * @example
 * process.exitCode = await demoCommand(options, '0.1.0');
 */
export async function demoCommand(o: DemoOptions, version: string): Promise<number> {
  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) {
      process.stderr.write('\nthreadline: interrupted twice, exiting now\n');
      process.exit(130);
    }
    process.stderr.write(
      '\nthreadline: interrupted, shutting down the pool (Ctrl-C again to force)\n',
    );
    interrupt.abort(new DOMException('interrupted', 'AbortError'));
  };
  process.on('SIGINT', onSigint);
  try {
    (o.json ? process.stderr : process.stdout).write(demoHeader(o));
    const { report, results } = await runDemo(o, {
      progress: process.stderr,
      signal: interrupt.signal,
      env: process.env,
      version,
    });
    if (o.html !== undefined) writeFileSync(o.html, renderHtmlReport(report, results));
    if (o.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const tty = process.stdout.isTTY === true;
      process.stdout.write(
        renderDemoText(report, {
          width: tty ? Math.max(80, Math.min(process.stdout.columns || 100, 160)) : 120,
          color: tty && process.env.NO_COLOR === undefined,
        }),
      );
    }
    return report.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
