/**
 * The programs the tests start themselves, on free loopback ports: found, installed (as root, with apt-get), or
 * named with the command that installs them, before anything else of `npm test` runs.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A program the tests start, the Debian package that has it, and which tests need it. */
export interface TestServer {
  /** The variable that may name the binary instead; otherwise `binary` on `PATH` (or that path). */
  variable: string;
  binary: string;
  debianPackage: string;
  neededBy: string;
}

export const TEST_SERVERS: readonly TestServer[] = [
  {
    variable: 'REDIS_SERVER',
    binary: 'redis-server',
    debianPackage: 'redis-server',
    neededBy: 'the shared event store (test/events, test/subscriptions)',
  },
  {
    variable: 'PROMETHEUS',
    binary: 'prometheus',
    debianPackage: 'prometheus',
    neededBy: 'scraping the metrics (test/observability)',
  },
  {
    variable: 'CHROMIUM',
    binary: '/usr/bin/chromium',
    debianPackage: 'chromium',
    neededBy: 'GraphiQL in a browser (test/browser)',
  },
];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `command` is: itself when it is a path, else the first match on `PATH`. */
export function findExecutable(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (command.includes('/')) return isExecutable(command) ? command : undefined;
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The binary `server` names in `env`: its variable's value when set, else its usual name. */
export function binaryOf(server: TestServer, env: NodeJS.ProcessEnv): string {
  const named = env[server.variable]?.trim();
  return named === undefined || named === '' ? server.binary : named;
}

export function missingServers(env: NodeJS.ProcessEnv): TestServer[] {
  return TEST_SERVERS.filter((server) => findExecutable(binaryOf(server, env), env) === undefined);
}

/** What to tell a person who cannot install, or whose install failed: the exact commands. */
export function installAdvice(missing: readonly TestServer[]): string {
  const packages = missing.map((server) => server.debianPackage).join(' ');
  return [
    'The tests start these programs themselves, on free loopback ports, and they are not installed:',
    ...missing.map((server) => `  ${binaryOf(server, {})}, for ${server.neededBy}`),
    'Install them (Debian or Ubuntu), then run npm test again:',
    `  sudo apt-get update && sudo apt-get install -y ${packages}`,
    `Or name binaries installed elsewhere in ${missing.map((server) => server.variable).join(', ')}.`,
  ].join('\n');
}

export interface EnsureResult {
  ok: boolean;
  /** What was said, line by line, as it was written. */
  output: string[];
}

/**
 * Makes sure every test server is there: installs the missing ones with apt-get when running as root (saying so
 * in one line first), or says exactly what to run. `ok: false` means nothing else may run.
 */
export function ensureTestServers(
  env: NodeJS.ProcessEnv,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): EnsureResult {
  const output: string[] = [];
  const say = (line: string) => {
    output.push(line);
    write(line);
  };
  const missing = missingServers(env);
  if (missing.length === 0) return { ok: true, output };
  const aptGet = findExecutable('apt-get', env);
  if (process.getuid?.() !== 0 || aptGet === undefined) {
    say(installAdvice(missing));
    return { ok: false, output };
  }
  const packages = missing.map((server) => server.debianPackage);
  say(
    `npm test: installing ${packages.join(', ')} with apt-get (Debian packages the tests start on loopback: ${missing.map((server) => server.neededBy).join('; ')})`,
  );
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...packages],
  ]) {
    const result = spawnSync(aptGet, args, { env: aptEnv, stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.status !== 0) {
      say(
        `apt-get ${args[0]} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}).`,
      );
      say(installAdvice(missing));
      return { ok: false, output };
    }
  }
  const still = missingServers(env);
  if (still.length > 0) {
    say(installAdvice(still));
    return { ok: false, output };
  }
  return { ok: true, output };
}
