import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { useEmbeddedGitLab } from './helpers.ts';

describe('authentication and authorization', () => {
  const t = useEmbeddedGitLab();

  it('answers 401 without a credential', async () => {
    const answer = await t.call('GET', '/hooks', { token: null });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get('content-type'), 'application/json');
    assert.equal(answer.text, '{"message":"401 Unauthorized"}');
  });

  it('answers 401 to an unknown token', async () => {
    const answer = await t.call('GET', '/hooks', { token: 'glpat-not-a-real-token' });
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { message: '401 Unauthorized' });
  });

  it('answers 403 to a non-admin token on every endpoint', async () => {
    const hook = await t.createHook({ url: 'http://example.com/hook' });
    const calls: [string, string][] = [
      ['GET', '/hooks'],
      ['POST', '/hooks'],
      ['GET', `/hooks/${hook.id}`],
      ['PUT', `/hooks/${hook.id}`],
      ['POST', `/hooks/${hook.id}`],
      ['DELETE', `/hooks/${hook.id}`],
      ['PUT', `/hooks/${hook.id}/url_variables/abc`],
      ['DELETE', `/hooks/${hook.id}/url_variables/abc`],
      ['PUT', `/hooks/${hook.id}/custom_headers/abc`],
      ['DELETE', `/hooks/${hook.id}/custom_headers/abc`],
    ];
    for (const [method, path] of calls) {
      const json = method === 'GET' ? undefined : { url: 'http://example.com/x', value: 'v' };
      const answer = await t.call(method, path, { token: USER_TOKEN, json });
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.deepEqual(answer.body, { message: '403 Forbidden' });
    }
    assert.equal((await t.call('GET', `/hooks/${hook.id}`)).status, 200, 'the hook is still there');
  });

  it('accepts the admin token as PRIVATE-TOKEN header, private_token parameter or Bearer token', async () => {
    assert.equal((await t.call('GET', '/hooks')).status, 200);
    const query = await t.call('GET', `/hooks?private_token=${ADMIN_TOKEN}`, { token: null });
    assert.equal(query.status, 200);
    for (const scheme of ['Bearer', 'bearer']) {
      const bearer = await t.call('GET', '/hooks', {
        token: null,
        headers: { authorization: `${scheme} ${ADMIN_TOKEN}` },
      });
      assert.equal(bearer.status, 200, scheme);
    }
  });

  it('accepts private_token in a form body', async () => {
    const answer = await t.call('POST', '/hooks', {
      token: null,
      body: `private_token=${ADMIN_TOKEN}&url=${encodeURIComponent('http://example.com/form')}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(answer.status, 201);
  });

  it('accepts private_token in a JSON body', async () => {
    const answer = await t.call('POST', '/hooks', {
      token: null,
      json: { private_token: ADMIN_TOKEN, url: 'http://example.com/json' },
    });
    assert.equal(answer.status, 201);
  });

  it('ignores job tokens', async () => {
    const header = await t.call('GET', '/hooks', { token: null, headers: { 'JOB-TOKEN': ADMIN_TOKEN } });
    assert.equal(header.status, 401);
    const param = await t.call('GET', `/hooks?job_token=${ADMIN_TOKEN}`, { token: null });
    assert.equal(param.status, 401);
  });

  it('uses the private_token parameter before the header, as GitLab does', async () => {
    const answer = await t.call('GET', '/hooks?private_token=wrong', { token: ADMIN_TOKEN });
    assert.equal(answer.status, 401);
  });

  it('treats an empty PRIVATE-TOKEN header as absent', async () => {
    const answer = await t.call('GET', '/hooks', {
      token: null,
      headers: { 'PRIVATE-TOKEN': '', authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(answer.status, 200);
  });

  it('authenticates before it validates parameters', async () => {
    assert.equal((await t.call('PUT', '/hooks/abc', { token: null })).status, 401);
    assert.equal((await t.call('PUT', '/hooks/abc', { token: USER_TOKEN })).status, 403);
    const admin = await t.call('PUT', '/hooks/abc');
    assert.equal(admin.status, 400);
    assert.deepEqual(admin.body, { error: 'hook_id is invalid' });
    assert.equal((await t.call('GET', '/hooks?page=abc', { token: null })).status, 401);
    assert.equal((await t.call('POST', '/hooks', { token: USER_TOKEN, json: {} })).status, 403);
  });

  it('answers unknown routes and methods with the catch-all 404, even without a credential', async () => {
    const cases: [string, string][] = [
      ['DELETE', '/hooks'],
      ['PUT', '/hooks'],
      ['PATCH', '/hooks/1'],
      ['GET', '/hooks/1/url_variables/abc'],
      ['GET', '/projects'],
      ['GET', '/hooks/1/events'],
    ];
    for (const [method, path] of cases) {
      for (const token of [null, ADMIN_TOKEN]) {
        const answer = await t.call(method, path, { token });
        assert.equal(answer.status, 404, `${method} ${path}`);
        assert.equal(answer.text, '{"error":"404 Not Found"}');
      }
    }
  });

  it('never logs a credential', async () => {
    t.gitlab.resetRequestLog();
    await t.call('GET', `/hooks?per_page=5&private_token=${ADMIN_TOKEN}`, { token: null });
    await t.call('GET', `/hooks?job_token=${USER_TOKEN}`, { token: null });
    assert.deepEqual(t.gitlab.requests, [
      { method: 'GET', path: '/api/v4/hooks', query: 'per_page=5&private_token=[FILTERED]', status: 200 },
      { method: 'GET', path: '/api/v4/hooks', query: 'job_token=[FILTERED]', status: 401 },
    ]);
    assert.doesNotMatch(JSON.stringify(t.gitlab.requests), /glpat/);
  });
});
