import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';

describe('createEmbeddedGitLab lifecycle', () => {
  it('listens on a free loopback port, then closes keep-alive sockets too', async () => {
    const gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN });
    const url = await gitlab.listen();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(gitlab.url, url);
    const answer = await fetch(`${url}/api/v4/hooks`, { headers: { 'PRIVATE-TOKEN': ADMIN_TOKEN } });
    assert.equal(answer.headers.get('connection'), 'keep-alive');
    await answer.text();
    const started = Date.now();
    await gitlab.close();
    assert.ok(Date.now() - started < 1_000, 'close does not wait for idle keep-alive sockets');
    await assert.rejects(fetch(`${url}/api/v4/hooks`, { signal: AbortSignal.timeout(2_000) }));
    await gitlab.close();
  });

  it('refuses to listen twice', async () => {
    const gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN });
    await gitlab.listen();
    try {
      await assert.rejects(gitlab.listen(), /already listening/);
    } finally {
      await gitlab.close();
    }
  });

  it('reports a port in use', async () => {
    const first = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN });
    const url = await first.listen();
    const second = createEmbeddedGitLab({
      adminToken: ADMIN_TOKEN,
      userToken: USER_TOKEN,
      port: Number(new URL(url).port),
    });
    try {
      await assert.rejects(second.listen(), /EADDRINUSE/);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('rejects options that cannot work', () => {
    assert.throws(() => createEmbeddedGitLab({ adminToken: 'same', userToken: 'same' }), /must differ/);
    assert.throws(
      () =>
        createEmbeddedGitLab({ adminToken: 'a', userToken: 'b', externalUrl: 'not a url', maxBodyBytes: -1 }),
      /maxBodyBytes.*externalUrl/,
    );
  });

  it('reports externalUrl without a trailing slash in links', async () => {
    const gitlab = createEmbeddedGitLab({
      adminToken: ADMIN_TOKEN,
      userToken: USER_TOKEN,
      externalUrl: 'https://gitlab.example.com/',
    });
    const url = await gitlab.listen();
    try {
      const answer = await fetch(`${url}/api/v4/hooks.json`, { headers: { 'PRIVATE-TOKEN': ADMIN_TOKEN } });
      assert.equal(answer.status, 200);
      await answer.text();
      assert.match(
        answer.headers.get('link') ?? '',
        /^<https:\/\/gitlab\.example\.com\/api\/v4\/hooks\.json\?page=1/,
      );
    } finally {
      await gitlab.close();
    }
  });
});
