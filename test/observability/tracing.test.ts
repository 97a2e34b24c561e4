import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { reportingExporter, type TracingConfig } from '../../src/observability/tracing.ts';
import { credentialHeaders, graphqlHeaders } from '../helpers/credentials.ts';
import {
  captureLogs,
  eventsInMemory,
  type Observed,
  startObservedGateway,
} from '../helpers/observed-stack.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { type GatewayHandle, gid } from '../helpers/stack.ts';
import { hookJson } from '../upstream/fixtures.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const RECEIVER_TOKEN = 'receiver-token-for-traces';

/** Answers a hook for `GET /hooks/:id` and a list for `GET /hooks`, with GitLab's correlation id. */
function gitlabLike(request: { url: string }) {
  const id = /\/hooks\/(\d+)/.exec(request.url)?.[1];
  return id
    ? json(200, hookJson(Number(id)), { 'x-request-id': `gitlab-${id}` })
    : json(200, [hookJson(1)], { 'x-page': '1', 'x-per-page': '1', 'x-total': '1', 'x-total-pages': '1' });
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((span) => parentOf(span) === parent.spanContext().spanId);
function one(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  assert.equal(found.length, 1, `one span named ${name} in ${spans.map((span) => span.name).join(', ')}`);
  return found[0] as ReadableSpan;
}

describe('spans of a traced gateway', () => {
  let gitlab: ScriptedServer;
  let gateway: GatewayHandle & Observed;

  before(async () => {
    gitlab = await startScriptedServer(gitlabLike);
    gateway = await startObservedGateway(gitlab.url, {
      metrics: false,
      logLevel: 'debug',
      upstream: {
        retry: { retries: 1, baseDelayMs: 1 },
        circuitBreaker: { failureThreshold: 2, coolDownMs: 60_000 },
      },
      gateway: {
        events: eventsInMemory(RECEIVER_TOKEN),
      },
      websocket: {},
    });
  });
  after(async () => {
    await gateway.close();
    await gitlab.close();
  });
  beforeEach(() => {
    gitlab.requests.length = 0;
    gitlab.setScript(gitlabLike);
    gateway.logs.length = 0;
  });

  /** Sends `query` and returns the spans of its trace (the one the answer's request id names). */
  async function traced(query: string, headers: Record<string, string> = {}): Promise<ReadableSpan[]> {
    const before = gateway.spans().length;
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { ...graphqlHeaders(), 'user-agent': 'trace-test/1.0', ...headers },
      body: JSON.stringify({ query }),
    });
    await response.text();
    return gateway.spans().slice(before);
  }

  it('continues an incoming traceparent with the request, the operation, its phases and each GitLab call', async () => {
    const spans = await traced(`query ReadHook { systemHook(id: "${gid(5)}") { id } }`, {
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
      'x-request-id': 'traced-request-1',
    });
    for (const span of spans) assert.equal(span.spanContext().traceId, TRACE_ID, span.name);

    const server = one(spans, 'POST /graphql');
    assert.equal(server.kind, SpanKind.SERVER);
    assert.equal(parentOf(server), PARENT_ID);
    const requestId = server.attributes['gateway.request_id'];
    assert.match(String(requestId), /^[0-9a-f-]{36}$/, "the gateway's own id");
    assert.deepEqual(server.attributes, {
      'http.request.method': 'POST',
      'url.scheme': 'http',
      'gateway.request_id': requestId,
      'gateway.client_request_id': 'traced-request-1',
      'http.route': '/graphql',
      'url.path': '/graphql',
      'user_agent.original': 'trace-test/1.0',
      'http.response.status_code': 200,
    });

    const operation = one(spans, 'query');
    assert.equal(parentOf(operation), server.spanContext().spanId);
    assert.equal(operation.attributes['graphql.operation.type'], 'query');
    assert.equal(operation.attributes['graphql.operation.name'], 'ReadHook');
    assert.deepEqual(
      childrenOf(spans, operation)
        .map((span) => span.name)
        .sort(),
      ['graphql.execute', 'graphql.parse', 'graphql.validate'],
    );

    const call = one(spans, 'GitLab GET /hooks/:hook_id');
    assert.equal(parentOf(call), one(spans, 'graphql.execute').spanContext().spanId);
    assert.deepEqual(call.attributes, {
      'http.request.method': 'GET',
      'url.template': '/api/v4/hooks/:hook_id',
      'gateway.upstream.attempts': 1,
      'gateway.upstream.outcome': 'ok',
      'gateway.circuit.state': 'closed',
    });

    const attempt = one(spans, 'GET /api/v4/hooks/:hook_id');
    assert.equal(attempt.kind, SpanKind.CLIENT);
    assert.equal(parentOf(attempt), call.spanContext().spanId);
    assert.deepEqual(attempt.attributes, {
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': gitlab.port,
      'url.full': `${gitlab.url}/api/v4/hooks/5`,
      'url.template': '/api/v4/hooks/:hook_id',
      'http.response.status_code': 200,
      'gateway.gitlab.correlation_id': 'gitlab-5',
    });

    // GitLab got the attempt's context, so its own spans join this trace under the attempt.
    assert.equal(
      gitlab.requests[0]?.headers.traceparent,
      `00-${TRACE_ID}-${attempt.spanContext().spanId}-01`,
    );
  });

  it('starts a new trace without a traceparent, and puts its ids on the log lines of the request', async () => {
    const spans = await traced(`{ systemHook(id: "${gid(6)}") { id } }`);
    const server = one(spans, 'POST /graphql');
    assert.equal(server.parentSpanContext, undefined);
    assert.notEqual(server.spanContext().traceId, TRACE_ID);
    const traceId = server.spanContext().traceId;
    const lines = gateway.logs.filter((line) => line.msg === 'request' || line.msg === 'GitLab attempt');
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.equal(line.trace_id, traceId);
      assert.equal(typeof line.span_id, 'string');
      assert.equal(line.request_id, server.attributes['gateway.request_id']);
    }
  });

  it('makes one CLIENT span per attempt: the failed one in error, the retry with its resend count', async () => {
    let served = 0;
    gitlab.setScript((request) => (served++ === 0 ? json(503, {}) : gitlabLike(request)));
    const spans = await traced(`{ systemHook(id: "${gid(7)}") { id } }`);
    const attempts = spans.filter((span) => span.name === 'GET /api/v4/hooks/:hook_id');
    assert.equal(attempts.length, 2);
    const [first, second] = attempts as [ReadableSpan, ReadableSpan];
    assert.equal(first.status.code, SpanStatusCode.ERROR);
    assert.equal(first.attributes['http.response.status_code'], 503);
    assert.equal(first.attributes['error.type'], '503');
    assert.equal(first.attributes['http.request.resend_count'], undefined);
    assert.equal(second.attributes['http.request.resend_count'], 1);
    assert.equal(second.status.code, SpanStatusCode.UNSET);
    const call = one(spans, 'GitLab GET /hooks/:hook_id');
    assert.equal(call.attributes['gateway.upstream.attempts'], 2);
    assert.deepEqual(
      call.events.map((event) => [event.name, event.attributes?.reason, event.attributes?.attempt]),
      [['retry', 'status_5xx', 1]],
    );
    // Each attempt sent its own span's context.
    assert.deepEqual(
      gitlab.requests.map((request) => String(request.headers.traceparent).split('-')[2]),
      attempts.map((span) => span.spanContext().spanId),
    );
  });

  it('keeps the calls of a DataLoader batch in the request’s trace', async () => {
    const spans = await traced(`{ nodes(ids: ["${gid(150)}", "${gid(250)}"]) { id } }`);
    const traceId = one(spans, 'POST /graphql').spanContext().traceId;
    const calls = spans.filter((span) => span.name === 'GitLab GET /hooks/:hook_id');
    assert.equal(calls.length, 2);
    for (const call of calls) assert.equal(call.spanContext().traceId, traceId);
  });

  it('traces a receiver delivery with its outcome and event name, and probes not at all', async () => {
    const before = gateway.spans().length;
    for (const path of ['/health', '/ready']) {
      const response = await fetch(`${gateway.url}${path}`);
      await response.body?.cancel();
    }
    assert.equal(gateway.spans().length, before, 'no span for probes');
    const response = await fetch(`${gateway.url}/webhooks/system-hooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-token': RECEIVER_TOKEN },
      body: JSON.stringify({ event_name: 'project_create', project_id: 1 }),
    });
    await response.body?.cancel();
    const delivery = one(gateway.spans().slice(before), 'POST /webhooks/system-hooks');
    assert.equal(delivery.attributes['gateway.webhook.outcome'], 'accepted');
    assert.equal(delivery.attributes['gateway.webhook.event_name'], 'project_create');
    assert.equal(delivery.attributes['http.response.status_code'], 204);
  });

  it('continues an incoming traceparent on a delivery, and puts a refusal on its span', async () => {
    const before = gateway.spans().length;
    const deliver = async (token: string) => {
      const response = await fetch(`${gateway.url}/webhooks/system-hooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-token': token,
          traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        },
        body: JSON.stringify({ event_name: 'project_create', project_id: 2 }),
      });
      await response.body?.cancel();
      return response.headers.get('x-request-id');
    };
    const acceptedId = await deliver(RECEIVER_TOKEN);
    const refusedId = await deliver('wrong-token');
    const spans = gateway.spans().slice(before);
    assert.equal(spans.length, 2, spans.map((span) => span.name).join(', '));
    const [accepted, refused] = spans;
    for (const span of [accepted, refused]) {
      assert.equal(span?.name, 'POST /webhooks/system-hooks');
      assert.equal(span?.spanContext().traceId, TRACE_ID);
      assert.equal(span?.parentSpanContext?.spanId, PARENT_ID);
    }
    assert.equal(accepted?.attributes['gateway.request_id'], acceptedId);
    assert.equal(refused?.attributes['gateway.request_id'], refusedId);
    assert.equal(refused?.attributes['gateway.webhook.outcome'], 'unauthenticated');
    assert.equal(refused?.attributes['http.response.status_code'], 401);
  });

  it('traces the start of a subscription with its authorization check against GitLab', async () => {
    const before = gateway.spans().length;
    const controller = new AbortController();
    const response = await fetch(
      `${gateway.url}/graphql?query=${encodeURIComponent('subscription Watch { systemHookEventReceived { eventName } }')}`,
      { headers: { accept: 'text/event-stream', ...credentialHeaders() }, signal: controller.signal },
    );
    await response.body
      ?.getReader()
      .read()
      .catch(() => {});
    controller.abort();
    const spans = gateway.spans().slice(before);
    const operation = one(spans, 'subscription');
    assert.equal(operation.attributes['graphql.operation.name'], 'Watch');
    const subscribe = one(spans, 'graphql.subscribe');
    assert.equal(parentOf(subscribe), operation.spanContext().spanId);
    const check = one(spans, 'GitLab GET /hooks');
    assert.equal(parentOf(check), subscribe.spanContext().spanId);
  });

  it('starts a trace of its own for an operation over WebSocket, with its GitLab call under it', async () => {
    const before = gateway.spans().length;
    const client = createClient({
      url: `${gateway.url.replace('http:', 'ws:')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: credentialHeaders(),
      retryAttempts: 0,
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        let data: unknown;
        client.subscribe(
          { query: `{ systemHook(id: "${gid(9)}") { id } }` },
          { next: (value) => (data = value), error: reject, complete: () => resolve(data) },
        );
      });
      assert.deepEqual(result, { data: { systemHook: { id: gid(9) } } });
    } finally {
      await client.dispose();
    }
    const spans = gateway.spans().slice(before);
    const execute = one(spans, 'graphql.execute');
    assert.equal(execute.parentSpanContext, undefined);
    const call = one(spans, 'GitLab GET /hooks/:hook_id');
    assert.equal(parentOf(call), execute.spanContext().spanId);
    assert.equal(call.spanContext().traceId, execute.spanContext().traceId);
  });

  // Last: it leaves the breaker open.
  it('records an open breaker on the call, which makes no attempt', async () => {
    gitlab.setScript(() => json(500, {}));
    await traced(`{ systemHook(id: "${gid(8)}") { id } }`);
    await traced(`{ systemHook(id: "${gid(8)}") { id } }`);
    const spans = await traced(`{ systemHook(id: "${gid(8)}") { id } }`);
    const call = one(spans, 'GitLab GET /hooks/:hook_id');
    assert.equal(call.status.code, SpanStatusCode.ERROR);
    assert.equal(call.attributes['gateway.upstream.outcome'], 'circuit_open');
    assert.equal(call.attributes['gateway.upstream.attempts'], 0);
    assert.equal(call.attributes['gateway.circuit.state'], 'open');
    assert.deepEqual(
      call.events.map((event) => event.name),
      ['circuit_open'],
    );
    assert.equal(spans.filter((span) => span.kind === SpanKind.CLIENT).length, 0);
    const operation = one(spans, 'query');
    assert.equal(operation.status.code, SpanStatusCode.ERROR);
    assert.deepEqual(operation.attributes['gateway.graphql.error_codes'], ['UPSTREAM_UNAVAILABLE']);
    assert.equal(operation.attributes['gateway.graphql.error_count'], 1);
  });
});

describe('sampling and propagation from the OTEL_* settings', () => {
  let gitlab: ScriptedServer;

  before(async () => {
    gitlab = await startScriptedServer(gitlabLike);
  });
  after(() => gitlab.close());

  async function run(tracingConfig: Partial<TracingConfig>, headers: Record<string, string>) {
    const gateway = await startObservedGateway(gitlab.url, {
      metrics: false,
      logLevel: 'silent',
      tracingConfig,
    });
    gitlab.requests.length = 0;
    try {
      await gateway.requestText(`{ systemHook(id: "${gid(3)}") { id } }`, undefined, { headers });
      return { spans: gateway.spans(), sent: gitlab.requests[0]?.headers.traceparent as string | undefined };
    } finally {
      await gateway.close();
    }
  }

  it('follows an unsampled parent with the parent-based default: no span, and GitLab is told not to sample', async () => {
    const { spans, sent } = await run({}, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` });
    assert.deepEqual(spans, []);
    assert.match(sent ?? '', new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });

  it('ignores the caller’s decision with traceidratio 1, and records nothing with always_off', async () => {
    const ratio = await run(
      { sampler: 'traceidratio', samplerRatio: 1 },
      { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` },
    );
    assert.ok(ratio.spans.length > 0);
    const off = await run({ sampler: 'always_off' }, {});
    assert.deepEqual(off.spans, []);
  });

  it('makes no span under a request the sampler left out, and still tells GitLab and the logs its trace', async () => {
    const gateway = await startObservedGateway(gitlab.url, {
      metrics: false,
      logLevel: 'debug',
      tracingConfig: { sampler: 'traceidratio', samplerRatio: 0 },
    });
    gitlab.requests.length = 0;
    try {
      const answer = await gateway.requestText(`{ systemHook(id: "${gid(3)}") { id } }`);
      assert.equal(answer.errors, undefined);
      assert.deepEqual(gateway.spans(), []);
      const access = gateway.logs.find((line) => line.msg === 'request');
      const attempt = gateway.logs.find((line) => line.route === 'GET /hooks/:hook_id');
      const traceId = access?.trace_id as string;
      assert.match(traceId, /^[0-9a-f]{32}$/);
      assert.equal(attempt?.trace_id, traceId, 'the GitLab attempt line carries the trace');
      // The request's own span is GitLab's parent: nothing in between was made.
      const sent = gitlab.requests[0]?.headers.traceparent as string;
      assert.equal(sent, `00-${traceId}-${access?.span_id}-00`);
    } finally {
      await gateway.close();
    }
  });

  it("lets a caller's sampled flag decide when trusted, the default: sampled at a ratio of 0", async () => {
    const { spans, sent } = await run(
      { sampler: 'parentbased_traceidratio', samplerRatio: 0 },
      { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    );
    assert.ok(spans.length > 0);
    for (const span of spans) assert.equal(span.spanContext().traceId, TRACE_ID);
    assert.match(sent ?? '', new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  it("with TRUST_INCOMING_TRACE_CONTEXT=false, a caller's sampled flag decides nothing: not sampled at 0", async () => {
    const { spans, sent } = await run(
      { sampler: 'parentbased_traceidratio', samplerRatio: 0, trustIncoming: false },
      { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    );
    assert.deepEqual(spans, []);
    assert.doesNotMatch(sent ?? '', new RegExp(TRACE_ID), 'GitLab is not given the caller’s trace');
    assert.match(sent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it('with TRUST_INCOMING_TRACE_CONTEXT=false, starts its own trace, linked to the caller’s', async () => {
    const { spans, sent } = await run(
      { trustIncoming: false },
      { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    );
    const server = one(spans, 'POST /graphql');
    assert.equal(server.parentSpanContext, undefined);
    assert.notEqual(server.spanContext().traceId, TRACE_ID);
    assert.deepEqual(
      server.links.map((link) => [link.context.traceId, link.context.spanId]),
      [[TRACE_ID, PARENT_ID]],
    );
    for (const span of spans) assert.equal(span.spanContext().traceId, server.spanContext().traceId);
    assert.match(sent ?? '', new RegExp(`^00-${server.spanContext().traceId}-`));
  });

  it('neither reads nor sends trace context with no propagators', async () => {
    const { spans, sent } = await run({ propagators: [] }, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
    assert.ok(spans.length > 0);
    for (const span of spans) assert.notEqual(span.spanContext().traceId, TRACE_ID);
    assert.equal(sent, undefined);
  });
});

describe('failed exports', () => {
  it('are logged once a minute at most, with a count, and a return to health once', async () => {
    const { logger, lines } = captureLogs('info');
    let failing = true;
    const exporter = reportingExporter(
      {
        export: (_spans, done: (result: ExportResult) => void) =>
          done(
            failing
              ? { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4318') }
              : { code: ExportResultCode.SUCCESS },
          ),
        shutdown: async () => {},
      },
      'collector.example:4318',
      logger,
    );
    const exportOnce = () => new Promise<void>((resolve) => exporter.export([], () => resolve()));
    for (let i = 0; i < 100; i++) await exportOnce();
    failing = false;
    await exportOnce();
    await exportOnce();
    failing = true;
    for (let i = 0; i < 100; i++) await exportOnce();
    assert.deepEqual(
      lines.map((line) => [line.level, line.msg, line.failed_exports, line.reason]),
      [
        [
          'WARN',
          'Trace export failed; spans are dropped while the collector cannot be reached',
          1,
          'connect ECONNREFUSED 127.0.0.1:4318',
        ],
        ['INFO', 'Trace export works again', undefined, undefined],
      ],
    );
    assert.equal(lines[0]?.collector, 'collector.example:4318');
  });
});
