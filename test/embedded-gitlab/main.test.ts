import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/embedded-gitlab/main.ts', import.meta.url));

describe('npm run gitlab (src/embedded-gitlab/main.ts)', () => {
  it('prints its URL and tokens, serves with no hooks, and exits 0 on SIGTERM', {
    timeout: 15_000,
  }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, EMBEDDED_GITLAB_PORT: '0', EMBEDDED_GITLAB_ADMIN_TOKEN: 'admin-from-env' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          if (/user token: .+\n/.test(output)) resolve();
        });
        child.once('exit', () => reject(new Error(`exited early: ${output}`)));
      });
      const url = /Embedded GitLab listening on (http:\/\/127\.0\.0\.1:\d+)\/api\/v4/.exec(output)?.[1];
      assert.ok(url, output);
      assert.match(output, /admin token: from EMBEDDED_GITLAB_ADMIN_TOKEN/);
      assert.doesNotMatch(output, /admin-from-env/);
      const userToken = /user token: +(glpat-[0-9A-Za-z]{20})/.exec(output)?.[1];
      assert.ok(userToken, output);

      const list = await fetch(`${url}/api/v4/hooks`, { headers: { 'PRIVATE-TOKEN': 'admin-from-env' } });
      assert.equal(list.status, 200);
      assert.deepEqual(await list.json(), []);
      const forbidden = await fetch(`${url}/api/v4/hooks`, { headers: { 'PRIVATE-TOKEN': userToken } });
      assert.equal(forbidden.status, 403);
      await forbidden.text();

      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 1 and lists every configuration problem', { timeout: 15_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, EMBEDDED_GITLAB_PORT: 'x', EMBEDDED_GITLAB_USER_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      errors += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(errors, /EMBEDDED_GITLAB_PORT/);
    assert.match(errors, /EMBEDDED_GITLAB_USER_TOKEN must not be empty/);
  });
});
