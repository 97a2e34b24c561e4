/**
 * The Node lines the suite is run on besides the machine's, each at a pinned version, from the npm registry's
 * `node-<platform>-<arch>` package: a plain `node` binary, installed without install scripts into a cache folder
 * outside the project (`npm ci` would delete one inside `node_modules`), and reused while it answers its version.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheFolder, npmInstallInto } from '../helpers/cache-install.ts';

/**
 * The maintenance LTS and the active LTS lines, pinned so that a run is repeatable; the machine's own Node (20.19
 * or later here) is the third line. A new patch release is adopted by changing the version here.
 */
export const NODE_LINES = ['24.22.3', '26.12.1'] as const;

export interface NodeLine {
  version: string;
  /** The folder holding its `node`, to put first on `PATH`. */
  binFolder: string;
}

function versionOf(node: string): string | undefined {
  const result = spawnSync(node, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Installs Node `version` into the cache unless it is already there; undefined (having said why) on failure. */
export function installNodeLine(version: string): NodeLine | undefined {
  const name = `node-${process.platform}-${process.arch}`;
  const prefix = cacheFolder(['node', version]);
  const binFolder = join(prefix, 'node_modules', name, 'bin');
  if (versionOf(join(binFolder, 'node')) === `v${version}`) return { version, binFolder };
  process.stdout.write(
    `Installing Node ${version} (${name}@${version} from the npm registry) into ${prefix}\n`,
  );
  const status = npmInstallInto(prefix, `${name}@${version}`);
  const installed = versionOf(join(binFolder, 'node'));
  if (status === 0 && installed === `v${version}`) return { version, binFolder };
  process.stderr.write(
    `Node ${version} could not be installed (npm exited ${status}, its node answers ${installed ?? 'nothing'}); ` +
      `try: npm install --prefix ${prefix} --no-save --ignore-scripts ${name}@${version}\n`,
  );
  return undefined;
}
