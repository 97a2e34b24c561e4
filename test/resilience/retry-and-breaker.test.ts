import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import type { CircuitState } from '../../src/upstream/circuit-breaker.ts';
import type { GitLabClientOptions } from '../../src/upstream/client.ts';
import type { UpstreamInstrumentation } from '../../src/upstream/instrumentation.ts';
import {
  CreateSystemHookDocument,
  DeleteSystemHookDocument,
  SystemHookDocument,
  TestSystemHookDocument,
  UpdateSystemHookDocument,
} from '../generated/graphql.ts';
import { USER_TOKEN } from '../helpers/credentials.ts';
import { type FaultMode, type FaultProxy, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import { type GatewayHandle, gid, startGateway } from '../helpers/stack.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const MARGIN_MS = 1_500;

/** Fails the first `count` requests with `fault`, then lets everything through. */
function failFirst(count: number, fault: FaultMode) {
  let seen = 0;
  return (): FaultMode => (seen++ < count ? fault : { kind: 'pass' });
}

const BAD_GATEWAY: FaultMode = { kind: 'status', status: 502 };

describe('retry policy and circuit breaker, through GraphQL over a TCP proxy', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let gateway: GatewayHandle | undefined;
  let hookIds: number[];

  before(async () => {
    ({ gitlab, proxy, hookIds } = await startProxiedGitLab({ hooks: 20 }));
  });
  after(async () => {
    await proxy.close();
    await gitlab.close();
  });
  beforeEach(() => {
    proxy.setMode({ kind: 'pass' });
    proxy.requests.length = 0;
    gitlab.resetRequestLog();
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await waitUntil('every gateway-side socket closed', () => proxy.openConnections === 0, {
      withinMs: 2_000,
    });
  });

  /** The breaker's state, read from the client of the last gateway `start` made. */
  let circuitState: (() => CircuitState) | undefined;

  async function start(upstream: Partial<GitLabClientOptions> = {}): Promise<GatewayHandle> {
    // An instrumentation that observes no call, only the client, so that a test can wait out a cool-down.
    const instrumentation: UpstreamInstrumentation = {
      attach: (client) => {
        circuitState = client.circuitState;
      },
      startCall: () => undefined,
    };
    gateway = await startGateway(proxy.url, { upstream: { timeoutMs: 2_000, instrumentation, ...upstream } });
    return gateway;
  }

  const sent = (method: string) => proxy.requests.filter((request) => request.method === method);

  describe('GET', () => {
    for (const retries of [0, 1, 2, 3]) {
      it(`is sent exactly ${retries + 1} times with retries: ${retries} when GitLab keeps answering 502`, async () => {
        const gateway = await start({ retry: { retries, baseDelayMs: 10 } });
        proxy.setMode(BAD_GATEWAY);
        const result = await gateway.request(SystemHookDocument, { id: gid(1) });
        assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
        assert.equal(sent('GET').length, retries + 1);
      });
    }

    for (const fault of [
      BAD_GATEWAY,
      { kind: 'status', status: 503 },
      { kind: 'status', status: 504 },
      { kind: 'reset-before-headers' },
      { kind: 'reset-mid-body' },
    ] satisfies FaultMode[]) {
      const name = fault.kind === 'status' ? `answers ${fault.status}` : fault.kind;
      it(`answers with the data when GitLab ${name} twice, then recovers`, async () => {
        const gateway = await start();
        proxy.setMode(failFirst(2, fault));
        const result = await gateway.request(SystemHookDocument, { id: gid(1) });
        assert.equal(result.errors, undefined);
        assert.equal(result.data?.systemHook?.id, gid(1));
        assert.equal(sent('GET').length, 3);
      });
    }

    it('does not retry 500, malformed answers, or 4xx', async () => {
      const gateway = await start();
      for (const mode of [
        { kind: 'status', status: 500 },
        { kind: 'malformed-json' },
        { kind: 'status', status: 401, body: '{"message":"401 Unauthorized"}' },
      ] satisfies FaultMode[]) {
        proxy.requests.length = 0;
        proxy.setMode(mode);
        await gateway.request(SystemHookDocument, { id: gid(1) });
        assert.equal(sent('GET').length, 1, mode.kind);
      }
    });

    it('retries an attempt that gets no headers within attemptTimeoutMs, inside the one deadline', async () => {
      const gateway = await start({ timeoutMs: 1_000, attemptTimeoutMs: 150 });
      proxy.setMode(failFirst(1, { kind: 'no-answer' }));
      const started = performance.now();
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.data?.systemHook?.id, gid(1));
      assert.ok(performance.now() - started < 1_000);
      assert.equal(sent('GET').length, 2);
      // The silent attempt's socket is destroyed, not reused.
      const first = proxy.requests[0];
      await waitUntil(
        'the first attempt’s socket closed',
        () => first !== undefined && !proxy.isConnectionOpen(first.connection),
        {
          withinMs: 2_000,
        },
      );
    });

    it('stops retrying at the deadline of the whole call', async () => {
      const gateway = await start({ timeoutMs: 500, attemptTimeoutMs: 150, retry: { retries: 10 } });
      proxy.setMode({ kind: 'no-answer' });
      const started = performance.now();
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      const elapsed = performance.now() - started;
      assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_TIMEOUT');
      assert.ok(elapsed < 500 + MARGIN_MS, `answered in ${Math.round(elapsed)} ms`);
      // 150 ms per attempt fits at most four attempts into 500 ms, never eleven.
      assert.ok(sent('GET').length >= 2 && sent('GET').length <= 4, `${sent('GET').length} attempts`);
    });

    it('reports the failure that called for a retry when the deadline cuts the retry short', async () => {
      const gateway = await start({ timeoutMs: 500 });
      let seen = 0;
      proxy.setMode(() => (seen++ === 0 ? BAD_GATEWAY : { kind: 'no-answer' }));
      const started = performance.now();
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE', 'the 502, not a timeout');
      assert.ok(performance.now() - started < 500 + MARGIN_MS);
      assert.equal(sent('GET').length, 2);
    });

    it('waits out a Retry-After within the cap on 429, then answers', async () => {
      const gateway = await start({ timeoutMs: 3_000 });
      proxy.setMode(failFirst(1, { kind: 'status', status: 429, headers: { 'retry-after': '1' } }));
      const started = performance.now();
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.data?.systemHook?.id, gid(1));
      assert.ok(performance.now() - started >= 950, 'the retry waited for Retry-After');
      assert.equal(sent('GET').length, 2);
    });

    it('waits out a Retry-After within the cap on 503, then answers', async () => {
      const gateway = await start({ timeoutMs: 3_000 });
      proxy.setMode(failFirst(1, { kind: 'status', status: 503, headers: { 'retry-after': '1' } }));
      const started = performance.now();
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.data?.systemHook?.id, gid(1));
      assert.ok(performance.now() - started >= 950);
    });

    it('gives up at once with RATE_LIMITED when Retry-After exceeds the cap', async () => {
      const gateway = await start({ retry: { maxRetryAfterMs: 2_000 } });
      proxy.setMode({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });
      const started = performance.now();
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
      assert.equal(result.errors?.[0]?.extensions?.retryAfterSeconds, 3);
      assert.ok(performance.now() - started < 1_000, 'no waiting for a Retry-After it will not honour');
      assert.equal(sent('GET').length, 1);
    });

    it('gives up at once when Retry-After is within the cap but past the deadline', async () => {
      const gateway = await start({ timeoutMs: 500 });
      proxy.setMode({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
      assert.equal(result.errors?.[0]?.extensions?.retryAfterSeconds, 1);
      assert.equal(sent('GET').length, 1);
    });

    it('does not retry a 429 without Retry-After', async () => {
      const gateway = await start();
      proxy.setMode({ kind: 'status', status: 429, body: 'Retry later\n' });
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
      assert.equal(sent('GET').length, 1);
    });
  });

  describe('POST, PUT and DELETE', () => {
    it('sends a create exactly once under 502, and under a reset', async () => {
      const gateway = await start();
      for (const fault of [BAD_GATEWAY, { kind: 'reset-before-headers' }] satisfies FaultMode[]) {
        proxy.requests.length = 0;
        proxy.setMode(fault);
        const result = await gateway.request(CreateSystemHookDocument, {
          input: { url: 'https://example.com/once' },
        });
        assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
        assert.equal(sent('POST').length, 1, fault.kind);
      }
    });

    it('sends a create exactly once when GitLab processed it but the answer was lost', async () => {
      const gateway = await start();
      const before = gitlab.requests.length;
      proxy.setMode({ kind: 'reset-mid-body' });
      const result = await gateway.request(CreateSystemHookDocument, {
        input: { url: 'https://example.com/lost-answer' },
      });
      assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
      const creates = gitlab.requests.slice(before).filter((r) => r.method === 'POST');
      assert.equal(creates.length, 1, 'GitLab created the hook once, and no duplicate was sent');
    });

    it('sends a test delivery exactly once under 503', async () => {
      const gateway = await start();
      proxy.setMode({ kind: 'status', status: 503 });
      const result = await gateway.request(TestSystemHookDocument, { input: { id: gid(1) } });
      assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(sent('POST').length, 1);
    });

    it('retries an update (an idempotent PUT) after 502 and returns the updated hook', async () => {
      const gateway = await start();
      proxy.setMode(failFirst(1, BAD_GATEWAY));
      const result = await gateway.request(UpdateSystemHookDocument, {
        input: { id: gid(2), name: 'renamed after a retry' },
      });
      assert.equal(result.data?.updateSystemHook.systemHook?.name, 'renamed after a retry');
      assert.equal(sent('PUT').length, 2);
    });

    it('does not retry a DELETE that may have reached GitLab (502, reset)', async () => {
      const gateway = await start();
      for (const fault of [BAD_GATEWAY, { kind: 'reset-before-headers' }] satisfies FaultMode[]) {
        proxy.requests.length = 0;
        proxy.setMode(fault);
        const result = await gateway.request(DeleteSystemHookDocument, { input: { id: gid(3) } });
        assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
        assert.equal(sent('DELETE').length, 1, fault.kind);
      }
    });

    it('retries a DELETE that GitLab throttled (429 with Retry-After), which it never processed', async () => {
      const gateway = await start();
      const id = hookIds[3] as number;
      proxy.setMode(failFirst(1, { kind: 'status', status: 429, headers: { 'retry-after': '0' } }));
      const result = await gateway.request(DeleteSystemHookDocument, { input: { id: gid(id) } });
      assert.equal(result.errors, undefined);
      assert.equal(result.data?.deleteSystemHook.deletedSystemHookId, gid(id));
      assert.equal(sent('DELETE').length, 2);
    });
  });

  describe('circuit breaker', () => {
    const BREAKER = { failureThreshold: 3, coolDownMs: 1_000 };
    const coolDownOver = () =>
      waitUntil('the cool-down is over', () => circuitState?.() === 'half-open', {
        withinMs: BREAKER.coolDownMs + MARGIN_MS,
      });

    it('opens after consecutive failures and then fails fast without calling GitLab', async () => {
      const gateway = await start({ retry: { retries: 0 }, circuitBreaker: BREAKER });
      proxy.setMode(BAD_GATEWAY);
      for (let i = 0; i < 3; i++) await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(proxy.requests.length, 3);
      const started = performance.now();
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      const error = result.errors?.[0];
      assert.equal(error?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
      assert.match(error?.message ?? '', /circuit breaker open/);
      assert.ok(typeof error?.extensions?.retryAfterSeconds === 'number');
      assert.ok(performance.now() - started < 500, 'failed fast');
      assert.equal(proxy.requests.length, 3, 'GitLab was not called while the breaker is open');
    });

    it('counts retried attempts, and opens in the middle of a call', async () => {
      const gateway = await start({ retry: { retries: 2, baseDelayMs: 5 }, circuitBreaker: BREAKER });
      proxy.setMode(BAD_GATEWAY);
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(proxy.requests.length, 3);
      const next = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.match(next.errors?.[0]?.message ?? '', /circuit breaker open/);
      assert.equal(proxy.requests.length, 3);
    });

    it('never opens on 4xx answers, which prove GitLab is up', async () => {
      const gateway = await start({ retry: { retries: 0 }, circuitBreaker: BREAKER });
      for (let i = 0; i < 6; i++) {
        const result = await gateway.request(SystemHookDocument, { id: gid(1) }, { token: USER_TOKEN });
        assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      }
      // Two failures, a success, two failures: never three in a row.
      proxy.setMode(failFirst(2, BAD_GATEWAY));
      await gateway.request(SystemHookDocument, { id: gid(1) });
      await gateway.request(SystemHookDocument, { id: gid(1) });
      await gateway.request(SystemHookDocument, { id: gid(1) }, { token: USER_TOKEN });
      proxy.setMode(failFirst(2, BAD_GATEWAY));
      await gateway.request(SystemHookDocument, { id: gid(1) });
      await gateway.request(SystemHookDocument, { id: gid(1) });
      proxy.setMode({ kind: 'pass' });
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(result.data?.systemHook?.id, gid(1));
    });

    it('opens on timeouts, as on 5xx answers', async () => {
      const gateway = await start({ timeoutMs: 200, retry: { retries: 0 }, circuitBreaker: BREAKER });
      proxy.setMode({ kind: 'no-answer' });
      for (let i = 0; i < 3; i++) {
        const result = await gateway.request(SystemHookDocument, { id: gid(1) });
        assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_TIMEOUT');
      }
      const result = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.match(result.errors?.[0]?.message ?? '', /circuit breaker open/);
    });

    it('lets one probe through after the cool-down, and closes when it succeeds', async () => {
      const gateway = await start({ retry: { retries: 0 }, circuitBreaker: BREAKER });
      proxy.setMode(BAD_GATEWAY);
      for (let i = 0; i < 3; i++) await gateway.request(SystemHookDocument, { id: gid(1) });
      await coolDownOver();
      // The probe is slow, so that a second call arrives while it is in flight: that one still fails fast.
      proxy.setMode({ kind: 'latency', ms: 300 });
      const before = proxy.requests.length;
      const probing = gateway.request(SystemHookDocument, { id: gid(1) });
      await waitUntil('the probe is held on its way to GitLab', () => proxy.requests.length > before);
      const [probe, concurrent] = await Promise.all([
        probing,
        gateway.request(SystemHookDocument, { id: gid(2) }),
      ]);
      assert.equal(probe.data?.systemHook?.id, gid(1));
      assert.match(concurrent.errors?.[0]?.message ?? '', /circuit breaker open/);
      assert.equal(proxy.requests.length - before, 1, 'exactly one probe reached GitLab');
      proxy.setMode({ kind: 'pass' });
      const after = await gateway.request(SystemHookDocument, { id: gid(2) });
      assert.equal(after.data?.systemHook?.id, gid(2), 'closed again');
    });

    it('reopens for another cool-down when the probe fails', async () => {
      const gateway = await start({ retry: { retries: 0 }, circuitBreaker: BREAKER });
      proxy.setMode(BAD_GATEWAY);
      for (let i = 0; i < 3; i++) await gateway.request(SystemHookDocument, { id: gid(1) });
      await coolDownOver();
      const before = proxy.requests.length;
      const probe = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.equal(probe.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
      assert.doesNotMatch(probe.errors?.[0]?.message ?? '', /circuit breaker/, 'the probe reached GitLab');
      const next = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.match(next.errors?.[0]?.message ?? '', /circuit breaker open/);
      assert.equal(proxy.requests.length - before, 1);
    });

    it('belongs to one origin: another gateway client to GitLab is unaffected', async () => {
      const gateway = await start({ retry: { retries: 0 }, circuitBreaker: BREAKER });
      proxy.setMode(BAD_GATEWAY);
      for (let i = 0; i < 3; i++) await gateway.request(SystemHookDocument, { id: gid(1) });
      const direct = await startGateway(gitlab.url, { upstream: { circuitBreaker: BREAKER } });
      try {
        const result = await direct.request(SystemHookDocument, { id: gid(1) });
        assert.equal(result.data?.systemHook?.id, gid(1));
      } finally {
        await direct.close();
      }
    });
  });

  /**
   * The gateway's own queue for a connection to GitLab is not GitLab failing (security review, finding 3): calls
   * that wait for a connection are bounded, their overflow fails fast with GATEWAY_OVERLOADED, and neither the
   * overflow nor a wait that runs out counts against the circuit breaker.
   */
  describe("the gateway's own queue of calls to GitLab", () => {
    const BREAKER = { failureThreshold: 3, coolDownMs: 60_000 };

    /** A gateway that never retries, with a breaker that opens after three failures in a row. */
    const startQueued = (upstream: Partial<GitLabClientOptions>) =>
      start({ retry: { retries: 0 }, circuitBreaker: BREAKER, ...upstream });

    /** Calls GitLab has answered so far. */
    const answered = () => proxy.requests.filter((request) => request.outcome === 'answered').length;

    it('fails the overflow at once with GATEWAY_OVERLOADED, serves the rest, and leaves the breaker closed', async () => {
      const gateway = await startQueued({ connections: 2, maxQueued: 2, timeoutMs: 5_000 });
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
      const gateway = await startQueued({ connections: 1, maxQueued: 10, timeoutMs: 400 });
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
        await waitUntil('a read reached GitLab', () => proxy.requests.length > 0, { withinMs: 2_000 });
        return { done };
      }

      it('asks GitLab ahead of the calls waiting for a connection', async () => {
        // Two reads wait behind the one in flight; a probe behind them would wait past its deadline.
        const gateway = await startQueued({ connections: 1, maxQueued: 4, timeoutMs: 1_000 });
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
        const gateway = await startQueued({ connections: 1, maxQueued: 0, timeoutMs: 2_000 });
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
        const gateway = await startQueued({ timeoutMs: 1_000 });
        proxy.setMode({ kind: 'status', status: 429, headers: { 'retry-after': '60' } });
        assert.deepEqual(await ready(gateway), {
          status: 200,
          body: { ready: true, checks: { gitlab: 'up' } },
        });
      });
    });

    it('still opens the breaker when the calls that reached GitLab fail', async () => {
      const gateway = await startQueued({ connections: 2, maxQueued: 10, timeoutMs: 300 });
      proxy.setMode({ kind: 'no-answer' });
      for (let i = 0; i < 3; i++) {
        const answer = await gateway.request(SystemHookDocument, { id: gid(1) });
        assert.equal(answer.errors?.[0]?.extensions?.code, 'UPSTREAM_TIMEOUT');
      }
      const refused = await gateway.request(SystemHookDocument, { id: gid(1) });
      assert.match(refused.errors?.[0]?.message ?? '', /circuit breaker open/);
    });
  });
});
