import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createServerAdapter } from '@whatwg-node/server';
import type { AppendResult, EventStore } from '../../src/events/event-store.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import type { SystemHookEventInput, SystemHookEventSource } from '../../src/events/types.ts';
import { signStandardWebhook } from '../../src/events/verification.ts';
import {
  createSystemHookReceiver,
  type ReceiverRefusal,
  type SystemHookReceiverOptions,
} from '../../src/http/receiver.ts';
import { postChunked } from '../helpers/raw-http.ts';

const TOKEN = 'canary-token-4f1c';
const OTHER_TOKEN = 'canary-token-rotated-9d2e';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MAX_BODY_BYTES = 64 * 1024;
const BODY = JSON.stringify({
  event_name: 'project_create',
  created_at: '2026-10-05T08:07:27Z',
  name: 'Example',
  path: 'example',
  project_id: 74,
});

/** What GitLab 18.x sends with a secret token. */
function gitlabHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/18.6.5',
    'idempotency-key': '7bafea1a-a1bf-4948-9a37-3f912777dedc',
    'x-gitlab-event': 'System Hook',
    'x-gitlab-webhook-uuid': 'd96cd136-d798-4abc-b542-07c41d1d9333',
    'x-gitlab-instance': 'https://gitlab.example.com',
    'x-gitlab-event-uuid': '1697b63f-d1eb-4c59-b2c1-e65b12e635c0',
    'x-gitlab-token': TOKEN,
    ...overrides,
  };
}

/** The headers without `Idempotency-Key` (nor `webhook-id`): what GitLab before 17.4 sends. */
function withoutIds(headers: Record<string, string>): Record<string, string> {
  const { 'idempotency-key': _key, 'webhook-id': _id, ...rest } = headers;
  return rest;
}

function signedHeaders(
  body: string,
  id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  timestamp = String(Math.floor(Date.now() / 1000)),
): Record<string, string> {
  const { 'x-gitlab-token': _token, ...headers } = gitlabHeaders({
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signStandardWebhook(SECRET, id, timestamp, body),
  });
  return headers;
}

/** A POST whose body starts with `part` and never ends; `answered` settles when the answer, or an error, comes. */
function stalledRequest(url: string, headers: Record<string, string>, part: string) {
  const request = httpRequest(url, { method: 'POST', headers });
  const answered = new Promise<number | Error>((resolve) => {
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', resolve);
  });
  request.write(part);
  return { request, answered };
}

describe('the system hook receiver over HTTP', () => {
  let server: Server;
  let url: string;
  let store: EventStore;
  let stored: { event: SystemHookEventInput; result: AppendResult }[];
  let refusals: ReceiverRefusal[];
  let live: SystemHookEventSource[];
  let subscription: AbortController;

  before(async () => {
    const handler = createServerAdapter((request: Request) => receive(request));
    server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/system-hooks`;
  });
  after(async () => {
    subscription.abort();
    await store.close();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  let receive: (request: Request) => Promise<Response>;
  /** The store, recording what the receiver appends to it. */
  const recording = (): Pick<EventStore, 'append'> => ({
    append: async (event) => {
      const result = await store.append(event);
      stored.push({ event, result });
      return result;
    },
  });
  /** Replaces the receiver under test with one for signed deliveries with these options. */
  const receiveWith = (
    options: Pick<SystemHookReceiverOptions, 'store'> & Partial<SystemHookReceiverOptions>,
  ) => {
    receive = createSystemHookReceiver({
      signingSecrets: [SECRET],
      onRefused: (reason) => refusals.push(reason),
      ...options,
    });
  };
  beforeEach(async () => {
    subscription?.abort();
    await store?.close();
    store = createMemoryEventStore();
    stored = [];
    refusals = [];
    live = [];
    receive = createSystemHookReceiver({
      store: recording(),
      secretTokens: [TOKEN, OTHER_TOKEN],
      signingSecrets: [SECRET],
      maxBodyBytes: MAX_BODY_BYTES,
      onRefused: (reason) => refusals.push(reason),
    });
    subscription = new AbortController();
    const events = await store.subscribe({ signal: subscription.signal });
    void (async () => {
      for await (const event of events) live.push(event);
    })();
  });

  const post = async (body: BodyInit, headers: Record<string, string> = gitlabHeaders(), method = 'POST') => {
    const response = await fetch(url, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? null : body,
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  /** Lets the subscriber's loop take what was published. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  function assertNothingStored(): void {
    assert.deepEqual(stored, []);
  }

  describe('accepting', () => {
    it('accepts a delivery with a configured token with 204 and stores its event and metadata', async () => {
      const answer = await post(BODY);
      assert.equal(answer.status, 204);
      assert.equal(answer.text, '');
      assert.equal(stored.length, 1);
      const { event } = stored[0] as { event: SystemHookEventInput };
      assert.deepEqual(
        { ...event, receivedAt: undefined },
        {
          deliveryId: '7bafea1a-a1bf-4948-9a37-3f912777dedc',
          eventName: 'project_create',
          receivedAt: undefined,
          verifiedBy: 'TOKEN',
          instance: 'https://gitlab.example.com',
          gitlabVersion: '18.6.5',
          eventUuid: '1697b63f-d1eb-4c59-b2c1-e65b12e635c0',
          attemptId: 'd96cd136-d798-4abc-b542-07c41d1d9333',
          bodyBytes: Buffer.byteLength(BODY),
          payload: JSON.parse(BODY),
        },
      );
      assert.ok(Math.abs(Date.parse(event.receivedAt) - Date.now()) < 10_000);
      assert.match(event.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      await settle();
      assert.deepEqual(
        live.map((e) => e.deliveryId),
        ['7bafea1a-a1bf-4948-9a37-3f912777dedc'],
      );
    });

    it('accepts the rotated token too, and application/json with parameters', async () => {
      const answer = await post(
        BODY,
        gitlabHeaders({ 'x-gitlab-token': OTHER_TOKEN, 'content-type': 'Application/JSON; charset=utf-8' }),
      );
      assert.equal(answer.status, 204);
      assert.equal(stored[0]?.event.verifiedBy, 'TOKEN');
    });

    it('accepts a Standard Webhooks signature and identifies the delivery by webhook-id', async () => {
      const answer = await post(BODY, signedHeaders(BODY));
      assert.equal(answer.status, 204);
      assert.equal(stored[0]?.event.verifiedBy, 'SIGNATURE');
      assert.equal(stored[0]?.event.deliveryId, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    });

    it('accepts a chunked body within the limit', async () => {
      const answer = await postChunked(url, gitlabHeaders(), [BODY.slice(0, 10), BODY.slice(10)]);
      assert.equal(answer.status, 204);
      assert.deepEqual(stored[0]?.event.payload, JSON.parse(BODY));
    });

    it('names the event by object_kind when there is no event_name, and unknown when neither is a usable name', async () => {
      await post('{"object_kind":"push","ref":"refs/heads/main"}', gitlabHeaders({ 'idempotency-key': 'a' }));
      await post('{"something":"new"}', gitlabHeaders({ 'idempotency-key': 'b' }));
      await post('{"event_name":42,"object_kind":"tag_push"}', gitlabHeaders({ 'idempotency-key': 'c' }));
      assert.deepEqual(
        stored.map(({ event }) => event.eventName),
        // `event_name ?? object_kind`, as GitLab's discriminator is read: a present but non-string name is unknown.
        ['push', 'unknown', 'unknown'],
      );
    });

    it('identifies a delivery without ids by its attempt: the hash of X-Gitlab-Webhook-UUID and the body', async () => {
      const headers = withoutIds(gitlabHeaders());
      assert.equal((await post(BODY, headers)).status, 204);
      const hash = createHash('sha256').update(`${headers['x-gitlab-webhook-uuid']}\n${BODY}`).digest('hex');
      assert.equal(stored[0]?.event.deliveryId, `attempt-sha256:${hash}`);
    });

    it('gives a delivery with no id and no X-Gitlab-Webhook-UUID (GitLab before 16.2) an id of its own', async () => {
      const headers = withoutIds(gitlabHeaders());
      delete headers['x-gitlab-webhook-uuid'];
      assert.equal((await post(BODY, headers)).status, 204);
      assert.match(stored[0]?.event.deliveryId ?? '', /^unidentified:[0-9a-f-]{36}$/);
    });

    it('bounds and checks header values before storing them', async () => {
      const longId = 'i'.repeat(201);
      const answer = await post(
        BODY,
        gitlabHeaders({
          'idempotency-key': longId,
          'user-agent': 'curl/8.5.0',
          'x-gitlab-instance': 'not a url',
          'x-gitlab-event-uuid': 'with\ttab',
          'x-gitlab-webhook-uuid': 'x'.repeat(201),
        }),
      );
      assert.equal(answer.status, 204);
      const event = stored[0]?.event as SystemHookEventInput;
      assert.equal(event.deliveryId, `sha256:${createHash('sha256').update(longId).digest('hex')}`);
      assert.equal(event.gitlabVersion, null);
      assert.equal(event.instance, null);
      assert.equal(event.eventUuid, null);
      assert.equal(event.attemptId, null);
    });

    it('hashes an id with non-ASCII characters', async () => {
      const id = 'caf\u00e9';
      await post(BODY, gitlabHeaders({ 'idempotency-key': id }));
      const event = stored[0]?.event as SystemHookEventInput;
      assert.match(event.deliveryId, /^sha256:[0-9a-f]{64}$/);
    });

    it('reads the version of a pre-release GitLab', async () => {
      await post(BODY, gitlabHeaders({ 'user-agent': 'GitLab/17.1.0-pre' }));
      assert.equal(stored[0]?.event.gitlabVersion, '17.1.0-pre');
    });
  });

  describe('duplicates', () => {
    const cases: [string, () => Record<string, string>, () => Record<string, string>][] = [
      [
        'the same Idempotency-Key',
        () => gitlabHeaders(),
        () => gitlabHeaders({ 'x-gitlab-webhook-uuid': 'second' }),
      ],
      ['the same webhook-id', () => signedHeaders(BODY, 'msg_same'), () => signedHeaders(BODY, 'msg_same')],
      [
        'the same attempt without ids (the same X-Gitlab-Webhook-UUID and body)',
        () => withoutIds(gitlabHeaders()),
        () => withoutIds(gitlabHeaders({ 'x-gitlab-token': OTHER_TOKEN })),
      ],
    ];
    for (const [what, first, second] of cases) {
      it(`answers ${what} with the same 204 and publishes it once`, async () => {
        const answers = [await post(BODY, first()), await post(BODY, second())];
        assert.deepEqual(
          answers.map((answer) => [answer.status, answer.text]),
          [
            [204, ''],
            [204, ''],
          ],
        );
        assert.deepEqual(
          stored.map(({ result }) => result.duplicate),
          [false, true],
        );
        assert.equal(stored[1]?.result.cursor, stored[0]?.result.cursor);
        await settle();
        assert.equal(live.length, 1);
      });
    }

    it('tells deliveries with different ids apart, though their bodies are equal', async () => {
      await post(BODY, gitlabHeaders({ 'idempotency-key': 'one' }));
      await post(BODY, gitlabHeaders({ 'idempotency-key': 'two' }));
      await settle();
      assert.equal(live.length, 2);
    });

    it('publishes both of two identical bodies without ids that came in different attempts', async () => {
      // GitLab before 17.4: a blocked user failing to sign in twice sends the same bytes twice.
      const failedLogin = JSON.stringify({
        event_name: 'user_failed_login',
        created_at: '2012-07-21T07:30:54Z',
        updated_at: '2012-07-21T07:38:22Z',
        name: 'John Smith',
        username: 'john',
        user_id: 41,
        state: 'blocked',
      });
      const first = withoutIds(
        gitlabHeaders({ 'x-gitlab-webhook-uuid': 'f0e1a2b3-0000-4000-8000-000000000001' }),
      );
      const second = withoutIds(
        gitlabHeaders({ 'x-gitlab-webhook-uuid': 'f0e1a2b3-0000-4000-8000-000000000002' }),
      );
      assert.equal((await post(failedLogin, first)).status, 204);
      assert.equal((await post(failedLogin, second)).status, 204);
      assert.deepEqual(
        stored.map(({ result }) => result.duplicate),
        [false, false],
      );
      await settle();
      assert.equal(live.length, 2);
      assert.notEqual(live[0]?.deliveryId, live[1]?.deliveryId);
    });

    it('publishes every delivery that has neither an id nor an X-Gitlab-Webhook-UUID', async () => {
      const headers = withoutIds(gitlabHeaders());
      delete headers['x-gitlab-webhook-uuid'];
      for (let n = 0; n < 3; n += 1) assert.equal((await post(BODY, headers)).status, 204);
      await settle();
      assert.equal(live.length, 3);
    });

    for (const prefix of ['attempt-sha256:', 'unidentified:']) {
      it(`keeps a sender's id that starts with ${prefix} out of the receiver's own ids, so it claims no delivery`, async () => {
        // A token holder sends, ahead of GitLab, the id the receiver would give GitLab's delivery without ids.
        const attempt = withoutIds(gitlabHeaders());
        const claimed = `attempt-sha256:${createHash('sha256').update(`${attempt['x-gitlab-webhook-uuid']}\n${BODY}`).digest('hex')}`;
        const id = prefix === 'attempt-sha256:' ? claimed : `unidentified:${'0'.repeat(36)}`;
        assert.equal(
          (await post('{"event_name":"planted"}', gitlabHeaders({ 'idempotency-key': id }))).status,
          204,
        );
        assert.equal((await post(BODY, attempt)).status, 204);
        assert.deepEqual(
          stored.map(({ result }) => result.duplicate),
          [false, false],
        );
        assert.equal(stored[0]?.event.deliveryId, `sha256:${createHash('sha256').update(id).digest('hex')}`);
        assert.equal(stored[1]?.event.deliveryId, claimed);
      });
    }
  });

  describe('refusing', () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) {
      it(`refuses ${method} with 405 and Allow: POST`, async () => {
        const answer = await post(BODY, gitlabHeaders(), method);
        assert.equal(answer.status, 405);
        assert.equal(answer.headers.get('allow'), 'POST');
        assert.deepEqual(refusals, ['method']);
        assertNothingStored();
      });
    }

    for (const contentType of ['text/plain', 'application/jsonp', 'application/x-www-form-urlencoded', '']) {
      it(`refuses the content type ${JSON.stringify(contentType)} with 415`, async () => {
        const answer = await post(BODY, gitlabHeaders({ 'content-type': contentType }));
        assert.equal(answer.status, 415);
        assert.deepEqual(refusals, ['content_type']);
        assertNothingStored();
      });
    }

    it('refuses a compressed body with 415', async () => {
      const answer = await post(BODY, gitlabHeaders({ 'content-encoding': 'gzip' }));
      assert.equal(answer.status, 415);
      assertNothingStored();
    });

    const unauthenticated: [string, () => Record<string, string>][] = [
      [
        'no token',
        () => {
          const { 'x-gitlab-token': _token, ...headers } = gitlabHeaders();
          return headers;
        },
      ],
      ['a wrong token', () => gitlabHeaders({ 'x-gitlab-token': `${TOKEN}x` })],
      ['a truncated token', () => gitlabHeaders({ 'x-gitlab-token': TOKEN.slice(0, -1) })],
      [
        'a bad signature with a good token',
        () => ({ ...signedHeaders(BODY), 'webhook-signature': 'v1,bad', 'x-gitlab-token': TOKEN }),
      ],
      ['a signature over another body', () => signedHeaders(`${BODY} `)],
      [
        'a stale signature',
        () => signedHeaders(BODY, 'msg_stale', String(Math.floor(Date.now() / 1000) - 301)),
      ],
      [
        'the token in a Basic credential',
        () => {
          const { 'x-gitlab-token': _token, ...headers } = gitlabHeaders();
          return { ...headers, authorization: `Basic ${btoa(`gitlab:${TOKEN}`)}` };
        },
      ],
    ];
    for (const [what, headers] of unauthenticated) {
      it(`refuses ${what} with 401 and an empty body`, async () => {
        const answer = await post(BODY, headers());
        assert.equal(answer.status, 401);
        assert.equal(answer.text, '');
        assert.deepEqual(refusals, ['unauthenticated']);
        for (const value of answer.headers.values()) assert.doesNotMatch(value, /canary|whsec/);
        assertNothingStored();
      });
    }

    it('refuses a wrong token before reading the body, which never ends', async () => {
      const answer = await postChunked(
        url,
        gitlabHeaders({ 'x-gitlab-token': 'wrong' }),
        ['{"event_name":'],
        false,
      );
      assert.equal(answer.status, 401);
      assertNothingStored();
    });

    it('refuses a declared size over the limit with 413 before reading the body, which never ends', async () => {
      const answer = await postChunked(
        url,
        { ...gitlabHeaders(), 'content-length': String(MAX_BODY_BYTES + 1) },
        ['{"event_name":'],
        false,
      );
      assert.equal(answer.status, 413);
      assertNothingStored();
    });

    it('answers a multi-MB body with a 413 that fetch can read', async () => {
      const body = JSON.stringify({ event_name: 'push', padding: 'x'.repeat(8 * 1024 * 1024) });
      const answer = await post(body);
      assert.equal(answer.status, 413);
      assert.equal(answer.text, 'The body is too large.');
      assert.deepEqual(refusals, ['too_large']);
      assertNothingStored();
    });

    it('answers a chunked body growing past the limit with 413', async () => {
      const chunk = 'x'.repeat(16 * 1024);
      const parts = ['{"event_name":"push","padding":"', ...Array.from({ length: 256 }, () => chunk), '"}'];
      const answer = await postChunked(url, gitlabHeaders(), parts);
      assert.equal(answer.status, 413);
      assert.deepEqual(refusals, ['too_large']);
      assertNothingStored();
    });

    it(`accepts a body of exactly ${MAX_BODY_BYTES} bytes`, async () => {
      const prefix = '{"event_name":"push","padding":"';
      const body = `${prefix}${'x'.repeat(MAX_BODY_BYTES - prefix.length - 2)}"}`;
      assert.equal(Buffer.byteLength(body), MAX_BODY_BYTES);
      assert.equal((await post(body)).status, 204);
    });

    const malformed: [string, BodyInit][] = [
      ['invalid JSON', '{event_name: project_create}'],
      ['truncated JSON', BODY.slice(0, -1)],
      ['an array', '[{"event_name":"project_create"}]'],
      ['a number', '42'],
      ['a string', '"project_create"'],
      ['null', 'null'],
      ['an empty body', ''],
      ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ];
    for (const [what, body] of malformed) {
      it(`refuses ${what} with 400`, async () => {
        const answer = await post(body);
        assert.equal(answer.status, 400);
        assert.equal(answer.text, 'The body must be a JSON object.');
        assert.deepEqual(refusals, ['malformed']);
        assertNothingStored();
      });
    }

    /** An event whose body nests `depth` levels: the object, then arrays inside one another. */
    const nested = (depth: number) =>
      `{"event_name":"x","a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

    it('accepts a body nested 64 levels deep, the bound', async () => {
      assert.equal((await post(nested(64))).status, 204);
      assert.equal(stored.length, 1);
    });

    it('refuses a body nested 65 levels deep with 400, and nothing is published', async () => {
      const answer = await post(nested(65));
      assert.equal(answer.status, 400);
      assert.equal(answer.text, 'The body nests arrays and objects too deeply.');
      assert.deepEqual(refusals, ['too_deep']);
      assertNothingStored();
      await settle();
      assert.deepEqual(live, []);
    });

    it('refuses a signed body nested too deep after verifying it, with 400', async () => {
      const body = nested(1000);
      const answer = await post(body, signedHeaders(body));
      assert.equal(answer.status, 400);
      assert.deepEqual(refusals, ['too_deep']);
      assertNothingStored();
    });

    it('counts no bracket inside a string, escaped quotes and backslashes included', async () => {
      const body = JSON.stringify({
        event_name: 'x',
        brackets: `${'['.repeat(500)}"\\${'{'.repeat(500)}`,
        list: [[['\\"]]]', '"[[[']]],
      });
      assert.equal((await post(body)).status, 204);
      assert.deepEqual(stored[0]?.event.payload, JSON.parse(body));
    });

    it('answers a signed body that stalls past the read deadline with 408, and stores nothing', async () => {
      receiveWith({ store: recording(), readTimeoutMs: 300 });
      // Headers that pass before the body (an id, a fresh timestamp, some signature): anyone can send them.
      const started = performance.now();
      const answer = await postChunked(url, signedHeaders(BODY), [BODY.slice(0, 10)], false);
      assert.equal(answer.status, 408);
      assert.equal(answer.text, 'The body did not arrive in time.');
      assert.ok(performance.now() - started < 5_000, 'the deadline, not a server timeout');
      assert.deepEqual(refusals, ['timeout']);
    });

    it('refuses with 503 and Retry-After, without reading, a delivery while the cap of bodies are being read', async () => {
      receiveWith({ store: recording(), maxConcurrentBodies: 1 });
      const first = stalledRequest(url, signedHeaders(BODY, 'msg_slow'), BODY.slice(0, 10));
      try {
        // Until the first is being read, a delivery may take the one place itself, and is answered at once.
        let answer: Awaited<ReturnType<typeof post>> | undefined;
        for (let attempt = 0; attempt < 200 && answer?.status !== 503; attempt += 1) {
          answer = await post(BODY, signedHeaders(BODY, `msg_probe_${attempt}`));
        }
        assert.equal(answer?.status, 503);
        assert.equal(answer?.headers.get('retry-after'), '1');
        assert.equal(answer?.text, 'Too many deliveries are being read; try again shortly.');
        // Answered although its body never ends: it was not read.
        const unread = await postChunked(url, signedHeaders(BODY, 'msg_unread'), ['{"event_name":'], false);
        assert.equal(unread.status, 503);
      } finally {
        first.request.destroy();
      }
      await first.answered;
      // Its place is free again once the first is gone.
      let after = 0;
      for (let attempt = 0; attempt < 200 && after !== 204; attempt += 1)
        after = (await post(BODY, signedHeaders(BODY, `msg_after_${attempt}`))).status;
      assert.equal(after, 204);
      assert.ok(!stored.some(({ event }) => ['msg_slow', 'msg_unread'].includes(event.deliveryId)));
    });

    it('answers 503 to a new delivery once the store remembers as many ids as it may, and still 204 to a repeat', async () => {
      await store.close();
      store = createMemoryEventStore({ retention: 1, maxDedupeEntries: 2 });
      receiveWith({ store });
      const first = signedHeaders(BODY, 'msg_first');
      assert.equal((await post(BODY, first)).status, 204);
      assert.equal((await post(BODY, signedHeaders(BODY, 'msg_second'))).status, 204);
      const refused = await post(BODY, signedHeaders(BODY, 'msg_third'));
      assert.deepEqual([refused.status, refused.text], [503, 'Events cannot be accepted now.']);
      assert.deepEqual(refusals, ['unavailable']);
      // A replay of the first, within the tolerance, is still recognised rather than published again.
      assert.equal((await post(BODY, first)).status, 204);
      assert.deepEqual(refusals, ['unavailable']);
      assert.equal(store.status().retained, 1);
    });

    it('answers 503 when the store cannot take the event, and nothing is published', async () => {
      await store.close();
      const answer = await post(BODY);
      assert.equal(answer.status, 503);
      assert.deepEqual(refusals, ['unavailable']);
    });
  });
});
