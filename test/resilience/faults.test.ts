import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { SystemHookDocument } from '../generated/graphql.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { type FaultMode, type FaultProxy, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { type GatewayHandle, gid, startGateway } from '../helpers/stack.ts';
import { waitUntil, within } from '../helpers/wait-until.ts';

/** The per-call deadline the gateway runs with here. */
const DEADLINE_MS = 500;
/** What an answer may take beyond the deadline: generous, since the point is "bounded", not "fast". */
const MARGIN_MS = 1_500;

/**
 * Every fault the proxy can inject, through GraphQL: the answer comes within the deadline with the code the
 * contract names, and no socket is left open once the gateway's client is closed.
 */
describe('upstream faults through a TCP proxy', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let elsewhere: ScriptedServer;
  let gateway: GatewayHandle;

  before(async () => {
    ({ gitlab, proxy } = await startProxiedGitLab({ hooks: 3 }));
    elsewhere = await startScriptedServer(() => json(200, { id: 1 }));
  });
  after(async () => {
    await proxy.close();
    await elsewhere.close();
    await gitlab.close();
  });
  beforeEach(async () => {
    proxy.setMode({ kind: 'pass' });
    gateway = await startGateway(proxy.url, { upstream: { timeoutMs: DEADLINE_MS } });
  });
  afterEach(async () => {
    // The pool gives back every socket it holds; a request still hanging on one would keep it open.
    await within(gateway.close(), 'closing the gateway', { withinMs: 2_000 });
    await waitUntil('every gateway-side socket closed', () => proxy.openConnections === 0, {
      withinMs: 2_000,
    });
    await waitUntil('every proxy-to-GitLab socket closed', () => proxy.upstreamConnections === 0, {
      withinMs: 2_000,
    });
  });

  /** Reads hook 1 through the gateway; returns the answer and how long it took. */
  async function readHook() {
    const started = performance.now();
    const result = await gateway.request(SystemHookDocument, { id: gid(1) });
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `answered in ${Math.round(elapsedMs)} ms`);
    assert.ok(!JSON.stringify(result).includes(ADMIN_TOKEN));
    return { result, elapsedMs };
  }

  const cases: { name: string; mode: FaultMode; code: string; attempts: number; closesSocket: boolean }[] = [
    {
      name: 'answers 500',
      mode: { kind: 'status', status: 500 },
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 1,
      closesSocket: false,
    },
    {
      name: 'answers 502',
      mode: { kind: 'status', status: 502 },
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 3,
      closesSocket: false,
    },
    {
      name: 'answers 503',
      mode: { kind: 'status', status: 503 },
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 3,
      closesSocket: false,
    },
    {
      name: 'answers 429 with a Retry-After beyond the cap',
      mode: { kind: 'status', status: 429, headers: { 'retry-after': '30' }, body: 'Retry later\n' },
      code: 'RATE_LIMITED',
      attempts: 1,
      closesSocket: false,
    },
    {
      name: 'resets the connection before the headers',
      mode: { kind: 'reset-before-headers' },
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 3,
      closesSocket: true,
    },
    {
      name: 'resets the connection in the middle of the body',
      mode: { kind: 'reset-mid-body' },
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 3,
      closesSocket: true,
    },
    {
      name: 'sends truncated JSON',
      mode: { kind: 'truncated-json' },
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 1,
      closesSocket: false,
    },
    {
      name: 'sends malformed JSON',
      mode: { kind: 'malformed-json' },
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 1,
      closesSocket: false,
    },
    {
      name: 'sends the headers and then stalls',
      mode: { kind: 'stall-after-headers' },
      code: 'UPSTREAM_TIMEOUT',
      attempts: 1,
      closesSocket: true,
    },
    {
      name: 'accepts the request and never answers',
      mode: { kind: 'no-answer' },
      code: 'UPSTREAM_TIMEOUT',
      attempts: 1,
      closesSocket: true,
    },
    {
      name: 'is slower than the deadline',
      mode: { kind: 'latency', ms: DEADLINE_MS * 3 },
      code: 'UPSTREAM_TIMEOUT',
      attempts: 1,
      closesSocket: true,
    },
  ];

  for (const { name, mode, code, attempts, closesSocket } of cases) {
    it(`answers ${code} in time when GitLab ${name}`, async () => {
      const first = proxy.requests.length;
      proxy.setMode(mode);
      const { result } = await readHook();
      assert.equal(result.errors?.[0]?.extensions?.code, code, JSON.stringify(result.errors));
      assert.equal(result.data?.systemHook ?? null, null);
      const sent = proxy.requests.slice(first);
      assert.equal(sent.length, attempts, `${sent.length} requests reached the proxy`);
      if (closesSocket) {
        // A socket in an unknown state is destroyed by the client, not returned to the pool.
        for (const request of sent) {
          await waitUntil('the faulty socket closed', () => !proxy.isConnectionOpen(request.connection), {
            withinMs: 1_000,
          });
        }
      }
    });
  }

  it('reports retryAfterSeconds with RATE_LIMITED', async () => {
    proxy.setMode({ kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    const { result } = await readHook();
    assert.equal(result.errors?.[0]?.extensions?.retryAfterSeconds, 30);
  });

  it('answers in time with the data when GitLab is slow but within the deadline', async () => {
    proxy.setMode({ kind: 'latency', ms: DEADLINE_MS / 4 });
    const { result } = await readHook();
    assert.equal(result.errors, undefined);
    assert.equal(result.data?.systemHook?.id, gid(1));
  });

  it('passes answers through unchanged, keeping the connection alive', async () => {
    const first = proxy.requests.length;
    for (let i = 0; i < 3; i++) {
      const { result } = await readHook();
      assert.equal(result.data?.systemHook?.id, gid(1));
    }
    const connections = new Set(proxy.requests.slice(first).map((request) => request.connection));
    assert.equal(connections.size, 1, 'one keep-alive connection served the three reads');
  });

  it('does not follow a 302 to another origin, nor send the credential there', async () => {
    proxy.setMode({
      kind: 'status',
      status: 302,
      headers: { location: `${elsewhere.url}/api/v4/hooks/1` },
      body: '',
    });
    const { result } = await readHook();
    assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(elsewhere.requests.length, 0);
  });

  it('recovers once the fault is gone, on fresh sockets', async () => {
    proxy.setMode({ kind: 'reset-before-headers' });
    await readHook();
    proxy.setMode({ kind: 'pass' });
    const { result } = await readHook();
    assert.equal(result.data?.systemHook?.id, gid(1));
  });
});
