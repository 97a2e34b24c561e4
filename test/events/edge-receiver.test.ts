import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { EventStore } from '../../src/events/event-store.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import { signStandardWebhook } from '../../src/events/verification.ts';
import { createGateway, type GatewayOptions } from '../../src/http/gateway.ts';
import { ROUTES } from '../../src/http/routes.ts';
import { type GatewayServer, startGatewayServer } from '../../src/http/server.ts';
import { createGitLabClient, type GitLabClient } from '../../src/upstream/client.ts';
import { captureLogs, type LogLine } from '../helpers/observed-stack.ts';
import { within } from '../helpers/wait-until.ts';

/**
 * The receiver is served two ways: by the edge in its `node:http` listener (what `npm start` and GitLab reach),
 * and by the Yoga route (what `gateway.fetch` and a server of Yoga's own reach). The same requests to both must
 * get the same status, headers and body, apart from the request id and the date, and the same access line.
 */

const TOKEN = 'edge-token-5b0e';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MAX_BODY_BYTES = 1024;
const READ_TIMEOUT_MS = 400;
const BODY = JSON.stringify({ event_name: 'project_create', project_id: 74, name: 'Example' });
const CLIENT_REQUEST_ID = 'client-id-1';

let sequence = 0;
const nextId = () => `edge-delivery-${++sequence}`;

function tokenHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/19.0.0',
    'x-gitlab-token': TOKEN,
    'idempotency-key': nextId(),
    'x-request-id': CLIENT_REQUEST_ID,
    ...overrides,
  };
}

function signedHeaders(body: string, signWith = SECRET): Record<string, string> {
  const id = nextId();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const { 'x-gitlab-token': _token, ...headers } = tokenHeaders({
    'idempotency-key': id,
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signStandardWebhook(signWith, id, timestamp, body),
  });
  return headers;
}

interface Request {
  method?: string;
  headers: Record<string, string>;
  /** Written as they are, then the request ends unless `stall`. */
  parts?: string[];
  /** Leaves the body unfinished. */
  stall?: boolean;
  /** After the path, such as `?a=1`. */
  query?: string;
}

interface Answer {
  status: number;
  /** Every header but the ones that differ by nature: date, request id, framing, keep-alive's timeout. */
  headers: Record<string, string | string[] | undefined>;
  requestId: string | undefined;
  text: string;
}

const VARYING = new Set(['date', 'x-request-id', 'content-length', 'transfer-encoding', 'keep-alive']);

/** One request on a connection of its own; resolves on the whole answer, which may come before the body ends. */
function send(url: string, given: Request): Promise<Answer> {
  const { method = 'POST', headers, parts = [], stall = false, query = '' } = given;
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${query}`, { method, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        const kept = Object.entries(response.headers).filter(([name]) => !VARYING.has(name));
        const requestId = response.headers['x-request-id'];
        resolve({
          status: response.statusCode ?? 0,
          headers: Object.fromEntries(kept),
          requestId: typeof requestId === 'string' ? requestId : undefined,
          text,
        });
        request.destroy();
      });
    });
    request.on('error', reject);
    for (const part of parts) request.write(part);
    if (!stall) request.end();
  });
}

interface Served {
  gateway: ReturnType<typeof createGateway>;
  edge: GatewayServer;
  /** A plain `node:http` server handing every request to Yoga: the Yoga route's way in. */
  yoga: Server;
  edgeUrl: string;
  yogaUrl: string;
  store: EventStore;
  client: GitLabClient;
  lines: LogLine[];
  close(): Promise<void>;
}

async function serve(
  options: Partial<GatewayOptions> = {},
  store: EventStore = createMemoryEventStore(),
  shutdownGraceMs = 0,
): Promise<Served> {
  const client = createGitLabClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 });
  const { logger, lines } = captureLogs('info');
  const gateway = createGateway({
    api: client,
    logging: false,
    telemetry: { logger },
    events: {
      store,
      authRecheckMs: 300_000,
      receiver: {
        secretTokens: [TOKEN],
        signingSecrets: [SECRET],
        maxBodyBytes: MAX_BODY_BYTES,
        readTimeoutMs: READ_TIMEOUT_MS,
        maxConcurrentBodies: 1,
      },
    },
    ...options,
  });
  const edge = await startGatewayServer(gateway, { shutdownGraceMs, corsOrigins: options.corsOrigins });
  const yoga = createServer(gateway);
  yoga.listen(0, '127.0.0.1');
  await once(yoga, 'listening');
  const { port } = yoga.address() as AddressInfo;
  return {
    gateway,
    edge,
    yoga,
    edgeUrl: `${edge.url}${ROUTES.receiver}`,
    yogaUrl: `http://127.0.0.1:${port}${ROUTES.receiver}`,
    store,
    client,
    lines,
    async close() {
      await edge.close({ endStreams: () => store.close() });
      yoga.closeAllConnections();
      yoga.close();
      await client.close();
    },
  };
}

/** The access lines of requests answered with these ids, as the comparison sees them. */
function accessLinesOf(lines: readonly LogLine[], ...requestIds: (string | undefined)[]) {
  return requestIds.map((id) => {
    const line = lines.find((candidate) => candidate.msg === 'request' && candidate.request_id === id);
    assert.ok(line, `an access line for ${id}`);
    return { method: line.method, route: line.route, status: line.status, client: line.client_request_id };
  });
}

describe('the receiver on the edge and on the Yoga route', () => {
  let served: Served;
  before(async () => {
    served = await serve();
  });
  after(() => served.close());

  /** Sends `make()`'s request to both, and checks that they answered alike; returns the edge's answer. */
  async function same(name: string, make: () => Request): Promise<Answer> {
    const edge = await send(served.edgeUrl, make());
    const yoga = await send(served.yogaUrl, make());
    assert.deepEqual(edge.headers, yoga.headers, `${name}: headers`);
    assert.deepEqual(
      { status: edge.status, text: edge.text },
      { status: yoga.status, text: yoga.text },
      `${name}: status and body`,
    );
    for (const answer of [edge, yoga]) {
      assert.match(answer.requestId ?? '', /^[0-9a-f-]{36}$/, `${name}: a request id of the gateway's own`);
    }
    const [edgeLine, yogaLine] = accessLinesOf(served.lines, edge.requestId, yoga.requestId);
    assert.deepEqual(edgeLine, yogaLine, `${name}: access line`);
    assert.deepEqual(edgeLine, {
      method: make().method ?? 'POST',
      route: ROUTES.receiver,
      status: edge.status,
      client: CLIENT_REQUEST_ID,
    });
    return edge;
  }

  const json = (body: string, headers = tokenHeaders()): Request => ({ headers, parts: [body] });

  it('accepts a delivery with 204 on both, and a signed one', async () => {
    assert.equal((await same('token', () => json(BODY))).status, 204);
    assert.equal((await same('signature', () => json(BODY, signedHeaders(BODY)))).status, 204);
    assert.equal((await same('query string', () => ({ ...json(BODY), query: '?a=1' }))).status, 204);
  });

  it('refuses alike what the headers alone decide', async () => {
    const cases: [string, number, () => Request][] = [
      ['GET', 405, () => ({ method: 'GET', headers: tokenHeaders() })],
      ['PUT', 405, () => ({ method: 'PUT', ...json(BODY) })],
      [
        'OPTIONS without CORS',
        405,
        () => ({
          method: 'OPTIONS',
          headers: { origin: 'http://a.example', 'x-request-id': CLIENT_REQUEST_ID },
        }),
      ],
      ['text/plain', 415, () => json(BODY, tokenHeaders({ 'content-type': 'text/plain' }))],
      ['gzip', 415, () => json(BODY, tokenHeaders({ 'content-encoding': 'gzip' }))],
      ['wrong token', 401, () => json(BODY, tokenHeaders({ 'x-gitlab-token': 'nope' }))],
      ['no credential', 401, () => json(BODY, tokenHeaders({ 'x-gitlab-token': '' }))],
      ['declared too large', 413, () => json('x'.repeat(MAX_BODY_BYTES + 1))],
    ];
    for (const [name, status, make] of cases) assert.equal((await same(name, make)).status, status, name);
  });

  it('refuses alike what the body decides', async () => {
    const chunked = (parts: string[], headers = tokenHeaders()) => ({
      headers: { ...headers, 'transfer-encoding': 'chunked' },
      parts,
    });
    const cases: [string, number, () => Request][] = [
      [
        'bad signature',
        401,
        () => json(BODY, signedHeaders(BODY, 'whsec_b3RoZXItc2VjcmV0LW9mLTMyLWJ5dGVzLi4uLi4u')),
      ],
      ['chunked over the limit', 413, () => chunked(['{"a":"', 'x'.repeat(MAX_BODY_BYTES), '"}'])],
      ['bad JSON', 400, () => json('{nope')],
      ['an array', 400, () => json('[1]')],
      ['deep nesting', 400, () => json(`${'['.repeat(100)}${']'.repeat(100)}`)],
      ['chunked JSON', 204, () => chunked(['{"event_name":', '"project_create"}'])],
    ];
    for (const [name, status, make] of cases) assert.equal((await same(name, make)).status, status, name);
    const invalidUtf8 = await Promise.all(
      [served.edgeUrl, served.yogaUrl].map(async (url) => {
        const answer = await new Promise<number>((resolve, reject) => {
          const request = httpRequest(
            url,
            { method: 'POST', headers: tokenHeaders(), agent: false },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          request.on('error', reject);
          request.end(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
        });
        return answer;
      }),
    );
    assert.deepEqual(invalidUtf8, [400, 400]);
  });

  it('answers a body that stalls 408 with connection: close on both', async () => {
    const answer = await same('slow body', () => ({
      headers: tokenHeaders({ 'content-length': '100' }),
      parts: ['{"event_name":'],
      stall: true,
    }));
    assert.equal(answer.status, 408);
    assert.equal(answer.headers.connection, 'close');
  });

  it('answers 503 busy with Retry-After on both while the bodies being read are at the cap', async () => {
    const taken = once(served.edge.server, 'request');
    const holder = send(served.edgeUrl, {
      headers: tokenHeaders({ 'content-length': '100' }),
      parts: ['{'],
      stall: true,
    });
    await within(taken, 'the edge took the stalled delivery');
    const edge = await send(served.edgeUrl, json(BODY));
    const yoga = await send(served.yogaUrl, json(BODY));
    assert.deepEqual(edge.headers, yoga.headers);
    assert.deepEqual([edge.status, yoga.status], [503, 503]);
    assert.equal(edge.headers['retry-after'], '1');
    assert.equal((await holder).status, 408);
  });

  it('frees the place of a body whose client went away, on the edge', async () => {
    const taken = once(served.edge.server, 'request');
    const request = httpRequest(served.edgeUrl, {
      method: 'POST',
      headers: tokenHeaders({ 'content-length': '100' }),
      agent: false,
    });
    request.on('error', () => {});
    request.write('{"event_name":');
    const [incoming] = (await within(taken, 'the edge took the delivery')) as [IncomingMessage];
    // Not `once`, which would reject on the request's own 'aborted' error.
    const gone = new Promise((resolve) => incoming.on('close', resolve));
    request.destroy();
    await within(gone, 'the edge saw the client go');
    // One body may be read at a time: this one is read only if the abandoned one's place was given back.
    assert.equal((await send(served.edgeUrl, json(BODY))).status, 204);
  });

  it('answers 503 on both once the store cannot take events', async () => {
    await served.store.close();
    const answer = await same('store closed', () => json(BODY));
    assert.equal(answer.status, 503);
    assert.equal(answer.text, 'Events cannot be accepted now.');
  });
});

describe('a delivery being received when the edge closes', () => {
  it('reaches the store, and is answered 204, before the store closes', async () => {
    // What the store was asked, in order: GitLab does not retry a system hook, so a 503 here would lose it.
    const asked: string[] = [];
    const memory = createMemoryEventStore();
    const store: EventStore = {
      ...memory,
      append: async (event) => {
        const result = await memory.append(event);
        asked.push(`append ${event.deliveryId}`);
        return result;
      },
      close: async () => {
        asked.push('close');
        await memory.close();
      },
    };
    const served = await serve({}, store, 5_000);
    const taken = once(served.edge.server, 'request');
    const id = nextId();
    let closed: Promise<void> | undefined;
    const answered = new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        served.edgeUrl,
        {
          method: 'POST',
          headers: tokenHeaders({ 'idempotency-key': id, 'content-length': String(BODY.length) }),
          agent: false,
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.write(BODY.slice(0, 10));
      void taken.then(() => {
        closed = served.close();
        // The edge is draining (readiness says so) before the rest of the body comes.
        setImmediate(() => request.end(BODY.slice(10)));
      });
    });
    assert.equal(await within(answered, 'the delivery was answered'), 204);
    await closed;
    assert.deepEqual(asked, [`append ${id}`, 'close']);
  });
});

describe('the receiver path with CORS_ORIGINS', () => {
  let served: Served;
  before(async () => {
    served = await serve({ corsOrigins: ['http://app.example'] });
  });
  after(() => served.close());

  it('leaves what CORS answers to Yoga: OPTIONS, and requests from an allowed origin', async () => {
    const requests: Request[] = [
      {
        method: 'OPTIONS',
        headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' },
      },
      { method: 'OPTIONS', headers: { origin: 'http://elsewhere.example' } },
      { headers: tokenHeaders({ origin: 'http://app.example' }), parts: [BODY] },
      { headers: tokenHeaders({ origin: 'http://elsewhere.example' }), parts: [BODY] },
    ];
    const statuses = [];
    for (const request of requests) {
      const edge = await send(served.edgeUrl, request);
      const yoga = await send(served.yogaUrl, {
        ...request,
        headers: { ...request.headers, 'idempotency-key': nextId() },
      });
      assert.deepEqual(edge.headers, yoga.headers);
      assert.equal(edge.status, yoga.status);
      statuses.push(edge.status);
    }
    assert.deepEqual(statuses, [204, 204, 204, 204]);
  });
});

describe('the edge receiver when the store fails as it never should', () => {
  let served: Served;
  before(async () => {
    const store = createMemoryEventStore();
    served = await serve(
      {},
      {
        ...store,
        append: async () => {
          throw new Error('boom');
        },
      },
    );
  });
  after(() => served.close());

  it('answers 500 with a fixed text and its request id, and logs the error under that id', async () => {
    const answer = await send(served.edgeUrl, { headers: tokenHeaders(), parts: [BODY] });
    assert.equal(answer.status, 500);
    assert.equal(answer.text, 'The delivery could not be received.');
    assert.equal(answer.headers['cache-control'], 'no-store');
    const failure = served.lines.find((line) => line.msg === 'The receiver failed on a delivery');
    assert.equal(failure?.request_id, answer.requestId);
    assert.deepEqual(accessLinesOf(served.lines, answer.requestId)[0]?.status, 500);
  });
});
