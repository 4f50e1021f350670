// Locating the system binaries the e2e suites drive. A missing binary fails the
// suite with the command that installs it: never a silent skip.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const INSTALL_HINT =
  'install it with: apt-get update && apt-get install -y --no-install-recommends prometheus ' +
  "(Debian's prometheus package ships both prometheus and promtool; .ci/run does this)";

/**
 * requireBinary returns the absolute path of `name` on PATH, or throws with an
 * install hint.
 *
 * @example
 * const promtool = requireBinary('promtool');
 */
export function requireBinary(name: 'prometheus' | 'promtool'): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`threadline e2e: ${name} not found on PATH; ${INSTALL_HINT}`);
}
