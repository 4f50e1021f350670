#!/usr/bin/env node
// The `threadline` command (package.json `bin`): parses the command line and
// runs `demo` or `bench`. The only module of the package with top-level side
// effects besides the worker entry; the library never imports src/cli.
//
// Exit codes: 0 done, 1 error, 2 bad usage, 130 interrupted (SIGINT).

import { readFileSync } from 'node:fs';
import { parseCommand, UsageError } from './args.js';

function version(): string {
  const pkg = new URL('../../../package.json', import.meta.url);
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function main(argv: string[]): Promise<number> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${err.usage}\n`);
      return 2;
    }
    throw err;
  }
  switch (command.name) {
    case 'help':
      process.stdout.write(`${command.text}\n`);
      return 0;
    case 'version':
      process.stdout.write(`${version()}\n`);
      return 0;
    case 'demo': {
      const { demoCommand } = await import('./demo-command.js');
      return demoCommand(command.options, version());
    }
    case 'bench': {
      const { benchCommand } = await import('./bench/command.js');
      return benchCommand(command.options);
    }
  }
}

// `threadline demo | head` closes stdout early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(message);
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && missing !== null) {
      // The command's OpenTelemetry SDK packages are not installed (library-only install).
      process.stderr.write(
        `threadline: this command needs ${missing[1]}, which is not installed; ` +
          `install the SDK packages it uses (see the README's "What installing brings")\n`,
      );
    } else {
      process.stderr.write(`threadline: ${message}\n`);
    }
    process.exitCode = 1;
  },
);
