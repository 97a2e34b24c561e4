import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateSystemHookDocument, SystemHookDocument, SystemHooksDocument } from '../generated/graphql.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { closedPort } from '../helpers/receiver.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { type GatewayHandle, gid, type Stack, startGateway, startStack } from '../helpers/stack.ts';

const NO_ACCESS =
  "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

/** A GitLab hook as the REST API renders it. */
const HOOK = {
  id: 1,
  url: 'https://example.com/hook',
  created_at: '2025-01-01T12:00:00.000Z',
  push_events: false,
  tag_push_events: false,
  merge_requests_events: false,
  repository_update_events: true,
  enable_ssl_verification: true,
};

describe('GitLab authentication answers, from the embedded GitLab', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('maps 401 (unknown token) to UNAUTHENTICATED', async () => {
    const result = await stack.request(SystemHooksDocument, {}, { token: 'glpat-unknown' });
    assert.equal(result.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(result.data, null);
  });

  it('maps 403 (a non-admin token) to FORBIDDEN with GitLab wording', async () => {
    const result = await stack.request(SystemHookDocument, { id: gid(1) }, { token: USER_TOKEN });
    assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(result.errors?.[0]?.message, NO_ACCESS);
  });

  it('maps 403 on a mutation, and writes nothing', async () => {
    const result = await stack.request(
      CreateSystemHookDocument,
      { input: { url: 'https://example.com/x' } },
      { token: USER_TOKEN },
    );
    assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const list = await stack.request(SystemHooksDocument, {}, { token: ADMIN_TOKEN });
    assert.equal(list.data?.systemHooks.count, 0);
  });
});

describe('GitLab faults, from a scripted upstream', () => {
  let upstream: ScriptedServer;
  let gateway: GatewayHandle;

  before(async () => {
    upstream = await startScriptedServer();
    gateway = await startGateway(upstream.url, { upstream: { timeoutMs: 300 } });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  const codeFor = async (script: Parameters<ScriptedServer['setScript']>[0]) => {
    upstream.setScript(script);
    const result = await gateway.request(SystemHookDocument, { id: gid(1) });
    const text = JSON.stringify(result);
    assert.ok(!text.includes(ADMIN_TOKEN), 'the credential never appears in an answer');
    return result.errors?.[0];
  };

  it('maps 429 to RATE_LIMITED with retryAfterSeconds from Retry-After', async () => {
    const error = await codeFor(() => ({
      status: 429,
      headers: { 'retry-after': '7' },
      body: 'Retry later\n',
    }));
    assert.equal(error?.extensions?.code, 'RATE_LIMITED');
    assert.equal(error?.extensions?.retryAfterSeconds, 7);
  });

  it('maps 429 without Retry-After to RATE_LIMITED without a delay', async () => {
    const error = await codeFor(() => ({ status: 429, body: 'Retry later\n' }));
    assert.equal(error?.extensions?.code, 'RATE_LIMITED');
    assert.equal(error?.extensions?.retryAfterSeconds, undefined);
  });

  for (const status of [500, 502, 503, 504]) {
    it(`maps ${status} to UPSTREAM_UNAVAILABLE without echoing the body`, async () => {
      const error = await codeFor(() => json(status, { message: 'internal detail xyzzy' }));
      assert.equal(error?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
      assert.ok(!error?.message.includes('xyzzy'));
    });
  }

  it('maps a GitLab that never answers to UPSTREAM_TIMEOUT after the deadline', async () => {
    const started = Date.now();
    const error = await codeFor(() => ({ stall: 'before-headers' }));
    assert.equal(error?.extensions?.code, 'UPSTREAM_TIMEOUT');
    assert.ok(Date.now() - started < 5_000);
  });

  it('maps a body that stalls after the headers to UPSTREAM_TIMEOUT', async () => {
    const error = await codeFor(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"id":',
      stall: 'after-headers',
    }));
    assert.equal(error?.extensions?.code, 'UPSTREAM_TIMEOUT');
  });

  it('maps a reset connection to UPSTREAM_UNAVAILABLE', async () => {
    const error = await codeFor(() => ({ destroy: true }));
    assert.equal(error?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
  });

  it('maps malformed JSON, HTML and a wrong shape to UPSTREAM_UNAVAILABLE', async () => {
    for (const answer of [
      { status: 200, headers: { 'content-type': 'application/json' }, body: '{"id": 1, "url"' },
      { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>sign in</html>' },
      json(200, { id: 'one', url: 5 }),
    ]) {
      const error = await codeFor(() => answer);
      assert.equal(error?.extensions?.code, 'UPSTREAM_UNAVAILABLE', JSON.stringify(answer));
    }
  });

  it('does not follow a redirect, nor send the credential to its target', async () => {
    const elsewhere = await startScriptedServer(() => json(200, HOOK));
    try {
      const error = await codeFor(() => ({
        status: 302,
        headers: { location: `${elsewhere.url}/api/v4/hooks/1` },
      }));
      assert.equal(error?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      await elsewhere.close();
    }
  });

  it('answers a hook GitLab serves, and null for a 404', async () => {
    upstream.setScript((request) =>
      request.url === '/api/v4/hooks/1' ? json(200, HOOK) : json(404, { message: '404 Not found' }),
    );
    const found = await gateway.request(SystemHookDocument, { id: gid(1) });
    assert.equal(found.data?.systemHook?.url, HOOK.url);
    const missing = await gateway.request(SystemHookDocument, { id: gid(2) });
    assert.equal(missing.errors, undefined);
    assert.equal(missing.data?.systemHook, null);
  });

  it('forwards the credential to GitLab as it came, and nothing else of the caller', async () => {
    upstream.setScript(() => json(200, HOOK));
    const before = upstream.requests.length;
    await gateway.request(
      SystemHookDocument,
      { id: gid(1) },
      { token: null, headers: { authorization: 'Bearer abc123', cookie: 'session=1' } },
    );
    const sent = upstream.requests[before];
    assert.equal(sent?.headers.authorization, 'Bearer abc123');
    assert.equal(sent?.headers['private-token'], undefined);
    assert.equal(sent?.headers.cookie, undefined);
  });

  it('reports a 422 of unknown shape as a generic payload error, not the body', async () => {
    upstream.setScript(() => json(422, { unexpected: 'shape qwerty' }));
    const result = await gateway.request(CreateSystemHookDocument, { input: { url: 'https://example.com' } });
    const errors = result.data?.createSystemHook.errors ?? [];
    assert.equal(errors.length, 1);
    assert.ok(!errors[0]?.includes('qwerty'));
  });

  it('sends a create exactly once even when GitLab answers 502', async () => {
    upstream.setScript(() => json(502, { message: 'bad gateway' }));
    const before = upstream.requests.length;
    const result = await gateway.request(CreateSystemHookDocument, { input: { url: 'https://example.com' } });
    assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(upstream.requests.filter((r, i) => i >= before && r.method === 'POST').length, 1);
  });
});

describe('a GitLab that refuses connections', () => {
  let gateway: GatewayHandle;
  before(async () => {
    gateway = await startGateway(`http://127.0.0.1:${await closedPort()}`);
  });
  after(() => gateway.close());

  it('maps a refused connection to UPSTREAM_UNAVAILABLE', async () => {
    const result = await gateway.request(SystemHooksDocument, {});
    assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
  });
});
