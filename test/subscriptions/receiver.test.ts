import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { signStandardWebhook } from '../../src/events/verification.ts';
import { SystemHookEventsDocument } from '../generated/graphql.ts';
import { type Answer, postChunked } from '../helpers/raw-http.ts';
import {
  type EventStack,
  RECEIVER_SIGNING_SECRET,
  RECEIVER_TOKEN,
  type Stack,
  startEventStack,
  startStack,
} from '../helpers/stack.ts';
import { type Subscriber, subscribe } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * The receiver on the gateway's own port, `POST /webhooks/system-hooks`, as GitLab (or anyone else) reaches it:
 * what it answers, and that nothing it refuses reaches a subscriber.
 */

const MAX_BODY_BYTES = 64 * 1024;
const READ_TIMEOUT_MS = 500;
const BASIC_PASSWORD = 'basic-password-7e1d';
const SECRETS = [RECEIVER_TOKEN, RECEIVER_SIGNING_SECRET, BASIC_PASSWORD, btoa(`gitlab:${BASIC_PASSWORD}`)];
const BODY = JSON.stringify({
  event_name: 'project_create',
  name: 'Example',
  path: 'example',
  project_id: 74,
});

let sequence = 0;
/** A fresh delivery id, so that each accepted delivery is a new event. */
const nextId = () => `delivery-${Date.now()}-${++sequence}`;

/** What GitLab sends with a secret token (and, here, a Basic credential from the hook URL's userinfo). */
function tokenHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/19.0.0',
    'x-gitlab-event': 'System Hook',
    'idempotency-key': nextId(),
    'x-gitlab-token': RECEIVER_TOKEN,
    authorization: `Basic ${btoa(`gitlab:${BASIC_PASSWORD}`)}`,
    ...overrides,
  };
}

/** What GitLab 19.0 sends for a hook with a signing token: no `X-Gitlab-Token`, a signature. */
function signedHeaders(
  body: string,
  id = nextId(),
  timestamp = String(Math.floor(Date.now() / 1000)),
): Record<string, string> {
  const { 'x-gitlab-token': _token, ...headers } = tokenHeaders({
    'idempotency-key': id,
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signStandardWebhook(RECEIVER_SIGNING_SECRET, id, timestamp, body),
  });
  return headers;
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  const { [name]: _dropped, ...rest } = headers;
  return rest;
}

/** Every answer of this file, to check at the end that none echoes a secret. */
const answers: Answer[] = [];

async function post(
  url: string,
  body: BodyInit | null,
  headers: Record<string, string>,
  method = 'POST',
): Promise<Answer> {
  const response = await fetch(url, { method, headers, body });
  const answer = { status: response.status, headers: response.headers, text: await response.text() };
  answers.push(answer);
  return answer;
}

/** A chunked POST whose answer is kept with the others. */
async function postRaw(
  url: string,
  headers: Record<string, string>,
  parts: string[],
  end = true,
): Promise<Answer> {
  const answer = await postChunked(url, headers, parts, end);
  answers.push(answer);
  return answer;
}

describe('the receiver when events are off', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('answers 404 on its path', async () => {
    const answer = await post(`${stack.url}/webhooks/system-hooks`, BODY, tokenHeaders());
    assert.equal(answer.status, 404);
  });

  it('refuses a subscription with EVENTS_DISABLED', async () => {
    const result = await stack.requestText(print(SystemHookEventsDocument));
    assert.equal(result.errors?.[0]?.extensions?.code, 'EVENTS_DISABLED', JSON.stringify(result));
  });
});

describe('the receiver on the gateway port', () => {
  let stack: EventStack;
  let watcher: Subscriber;
  /** The ids of the deliveries accepted as new events, in order: exactly what the watcher must see. */
  const published: string[] = [];

  before(async () => {
    stack = await startEventStack({
      events: { maxBodyBytes: MAX_BODY_BYTES, readTimeoutMs: READ_TIMEOUT_MS },
    });
    watcher = subscribe(stack, 'sse', { query: print(SystemHookEventsDocument) });
    await waitUntil('the watcher subscribed', () => stack.store.status().subscribers === 1);
  });
  after(async () => {
    await watcher.close();
    await stack.close();
  });

  const send = (body: BodyInit | null, headers: Record<string, string>, method = 'POST') =>
    post(stack.receiverUrl, body, headers, method);

  describe('accepting', () => {
    it('accepts a delivery with the secret token: 204, no body', async () => {
      const headers = tokenHeaders();
      const answer = await send(BODY, headers);
      assert.deepEqual([answer.status, answer.text], [204, '']);
      published.push(headers['idempotency-key'] as string);
    });

    it('accepts a delivery signed with the signing secret: 204', async () => {
      const headers = signedHeaders(BODY);
      const answer = await send(BODY, headers);
      assert.deepEqual([answer.status, answer.text], [204, '']);
      published.push(headers['webhook-id'] as string);
    });

    it('answers a repeated Idempotency-Key with the same 204 and publishes it once', async () => {
      const headers = tokenHeaders();
      const first = await send(BODY, headers);
      const again = await send(BODY, { ...headers, 'x-gitlab-webhook-uuid': 'another-attempt' });
      assert.deepEqual(
        [first, again].map((answer) => [answer.status, answer.text]),
        [
          [204, ''],
          [204, ''],
        ],
      );
      published.push(headers['idempotency-key'] as string);
    });

    it('publishes both of two identical bodies without ids sent in different attempts (GitLab before 17.4)', async () => {
      for (const attempt of [randomUUID(), randomUUID()]) {
        const headers = tokenHeaders({ 'x-gitlab-webhook-uuid': attempt });
        delete headers['idempotency-key'];
        assert.equal((await send(BODY, headers)).status, 204);
        published.push(`attempt-sha256:${createHash('sha256').update(`${attempt}\n${BODY}`).digest('hex')}`);
      }
    });

    it('answers a repeated webhook-id with the same 204 and publishes it once, even re-signed later', async () => {
      const id = nextId();
      const first = await send(BODY, signedHeaders(BODY, id));
      const resent = await send(BODY, signedHeaders(BODY, id, String(Math.floor(Date.now() / 1000) - 60)));
      assert.deepEqual([first.status, resent.status, first.text, resent.text], [204, 204, '', '']);
      published.push(id);
    });
  });

  describe('refusing, with nothing published', () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      it(`refuses ${method} with 405 and Allow: POST`, async () => {
        const answer = await send(method === 'GET' ? null : BODY, tokenHeaders(), method);
        assert.equal(answer.status, 405);
        assert.equal(answer.headers.get('allow'), 'POST');
      });
    }

    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      it(`refuses the content type ${contentType} with 415`, async () => {
        const answer = await send(BODY, tokenHeaders({ 'content-type': contentType }));
        assert.equal(answer.status, 415);
      });
    }

    it('refuses a declared size over the limit with 413 before reading a body that never ends', async () => {
      const answer = await postRaw(
        stack.receiverUrl,
        { ...tokenHeaders(), 'content-length': String(MAX_BODY_BYTES + 1) },
        ['{"event_name":'],
        false,
      );
      assert.equal(answer.status, 413);
    });

    it('answers a signed delivery whose body stalls with 408 once the read deadline has passed', async () => {
      const started = performance.now();
      const answer = await postRaw(stack.receiverUrl, signedHeaders(BODY), [BODY.slice(0, 10)], false);
      assert.equal(answer.status, 408);
      const ms = performance.now() - started;
      assert.ok(ms >= READ_TIMEOUT_MS - 50 && ms < 5_000, `answered after ${Math.round(ms)} ms`);
    });

    it('answers a multi-MB body with a 413 that fetch reads', async () => {
      const body = JSON.stringify({ event_name: 'push', padding: 'x'.repeat(8 * 1024 * 1024) });
      const answer = await send(body, tokenHeaders());
      assert.equal(answer.status, 413);
      assert.equal(answer.text, 'The body is too large.');
    });

    it('answers a chunked body growing past the limit with 413', async () => {
      const chunk = 'x'.repeat(16 * 1024);
      const parts = ['{"event_name":"push","padding":"', ...Array.from({ length: 16 }, () => chunk), '"}'];
      const answer = await postRaw(stack.receiverUrl, tokenHeaders(), parts);
      assert.equal(answer.status, 413);
    });

    const unauthenticated: [string, () => Record<string, string>, string?][] = [
      ['no token', () => without(tokenHeaders(), 'x-gitlab-token')],
      [
        'a wrong token of the same length',
        () => tokenHeaders({ 'x-gitlab-token': RECEIVER_TOKEN.replace(/.$/, 'x') }),
      ],
      ['a truncated token', () => tokenHeaders({ 'x-gitlab-token': RECEIVER_TOKEN.slice(0, -1) })],
      ['a longer token', () => tokenHeaders({ 'x-gitlab-token': `${RECEIVER_TOKEN}0` })],
      ['a much shorter token', () => tokenHeaders({ 'x-gitlab-token': 'r' })],
      ['an empty token', () => tokenHeaders({ 'x-gitlab-token': '' })],
      ['the token only as a Basic password', () => tokenHeaders({ 'x-gitlab-token': BASIC_PASSWORD })],
      [
        'a signature over another (tampered) body',
        () => signedHeaders(BODY),
        BODY.replace('Example', 'Exampl3'),
      ],
      [
        'a bad signature beside a good token',
        () => ({ ...signedHeaders(BODY), 'webhook-signature': 'v1,AAAA', 'x-gitlab-token': RECEIVER_TOKEN }),
      ],
      [
        'a signature 6 minutes old',
        () => signedHeaders(BODY, nextId(), String(Math.floor(Date.now() / 1000) - 360)),
      ],
      [
        'a signature 6 minutes in the future',
        () => signedHeaders(BODY, nextId(), String(Math.floor(Date.now() / 1000) + 360)),
      ],
      [
        'a signature with another secret',
        () => {
          const id = nextId();
          const timestamp = String(Math.floor(Date.now() / 1000));
          const other = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
          return {
            ...signedHeaders(BODY, id, timestamp),
            'webhook-signature': signStandardWebhook(other, id, timestamp, BODY),
          };
        },
      ],
    ];
    for (const [what, headers, body = BODY] of unauthenticated) {
      it(`refuses ${what} with 401 and an empty body`, async () => {
        const answer = await send(body, headers());
        assert.equal(answer.status, 401);
        assert.equal(answer.text, '');
      });
    }

    const malformed: [string, string][] = [
      ['invalid JSON', '{event_name: project_create}'],
      ['truncated JSON', BODY.slice(0, -1)],
      ['a JSON array', '[{"event_name":"project_create"}]'],
      ['a JSON number', '42'],
      ['a JSON string', '"project_create"'],
      ['JSON null', 'null'],
      ['an empty body', ''],
    ];
    for (const [what, body] of malformed) {
      it(`refuses ${what} with 400`, async () => {
        const answer = await send(body, tokenHeaders());
        assert.equal(answer.status, 400);
        assert.equal(answer.text, 'The body must be a JSON object.');
      });
    }
  });

  it('published exactly the accepted deliveries, each once, and nothing refused', async () => {
    // A last delivery marks the end: once it has arrived, everything sent before it has too.
    const marker = tokenHeaders();
    assert.equal((await send(BODY, marker)).status, 204);
    published.push(marker['idempotency-key'] as string);
    const events = await watcher.waitForEvents(published.length);
    assert.deepEqual(
      events.map((event) => event.deliveryId),
      published,
    );
    assert.deepEqual(
      events.map((event) => event.verifiedBy),
      ['TOKEN', 'SIGNATURE', 'TOKEN', 'TOKEN', 'TOKEN', 'SIGNATURE', 'TOKEN'],
    );
    assert.deepEqual(events[0].payload, JSON.parse(BODY));
  });

  it('echoed no token, signing secret or Basic credential in any answer', () => {
    assert.ok(answers.length > 30, `${answers.length} answers`);
    for (const answer of answers) {
      const seen = [answer.text, ...[...answer.headers].map(([name, value]) => `${name}: ${value}`)].join(
        '\n',
      );
      for (const secret of SECRETS)
        assert.ok(!seen.includes(secret), `an answer ${answer.status} echoes a secret`);
    }
  });
});
