import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { createGateway } from '../../src/http/gateway.ts';
import { startGatewayServer } from '../../src/http/server.ts';
import { createGitLabClient } from '../../src/upstream/client.ts';
import { SystemHookEventsDocument } from '../generated/graphql.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { connectRaw, type RawConnection, send, upgradeRequest } from '../helpers/raw-http.ts';
import { closedPort } from '../helpers/receiver.ts';
import {
  type EventStack,
  type GatewayHandle,
  RECEIVER_TOKEN,
  type Stack,
  startEventStack,
  startGateway,
  startStack,
} from '../helpers/stack.ts';
import { closeAll, subscribe } from '../helpers/subscribers.ts';
import { waitUntil, within } from '../helpers/wait-until.ts';

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

const EVENTS = print(SystemHookEventsDocument);
/** `host:port` of a gateway's URL, as a client that reaches it by that address sends `Host`. */
const hostOf = (url: string) => new URL(url).host;
const portOf = (url: string) => new URL(url).port;

describe('the HTTP edge: upgrades', () => {
  let stack: EventStack;
  let plain: GatewayHandle;

  before(async () => {
    stack = await startEventStack();
    plain = await startGateway(`http://127.0.0.1:${await closedPort()}`);
  });
  after(async () => {
    await stack.close();
    await plain.close();
  });

  for (const path of ['/not-graphql', '/graphqlx', '/health']) {
    it(`answers an upgrade to ${path} with 404 and closes the connection at once`, async () => {
      const connection = await connectRaw(stack.url, upgradeRequest(path, { host: hostOf(stack.url) }));
      const answer = await within(connection.closed, 'the server closed the connection');
      assert.match(answer, /^HTTP\/1\.1 404 Not Found\r\n/);
      assert.match(answer, /WebSocket upgrades are served on \/graphql only/);
    });
  }

  it('answers every upgrade with 404 on a gateway without GraphQL over WebSocket', async () => {
    const connection = await connectRaw(plain.url, upgradeRequest('/graphql', { host: hostOf(plain.url) }));
    assert.match(await within(connection.closed, 'the server closed the connection'), /^HTTP\/1\.1 404 /);
  });

  it('refuses upgrades with 503 while it drains, and /ready answers 503 meanwhile', async () => {
    const client = createGitLabClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const shutdown = new AbortController();
    const edge = await startGatewayServer(
      createGateway({ api: client, logging: false, draining: shutdown.signal }),
      { shutdownGraceMs: 0, draining: shutdown, websocket: { maxMessageBytes: 1024 } },
    );
    // The drain is held at its `endStreams` step, while the server still accepts connections.
    let release = () => {};
    let draining = () => {};
    const reached = new Promise<void>((resolve) => {
      draining = resolve;
    });
    const closed = edge.close({
      endStreams: () => {
        draining();
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    try {
      await within(reached, 'the drain began');
      const connection = await connectRaw(edge.url, upgradeRequest('/graphql', { host: hostOf(edge.url) }));
      assert.match(await within(connection.closed, 'the upgrade was answered'), /^HTTP\/1\.1 503 /);
      const ready = await send(`${edge.url}/ready`);
      assert.equal(ready.status, 503);
      assert.match(ready.text, /shutting down/);
    } finally {
      release();
      await closed;
      await client.close();
    }
  });
});

describe('the HTTP edge: timeouts', () => {
  let stack: EventStack;
  const timeouts = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 };

  before(async () => {
    stack = await startEventStack({ server: timeouts });
    await stack.addReceiverHook();
  });
  after(() => stack.close());

  it('cuts a client that sends its headers too slowly, with 408', async () => {
    const connection = await connectRaw(stack.url, `GET /health HTTP/1.1\r\nHost: ${hostOf(stack.url)}\r\n`);
    assert.match(await within(connection.closed, 'the slow client was cut'), /^HTTP\/1\.1 408 /);
  });

  it('cuts a request whose body is too slow, while SSE and WebSocket subscriptions opened before it run on', async () => {
    const subscribers = [
      subscribe(stack, 'sse', { query: EVENTS }),
      subscribe(stack, 'ws', { query: EVENTS }),
    ];
    await waitUntil('both subscribed', () => stack.store.status().subscribers === 2);
    const slow = await connectRaw(
      stack.url,
      `POST /graphql HTTP/1.1\r\nHost: ${hostOf(stack.url)}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 100\r\n\r\n{"query":',
    );
    assert.match(await within(slow.closed, 'the slow request was cut'), /^HTTP\/1\.1 408 /);
    // Both streams have been open longer than the request timeout, and Node has checked since: not cut.
    stack.gitlab.emitSystemHookEvent({ eventName: 'user_create' });
    for (const subscriber of subscribers) {
      const [event] = await subscriber.waitForEvents(1);
      assert.equal(event.eventName, 'user_create');
    }
    await closeAll(subscribers, stack.store);
  });

  it('closes a keep-alive connection once it has been idle for the keep-alive timeout', async () => {
    const connection = await connectRaw(
      stack.url,
      `GET /health HTTP/1.1\r\nHost: ${hostOf(stack.url)}\r\n\r\n`,
    );
    const answer = await within(connection.closed, 'the idle connection was closed');
    assert.match(answer, /^HTTP\/1\.1 200 /);
  });
});

describe('the HTTP edge: the connection cap', () => {
  let gateway: GatewayHandle;

  before(async () => {
    gateway = await startGateway(`http://127.0.0.1:${await closedPort()}`, { server: { maxConnections: 2 } });
  });
  after(() => gateway.close());

  it('drops a connection past HTTP_MAX_CONNECTIONS without an answer, and serves again once one closes', async () => {
    const held = [await connectRaw(gateway.url), await connectRaw(gateway.url)];
    const third = await connectRaw(
      gateway.url,
      `GET /health HTTP/1.1\r\nHost: ${hostOf(gateway.url)}\r\n\r\n`,
    );
    assert.equal(await within(third.closed, 'the third connection was dropped'), '');

    const [first, second] = held as [RawConnection, RawConnection];
    first.socket.destroy();
    await first.closed;
    // The server learns of the close a moment later: a few attempts, each answered or dropped at once.
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = await send(`${gateway.url}/health`).then(
        (answer) => answer.status,
        () => 0,
      );
    }
    assert.equal(status, 200);
    second.socket.destroy();
  });
});

describe('the HTTP edge: the Host allow-list', () => {
  let stack: EventStack;
  let port: string;

  before(async () => {
    stack = await startEventStack({
      // As with GITLAB_TOKEN: a request without a credential runs with the administrator's.
      gateway: { defaultCredential: { scheme: 'private-token', token: ADMIN_TOKEN } },
      server: { allowedHosts: ['gateway.example.com', '.corp.example'] },
    });
    port = portOf(stack.url);
  });
  after(() => stack.close());

  const rebinding = () => ({ host: `rebind.example:${port}`, origin: `http://rebind.example:${port}` });

  it('refuses a request with a foreign Host and a matching Origin (DNS rebinding) with 421, before GitLab is called', async () => {
    stack.gitlab.resetRequestLog();
    const answer = await send(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { ...rebinding(), 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ systemHooks { count } }' }),
    });
    assert.equal(answer.status, 421);
    assert.match(answer.text, /ALLOWED_HOSTS/);
    assert.ok(!answer.text.includes('rebind'), 'the Host is not echoed');
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('refuses such a request on every path, GraphiQL and /ready among them', async () => {
    for (const path of ['/graphql', '/ready', '/health', '/nowhere']) {
      const answer = await send(`${stack.url}${path}`, { headers: { ...rebinding(), accept: 'text/html' } });
      assert.equal(answer.status, 421, path);
    }
  });

  it("refuses a delivery to the receiver under a foreign Host: GitLab sends the Host of the hook's URL", async () => {
    const subscriber = subscribe(stack, 'sse', { query: EVENTS });
    await within(subscriber.opened, 'subscribed');
    const deliver = (host: string, eventName: string) =>
      send(`${stack.url}/webhooks/system-hooks`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', 'x-gitlab-token': RECEIVER_TOKEN },
        body: JSON.stringify({ event_name: eventName }),
      });
    assert.equal((await deliver(`rebind.example:${port}`, 'user_destroy')).status, 421);
    assert.equal((await deliver(`gateway.example.com:${port}`, 'user_create')).status, 204);
    const [event] = await subscriber.waitForEvents(1);
    assert.equal(event.eventName, 'user_create', 'the refused delivery was published first');
    await closeAll([subscriber], stack.store);
  });

  it('refuses an upgrade with a foreign Host and a matching Origin with 421, and closes it', async () => {
    const connection = await connectRaw(stack.url, upgradeRequest('/graphql', rebinding()));
    const answer = await within(connection.closed, 'the server closed the connection');
    assert.match(answer, /^HTTP\/1\.1 421 Misdirected Request\r\n/);
    assert.match(answer, /ALLOWED_HOSTS/);
  });

  for (const [status, what, hosts] of [
    [
      200,
      'answers IP literals, localhost and names under it, the listed names and names under a listed .name',
      [
        `127.0.0.1:{port}`,
        '10.1.2.3',
        `[::1]:{port}`,
        '[::ffff:7f00:1]',
        `localhost:{port}`,
        'LOCALHOST.',
        `app.localhost:{port}`,
        'gateway.example.com',
        'Gateway.Example.Com:443',
        'corp.example',
        'a.b.corp.example:8443',
      ],
    ],
    [
      421,
      'refuses names that only look like allowed ones, and Host values that are not a host',
      [
        'gateway.example.com.rebind.example',
        'evilcorp.example',
        'localhost.rebind.example',
        '127.0.0.1.nip.io',
        '127.1',
        'localhost@rebind.example',
        '[localhost]',
        'gateway.example.com:port',
      ],
    ],
  ] as const) {
    it(what, async () => {
      for (const host of hosts) {
        const answer = await send(`${stack.url}/health`, { headers: { host: host.replace('{port}', port) } });
        assert.equal(answer.status, status, host);
      }
    });
  }
});
