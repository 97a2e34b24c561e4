import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useEmbeddedGitLab } from './helpers.ts';

describe('PUT and DELETE /hooks/:hook_id/url_variables/:key', () => {
  const t = useEmbeddedGitLab();

  async function assertRefused(method: string, path: string, json: unknown, status: number, body: unknown) {
    const before = await t.listHooks();
    const answer = await t.call(method, path, { json });
    assert.equal(answer.status, status, `${method} ${path}: ${answer.text}`);
    assert.deepEqual(answer.body, body);
    assert.deepEqual(await t.listHooks(), before, 'nothing changed');
  }

  it('sets a variable: 204 with an empty body, and the key (never the value) is listed', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    const answer = await t.call('PUT', `/hooks/${hook.id}/url_variables/token`, {
      json: { value: 'very-secret' },
    });
    assert.equal(answer.status, 204);
    assert.equal(answer.text, '');
    assert.equal(answer.headers.get('content-type'), null);
    const read = await t.call('GET', `/hooks/${hook.id}`);
    assert.deepEqual(read.body.url_variables, [{ key: 'token' }]);
    assert.doesNotMatch(read.text, /very-secret/);
  });

  it('overwrites a variable the URL does not use', async () => {
    const hook = await t.createHook({
      url: 'http://example.com',
      url_variables: [{ key: 'abc', value: '1' }],
    });
    const answer = await t.call('PUT', `/hooks/${hook.id}/url_variables/abc`, { json: { value: '2' } });
    assert.equal(answer.status, 204);
  });

  it('refuses to overwrite a variable the URL uses', async () => {
    const hook = await t.createHook({
      url: 'http://example.com/{abc}',
      url_variables: [{ key: 'abc', value: '1' }],
    });
    await assertRefused('PUT', `/hooks/${hook.id}/url_variables/abc`, { value: '2' }, 422, {
      error: 'Illegal key or value',
    });
  });

  it('answers 422 "Illegal key or value" for a bad key, an empty or long value, or a 21st variable', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    const illegal = { error: 'Illegal key or value' };
    await assertRefused('PUT', `/hooks/${hook.id}/url_variables/abc%20def`, { value: 'v' }, 422, illegal);
    await assertRefused('PUT', `/hooks/${hook.id}/url_variables/abc`, { value: '' }, 422, illegal);
    await assertRefused(
      'PUT',
      `/hooks/${hook.id}/url_variables/abc`,
      { value: 'a'.repeat(2049) },
      422,
      illegal,
    );
    for (let i = 0; i < 20; i++) {
      assert.equal(
        (await t.call('PUT', `/hooks/${hook.id}/url_variables/k${i}`, { json: { value: 'v' } })).status,
        204,
      );
    }
    await assertRefused('PUT', `/hooks/${hook.id}/url_variables/k20`, { value: 'v' }, 422, illegal);
  });

  it('answers 400 "value is missing" without a value', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    await assertRefused('PUT', `/hooks/${hook.id}/url_variables/abc`, {}, 400, { error: 'value is missing' });
    await assertRefused('PUT', '/hooks/x/url_variables/abc', {}, 400, {
      error: 'hook_id is invalid, value is missing',
    });
  });

  it('answers 404 for an unknown hook', async () => {
    await assertRefused('PUT', '/hooks/987654/url_variables/abc', { value: 'v' }, 404, {
      message: '404 Not found',
    });
    await assertRefused('DELETE', '/hooks/987654/url_variables/abc', undefined, 404, {
      message: '404 Not found',
    });
  });

  it('URL-decodes the key and accepts dots in it', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    assert.equal(
      (await t.call('PUT', `/hooks/${hook.id}/url_variables/MY%5FTOKEN`, { json: { value: 'v' } })).status,
      204,
    );
    assert.equal(
      (await t.call('PUT', `/hooks/${hook.id}/url_variables/f.o.o`, { json: { value: 'v' } })).status,
      204,
    );
    const read = await t.call('GET', `/hooks/${hook.id}`);
    assert.deepEqual(read.body.url_variables, [{ key: 'MY_TOKEN' }, { key: 'f.o.o' }]);
  });

  it('takes the value from the query string or a form body too', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    assert.equal((await t.call('PUT', `/hooks/${hook.id}/url_variables/a?value=1`)).status, 204);
    const form = await t.call('PUT', `/hooks/${hook.id}/url_variables/b`, {
      body: 'value=2',
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 204);
  });

  it('deletes a variable', async () => {
    const hook = await t.createHook({
      url: 'http://example.com',
      url_variables: [{ key: 'abc', value: '1' }],
    });
    const answer = await t.call('DELETE', `/hooks/${hook.id}/url_variables/abc`);
    assert.equal(answer.status, 204);
    assert.equal(answer.text, '');
    assert.deepEqual((await t.call('GET', `/hooks/${hook.id}`)).body.url_variables, []);
  });

  it('answers 404 "URL variable Not Found" for an unknown key', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    await assertRefused('DELETE', `/hooks/${hook.id}/url_variables/nope`, undefined, 404, {
      message: '404 URL variable Not Found',
    });
  });

  it('answers 422 "Could not unset variable" for a variable the URL uses', async () => {
    const hook = await t.createHook({
      url: 'http://example.com/{abc}',
      url_variables: [{ key: 'abc', value: '1' }],
    });
    await assertRefused('DELETE', `/hooks/${hook.id}/url_variables/abc`, undefined, 422, {
      error: 'Could not unset variable',
    });
  });
});

describe('PUT and DELETE /hooks/:hook_id/custom_headers/:key', () => {
  const t = useEmbeddedGitLab();

  it('sets a header, listed by name only', async () => {
    const hook = await t.createHook({
      url: 'http://example.com/{abc}',
      url_variables: [{ key: 'abc', value: '1' }],
    });
    const answer = await t.call('PUT', `/hooks/${hook.id}/custom_headers/X-Custom`, {
      json: { value: 'secret-v' },
    });
    assert.equal(answer.status, 204);
    assert.equal(answer.text, '');
    const read = await t.call('GET', `/hooks/${hook.id}`);
    assert.deepEqual(read.body.custom_headers, [{ key: 'X-Custom' }]);
    assert.deepEqual(read.body.url_variables, [{ key: 'abc' }], 'variables untouched');
    assert.doesNotMatch(read.text, /secret-v/);
  });

  it('answers 422 "Illegal key or value" for a bad name or value', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    for (const [key, value] of [
      ['X%20Y', 'v'],
      ['X%3AY', 'v'],
      ['X-A', ' lead'],
      ['X-A', 'a%0Ab'],
      ['X-A', 'a\r\nInjected: 1'],
      ['X-A', ''],
    ] as const) {
      const answer = await t.call('PUT', `/hooks/${hook.id}/custom_headers/${key}`, { json: { value } });
      assert.equal(answer.status, 422, `${key}: ${JSON.stringify(value)}`);
      assert.deepEqual(answer.body, { error: 'Illegal key or value' });
    }
    assert.deepEqual((await t.call('GET', `/hooks/${hook.id}`)).body.custom_headers, []);
  });

  it('answers 400 for a header name longer than 255 characters', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    const answer = await t.call('PUT', `/hooks/${hook.id}/custom_headers/${'X'.repeat(256)}`, {
      json: { value: 'v' },
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { error: 'key must be less than 255 characters' });
  });

  it('deletes a header, and answers 404 "Custom header Not Found" for an unknown one', async () => {
    const hook = await t.createHook({
      url: 'http://example.com',
      custom_headers: [{ key: 'X-A', value: '1' }],
    });
    assert.equal((await t.call('DELETE', `/hooks/${hook.id}/custom_headers/X-A`)).status, 204);
    const again = await t.call('DELETE', `/hooks/${hook.id}/custom_headers/X-A`);
    assert.equal(again.status, 404);
    assert.equal(again.text, '{"message":"404 Custom header Not Found"}');
    const missingHook = await t.call('DELETE', '/hooks/987654/custom_headers/X-A');
    assert.deepEqual(missingHook.body, { message: '404 Not found' });
  });
});
