import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import type { UpstreamInstrumentation } from '../../src/upstream/instrumentation.ts';
import { CreateSystemHookDocument, SystemHookDocument, SystemHooksDocument } from '../generated/graphql.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { type FaultProxy, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import { type GatewayHandle, gid, startGateway } from '../helpers/stack.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/** Long enough that only a cancellation can end a held request in time. */
const HOLD_MS = 3_000;

/**
 * A caller that goes away, or a deadline that passes, ends the upstream calls of its request: the proxy sees
 * the gateway close the connection of a request it has not answered yet, and GitLab never gets it.
 */
describe('cancellation of upstream calls', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let gateway: GatewayHandle;
  /** Upstream calls started and ended, as the client reports them to an instrumentation. */
  const calls = { started: 0, ended: 0 };
  /** GraphQL executions that have finished: after its own, a request starts no upstream call. */
  let executed = 0;

  before(async () => {
    ({ gitlab, proxy } = await startProxiedGitLab({ hooks: 3 }));
  });
  after(async () => {
    await proxy.close();
    await gitlab.close();
  });
  beforeEach(async () => {
    proxy.setMode({ kind: 'pass' });
    proxy.requests.length = 0;
    gitlab.resetRequestLog();
    calls.started = calls.ended = executed = 0;
    gateway = await startGateway(proxy.url, {
      upstream: { timeoutMs: HOLD_MS * 2, instrumentation: countCalls(calls) },
      gateway: { plugins: [countExecutions(() => executed++)] },
    });
  });
  afterEach(async () => {
    await gateway.close();
    await waitUntil('every gateway-side socket closed', () => proxy.openConnections === 0, {
      withinMs: 2_000,
    });
  });

  /** Sends `query` to the gateway and aborts the HTTP request once the proxy holds `upstreamRequests`. */
  async function abandon(query: string, variables: Record<string, unknown>, upstreamRequests = 1) {
    const controller = new AbortController();
    const response = fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'private-token': ADMIN_TOKEN },
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
    response.catch(() => {});
    await waitUntil('the upstream request at the proxy', () => proxy.requests.length >= upstreamRequests, {
      withinMs: 2_000,
    });
    const abortedAt = performance.now();
    controller.abort();
    await assert.rejects(response, { name: 'AbortError' });
    return abortedAt;
  }

  /** Waits until the proxy saw every request's connection closed by the gateway, and says how soon. */
  async function upstreamClosedWithin(sinceMs: number, limitMs: number): Promise<void> {
    for (const request of proxy.requests) {
      await waitUntil('the upstream call aborted', () => !proxy.isConnectionOpen(request.connection), {
        withinMs: limitMs,
      });
    }
    const elapsed = performance.now() - sinceMs;
    assert.ok(elapsed < limitMs, `upstream calls ended ${Math.round(elapsed)} ms after the cause`);
  }

  it('aborts the upstream call when the client disconnects, before GitLab gets it', async () => {
    proxy.setMode({ kind: 'latency', ms: HOLD_MS });
    const abortedAt = await abandon(print(SystemHookDocument), { id: gid(1) });
    await upstreamClosedWithin(abortedAt, 1_000);
    assert.equal(proxy.requests[0]?.outcome, 'aborted');
    assert.equal(proxy.requests[0]?.forwarded, false);
    assert.equal(gitlab.requests.length, 0, 'GitLab never saw the abandoned request');
  });

  it('aborts an upstream answer stalled in its body when the client disconnects', async () => {
    proxy.setMode({ kind: 'stall-after-headers' });
    const abortedAt = await abandon(print(SystemHooksDocument), { first: 5 });
    await upstreamClosedWithin(abortedAt, 1_000);
  });

  it('aborts a mutation held in the network, so GitLab never creates the hook', async () => {
    proxy.setMode({ kind: 'latency', ms: HOLD_MS });
    const abortedAt = await abandon(print(CreateSystemHookDocument), {
      input: { url: 'https://example.com/abandoned' },
    });
    await upstreamClosedWithin(abortedAt, 1_000);
    // The proxy would have forwarded it after HOLD_MS; by then the gateway had given it up. Once the proxy has
    // settled the request, it will not forward it any more.
    await waitUntil('the proxy settles the held request', () => proxy.requests[0]?.outcome !== 'pending');
    assert.equal(gitlab.requests.filter((request) => request.method === 'POST').length, 0);
  });

  it('sends none of the later upstream calls of a request whose client went away', async () => {
    // The two reads wait for the list of the same request (the loader takes hooks from it), so they are
    // made only after the client is gone: each must see that, rather than call GitLab until the deadline.
    proxy.setMode({ kind: 'no-answer' });
    const query = `query Three($a: ID!, $b: ID!) {
      list: systemHooks(first: 1) { count }
      a: systemHook(id: $a) { id }
      b: systemHook(id: $b) { id }
    }`;
    const abortedAt = await abandon(query, { a: gid(1), b: gid(2) });
    const held = proxy.requests.length;
    await upstreamClosedWithin(abortedAt, 1_000);
    // A later call would be started by a resolver, so before the execution ends.
    await waitUntil('the execution of the abandoned request ends', () => executed === 1);
    assert.equal(proxy.requests.length, held, 'no upstream call was started after the client went away');
  });

  it('sends no retry after the client disconnected during the backoff', async () => {
    proxy.setMode({ kind: 'status', status: 503, headers: { 'retry-after': '1' } });
    await abandon(print(SystemHookDocument), { id: gid(1) });
    // A retry is sent by the call before it ends; the one due after 1 s is not waited for: the call ends first.
    await waitUntil('the upstream call ends', () => calls.started === 1 && calls.ended === 1, {
      withinMs: 900,
    });
    assert.equal(proxy.requests.length, 1, 'the retry due after 1 s was never sent');
  });

  it('aborts the upstream call when the deadline passes, and answers UPSTREAM_TIMEOUT', async () => {
    const short = await startGateway(proxy.url, { upstream: { timeoutMs: 300 } });
    try {
      proxy.setMode({ kind: 'no-answer' });
      const started = performance.now();
      const result = await short.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_TIMEOUT');
      await upstreamClosedWithin(started, 300 + 1_500);
    } finally {
      await short.close();
    }
  });
});

/** An instrumentation that only counts the client's calls as they start and end. */
function countCalls(calls: { started: number; ended: number }): UpstreamInstrumentation {
  return {
    startCall() {
      calls.started += 1;
      return {
        startAttempt: () => ({ responded() {}, finish() {} }),
        circuitOpen() {},
        retrying() {},
        end() {
          calls.ended += 1;
        },
      };
    },
  };
}

/** A Yoga plugin that calls `done` when an execution has finished. */
function countExecutions(done: () => void): Plugin {
  return { onExecute: () => ({ onExecuteDone: done }) };
}
