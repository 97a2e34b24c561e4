import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closedPort } from '../embedded-gitlab/receiver.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { type GatewayHandle, type Stack, startGateway, startStack } from '../helpers/stack.ts';

describe('HTTP endpoints', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ gateway: { graphiqlHeaders: { 'PRIVATE-TOKEN': ADMIN_TOKEN } } });
  });
  after(() => stack.close());

  it('answers GET /health with 200 without calling GitLab', async () => {
    stack.gitlab.resetRequestLog();
    const response = await fetch(`${stack.url}/health`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('answers GET /ready with 200 when GitLab answers, using no credential', async () => {
    stack.gitlab.resetRequestLog();
    const response = await fetch(`${stack.url}/ready`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.deepEqual(
      stack.upstreamRequests().map((r) => r.status),
      [401],
    );
  });

  it('serves GraphiQL to a browser at /graphql, with the configured headers filled in', async () => {
    const response = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    const html = await response.text();
    assert.match(html, /GitLab System Hooks/);
    assert.ok(html.includes('PRIVATE-TOKEN'));
  });

  it('serves a query over GET too', async () => {
    const response = await fetch(
      `${stack.url}/graphql?query=${encodeURIComponent('{ systemHooks { count } }')}`,
      {
        headers: { 'private-token': ADMIN_TOKEN, accept: 'application/json' },
      },
    );
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { data: { systemHooks: { count: 0 } } });
  });
});

describe('readiness without GitLab', () => {
  let gateway: GatewayHandle;

  before(async () => {
    gateway = await startGateway(`http://127.0.0.1:${await closedPort()}`);
  });
  after(() => gateway.close());

  it('answers GET /ready with 503 when GitLab refuses connections, and /health still 200', async () => {
    const ready = await fetch(`${gateway.url}/ready`);
    assert.equal(ready.status, 503);
    await ready.body?.cancel();
    const health = await fetch(`${gateway.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  });
});
