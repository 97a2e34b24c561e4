/**
 * npm packages the tools fetch for themselves, into a cache folder outside the project (`npm ci` would delete one
 * inside `node_modules`, and they are no dependency of the gateway's): the Node lines the suite also runs on, and
 * the executor the benchmark compares with. Each is pinned and installed without install scripts.
 */
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_CACHE_HOME` or `~/.cache`, then the project's own folder, then `parts`. */
export function cacheFolder(parts: string[], env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache');
  return join(base, 'gitlab-system-hooks-gateway', ...parts);
}

/**
 * `npm install <spec>` into `prefix`, without install scripts and without saving anything to the project; npm's
 * own output goes to this process's. Resolves with npm's exit status.
 */
export function npmInstallInto(prefix: string, spec: string, extraArgs: string[] = []): number | null {
  const result = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...extraArgs,
      spec,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return result.status;
}
