import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findExecutable } from './servers.ts';

/**
 * `npm test` on a machine without the programs the tests start (redis-server, prometheus, chromium): made so by
 * a `PATH` that holds only `node`, `npm` and `sh` (and, for the root case, a stand-in `apt-get`), and a `CHROMIUM`
 * that names nothing. It must stop before running anything, saying exactly what to run, or, as root, say in one
 * line what it installs and install it with apt-get.
 */

const ROOT = new URL('../..', import.meta.url);
const INSTALL = 'sudo apt-get update && sudo apt-get install -y redis-server prometheus chromium';

interface Ran {
  code: number | null;
  output: string;
}

/** Signs that a step after the check started: the checks' and the tests' npm scripts. */
const LATER_STEPS = ['typecheck', 'biome', 'codegen', 'test:unit', 'Tests on Node'];

/**
 * `npm test` with only `path` and `chromium` to find programs by. In a process group of its own, ended as soon as
 * a later step shows (so that a broken check cannot start the whole suite), or after 60 s.
 */
async function npmTest(path: string, chromium: string): Promise<Ran> {
  const child = spawn('npm', ['test'], {
    cwd: ROOT,
    // Nothing of this machine's environment that could name the programs: REDIS_SERVER, PROMETHEUS, CHROMIUM.
    env: { PATH: path, HOME: process.env.HOME ?? tmpdir(), CHROMIUM: chromium },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const end = () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  };
  let output = '';
  const read = (chunk: string) => {
    output += chunk;
    if (LATER_STEPS.some((step) => output.includes(step))) end();
  };
  child.stdout.setEncoding('utf8').on('data', read);
  child.stderr.setEncoding('utf8').on('data', read);
  const timer = setTimeout(end, 60_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

function assertNothingRan(output: string): void {
  for (const step of LATER_STEPS) assert.ok(!output.includes(step), `${step} ran:\n${output}`);
}

describe('npm test on a machine without the servers the tests start', () => {
  let bin: string;

  before(() => {
    bin = mkdtempSync(join(tmpdir(), 'gateway-bare-path-'));
    const npm = findExecutable('npm', process.env);
    const sh = findExecutable('sh', process.env);
    assert.ok(npm && sh, 'npm and sh on this PATH');
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(realpathSync(npm), join(bin, 'npm'));
    symlinkSync(sh, join(bin, 'sh'));
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  it('stops before running anything, saying what is missing and the exact command to install it', async () => {
    const { code, output } = await npmTest(bin, join(bin, 'chromium'));
    assert.equal(code, 1, output);
    assert.ok(output.includes(INSTALL), output);
    for (const name of ['redis-server', 'prometheus', 'chromium'])
      assert.match(output, new RegExp(`  \\S*${name}, for `));
    assert.match(output, /Or name binaries installed elsewhere in REDIS_SERVER, PROMETHEUS, CHROMIUM\./);
    assertNothingRan(output);
  });

  it('as root, says in one line what it installs, runs apt-get for it, and stops when that fails', {
    skip: process.getuid?.() !== 0 && 'apt-get installs only as root',
  }, async () => {
    const calls = join(bin, 'apt-get.calls');
    const aptGet = join(bin, 'apt-get');
    // A stand-in that records its arguments; `install` fails, as it does without a network.
    writeFileSync(
      aptGet,
      `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> '${calls}'\n[ "$1" = install ] && exit 100\nexit 0\n`,
    );
    chmodSync(aptGet, 0o755);
    try {
      const { code, output } = await npmTest(bin, join(bin, 'chromium'));
      assert.equal(code, 1, output);
      const announced = output
        .split('\n')
        .filter((line) =>
          line.startsWith('npm test: installing redis-server, prometheus, chromium with apt-get'),
        );
      assert.equal(announced.length, 1, output);
      assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [
        'noninteractive update -qq',
        'noninteractive install -y -qq redis-server prometheus chromium',
      ]);
      assert.match(output, /apt-get install failed \(exit 100\)\./);
      assert.ok(output.includes(INSTALL), output);
      assertNothingRan(output);
    } finally {
      rmSync(aptGet, { force: true });
      rmSync(calls, { force: true });
    }
  });
});
