import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/index.ts';
import {
  CreateSystemHookDocument,
  SystemHookEventsDocument,
  SystemHooksDocument,
} from '../generated/graphql.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { captureLogs } from '../helpers/observed-stack.ts';
import { type EventStack, startEventStack } from '../helpers/stack.ts';
import { closeAll, errorCodes, subscribe } from '../helpers/subscribers.ts';
import { documentHash } from '../helpers/trusted-client.ts';
import type { UntypedData } from '../helpers/untyped.ts';
import { WAIT_MS, waitUntil, within } from '../helpers/wait-until.ts';

/**
 * GraphQL over WebSocket (`graphql-transport-ws`) on the gateway's `/graphql`: the protocol as raw `ws`
 * messages and through the `graphql-ws` client, credentials, origins, bounds and trusted documents.
 */

const PROTOCOL = 'graphql-transport-ws';
const EVENTS = print(SystemHookEventsDocument);
const APP_ORIGIN = 'https://app.example.com';
/** A name in `ALLOWED_HOSTS`, as behind a reverse proxy. */
const LISTED_HOST = 'gateway.example.com';
const MAX_MESSAGE_BYTES = 8 * 1024;
const MAX_SUBSCRIPTIONS = 2;

/** A socket spoken to in raw protocol messages. */
interface RawSocket {
  socket: WebSocket;
  send(message: unknown): void;
  /** The next message from the server, parsed; rejects after `WAIT_MS`. */
  next(): Promise<UntypedData>;
  /** Every message received and not yet taken by `next()`. */
  pending: UntypedData[];
  /** Resolves with the close code and reason once the socket is closed; rejects after `WAIT_MS`. */
  waitForClose(): Promise<{ code: number; reason: string }>;
}

/** Opens a raw socket; resolves once it is open, or rejects with the upgrade's HTTP status. */
function openRaw(
  url: string,
  options: { headers?: Record<string, string>; protocol?: string | null } = {},
): Promise<RawSocket> {
  const protocol = options.protocol === undefined ? PROTOCOL : options.protocol;
  const socket = new WebSocket(url, protocol === null ? [] : [protocol], { headers: options.headers });
  const pending: UntypedData[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  socket.on('message', (data) => pending.push(JSON.parse(String(data))));
  const raw: RawSocket = {
    socket,
    pending,
    waitForClose: () => within(closed, 'the socket closed'),
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async next() {
      await waitUntil('a message from the server', () => pending.length > 0);
      return pending.shift();
    },
  };
  const opened = new Promise<RawSocket>((resolve, reject) => {
    socket.once('open', () => resolve(raw));
    socket.once('unexpected-response', (_request, response) => {
      reject(
        Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode }),
      );
      socket.terminate();
    });
    socket.once('error', reject);
  });
  return within(opened, 'the socket opened');
}

/** A raw socket past `connection_init` and its ack. */
async function initialised(
  url: string,
  payload: unknown = { 'PRIVATE-TOKEN': ADMIN_TOKEN },
): Promise<RawSocket> {
  const raw = await openRaw(url);
  raw.send({ type: 'connection_init', payload });
  assert.deepEqual(await raw.next(), { type: 'connection_ack' });
  return raw;
}

async function closeRaw(raw: RawSocket): Promise<void> {
  if (raw.socket.readyState !== WebSocket.CLOSED) raw.socket.close();
  await raw.waitForClose();
}

/** Runs one operation through the `graphql-ws` client and resolves with its one result. */
async function runOnce(
  wsUrl: string,
  payload: { query: string; variables?: Record<string, unknown>; [extra: string]: unknown },
  connectionParams: Record<string, unknown> = { 'PRIVATE-TOKEN': ADMIN_TOKEN },
): Promise<UntypedData> {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
  try {
    const results: UntypedData[] = [];
    const iterated = (async () => {
      for await (const result of client.iterate(payload as never)) results.push(result);
    })();
    await within(iterated, 'the operation completed');
    assert.equal(results.length, 1);
    return results[0];
  } catch (error) {
    return { thrown: error };
  } finally {
    await client.dispose();
  }
}

describe('GraphQL over WebSocket', () => {
  let stack: EventStack;
  const logs = captureLogs('debug');

  before(async () => {
    stack = await startEventStack({
      gateway: { corsOrigins: [APP_ORIGIN] },
      server: { allowedHosts: [LISTED_HOST] },
      websocket: {
        maxMessageBytes: MAX_MESSAGE_BYTES,
        maxSubscriptionsPerSocket: MAX_SUBSCRIPTIONS,
        logger: logs.logger,
      },
    });
    await stack.addReceiverHook();
  });
  after(() => stack.close());

  describe('the protocol, in raw messages', () => {
    it('acknowledges connection_init', async () => {
      const raw = await initialised(stack.wsUrl);
      await closeRaw(raw);
    });

    it('answers ping with pong, echoing its payload', async () => {
      const raw = await initialised(stack.wsUrl);
      raw.send({ type: 'ping', payload: { at: 1 } });
      assert.deepEqual(await raw.next(), { type: 'pong', payload: { at: 1 } });
      raw.send({ type: 'ping' });
      assert.deepEqual(await raw.next(), { type: 'pong' });
      await closeRaw(raw);
    });

    it('closes with 4401 a subscribe sent before connection_init', async () => {
      const raw = await openRaw(stack.wsUrl);
      raw.send({ id: '1', type: 'subscribe', payload: { query: EVENTS } });
      assert.equal((await raw.waitForClose()).code, 4401);
      assert.equal(stack.store.status().subscribers, 0);
    });

    it('closes with 4429 a second connection_init', async () => {
      const raw = await initialised(stack.wsUrl);
      raw.send({ type: 'connection_init' });
      assert.equal((await raw.waitForClose()).code, 4429);
    });

    it('closes with 4409 a subscribe that reuses a running id', async () => {
      const raw = await initialised(stack.wsUrl);
      raw.send({ id: 'same', type: 'subscribe', payload: { query: EVENTS } });
      await waitUntil('subscribed', () => stack.store.status().subscribers === 1);
      raw.send({ id: 'same', type: 'subscribe', payload: { query: EVENTS } });
      assert.equal((await raw.waitForClose()).code, 4409);
      await waitUntil('the subscription ends with its socket', () => stack.store.status().subscribers === 0);
    });

    it('holds a live subscription by its id until it completes, then takes the id again', async () => {
      const raw = await initialised(stack.wsUrl);
      // Each round delivers an event to `again` and then completes it: the gateway serves a live grouped
      // subscription itself, and graphql-ws must still find it by its id, and forget it once completed.
      for (const eventName of ['group_create', 'group_destroy'] as const) {
        raw.send({ id: 'again', type: 'subscribe', payload: { query: EVENTS } });
        await waitUntil('subscribed', () => stack.store.status().subscribers === 1);
        stack.gitlab.emitSystemHookEvent({ eventName });
        const received = await raw.next();
        assert.equal(received.type, 'next');
        assert.equal(received.id, 'again');
        assert.equal(received.payload.data.systemHookEventReceived.eventName, eventName);
        raw.send({ id: 'again', type: 'complete' });
        await waitUntil('the subscription ended', () => stack.store.status().subscribers === 0);
      }
      // Nothing else was sent: no `complete` of the server's for a subscription the client completed.
      raw.send({ type: 'ping' });
      assert.deepEqual(await raw.next(), { type: 'pong' });
      raw.send({ id: 'again', type: 'subscribe', payload: { query: EVENTS } });
      await waitUntil('subscribed', () => stack.store.status().subscribers === 1);
      raw.send({ id: 'again', type: 'subscribe', payload: { query: EVENTS } });
      assert.equal((await raw.waitForClose()).code, 4409);
      await waitUntil('the subscription ends with its socket', () => stack.store.status().subscribers === 0);
    });

    for (const [what, message] of [
      ['text that is not JSON', 'not json'],
      ['an unknown message type', { type: 'shout', payload: {} }],
      ['a subscribe without an id', { type: 'subscribe', payload: { query: EVENTS } }],
      ['a subscribe whose query is not a string', { id: '1', type: 'subscribe', payload: { query: 42 } }],
    ] as const) {
      it(`closes with 4400 ${what}`, async () => {
        const raw = await initialised(stack.wsUrl);
        raw.send(message);
        assert.equal((await raw.waitForClose()).code, 4400);
      });
    }

    it('agrees to no other subprotocol, such as the deprecated graphql-ws, so the handshake fails', async () => {
      await assert.rejects(openRaw(stack.wsUrl, { protocol: 'graphql-ws' }), /Server sent no subprotocol/);
    });

    it('stops a subscription on complete: no more events for it', async () => {
      const raw = await initialised(stack.wsUrl);
      raw.send({ id: 'a', type: 'subscribe', payload: { query: EVENTS } });
      await waitUntil('subscribed', () => stack.store.status().subscribers === 1);
      stack.gitlab.emitSystemHookEvent({ eventName: 'group_create' });
      const first = await raw.next();
      assert.equal(first.type, 'next');
      assert.equal(first.id, 'a');
      assert.equal(first.payload.data.systemHookEventReceived.eventName, 'group_create');

      raw.send({ id: 'a', type: 'complete' });
      await waitUntil('the subscription ended', () => stack.store.status().subscribers === 0);
      stack.gitlab.emitSystemHookEvent({ eventName: 'group_destroy' });
      await stack.gitlab.deliveriesSettled();
      // A pong answered after the event was accepted: anything sent for `a` would have come before it.
      raw.send({ type: 'ping' });
      assert.deepEqual(await raw.next(), { type: 'pong' });
      await closeRaw(raw);
    });

    it('closes with 1009 (message too big) a message over the limit, and says so in a debug line only', async () => {
      const raw = await initialised(stack.wsUrl);
      const padding = ' '.repeat(MAX_MESSAGE_BYTES);
      const printed: unknown[][] = [];
      const consoleError = console.error;
      console.error = (...args: unknown[]) => printed.push(args);
      try {
        logs.lines.length = 0;
        raw.send({ id: 'big', type: 'subscribe', payload: { query: `${padding}${EVENTS}` } });
        assert.equal((await raw.waitForClose()).code, 1009);
      } finally {
        console.error = consoleError;
      }
      assert.equal(stack.store.status().subscribers, 0);
      assert.deepEqual(printed, [], 'nothing printed outside the JSON logs');
      assert.deepEqual(
        logs.lines.map((line) => [line.level, line.msg, line.reason]),
        [['DEBUG', 'WebSocket closed: the client broke the protocol', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']],
      );
    });
  });

  describe('credentials', () => {
    const forms: [string, Record<string, unknown>, Record<string, string>][] = [
      ['PRIVATE-TOKEN in connection_init', { 'PRIVATE-TOKEN': ADMIN_TOKEN }, {}],
      ['Authorization: Bearer in connection_init', { Authorization: `Bearer ${ADMIN_TOKEN}` }, {}],
      ['PRIVATE-TOKEN in the upgrade headers', {}, { 'private-token': ADMIN_TOKEN }],
      ['Authorization in the upgrade headers', {}, { authorization: `Bearer ${ADMIN_TOKEN}` }],
      [
        "connection_init's over the upgrade's (a browser cannot set upgrade headers)",
        { 'PRIVATE-TOKEN': ADMIN_TOKEN },
        { 'private-token': USER_TOKEN },
      ],
    ];
    for (const [where, params, headers] of forms) {
      it(`takes the credential from ${where}`, async () => {
        const raw = await openRaw(stack.wsUrl, { headers });
        raw.send({ type: 'connection_init', payload: params });
        assert.equal((await raw.next()).type, 'connection_ack');
        raw.send({ id: 'q', type: 'subscribe', payload: { query: '{ systemHooks(first: 1) { count } }' } });
        const result = await raw.next();
        assert.equal(result.type, 'next', JSON.stringify(result));
        assert.equal(result.payload.errors, undefined, JSON.stringify(result.payload.errors));
        assert.equal(result.payload.data.systemHooks.count, 1);
        assert.deepEqual(await raw.next(), { id: 'q', type: 'complete' });
        await closeRaw(raw);
      });
    }

    it("refuses a user's token in connection_init with FORBIDDEN, as over HTTP", async () => {
      const result = await runOnce(
        stack.wsUrl,
        { query: print(SystemHooksDocument), variables: { first: 1 } },
        {
          'PRIVATE-TOKEN': USER_TOKEN,
        },
      );
      assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    });
  });

  describe('origins', () => {
    it('refuses an upgrade from another site with 403', async () => {
      await assert.rejects(openRaw(stack.wsUrl, { headers: { origin: 'https://evil.example.com' } }), {
        status: 403,
      });
      assert.equal(stack.store.status().subscribers, 0);
    });

    /** `Host` and `Origin` for an upgrade: a name or address with `port`, or the gateway's own port. */
    const upgradeHeaders = (host: string, origin: string) => {
      const port = new URL(stack.url).port;
      return { host: host.replace('{port}', port), origin: origin.replace('{port}', port) };
    };

    for (const [what, host, origin] of [
      ['an origin in CORS_ORIGINS', '127.0.0.1:{port}', APP_ORIGIN],
      [
        "the gateway's own origin: the address and port it was reached at",
        '127.0.0.1:{port}',
        'http://127.0.0.1:{port}',
      ],
      [
        "the gateway's own origin: localhost at the gateway's port",
        'localhost:{port}',
        'http://localhost:{port}',
      ],
      ['a name in ALLOWED_HOSTS at its default port (behind a proxy)', LISTED_HOST, `https://${LISTED_HOST}`],
      [
        'a name in ALLOWED_HOSTS at the gateway port',
        `${LISTED_HOST}:{port}`,
        `http://${LISTED_HOST}:{port}`,
      ],
    ] as const) {
      it(`accepts ${what}`, async () => {
        const raw = await openRaw(stack.wsUrl, { headers: upgradeHeaders(host, origin) });
        raw.send({ type: 'connection_init', payload: { 'PRIVATE-TOKEN': ADMIN_TOKEN } });
        assert.equal((await raw.next()).type, 'connection_ack');
        await closeRaw(raw);
      });
    }

    // The Origin is compared with the gateway's names and addresses, never with the request's own Host.
    for (const [what, host, origin] of [
      [
        'an IP literal Host echoed in Origin (a page served from that address)',
        '203.0.113.9:{port}',
        'http://203.0.113.9:{port}',
      ],
      ['localhost at another port (another local server)', 'localhost:{port}', 'http://localhost:1'],
      ['a name under localhost at another port', 'app.localhost:{port}', 'http://app.localhost:1'],
      ['the null origin of a sandboxed page or a file', '127.0.0.1:{port}', 'null'],
    ] as const) {
      it(`refuses with 403 ${what}`, async () => {
        await assert.rejects(openRaw(stack.wsUrl, { headers: upgradeHeaders(host, origin) }), {
          status: 403,
        });
      });
    }

    it('refuses with 421 a rebinding page: a foreign Host and the matching Origin', async () => {
      const headers = upgradeHeaders('rebind.example:{port}', 'http://rebind.example:{port}');
      await assert.rejects(openRaw(stack.wsUrl, { headers }), { status: 421 });
    });
  });

  describe('operations other than subscriptions', () => {
    it('runs a query', async () => {
      const result = await runOnce(stack.wsUrl, {
        query: print(SystemHooksDocument),
        variables: { first: 5 },
      });
      assert.equal(result.errors, undefined, JSON.stringify(result));
      assert.equal(result.data.systemHooks.count, 1);
      assert.equal(result.data.systemHooks.nodes[0].url, stack.receiverUrl);
    });

    it('runs a mutation', async () => {
      const result = await runOnce(stack.wsUrl, {
        query: print(CreateSystemHookDocument),
        variables: { input: { url: 'https://hooks.example.com/ws', name: 'over WebSocket' } },
      });
      assert.equal(result.errors, undefined, JSON.stringify(result));
      assert.ok(result.data, JSON.stringify(result));
      assert.deepEqual(result.data.createSystemHook.errors, []);
      assert.equal(result.data.createSystemHook.systemHook.name, 'over WebSocket');
      assert.ok(stack.gitlab.requests.some((request) => request.method === 'POST' && request.status === 201));
    });

    it('answers a document that does not parse or validate with an error', async () => {
      const parse = await runOnce(stack.wsUrl, { query: '{ systemHooks(' });
      assert.match(parse.thrown?.[0]?.message, /Syntax Error/);
      const invalid = await runOnce(stack.wsUrl, { query: '{ noSuchField }' });
      assert.match(invalid.thrown?.[0]?.message, /Cannot query field "noSuchField"/);
    });
  });

  describe(`at most ${MAX_SUBSCRIPTIONS} subscriptions per socket`, () => {
    it(`runs ${MAX_SUBSCRIPTIONS} on one socket and refuses one more with a clear error`, async () => {
      const client = createClient({
        url: stack.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { 'PRIVATE-TOKEN': ADMIN_TOKEN },
        retryAttempts: 0,
      });
      const sinks = Array.from({ length: MAX_SUBSCRIPTIONS + 1 }, () => {
        const sink = { results: [] as UntypedData[], error: undefined as unknown, dispose: () => {} };
        return sink;
      });
      for (const [index, sink] of sinks.entries()) {
        sink.dispose = client.subscribe(
          { query: EVENTS },
          {
            next: (value) => sink.results.push(value),
            error: (error) => {
              sink.error = error;
            },
            complete: () => {},
          },
        );
        if (index < MAX_SUBSCRIPTIONS) {
          await waitUntil(
            () => `subscription ${index + 1}; got ${JSON.stringify(sink)}`,
            () => stack.store.status().subscribers === index + 1,
          );
        }
      }
      const refused = sinks[MAX_SUBSCRIPTIONS] as (typeof sinks)[number];
      await waitUntil('the extra subscription refused', () => refused.error !== undefined);
      const [error] = refused.error as UntypedData[];
      assert.equal(error.message, `A socket holds at most ${MAX_SUBSCRIPTIONS} operations at once`);
      assert.equal(error.extensions.code, 'BAD_REQUEST');
      assert.equal(stack.store.status().subscribers, MAX_SUBSCRIPTIONS);

      // The running ones are untouched, and a freed place can be taken again.
      stack.gitlab.emitSystemHookEvent({ eventName: 'user_create' });
      await waitUntil('the event on every running subscription', () =>
        sinks.slice(0, MAX_SUBSCRIPTIONS).every((sink) => sink.results.length === 1),
      );
      sinks[0]?.dispose();
      await waitUntil(
        'one subscription completed',
        () => stack.store.status().subscribers === MAX_SUBSCRIPTIONS - 1,
      );
      const again = subscribe(stack, 'ws', { query: EVENTS });
      await waitUntil(
        'a new subscription in the freed place',
        () => stack.store.status().subscribers === MAX_SUBSCRIPTIONS,
      );
      for (const sink of sinks) sink.dispose();
      await client.dispose();
      await closeAll([again], stack.store);
    });
  });
});

describe('GraphQL over WebSocket in trusted-documents mode', () => {
  let stack: EventStack;

  before(async () => {
    const manifest = fileURLToPath(new URL('../generated/persisted-documents.json', import.meta.url));
    const { trustedDocuments } = loadConfig({ TRUSTED_DOCUMENTS_FILE: manifest });
    assert.ok(trustedDocuments);
    stack = await startEventStack({ gateway: { trustedDocuments } });
    await stack.addReceiverHook();
  });
  after(() => stack.close());

  it('runs a manifest subscription sent by its hash, and delivers events to it', async () => {
    const subscriber = subscribe(stack, 'ws', {
      query: '',
      documentId: documentHash(SystemHookEventsDocument),
    });
    await waitUntil(
      () => `subscribed; got ${JSON.stringify(subscriber.results)}`,
      () => stack.store.status().subscribers === 1,
    );
    const emitted = stack.gitlab.emitSystemHookEvent({ eventName: 'project_destroy' });
    const [event] = await subscriber.waitForEvents(1);
    assert.equal(event.type, 'PROJECT_DESTROY');
    assert.deepEqual(event.payload, emitted.payload);
    await closeAll([subscriber], stack.store);
  });

  it('runs a manifest query sent as extensions.persistedQuery', async () => {
    const hex = documentHash(SystemHooksDocument).slice('sha256:'.length);
    const result = await runOnce(stack.wsUrl, {
      query: '',
      variables: { first: 1 },
      extensions: { persistedQuery: { version: 1, sha256Hash: hex } },
    });
    assert.equal(result.errors, undefined, JSON.stringify(result));
    assert.equal(result.data.systemHooks.count, 1);
  });

  it("refuses a document's text, even a trusted one's, with PERSISTED_QUERY_ID_REQUIRED", async () => {
    const refused = subscribe(stack, 'ws', { query: EVENTS });
    const end = await refused.waitForEnd(WAIT_MS);
    assert.deepEqual(errorCodes(refused, end), ['PERSISTED_QUERY_ID_REQUIRED']);
    assert.equal(stack.store.status().subscribers, 0);
    await refused.close();
  });

  it('refuses a hash that is not in the manifest with PERSISTED_QUERY_NOT_IN_LIST', async () => {
    const refused = subscribe(stack, 'ws', { query: '', documentId: `sha256:${'0'.repeat(64)}` });
    const end = await refused.waitForEnd(WAIT_MS);
    assert.deepEqual(errorCodes(refused, end), ['PERSISTED_QUERY_NOT_IN_LIST']);
    await refused.close();
  });
});

describe('GraphQL over WebSocket, when the gateway ends a subscription', () => {
  let stack: EventStack;

  before(async () => {
    stack = await startEventStack();
    await stack.addReceiverHook();
  });
  after(() => stack.close());

  it("sends the subscription's complete, as graphql-ws does, once its events end", async () => {
    const raw = await initialised(stack.wsUrl);
    raw.send({ id: 'ends', type: 'subscribe', payload: { query: EVENTS } });
    await waitUntil('subscribed', () => stack.store.status().subscribers === 1);
    stack.gitlab.emitSystemHookEvent({ eventName: 'group_create' });
    assert.equal((await raw.next()).type, 'next');
    // The store ends its subscriptions as the gateway shuts down.
    await stack.store.close();
    assert.deepEqual(await raw.next(), { id: 'ends', type: 'complete' });
    // The id is free again: a new subscribe under it is answered, not refused as a duplicate.
    raw.send({ id: 'ends', type: 'subscribe', payload: { query: EVENTS } });
    assert.equal((await raw.next()).id, 'ends');
    await closeRaw(raw);
  });
});
