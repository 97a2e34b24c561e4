import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { createGateway } from '../../src/http/gateway.ts';
import { startGatewayServer } from '../../src/http/server.ts';
import { createGatewayMetrics } from '../../src/observability/metrics.ts';
import { startMetricsServer } from '../../src/observability/metrics-server.ts';
import { createGitLabClient } from '../../src/upstream/client.ts';
import { credentialHeaders, graphqlHeaders } from '../helpers/credentials.ts';
import { type FaultProxy, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import {
  eventsInMemory,
  type Observed,
  parseExposition,
  type Sample,
  startObservedGateway,
  sumOf,
} from '../helpers/observed-stack.ts';
import { type GatewayHandle, gid } from '../helpers/stack.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const RECEIVER_TOKEN = 'receiver-token-for-metrics';

/** Every family the gateway exports, with exactly its label names (histograms' `le` aside). */
const FAMILIES: Record<string, string[]> = {
  http_server_request_duration_seconds: ['http_request_method', 'http_route', 'http_response_status_code'],
  http_client_request_duration_seconds: [
    'http_request_method',
    'url_template',
    'http_response_status_code',
    'error_type',
    'server_address',
  ],
  gateway_upstream_call_duration_seconds: ['http_request_method', 'url_template', 'outcome'],
  gateway_upstream_retries_total: ['url_template', 'reason'],
  gateway_upstream_circuit_state: ['server_address'],
  gateway_upstream_circuit_opened_total: ['server_address'],
  gateway_graphql_errors_total: ['code'],
  gateway_dataloader_batch_size: ['loader'],
  gateway_webhook_deliveries_total: ['outcome'],
  gateway_active_subscriptions: [],
  gateway_websocket_connections: [],
  gateway_build_info: ['version', 'node_version'],
  graphql_envelop_request: ['operationType'],
  graphql_envelop_request_duration: ['operationType'],
  graphql_envelop_phase_parse: ['operationType'],
  graphql_envelop_phase_validate: ['operationType'],
  graphql_envelop_phase_execute: ['operationType'],
  graphql_envelop_error_result: ['operationType', 'phase'],
};

/** The label names of each sample of a family, `le` left out; one entry per distinct set. */
function labelSets(samples: readonly Sample[], family: string): string[] {
  const names = samples
    .filter((sample) => sample.name === family || sample.name.startsWith(`${family}_`))
    .map((sample) =>
      Object.keys(sample.labels)
        .filter((label) => label !== 'le')
        .sort()
        .join(','),
    );
  return [...new Set(names)];
}

describe('metrics of a gateway in front of GitLab, through a fault proxy', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let gateway: GatewayHandle & Observed;
  let ids: number[];

  before(async () => {
    ({ gitlab, proxy, hookIds: ids } = await startProxiedGitLab({ hooks: 3 }));
    gateway = await startObservedGateway(proxy.url, {
      tracing: false,
      logLevel: 'silent',
      upstream: {
        retry: { retries: 1, baseDelayMs: 1 },
        circuitBreaker: { failureThreshold: 2, coolDownMs: 60_000 },
      },
      gateway: {
        events: eventsInMemory(RECEIVER_TOKEN),
      },
    });
  });
  after(async () => {
    await gateway.close();
    await proxy.close();
    await gitlab.close();
  });

  const scrape = async () => parseExposition(await gateway.metricsText());

  it('counts a successful query: the request, the GitLab attempt by URL template, the call and the operation', async () => {
    const result = await gateway.requestText('query Hooks { systemHooks(first: 2) { count } }');
    assert.equal(result.errors, undefined);
    const samples = await scrape();
    assert.equal(
      sumOf(samples, 'http_server_request_duration_seconds_count', {
        http_request_method: 'POST',
        http_route: '/graphql',
        http_response_status_code: '200',
      }),
      1,
    );
    assert.equal(
      sumOf(samples, 'http_client_request_duration_seconds_count', {
        http_request_method: 'GET',
        url_template: '/api/v4/hooks',
        http_response_status_code: '200',
        error_type: '',
        server_address: '127.0.0.1',
      }),
      1,
    );
    assert.equal(
      sumOf(samples, 'gateway_upstream_call_duration_seconds_count', {
        url_template: '/api/v4/hooks',
        outcome: 'ok',
      }),
      1,
    );
    assert.equal(sumOf(samples, 'graphql_envelop_request', { operationType: 'query' }), 1);
    assert.equal(sumOf(samples, 'graphql_envelop_phase_execute_count', { operationType: 'query' }), 1);
  });

  it('counts GraphQL errors by code, and a request refused before parsing by its status', async () => {
    await gateway.requestText('{ systemHook(id: "not-an-id") { id } }');
    await gateway.requestText('{ systemHooks(first: 1) { count } }', undefined, { token: null });
    const invalidJson = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: graphqlHeaders(),
      body: '{"query": ',
    });
    await invalidJson.body?.cancel();
    assert.equal(invalidJson.status, 400);
    const samples = await scrape();
    assert.equal(sumOf(samples, 'gateway_graphql_errors_total', { code: 'BAD_USER_INPUT' }), 1);
    assert.equal(sumOf(samples, 'gateway_graphql_errors_total', { code: 'UNAUTHENTICATED' }), 1);
    assert.equal(sumOf(samples, 'gateway_graphql_errors_total', { code: 'BAD_REQUEST' }), 1);
    assert.equal(
      sumOf(samples, 'http_server_request_duration_seconds_count', {
        http_route: '/graphql',
        http_response_status_code: '400',
      }),
      1,
    );
    // Every code of the documented set is exported from the start, at zero when unseen.
    assert.equal(sumOf(samples, 'gateway_graphql_errors_total', { code: 'RATE_LIMITED' }), 0);
    assert.ok(samples.some((sample) => sample.labels.code === 'RATE_LIMITED'));
  });

  it('counts GraphQL phases and their errors by phase, and leaves introspection out', async () => {
    const before = await scrape();
    const delta = (name: string, labels: Record<string, string>, after: Sample[]) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    await gateway.requestText('{ systemHook(id: ');
    await gateway.requestText('{ noSuchField }');
    await gateway.requestText(
      'query Two { a: systemHook(id: "not-an-id") { id } b: systemHook(id: "nor-this") { id } }',
    );
    await gateway.requestText('{ __schema { queryType { name } } }');
    await gateway.requestText('mutation { deleteSystemHook(input: { id: "not-an-id" }) { errors } }');
    const after = await scrape();
    const error = (operationType: string, phase: string) =>
      delta('graphql_envelop_error_result', { operationType, phase }, after);
    assert.equal(error('unknown', 'parse'), 1);
    assert.equal(error('query', 'validate'), 1);
    assert.equal(error('query', 'execute'), 2, 'one per error of the result');
    assert.equal(error('mutation', 'execute'), 1);
    // Parsed: the four that parse, less introspection; executed: the two valid operations.
    assert.equal(delta('graphql_envelop_phase_parse_count', { operationType: 'query' }, after), 2);
    assert.equal(delta('graphql_envelop_phase_validate_count', { operationType: 'query' }, after), 2);
    assert.equal(delta('graphql_envelop_phase_execute_count', { operationType: 'query' }, after), 1);
    assert.equal(delta('graphql_envelop_request', { operationType: 'query' }, after), 1);
    assert.equal(delta('graphql_envelop_request', { operationType: 'mutation' }, after), 1);
    assert.equal(delta('graphql_envelop_request_duration_count', { operationType: 'mutation' }, after), 1);
  });

  it('counts one attempt per try and the retry with its reason', async () => {
    let failed = 0;
    proxy.setMode(() => (failed++ === 0 ? { kind: 'status', status: 502 } : { kind: 'pass' }));
    const result = await gateway.requestText(`{ systemHook(id: "${gid(ids[0] as number)}") { id } }`);
    proxy.setMode({ kind: 'pass' });
    assert.equal(result.errors, undefined);
    const samples = await scrape();
    const template = { url_template: '/api/v4/hooks/:hook_id' };
    assert.equal(sumOf(samples, 'gateway_upstream_retries_total', { ...template, reason: 'status_5xx' }), 1);
    assert.equal(
      sumOf(samples, 'http_client_request_duration_seconds_count', {
        ...template,
        http_response_status_code: '502',
      }),
      1,
    );
    assert.equal(
      sumOf(samples, 'http_client_request_duration_seconds_count', {
        ...template,
        http_response_status_code: '200',
      }),
      1,
    );
  });

  it('counts the DataLoader batch of a nodes query by its size', async () => {
    const hookById = { loader: 'hook_by_id' };
    const before = await scrape();
    const list = ids.map((id) => `"${gid(id)}"`).join(', ');
    const result = await gateway.requestText(`{ nodes(ids: [${list}]) { id } }`);
    assert.equal(result.errors, undefined);
    const samples = await scrape();
    const grew = (name: string) => sumOf(samples, name, hookById) - sumOf(before, name, hookById);
    assert.equal(grew('gateway_dataloader_batch_size_count'), 1);
    assert.equal(grew('gateway_dataloader_batch_size_sum'), 3);
  });

  it('counts receiver deliveries: accepted, duplicate and refused, by outcome', async () => {
    const deliver = async (token: string, id: string) => {
      const response = await fetch(`${gateway.url}/webhooks/system-hooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-token': token,
          'idempotency-key': id,
        },
        body: JSON.stringify({ event_name: 'project_create', project_id: 1 }),
      });
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await deliver(RECEIVER_TOKEN, 'delivery-1'), 204);
    assert.equal(await deliver(RECEIVER_TOKEN, 'delivery-1'), 204);
    assert.equal(await deliver('wrong-token', 'delivery-2'), 401);
    const samples = await scrape();
    assert.equal(sumOf(samples, 'gateway_webhook_deliveries_total', { outcome: 'accepted' }), 1);
    assert.equal(sumOf(samples, 'gateway_webhook_deliveries_total', { outcome: 'duplicate' }), 1);
    assert.equal(sumOf(samples, 'gateway_webhook_deliveries_total', { outcome: 'unauthenticated' }), 1);
    assert.equal(
      sumOf(samples, 'http_server_request_duration_seconds_count', {
        http_route: '/webhooks/system-hooks',
        http_response_status_code: '401',
      }),
      1,
    );
  });

  it('counts an active subscription while it runs, and not after', async () => {
    const controller = new AbortController();
    const response = await fetch(
      `${gateway.url}/graphql?query=${encodeURIComponent('subscription { systemHookEventReceived { eventName } }')}`,
      { headers: { accept: 'text/event-stream', ...credentialHeaders() }, signal: controller.signal },
    );
    assert.equal(response.status, 200);
    const reader = response.body?.getReader();
    // The stream starts (a keep-alive or the first event) once the subscription is served.
    await reader?.read();
    const started = await scrape();
    assert.equal(sumOf(started, 'gateway_active_subscriptions'), 1);
    // Its start is timed and counted once it has started, not when it ends.
    const subscription = { operationType: 'subscription' };
    assert.equal(sumOf(started, 'graphql_envelop_phase_subscribe_count', subscription), 1);
    assert.equal(sumOf(started, 'graphql_envelop_request', subscription), 1);
    controller.abort();
    await reader?.cancel().catch(() => {});
    await waitUntil(
      'the subscription is no longer counted',
      async () => sumOf(await scrape(), 'gateway_active_subscriptions') === 0,
      { withinMs: 1_000, everyMs: 20 },
    );
    assert.equal(sumOf(await scrape(), 'gateway_active_subscriptions'), 0);
  });

  it("counts the error that ends a subscription served by the gateway's own SSE writer", async () => {
    const rechecked = await startObservedGateway(proxy.url, {
      tracing: false,
      logLevel: 'silent',
      gateway: { events: { ...eventsInMemory(RECEIVER_TOKEN), authRecheckMs: 100 } },
    });
    try {
      const response = await fetch(
        `${rechecked.url}/graphql?query=${encodeURIComponent('subscription { systemHookEventReceived { eventName } }')}`,
        { headers: { accept: 'text/event-stream', ...credentialHeaders() } },
      );
      const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      // The first bytes come once the subscription is served: its start check has passed.
      await reader.read();
      // GitLab refuses the credential at the next recheck: the stream ends with UNAUTHENTICATED.
      proxy.setMode({ kind: 'status', status: 401 });
      let text = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      assert.match(text, /"code":"UNAUTHENTICATED"/);
      const samples = parseExposition(await rechecked.metricsText());
      const labels = { operationType: 'subscription', phase: 'subscribe' };
      assert.equal(sumOf(samples, 'graphql_envelop_error_result', labels), 1);
    } finally {
      proxy.setMode({ kind: 'pass' });
      await rechecked.close();
    }
  });

  it('counts the error that ends a grouped subscription served over WebSocket', async () => {
    const rechecked = await startObservedGateway(proxy.url, {
      tracing: false,
      logLevel: 'silent',
      gateway: { events: { ...eventsInMemory(RECEIVER_TOKEN), authRecheckMs: 100 } },
      websocket: {},
    });
    const socket = new WebSocket(`${rechecked.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
      headers: credentialHeaders(),
    });
    try {
      const messages: { type: string; payload?: unknown }[] = [];
      socket.on('message', (data) => messages.push(JSON.parse(String(data))));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ type: 'connection_init' }));
      await waitUntil('the connection is acknowledged', () =>
        messages.some((m) => m.type === 'connection_ack'),
      );
      socket.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: { query: 'subscription { systemHookEventReceived { eventName } }' },
        }),
      );
      const active = async () =>
        sumOf(parseExposition(await rechecked.metricsText()), 'gateway_active_subscriptions');
      await waitUntil('the subscription is served', async () => (await active()) === 1);
      // GitLab refuses the credential at the next recheck: the operation ends with UNAUTHENTICATED.
      proxy.setMode({ kind: 'status', status: 401 });
      await waitUntil('the operation ends with an error', () => messages.some((m) => m.type === 'error'), {
        withinMs: 2_000,
      });
      assert.match(JSON.stringify(messages.find((m) => m.type === 'error')), /"code":"UNAUTHENTICATED"/);
      const samples = parseExposition(await rechecked.metricsText());
      const labels = { operationType: 'subscription', phase: 'subscribe' };
      assert.equal(sumOf(samples, 'graphql_envelop_error_result', labels), 1);
    } finally {
      proxy.setMode({ kind: 'pass' });
      socket.terminate();
      await rechecked.close();
    }
  });

  it('reports the breaker: its openings, its state at scrape, and calls that failed fast', async () => {
    proxy.setMode({ kind: 'status', status: 502 });
    // Two failed attempts open it (one call, retried once); the next call fails fast.
    await gateway.requestText(`{ systemHook(id: "${gid(ids[1] as number)}") { id } }`);
    const fast = await gateway.requestText(`{ systemHook(id: "${gid(ids[1] as number)}") { id } }`);
    proxy.setMode({ kind: 'pass' });
    assert.equal(fast.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
    const samples = await scrape();
    assert.equal(sumOf(samples, 'gateway_upstream_circuit_state', { server_address: '127.0.0.1' }), 2);
    assert.equal(sumOf(samples, 'gateway_upstream_circuit_opened_total', { server_address: '127.0.0.1' }), 1);
    assert.equal(
      sumOf(samples, 'gateway_upstream_call_duration_seconds_count', {
        url_template: '/api/v4/hooks/:hook_id',
        outcome: 'circuit_open',
      }),
      1,
    );
  });

  it('exports each family with exactly its label names, and leaves out the unbounded and useless ones', async () => {
    const text = await gateway.metricsText();
    const samples = parseExposition(text);
    for (const [family, labels] of Object.entries(FAMILIES)) {
      assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), family);
      assert.deepEqual(labelSets(samples, family), [[...labels].sort().join(',')], family);
    }
    for (const absent of [
      'graphql_yoga_http_duration',
      'graphql_envelop_request_time_summary',
      'graphql_envelop_phase_context',
      'graphql_envelop_deprecated_field',
      'graphql_envelop_schema_change',
    ]) {
      assert.doesNotMatch(text, new RegExp(`^# TYPE ${absent} `, 'm'), absent);
    }
    assert.doesNotMatch(text, /operationName=|path=|url="/);
  });

  it('never answers /metrics on the GraphQL port', async () => {
    const response = await fetch(`${gateway.url}/metrics`);
    const body = await response.text();
    assert.equal(response.status, 404);
    assert.doesNotMatch(body, /http_server_request_duration_seconds/);
  });
});

describe('the metrics listener', () => {
  it('serves the registry at /metrics only, with Prometheus content type', async () => {
    const metrics = createGatewayMetrics({ version: '1.2.3' });
    const server = await startMetricsServer({ registry: metrics.registry, host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(server.url);
      const text = await response.text();
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      // The Node that runs the gateway, whichever supported line that is.
      assert.ok(
        text.split('\n').includes(`gateway_build_info{version="1.2.3",node_version="${process.version}"} 1`),
        text,
      );
      assert.match(text, /^process_cpu_user_seconds_total /m);
      assert.match(text, /^nodejs_eventloop_lag_seconds /m);
      const other = await fetch(server.url.replace('/metrics', '/other'));
      await other.body?.cancel();
      assert.equal(other.status, 404);
      const post = await fetch(server.url, { method: 'POST' });
      await post.body?.cancel();
      assert.equal(post.status, 405);
    } finally {
      await server.close();
    }
  });
});

describe('the WebSocket connections gauge', () => {
  it('counts the sockets open at each scrape', async () => {
    const metrics = createGatewayMetrics({ version: '0.0.0', processMetrics: false });
    const client = createGitLabClient({ baseUrl: 'http://127.0.0.1:9' });
    const gateway = createGateway({ api: client, logging: false, telemetry: { metrics } });
    const edge = await startGatewayServer(gateway, {
      shutdownGraceMs: 0,
      websocket: { maxMessageBytes: 1024 },
    });
    const { url } = edge;
    metrics.watchWebSockets(() => edge.webSocket?.connections ?? 0);
    const connections = async () =>
      sumOf(parseExposition(await metrics.registry.metrics()), 'gateway_websocket_connections');
    try {
      assert.equal(await connections(), 0);
      const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      assert.equal(await connections(), 1);
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close();
      await closed;
      await waitUntil('the gauge counts no socket', async () => (await connections()) === 0, {
        withinMs: 500,
      });
      assert.equal(await connections(), 0);
    } finally {
      await edge.close();
      await client.close();
    }
  });
});
