import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USER_TOKEN } from '../helpers/credentials.ts';
import { useEmbeddedGitLab } from './helpers.ts';

describe('the request log', () => {
  const t = useEmbeddedGitLab();

  it('records every request in order, errors included, and can be reset', async () => {
    t.gitlab.resetRequestLog();
    assert.deepEqual(t.gitlab.requests, []);
    const hook = await t.createHook({ url: 'http://example.com' });
    await t.call('GET', `/hooks?page=2&per_page=5`);
    await t.call('GET', `/hooks/${hook.id}`, { token: USER_TOKEN });
    await t.call('PUT', `/hooks/${hook.id}/url_variables/my%2Dkey`, { json: { value: 'v' } });
    await t.call('GET', '/nothing-here', { token: null });
    await t.call('POST', '/hooks', { body: '{', contentType: 'application/json' });
    assert.deepEqual(t.gitlab.requests, [
      { method: 'POST', path: '/api/v4/hooks', query: '', status: 201 },
      { method: 'GET', path: '/api/v4/hooks', query: 'page=2&per_page=5', status: 200 },
      { method: 'GET', path: `/api/v4/hooks/${hook.id}`, query: '', status: 403 },
      { method: 'PUT', path: `/api/v4/hooks/${hook.id}/url_variables/my%2Dkey`, query: '', status: 204 },
      { method: 'GET', path: '/api/v4/nothing-here', query: '', status: 404 },
      { method: 'POST', path: '/api/v4/hooks', query: '', status: 400 },
    ]);
    t.gitlab.resetRequestLog();
    assert.equal(t.gitlab.requests.length, 0);
  });

  it('has the entry in place by the time the client has the answer', async () => {
    t.gitlab.resetRequestLog();
    await Promise.all(Array.from({ length: 10 }, () => t.call('GET', '/hooks')));
    assert.equal(t.gitlab.requests.length, 10);
  });
});

describe('seed()', () => {
  const t = useEmbeddedGitLab();

  it('creates hooks through the POST /hooks validation and returns their ids', async () => {
    const ids = await t.gitlab.seed([
      { url: 'http://example.com/1', name: 'one', push_events: 'true' },
      { url: 'http://example.com/{a}', url_variables: [{ key: 'a', value: 'x' }], token: 'secret' },
    ]);
    assert.equal(ids.length, 2);
    const [first, second] = await t.listHooks();
    assert.equal(first?.id, ids[0]);
    assert.equal(first?.name, 'one');
    assert.equal(first?.push_events, true);
    assert.deepEqual(second?.url_variables, [{ key: 'a' }]);
    assert.deepEqual(t.gitlab.requests.at(-1)?.path, '/api/v4/hooks', 'seeding made no request of its own');
  });

  it('throws on an invalid hook and stores none of the batch', async () => {
    const before = await t.listHooks();
    await assert.rejects(
      t.gitlab.seed([{ url: 'http://example.com/ok' }, { url: 'ftp://example.com' }]),
      /Invalid url given/,
    );
    await assert.rejects(t.gitlab.seed([{ name: 'no url' }]), /url is missing/);
    await assert.rejects(t.gitlab.seed([{ url: 'http://example.com', token: 'a\nb' }]), /Token is invalid/);
    assert.deepEqual(await t.listHooks(), before);
  });
});

describe('the optional API throttle', () => {
  // An hour-long window, so the test cannot straddle a window boundary in practice.
  const t = useEmbeddedGitLab({ throttle: { limit: 3, periodSeconds: 3_600 } });

  it('answers 429 "Retry later" in plain text with Retry-After once over the limit', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await t.call('GET', '/hooks')).status, 200);
    const answer = await t.call('GET', '/hooks');
    assert.equal(answer.status, 429);
    assert.equal(answer.text, 'Retry later\n');
    assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
    const retryAfter = Number(answer.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 3_600, `Retry-After ${retryAfter}`);
    assert.equal(answer.headers.get('ratelimit-name'), 'throttle_authenticated_api');
    assert.equal(answer.headers.get('ratelimit-observed'), '4');
    assert.equal(answer.headers.get('ratelimit-remaining'), '0');
    assert.equal(t.gitlab.requests.at(-1)?.status, 429);
  });

  it('counts unauthenticated requests separately', async () => {
    const answer = await t.call('GET', '/hooks', { token: null });
    assert.equal(answer.status, 401);
  });
});
