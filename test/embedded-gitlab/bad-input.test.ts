import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { rawRequest, useEmbeddedGitLab } from './helpers.ts';

describe('hostile and malformed input', () => {
  const t = useEmbeddedGitLab();

  /** Sends a request and checks the answer and that no hook changed. */
  async function assertRefused(
    method: string,
    path: string,
    options: Parameters<typeof t.call>[2],
    status: number,
    body: unknown,
  ) {
    const before = await t.listHooks();
    const answer = await t.call(method, path, options);
    assert.equal(answer.status, status, `${method} ${path}: ${answer.text}`);
    assert.deepEqual(answer.body, body);
    assert.deepEqual(await t.listHooks(), before, 'nothing changed');
    return answer;
  }

  it('answers 400 to malformed JSON and stores nothing', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    const malformed = { error: 'message body does not match declared format' };
    for (const body of ['{"url": "http://example.com"', '{url: 1}', 'nul', '\u0000']) {
      await assertRefused('POST', '/hooks', { body, contentType: 'application/json' }, 400, malformed);
      await assertRefused(
        'PUT',
        `/hooks/${hook.id}`,
        { body, contentType: 'application/json' },
        400,
        malformed,
      );
    }
  });

  it('reads a body without a content type as JSON, as Grape does', async () => {
    const answer = await rawRequest(t.gitlab.url, {
      method: 'POST',
      path: '/api/v4/hooks',
      headers: { 'PRIVATE-TOKEN': ADMIN_TOKEN },
      body: '{"url":"http://example.com/untyped"}',
    });
    assert.equal(answer.status, 201, answer.text);
  });

  it('answers 415 to a body type GitLab does not parse', async () => {
    await assertRefused('POST', '/hooks', { body: '<url/>', contentType: 'application/xml' }, 415, {
      error: "The provided content-type 'application/xml' is not supported.",
    });
  });

  it('takes a JSON array or scalar body as no parameters', async () => {
    await assertRefused('POST', '/hooks', { json: [{ url: 'http://example.com' }] }, 400, {
      error: 'url is missing',
    });
    await assertRefused('POST', '/hooks', { json: 'http://example.com' }, 400, { error: 'url is missing' });
  });

  it('answers 400 to arrays and objects where strings are expected', async () => {
    await assertRefused('POST', '/hooks', { json: { url: ['http://example.com'] } }, 400, {
      error: 'url is invalid',
    });
    await assertRefused('POST', '/hooks', { json: { url: 'http://example.com', name: { a: 1 } } }, 400, {
      error: 'name is invalid',
    });
    await assertRefused('POST', '/hooks', { json: { url: 'http://example.com', token: ['a', 'b'] } }, 400, {
      error: 'token is invalid',
    });
    await assertRefused(
      'POST',
      '/hooks',
      { json: { url: 'http://example.com', url_variables: 'abc' } },
      400,
      {
        error: 'url_variables is invalid',
      },
    );
    await assertRefused(
      'POST',
      '/hooks',
      { json: { url: 'http://example.com', url_variables: { key: 'a', value: 'b' } } },
      400,
      {
        error: 'url_variables is invalid',
      },
    );
    await assertRefused(
      'POST',
      '/hooks',
      { json: { url: 'http://example.com', url_variables: [{ key: ['a'], value: { v: 1 } }] } },
      400,
      { error: 'url_variables[0][key] is invalid, url_variables[0][value] is invalid' },
    );
    const hook = await t.createHook({ url: 'http://example.com' });
    await assertRefused('PUT', `/hooks/${hook.id}/url_variables/abc`, { json: { value: ['x'] } }, 400, {
      error: 'value is invalid',
    });
  });

  it('refuses a token with a newline and stores nothing', async () => {
    await assertRefused('POST', '/hooks', { json: { url: 'http://example.com', token: 'tok\nen' } }, 422, {
      error: 'Token is invalid',
    });
  });

  it('refuses a 1 MB name with 422 when the body fits, and 413 when it does not', async () => {
    await assertRefused(
      'POST',
      '/hooks',
      { json: { url: 'http://example.com', name: 'n'.repeat(1_000_000) } },
      422,
      {
        error: 'Name is too long (maximum is 255 characters)',
      },
    );
    await assertRefused(
      'POST',
      '/hooks',
      { json: { url: 'http://example.com', name: 'n'.repeat(1_048_576) } },
      413,
      {
        message: '413 Request Entity Too Large',
      },
    );
  });

  it('answers 400 or 404 for odd hook ids', async () => {
    for (const id of ['1.5', 'abc', '%20', '0x10', '1e3']) {
      const answer = await t.call('GET', `/hooks/${id}`);
      assert.equal(answer.status, 400, id);
      assert.deepEqual(answer.body, { error: 'hook_id is invalid' });
    }
    // Ruby integers are unbounded, so GitLab looks these up and finds nothing.
    for (const id of ['99999999999999999999', '-1', '0']) {
      const answer = await t.call('GET', `/hooks/${id}`);
      assert.equal(answer.status, 404, id);
      assert.deepEqual(answer.body, { message: '404 Not found' });
    }
  });

  it('keeps __proto__ and constructor keys as plain data', async () => {
    const body =
      '{"url":"http://example.com","__proto__":{"polluted":true},"url_variables":[{"key":"__proto__","value":"x"}]}';
    await assertRefused('POST', '/hooks', { body, contentType: 'application/json' }, 422, {
      error: 'Url variables must be a valid json schema',
    });
    await assertRefused(
      'POST',
      '/hooks',
      {
        body: 'url=http%3A%2F%2Fexample.com&__proto__[polluted]=1&url_variables[][key]=constructor',
        contentType: 'application/x-www-form-urlencoded',
      },
      400,
      { error: 'url_variables[0][value] is missing' },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('answers HEAD like GET without a body', async () => {
    const answer = await t.call('HEAD', '/hooks');
    assert.equal(answer.status, 200);
    assert.equal(answer.text, '');
    assert.ok(answer.headers.get('x-total'));
  });

  it('answers a raw request with an absolute target and an unusual path', async () => {
    const absolute = await rawRequest(t.gitlab.url, {
      method: 'GET',
      path: `http://gitlab.example.com/api/v4/hooks?private_token=${ADMIN_TOKEN}`,
    });
    assert.equal(absolute.status, 200);
    const doubleSlash = await rawRequest(t.gitlab.url, {
      method: 'GET',
      path: '//evil.example/api/v4/hooks',
    });
    assert.equal(doubleSlash.status, 404);
    assert.equal(doubleSlash.text, '{"error":"404 Not Found"}');
  });
});

describe('request bodies over maxBodyBytes', () => {
  const t = useEmbeddedGitLab({ maxBodyBytes: 2_048 });

  it('answers 413 to a declared length over the limit and stores nothing', async () => {
    const json = { url: 'http://example.com', name: 'n'.repeat(2_100) };
    const answer = await t.call('POST', '/hooks', { json });
    assert.equal(answer.status, 413);
    assert.equal(answer.text, '{"message":"413 Request Entity Too Large"}');
    assert.deepEqual(await t.listHooks(), []);
    assert.deepEqual(t.gitlab.requests.at(-2), {
      method: 'POST',
      path: '/api/v4/hooks',
      query: '',
      status: 413,
    });
  });

  it('answers 413 to a chunked body that grows over the limit', async () => {
    const chunk = new TextEncoder().encode(`{"url":"http://example.com","name":"${'n'.repeat(1_000)}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetch(`${t.gitlab.url}/api/v4/hooks`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': ADMIN_TOKEN, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
      signal: AbortSignal.timeout(5_000),
    } as RequestInit);
    assert.equal(response.status, 413);
    assert.deepEqual(await response.json(), { message: '413 Request Entity Too Large' });
    assert.deepEqual(await t.listHooks(), []);
  });

  it('accepts a body exactly at the limit', async () => {
    const base = JSON.stringify({ url: 'http://example.com', description: '' });
    const description = 'd'.repeat(2_048 - base.length);
    const answer = await t.call('POST', '/hooks', { json: { url: 'http://example.com', description } });
    assert.equal(answer.status, 201);
  });

  it('keeps serving after refusing a body', async () => {
    await t.call('POST', '/hooks', { body: 'x'.repeat(100_000), contentType: 'application/json' });
    assert.equal((await t.call('GET', '/hooks')).status, 200);
  });
});
