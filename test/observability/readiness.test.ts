import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { type FaultProxy, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import { type GatewayHandle, gid, startGateway } from '../helpers/stack.ts';
import { waitUntil } from '../helpers/wait-until.ts';

async function probe(gateway: GatewayHandle, path: '/health' | '/ready') {
  const response = await fetch(`${gateway.url}${path}`);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('liveness and readiness', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let id: string;

  before(async () => {
    let hookIds: number[];
    ({ gitlab, proxy, hookIds } = await startProxiedGitLab({ hooks: 1 }));
    id = gid(hookIds[0] as number);
  });
  after(async () => {
    await proxy.close();
    await gitlab.close();
  });
  beforeEach(() => {
    proxy.setMode({ kind: 'pass' });
    proxy.requests.length = 0;
  });

  it('keeps /health live without asking GitLab; /ready follows GitLab down and back', async () => {
    const gateway = await startGateway(proxy.url, {
      upstream: { timeoutMs: 500 },
      gateway: { readinessCacheMs: 100 },
    });
    try {
      proxy.setMode({ kind: 'reset-before-headers' });
      assert.equal((await probe(gateway, '/health')).status, 200);
      assert.equal(proxy.requests.length, 0, '/health never calls GitLab');
      assert.deepEqual(await probe(gateway, '/ready'), {
        status: 503,
        body: { ready: false, checks: { gitlab: 'down' } },
      });
      proxy.setMode({ kind: 'pass' });
      await wait(150);
      assert.deepEqual(await probe(gateway, '/ready'), {
        status: 200,
        body: { ready: true, checks: { gitlab: 'up' } },
      });
    } finally {
      await gateway.close();
    }
  });

  it('asks GitLab once for many probes within the cache time, and again after it', async () => {
    const gateway = await startGateway(proxy.url, { gateway: { readinessCacheMs: 1_500 } });
    try {
      const started = performance.now();
      const burst = await Promise.all(Array.from({ length: 10 }, () => probe(gateway, '/ready')));
      for (let i = 0; i < 10; i++) burst.push(await probe(gateway, '/ready'));
      assert.ok(burst.every((answer) => answer.status === 200));
      assert.ok(performance.now() - started < 1_500, 'the probes ran within the cache time');
      assert.equal(proxy.requests.length, 1);
      await wait(1_600);
      assert.equal((await probe(gateway, '/ready')).status, 200);
      assert.equal(proxy.requests.length, 2);
    } finally {
      await gateway.close();
    }
  });

  it('answers 503 from the start of shutdown while a request in flight completes', async () => {
    const draining = new AbortController();
    const gateway = await startGateway(proxy.url, { gateway: { draining: draining.signal } });
    try {
      assert.equal((await probe(gateway, '/ready')).status, 200);
      proxy.setMode({ kind: 'latency', ms: 400 });
      proxy.requests.length = 0;
      const inFlight = gateway.requestText(`{ systemHook(id: "${id}") { id } }`);
      // Should an assertion below fail, the gateway is closed under this request: its error is not the story.
      inFlight.catch(() => {});
      // Held by the proxy from its arrival: on a busy machine, reaching it can take longer than any fixed wait.
      await waitUntil('the request in flight reaching GitLab', () => proxy.requests.length === 1, {
        withinMs: 5_000,
      });
      draining.abort();
      proxy.setMode({ kind: 'pass' });
      proxy.requests.length = 0;
      assert.deepEqual(await probe(gateway, '/ready'), {
        status: 503,
        body: { ready: false, checks: { gateway: 'shutting down' } },
      });
      assert.equal(proxy.requests.length, 0, 'a gateway shutting down does not ask GitLab');
      const answer = await inFlight;
      assert.equal(answer.status, 200);
      assert.equal(answer.errors, undefined);
      assert.equal((await probe(gateway, '/health')).status, 200, 'still live while it drains');
    } finally {
      await gateway.close();
    }
  });
});
