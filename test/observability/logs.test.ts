import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { EventStore, EventSubscription } from '../../src/events/event-store.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import { createGateway } from '../../src/http/gateway.ts';
import { createGitLabClient } from '../../src/upstream/client.ts';
import { credentialHeaders, graphqlHeaders } from '../helpers/credentials.ts';
import {
  captureLogs,
  eventsInMemory,
  type LogLine,
  type Observed,
  startObservedGateway,
  startObservedStack,
} from '../helpers/observed-stack.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { type GatewayHandle, gid, listen, type Stack } from '../helpers/stack.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { hookJson } from '../upstream/fixtures.ts';

const HOOK = hookJson(7);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('logs and request ids', () => {
  let gitlab: ScriptedServer;
  let gateway: GatewayHandle & Observed;
  let served = 0;

  before(async () => {
    gitlab = await startScriptedServer(() =>
      json(200, HOOK, { 'x-request-id': `gitlab-correlation-${++served}` }),
    );
    gateway = await startObservedGateway(gitlab.url, {
      metrics: false,
      tracing: false,
      logLevel: 'debug',
      upstream: {
        retry: { retries: 1, baseDelayMs: 1 },
        circuitBreaker: { failureThreshold: 2, coolDownMs: 50 },
      },
    });
  });
  after(async () => {
    await gateway.close();
    await gitlab.close();
  });
  beforeEach(() => {
    gateway.logs.length = 0;
    gitlab.requests.length = 0;
    gitlab.setScript(() => json(200, HOOK, { 'x-request-id': `gitlab-correlation-${++served}` }));
  });

  async function query(headers: Record<string, string> = {}, body?: unknown): Promise<Response> {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { ...graphqlHeaders(), ...headers },
      body: JSON.stringify(body ?? { query: `query ReadHook { systemHook(id: "${gid(7)}") { id } }` }),
    });
    await response.body?.cancel();
    return response;
  }

  const accessLines = () => gateway.logs.filter((line) => line.msg === 'request');

  it("makes each request's id itself: echoed, sent to GitLab, on the access line and every attempt line", async () => {
    const response = await query();
    const id = response.headers.get('x-request-id') ?? '';
    assert.match(id, UUID);
    assert.equal(gitlab.requests[0]?.headers['x-request-id'], id);
    const lines = gateway.logs.filter((line) => line.request_id !== undefined);
    assert.deepEqual(
      lines.map((line) => [line.msg, line.request_id]),
      [
        ['GitLab attempt', id],
        ['request', id],
      ],
    );
    assert.equal(accessLines()[0]?.client_request_id, undefined);
  });

  it("logs a client's well-formed x-request-id beside the gateway's own, which is what GitLab gets", async () => {
    const given = 'req-2024_01.01:abc-123';
    const first = await query({ 'x-request-id': given });
    const second = await query({ 'x-request-id': given });
    const ids = [first, second].map((response) => response.headers.get('x-request-id') ?? '');
    for (const id of ids) assert.match(id, UUID);
    assert.notEqual(ids[0], ids[1], 'a client cannot make two requests share an id');
    assert.deepEqual(
      gitlab.requests.map((request) => request.headers['x-request-id']),
      ids,
      "GitLab's correlation ids are the gateway's",
    );
    assert.deepEqual(
      accessLines().map((line) => [line.request_id, line.client_request_id]),
      ids.map((id) => [id, given]),
    );
  });

  it("leaves out a client's id that is too long or has characters a header or a log could be abused with", async () => {
    for (const bad of ['x'.repeat(129), 'a b', '<script>', 'id;rm', 'ünïcode', '']) {
      const response = await query({ 'x-request-id': bad });
      const echoed = response.headers.get('x-request-id') ?? '';
      assert.match(echoed, UUID, JSON.stringify(bad));
      assert.equal(gitlab.requests.at(-1)?.headers['x-request-id'], echoed);
      assert.equal(accessLines().at(-1)?.client_request_id, undefined, JSON.stringify(bad));
    }
  });

  it('echoes the id on every answer, also those GraphQL never sees', async () => {
    for (const [path, init] of [
      ['/health', {}],
      ['/nowhere', {}],
      [
        '/graphql',
        {
          method: 'OPTIONS',
          headers: { origin: 'https://example.com', 'access-control-request-method': 'POST' },
        },
      ],
      ['/graphql', { headers: { accept: 'text/html' } }],
    ] as const) {
      const response = await fetch(`${gateway.url}${path}`, {
        ...init,
        headers: { ...init.headers, 'x-request-id': 'probe-1' },
      });
      await response.body?.cancel();
      assert.match(response.headers.get('x-request-id') ?? '', UUID, path);
    }
  });

  it('writes one access line per request with its route, status, operation, errors and GitLab calls', async () => {
    await query({}, { query: `query ReadHook { systemHook(id: "${gid(7)}") { id } }` });
    await query({}, { query: '{ systemHook(id: "malformed") { id } }' });
    await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: graphqlHeaders(), body: '{' }).then(
      (r) => r.body?.cancel(),
    );
    const [ok, bad, refused] = accessLines();
    assert.ok(ok && bad && refused);
    assert.deepEqual(
      {
        ...ok,
        time: undefined,
        duration_ms: undefined,
        upstream_ms: undefined,
        request_id: undefined,
        pid: undefined,
        hostname: undefined,
      },
      {
        level: 'INFO',
        name: 'gitlab-system-hooks-gateway',
        msg: 'request',
        method: 'POST',
        route: '/graphql',
        status: 200,
        operation_type: 'query',
        operation_name: 'ReadHook',
        upstream_calls: 1,
        time: undefined,
        duration_ms: undefined,
        upstream_ms: undefined,
        request_id: undefined,
        pid: undefined,
        hostname: undefined,
      },
    );
    assert.ok(typeof ok.duration_ms === 'number' && ok.duration_ms > 0);
    assert.ok(typeof ok.upstream_ms === 'number' && ok.upstream_ms > 0 && ok.upstream_ms <= ok.duration_ms);
    assert.deepEqual(bad.error_codes, ['BAD_USER_INPUT']);
    assert.equal(bad.upstream_calls, 0);
    assert.equal(bad.operation_type, 'query');
    assert.equal(bad.operation_name, undefined);
    assert.equal(refused.status, 400);
    assert.equal(refused.operation_type, undefined);
    assert.deepEqual(refused.error_codes, ['BAD_REQUEST']);
  });

  it('trims a long operation name on the access line', async () => {
    const name = `Q${'x'.repeat(300)}`;
    await query({}, { query: `query ${name} { __typename }` });
    assert.equal(accessLines()[0]?.operation_name, name.slice(0, 100));
  });

  it('logs each GitLab attempt at debug with its status and GitLab correlation id', async () => {
    let attempts = 0;
    gitlab.setScript(() =>
      attempts++ === 0
        ? json(502, {}, { 'x-request-id': 'gitlab-failed' })
        : json(200, HOOK, { 'x-request-id': 'gitlab-ok' }),
    );
    await query({ 'x-request-id': 'with-retry' });
    const lines = gateway.logs.filter((line) => line.msg === 'GitLab attempt');
    assert.deepEqual(
      lines.map((line) => [line.level, line.route, line.attempt, line.status, line.gitlab_correlation_id]),
      [
        ['DEBUG', 'GET /hooks/:hook_id', 0, 502, 'gitlab-failed'],
        ['DEBUG', 'GET /hooks/:hook_id', 1, 200, 'gitlab-ok'],
      ],
    );
    for (const line of lines) assert.ok(typeof line.duration_ms === 'number');
  });

  it('logs the circuit breaker opening and closing at warn', async () => {
    // A 500 is not retried: two calls, two failures.
    gitlab.setScript(() => json(500, {}));
    await query();
    await query();
    await new Promise((resolve) => setTimeout(resolve, 60));
    gitlab.setScript(() => json(200, HOOK));
    await query();
    const changes = gateway.logs.filter((line) => typeof line.circuit_state === 'string');
    assert.deepEqual(
      changes.map((line) => [line.level, line.circuit_state]),
      [
        ['WARN', 'open'],
        ['INFO', 'half-open'],
        ['WARN', 'closed'],
      ],
    );
  });

  it('writes an expected GitLab failure as a code on the access line, not as an error line', async () => {
    gitlab.setScript(() => json(404, { message: '404 Not found' }));
    await query({}, { query: `mutation { deleteSystemHook(input: { id: "${gid(7)}" }) { errors } }` });
    gitlab.setScript(() => json(503, {}));
    await query({}, { query: '{ systemHooks(first: 1) { count } }' });
    assert.deepEqual(
      gateway.logs.filter((line) => line.level === 'ERROR' || line.level === 'FATAL'),
      [],
    );
    assert.deepEqual(accessLines().at(-1)?.error_codes, ['UPSTREAM_UNAVAILABLE']);
    const expected = gateway.logs.filter((line) => line.msg === 'Expected failure');
    assert.equal(expected.length, 2);
    assert.deepEqual(
      expected.map((line) => line.request_id),
      accessLines().map((line) => line.request_id),
      'each on its request',
    );
  });
});

describe('an unexpected error', () => {
  it('is logged once at error, with its stack and its request id, and answered INTERNAL_SERVER_ERROR', async () => {
    const { logger, lines } = captureLogs('debug');
    // A fault in the gateway's own code, which no GitLab answer can cause: the API fails with a TypeError.
    const client = createGitLabClient({ baseUrl: 'http://127.0.0.1:9' });
    const api = { ...client, getHook: async () => Promise.reject(new TypeError('a fault of the gateway')) };
    const gateway = createGateway({ api, logging: true, telemetry: { logger } });
    const server = createServer(gateway);
    const url = await listen(server);
    try {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { ...graphqlHeaders(), 'x-request-id': 'the-request-that-failed' },
        body: JSON.stringify({ query: `{ systemHook(id: "${gid(7)}") { id } }` }),
      });
      const body = (await response.json()) as {
        errors?: { message: string; extensions?: { code?: string } }[];
      };
      assert.equal(body.errors?.[0]?.extensions?.code, 'INTERNAL_SERVER_ERROR');
      assert.doesNotMatch(body.errors?.[0]?.message ?? '', /fault of the gateway/, 'the message is masked');
      const errors = lines.filter((line) => line.level === 'ERROR');
      assert.equal(errors.length, 1, JSON.stringify(lines));
      assert.equal(errors[0]?.msg, 'Unexpected error, masked as INTERNAL_SERVER_ERROR');
      const requestId = response.headers.get('x-request-id');
      assert.match(requestId ?? '', UUID);
      assert.equal(errors[0]?.request_id, requestId);
      const error = errors[0]?.error as { type: string; message: string; stack: string };
      assert.equal(error.type, 'TypeError');
      assert.match(error.stack, /a fault of the gateway/);
      const access = lines.find((line) => line.msg === 'request');
      assert.deepEqual(
        [access?.request_id, access?.client_request_id],
        [requestId, 'the-request-that-failed'],
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
    }
  });
});

describe('an unexpected error that ends a subscription', () => {
  // A fault in the gateway's own code, which no delivery can cause: the store's subscriptions fail with a TypeError.
  const failingStore = (): EventStore => {
    const store = createMemoryEventStore();
    return {
      ...store,
      async subscribe(options) {
        const events = await store.subscribe(options);
        const failing: EventSubscription = {
          nextReady: () => undefined,
          next: () => Promise.reject(new TypeError('a fault of the store')),
          return: () => events.return?.() ?? Promise.resolve({ done: true, value: undefined }),
          [Symbol.asyncIterator]: () => failing,
        };
        return failing;
      },
    };
  };
  let stack: Stack & Observed;

  before(async () => {
    stack = await startObservedStack({
      metrics: false,
      tracing: false,
      gateway: { events: { ...eventsInMemory('a-receiver-token'), store: failingStore() } },
      websocket: {},
    });
  });
  after(() => stack.close());
  beforeEach(() => {
    stack.logs.length = 0;
  });

  const SUBSCRIPTION = 'subscription { systemHookEventReceived { eventName } }';
  const assertLoggedOnce = () => {
    const errors = stack.logs.filter((line) => line.level === 'ERROR');
    assert.equal(errors.length, 1, JSON.stringify(stack.logs));
    const error = errors[0]?.error as { type: string; stack: string };
    assert.equal(error.type, 'TypeError');
    assert.match(error.stack, /a fault of the store/);
  };

  it('over SSE: is logged once at error, with its stack, and told masked', async () => {
    const response = await fetch(`${stack.url}/graphql?query=${encodeURIComponent(SUBSCRIPTION)}`, {
      headers: { accept: 'text/event-stream', ...credentialHeaders() },
    });
    const text = await response.text();
    assert.match(text, /"message":"Unexpected error\."/);
    assert.doesNotMatch(text, /fault of the store|TypeError/);
    assertLoggedOnce();
  });

  it('over WebSocket: is logged once at error, with its stack, and told masked', async () => {
    const socket = new WebSocket(`${stack.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
      headers: credentialHeaders(),
    });
    try {
      const messages: string[] = [];
      socket.on('message', (data) => messages.push(String(data)));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ type: 'connection_init' }));
      await waitUntil('the connection is acknowledged', () =>
        messages.some((m) => m.includes('connection_ack')),
      );
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
      await waitUntil('the operation ends with an error', () => messages.some((m) => m.includes('"error"')));
      const error = JSON.parse(messages.find((m) => m.includes('"error"')) as string);
      assert.deepEqual(error, {
        id: '1',
        type: 'error',
        // As graphql-ws writes a GraphQL error: with the extension Yoga marks a masked fault with.
        payload: [
          { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true } },
        ],
      });
      assertLoggedOnce();
    } finally {
      socket.terminate();
    }
  });
});

describe('an unexpected error under NODE_ENV=development', () => {
  it('stays masked: no message, no stack in the answer', async () => {
    const client = createGitLabClient({ baseUrl: 'http://127.0.0.1:9' });
    const api = { ...client, getHook: async () => Promise.reject(new TypeError('a fault of the gateway')) };
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    const server = createServer(createGateway({ api, logging: false }));
    const url = await listen(server);
    try {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: graphqlHeaders(),
        body: JSON.stringify({ query: `{ systemHook(id: "${gid(7)}") { id } }` }),
      });
      const text = await response.text();
      assert.deepEqual(JSON.parse(text).errors, [
        {
          message: 'Unexpected error.',
          locations: [{ line: 1, column: 3 }],
          path: ['systemHook'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ]);
      assert.doesNotMatch(text, /fault of the gateway|TypeError|at /);
    } finally {
      process.env.NODE_ENV = nodeEnv;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
    }
  });
});

describe('log levels', () => {
  let gitlab: ScriptedServer;

  before(async () => {
    gitlab = await startScriptedServer(() => json(200, HOOK));
  });
  after(() => gitlab.close());

  async function linesAt(level: 'info' | 'debug' | 'silent'): Promise<LogLine[]> {
    const gateway = await startObservedGateway(gitlab.url, {
      metrics: false,
      tracing: false,
      logLevel: level,
    });
    try {
      await gateway.requestText(`{ systemHook(id: "${gid(7)}") { id } }`);
      await fetch(`${gateway.url}/health`).then((response) => response.body?.cancel());
      return gateway.logs;
    } finally {
      await gateway.close();
    }
  }

  it('at info: the access line of the query only, not the probe, not the attempts', async () => {
    const lines = await linesAt('info');
    assert.deepEqual(
      lines.map((line) => [line.msg, line.route]),
      [['request', '/graphql']],
    );
  });

  it('at debug: the attempts and the probe too', async () => {
    const lines = await linesAt('debug');
    assert.deepEqual(
      lines.map((line) => [line.level, line.msg, line.route]),
      [
        ['DEBUG', 'GitLab attempt', 'GET /hooks/:hook_id'],
        ['INFO', 'request', '/graphql'],
        ['DEBUG', 'request', '/health'],
      ],
    );
  });

  it('silent: nothing', async () => {
    assert.deepEqual(await linesAt('silent'), []);
  });
});
