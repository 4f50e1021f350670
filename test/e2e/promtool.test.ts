// promtool (from Debian's prometheus package) checks deploy/prometheus/alerts.yml
// and runs its unit tests, deploy/prometheus/alerts.test.yml.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireBinary } from './support/binaries.js';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));

async function promtool(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(requireBinary('promtool'), args, { cwd: dir });
  return stdout + stderr;
}

describe('deploy/prometheus/alerts.yml', () => {
  it('passes promtool check rules', async () => {
    expect(await promtool('check', 'rules', 'alerts.yml')).toContain('SUCCESS: 9 rules found');
  });

  it('passes its promtool unit tests in alerts.test.yml', async () => {
    const out = await promtool('test', 'rules', 'alerts.test.yml');
    expect(out).toContain('SUCCESS');
    expect(out).not.toContain('FAILED');
  });
});
