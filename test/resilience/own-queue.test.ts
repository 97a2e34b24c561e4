import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import type { GitLabClientOptions } from '../../src/upstream/client.ts';
import { SystemHookDocument } from '../generated/graphql.ts';
import { type FaultProxy, startProxiedGitLab, until } from '../helpers/fault-proxy.ts';
import { type GatewayHandle, gid, startGateway } from '../helpers/stack.ts';

/**
 * The gateway's own queue for a connection to GitLab is not GitLab failing (security review, finding 3): calls
 * that wait for a connection are bounded, their overflow fails fast with GATEWAY_OVERLOADED, and neither the
 * overflow nor a deadline that passes while waiting counts against the circuit breaker.
 */
describe("the gateway's own queue of calls to GitLab", () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let gateway: GatewayHandle | undefined;

  before(async () => {
    ({ gitlab, proxy } = await startProxiedGitLab({ hooks: 3 }));
  });
  after(async () => {
    await proxy.close();
    await gitlab.close();
  });
  beforeEach(() => {
    proxy.setMode({ kind: 'pass' });
    proxy.requests.length = 0;
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await until(() => proxy.openConnections === 0, 2_000, 'every gateway-side socket closed');
  });

  const BREAKER = { failureThreshold: 3, coolDownMs: 60_000 };

  async function start(upstream: Partial<GitLabClientOptions>): Promise<GatewayHandle> {
    gateway = await startGateway(proxy.url, {
      upstream: { retry: { retries: 0 }, circuitBreaker: BREAKER, ...upstream },
    });
    return gateway;
  }

  /** Calls GitLab has answered so far. */
  const answered = () => proxy.requests.filter((request) => request.outcome === 'answered').length;

  it('fails the overflow at once with GATEWAY_OVERLOADED, serves the rest, and leaves the breaker closed', async () => {
    const gateway = await start({ connections: 2, maxQueued: 2, timeoutMs: 5_000 });
    proxy.setMode({ kind: 'latency', ms: 400 });
    const overflowedBeforeGitLabAnswered: boolean[] = [];
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const answer = await gateway.request(SystemHookDocument, { id: gid((i % 3) + 1) });
        const code = answer.errors?.[0]?.extensions?.code;
        if (code === 'GATEWAY_OVERLOADED') overflowedBeforeGitLabAnswered.push(answered() === 0);
        return code ?? 'ok';
      }),
    );
    assert.deepEqual(answers.filter((code) => code === 'ok').length, 4, JSON.stringify(answers));
    assert.deepEqual(overflowedBeforeGitLabAnswered, [true, true, true, true], 'each overflow failed fast');
    assert.equal(proxy.requests.length, 4, 'the overflow never reached GitLab');
    proxy.setMode({ kind: 'pass' });
    const next = await gateway.request(SystemHookDocument, { id: gid(1) });
    assert.equal(next.errors, undefined, 'the breaker is closed');
  });

  it('fails a call that waits half its deadline with GATEWAY_OVERLOADED, which the breaker does not count', async () => {
    // One connection, and a GitLab that never answers: the call on it times out (GitLab's failure, counted);
    // the five behind it give up after half their deadline (the gateway's load, not counted).
    const gateway = await start({ connections: 1, maxQueued: 10, timeoutMs: 400 });
    proxy.setMode({ kind: 'no-answer' });
    const codes = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const answer = await gateway.request(SystemHookDocument, { id: gid(1) });
        return answer.errors?.[0]?.extensions?.code;
      }),
    );
    assert.equal(proxy.requests.length, 1, 'only the call on the connection reached GitLab');
    proxy.setMode({ kind: 'pass' });
    const next = await gateway.request(SystemHookDocument, { id: gid(1) });
    assert.equal(next.errors, undefined, `the breaker is closed: ${JSON.stringify(next.errors)}`);
    assert.deepEqual(codes.sort(), [
      'GATEWAY_OVERLOADED',
      'GATEWAY_OVERLOADED',
      'GATEWAY_OVERLOADED',
      'GATEWAY_OVERLOADED',
      'GATEWAY_OVERLOADED',
      'UPSTREAM_TIMEOUT',
    ]);
  });

  describe('/ready', () => {
    /** Hook reads that take `ms`; the probe's list goes straight through. */
    const slowReads = (ms: number) => (request: { target: string }) =>
      request.target.startsWith('/api/v4/hooks/')
        ? { kind: 'latency' as const, ms }
        : { kind: 'pass' as const };

    async function ready(gateway: GatewayHandle) {
      const response = await fetch(`${gateway.url}/ready`);
      return { status: response.status, body: (await response.json()) as unknown };
    }

    /** Sends `count` reads at once; resolves once the first has reached GitLab, the others waiting behind it. */
    async function occupy(gateway: GatewayHandle, count: number): Promise<{ done: Promise<unknown> }> {
      const done = Promise.all(
        Array.from({ length: count }, () => gateway.request(SystemHookDocument, { id: gid(1) })),
      );
      await until(() => proxy.requests.length > 0, 2_000, 'a read reached GitLab');
      return { done };
    }

    it('asks GitLab ahead of the calls waiting for a connection', async () => {
      // Two reads wait behind the one in flight; a probe behind them would wait past its deadline.
      const gateway = await start({ connections: 1, maxQueued: 4, timeoutMs: 1_000 });
      proxy.setMode(slowReads(400));
      const reads = await occupy(gateway, 3);
      assert.deepEqual(await ready(gateway), {
        status: 200,
        body: { ready: true, checks: { gitlab: 'up' } },
      });
      assert.equal(proxy.requests[1]?.target, '/api/v4/hooks?page=1&per_page=1', 'the probe went second');
      await reads.done;
    });

    it('stays ready, GitLab not judged, when even the probe finds every connection busy and no room to wait', async () => {
      const gateway = await start({ connections: 1, maxQueued: 0, timeoutMs: 2_000 });
      proxy.setMode(slowReads(300));
      const reads = await occupy(gateway, 1);
      assert.deepEqual(await ready(gateway), {
        status: 200,
        body: { ready: true, checks: { gitlab: 'not checked (gateway busy)' } },
      });
      assert.equal(proxy.requests.length, 1, 'the probe did not reach GitLab');
      await reads.done;
    });

    it('is ready when GitLab throttles the probe (429): GitLab answers', async () => {
      const gateway = await start({ timeoutMs: 1_000 });
      proxy.setMode({ kind: 'status', status: 429, headers: { 'retry-after': '60' } });
      assert.deepEqual(await ready(gateway), {
        status: 200,
        body: { ready: true, checks: { gitlab: 'up' } },
      });
    });
  });

  it('still opens the breaker when the calls that reached GitLab fail', async () => {
    const gateway = await start({ connections: 2, maxQueued: 10, timeoutMs: 300 });
    proxy.setMode({ kind: 'no-answer' });
    for (let i = 0; i < 3; i++) {
      const answer = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(answer.errors?.[0]?.extensions?.code, 'UPSTREAM_TIMEOUT');
    }
    const refused = await gateway.request(SystemHookDocument, { id: gid(1) });
    assert.match(refused.errors?.[0]?.message ?? '', /circuit breaker open/);
  });
});
