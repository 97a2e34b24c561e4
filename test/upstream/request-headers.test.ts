import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GitLabClient } from '../../src/upstream/client.ts';
import { requestHeaders } from '../../src/upstream/request-headers.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { bearer, clientFor, hookJson, privateToken, TOKEN } from './fixtures.ts';

describe('requestHeaders', () => {
  it('sends accept and user-agent always, content-type with a body, and the credential its own way', () => {
    assert.deepEqual(requestHeaders({}, undefined), {
      accept: 'application/json',
      'user-agent': 'gitlab-system-hooks-gateway',
    });
    assert.deepEqual(requestHeaders({ credential: bearer }, 'application/json'), {
      accept: 'application/json',
      'user-agent': 'gitlab-system-hooks-gateway',
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
    });
    assert.equal(requestHeaders({ credential: privateToken }, undefined)['private-token'], TOKEN);
  });

  it('adds the caller’s extra x- headers', () => {
    const uuid = '2f1b1c3e-6a53-4bd4-9c6e-0b7f5d2a1e90';
    const headers = requestHeaders(
      { credential: privateToken, headers: { 'x-gitlab-event-uuid': uuid, 'x-request-id': 'req-42' } },
      undefined,
    );
    assert.equal(headers['x-gitlab-event-uuid'], uuid);
    assert.equal(headers['x-request-id'], 'req-42');
    assert.equal(headers['private-token'], TOKEN);
  });

  const badNames = [
    'X-Request-Id',
    'authorization',
    'private-token',
    'accept',
    'content-type',
    'user-agent',
    'Accept',
    'x-',
    'x_request_id',
    'x-request id',
    'x-a\r\nx-b',
    '',
  ];
  for (const name of badNames) {
    it(`refuses the extra header name ${JSON.stringify(name)}`, () => {
      assert.throws(() => requestHeaders({ headers: { [name]: 'v' } }, undefined), TypeError);
    });
  }

  const badValues: [string, unknown][] = [
    ['an empty value', ''],
    ['a CR LF', 'a\r\nx-injected: 1'],
    ['a LF', 'a\nb'],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['a non-ASCII character', 'café'],
    ['257 characters', 'a'.repeat(257)],
    ['a number', 42],
  ];
  for (const [name, value] of badValues) {
    it(`refuses an extra header value with ${name}, without repeating it`, () => {
      assert.throws(
        () => requestHeaders({ headers: { 'x-request-id': value as string } }, undefined),
        (error: unknown) => {
          assert.ok(error instanceof TypeError);
          assert.ok(typeof value !== 'string' || value === '' || !error.message.includes(value));
          return true;
        },
      );
    });
  }

  it('accepts a value of 256 visible characters', () => {
    const value = '!'.repeat(128) + '~'.repeat(128);
    assert.equal(requestHeaders({ headers: { 'x-request-id': value } }, undefined)['x-request-id'], value);
  });
});

describe('GitLab client: extra request headers', () => {
  let server: ScriptedServer;
  let client: GitLabClient;
  before(async () => {
    server = await startScriptedServer(() => json(200, hookJson(1)));
    client = clientFor(server.url);
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('sends them with the call, next to the credential', async () => {
    await client.getHook(1, { credential: privateToken, headers: { 'x-request-id': 'req-7' } });
    const received = server.requests.at(-1)?.headers;
    assert.equal(received?.['x-request-id'], 'req-7');
    assert.equal(received?.['private-token'], TOKEN);
  });

  it('sends them again on a retry', async () => {
    server.requests.length = 0;
    let calls = 0;
    server.setScript(() => (calls++ === 0 ? json(502, {}) : json(200, hookJson(1))));
    await client.getHook(1, { headers: { 'x-gitlab-event-uuid': 'u-1' } });
    assert.deepEqual(
      server.requests.map((request) => request.headers['x-gitlab-event-uuid']),
      ['u-1', 'u-1'],
    );
  });

  it('refuses a bad one with a TypeError before any request', async () => {
    server.requests.length = 0;
    await assert.rejects(
      client.getHook(1, { credential: privateToken, headers: { 'private-token': 'other' } }),
      TypeError,
    );
    await assert.rejects(client.deleteHook(1, { headers: { 'x-request-id': 'a\r\nb' } }), TypeError);
    assert.equal(server.requests.length, 0);
  });
});
