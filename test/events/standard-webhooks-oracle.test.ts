/**
 * The `standardwebhooks` package (the Standard Webhooks authors' own TypeScript library) as an oracle for the
 * signatures on both sides: deliveries it signs, the gateway's receiver verifies over HTTP; deliveries the
 * embedded GitLab signs, it verifies. Every other signer and verifier in the repository was written here, from
 * the same reading of the specification.
 *
 * How the package treats input, which the cases below respect: a secret is `whsec_` and padded standard base64
 * (its decoder refuses unpadded text, which the gateway accepts); a payload is a string or a Buffer, signed as
 * UTF-8 text (a Buffer is decoded first, so only UTF-8 bodies are compared); `verify` reads its clock from
 * `Date.now`, with a fixed tolerance of 300 s either way (the gateway's default), looks only at `v1,` entries
 * of a space-separated `webhook-signature`, and returns the body parsed as JSON.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it, mock } from 'node:test';
import { createServerAdapter } from '@whatwg-node/server';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import type { SystemHookEventInput } from '../../src/events/types.ts';
import { signStandardWebhook } from '../../src/events/verification.ts';
import { createSystemHookReceiver, type ReceiverRefusal } from '../../src/http/receiver.ts';
import { postControlPath, useEmbeddedGitLab } from '../embedded-gitlab/helpers.ts';
import { type ReceivedRequest, startReceiver } from '../helpers/receiver.ts';

/** 32 random bytes each, padded base64 as the package wants it (and as GitLab generates them). */
const CURRENT = 'whsec_DU/W3iZXLkPLkUo8Bm8aUU3udCmVMBep/HmNQ9AvlXs=';
const PREVIOUS = 'whsec_ZLBJ9xK8HMWQOO9K1Q7/TwrNrmcGfxg6HZni5mK6RTY=';
const UNKNOWN = 'whsec_j39EdcqKDomc+5kfcKHyVKUdkyKcw8X8nZwzCQDG0tc=';

const BODY = JSON.stringify({
  event_name: 'project_create',
  created_at: '2026-10-05T08:07:27Z',
  name: 'Exämple ✓',
  path: 'example',
  project_id: 74,
});

const seconds = (offset = 0) => Math.floor(Date.now() / 1000) + offset;

/** The headers of a delivery the package signs with `secrets` (one `v1,` entry each) at `timestamp`. */
function signedByPackage(
  secrets: readonly string[],
  body: string,
  { id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp = seconds() } = {},
): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, new Date(timestamp * 1000), body));
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/19.0.0',
    'x-gitlab-event': 'System Hook',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
}

/** Whether the package accepts the delivery under any of `secrets`, as a receiver holding them would. */
function packageAccepts(secrets: readonly string[], body: string, headers: Record<string, string>): boolean {
  return secrets.some((secret) => {
    try {
      new Webhook(secret).verify(body, headers);
      return true;
    } catch (error) {
      assert.ok(error instanceof WebhookVerificationError, String(error));
      return false;
    }
  });
}

describe('deliveries signed by standardwebhooks, verified by the gateway over HTTP', () => {
  let server: Server;
  let origin: string;
  let stored: SystemHookEventInput[];
  let refusals: ReceiverRefusal[];
  const store = createMemoryEventStore();
  /** One receiver per path: `/rotating` holds both secrets, `/current` only the current one. */
  const receivers = {
    '/rotating': [CURRENT, PREVIOUS],
    '/current': [CURRENT],
  } as const;
  type Path = keyof typeof receivers;

  before(async () => {
    const handlers = new Map(
      Object.entries(receivers).map(([path, signingSecrets]) => [
        path,
        createSystemHookReceiver({
          store: {
            append: async (event) => {
              stored.push(event);
              return store.append(event);
            },
          },
          signingSecrets,
          onRefused: (reason) => refusals.push(reason),
        }),
      ]),
    );
    server = createServer(
      createServerAdapter((request: Request) => {
        const handler = handlers.get(new URL(request.url).pathname);
        return handler ? handler(request) : new Response(null, { status: 404 });
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await store.close();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  beforeEach(() => {
    stored = [];
    refusals = [];
  });

  /**
   * Sends the delivery to the receiver at `path`, and checks first that the package, holding the same secrets,
   * gives the same verdict: 204 when it accepts, 401 when it refuses.
   */
  async function deliver(path: Path, body: string, headers: Record<string, string>, expected: 204 | 401) {
    assert.equal(packageAccepts(receivers[path], body, headers), expected === 204, 'the package agrees');
    const response = await fetch(`${origin}${path}`, { method: 'POST', headers, body });
    assert.equal(response.status, expected);
    await response.arrayBuffer();
  }

  it('accepts one signed with the current secret, and stores it as verified by signature', async () => {
    await deliver('/current', BODY, signedByPackage([CURRENT], BODY), 204);
    assert.equal(stored[0]?.verifiedBy, 'SIGNATURE');
    assert.equal(stored[0]?.deliveryId, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    assert.deepEqual(stored[0]?.payload, JSON.parse(BODY));
  });

  it('accepts, while a secret is rotated, one signed with the previous secret or with both', async () => {
    await deliver('/rotating', BODY, signedByPackage([PREVIOUS], BODY, { id: 'msg_previous' }), 204);
    await deliver('/rotating', BODY, signedByPackage([UNKNOWN, PREVIOUS], BODY, { id: 'msg_both' }), 204);
    assert.deepEqual(
      stored.map((event) => event.deliveryId),
      ['msg_previous', 'msg_both'],
    );
  });

  it('refuses one signed with the previous secret once only the current one is held', async () => {
    await deliver('/current', BODY, signedByPackage([PREVIOUS], BODY), 401);
    assert.deepEqual(refusals, ['unauthenticated']);
    assert.deepEqual(stored, []);
  });

  it('refuses one signed with a secret it does not hold, or whose body was changed', async () => {
    await deliver('/rotating', BODY, signedByPackage([UNKNOWN], BODY), 401);
    await deliver('/rotating', `${BODY} `, signedByPackage([CURRENT], BODY), 401);
    assert.deepEqual(refusals, ['unauthenticated', 'unauthenticated']);
    assert.deepEqual(stored, []);
  });

  it('accepts a timestamp within 300 s either way, and refuses a stale one or one from the future', async () => {
    await deliver(
      '/current',
      BODY,
      signedByPackage([CURRENT], BODY, { id: 'old', timestamp: seconds(-290) }),
      204,
    );
    await deliver(
      '/current',
      BODY,
      signedByPackage([CURRENT], BODY, { id: 'new', timestamp: seconds(290) }),
      204,
    );
    await deliver('/current', BODY, signedByPackage([CURRENT], BODY, { timestamp: seconds(-310) }), 401);
    await deliver('/current', BODY, signedByPackage([CURRENT], BODY, { timestamp: seconds(310) }), 401);
    assert.deepEqual(
      stored.map((event) => event.deliveryId),
      ['old', 'new'],
    );
  });

  it('agrees with the package on the signature the gateway computes for its own tests', () => {
    const timestamp = String(seconds());
    const signature = signStandardWebhook(CURRENT, 'msg_own', timestamp, BODY);
    assert.equal(signature, new Webhook(CURRENT).sign('msg_own', new Date(Number(timestamp) * 1000), BODY));
  });
});

/** A recorded delivery's headers as the package takes them: one string per name. */
function headersOf(request: ReceivedRequest): Record<string, string> {
  const headers: IncomingHttpHeaders = request.headers;
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(', ') : `${value}`,
    ]),
  );
}

describe('deliveries signed by the embedded GitLab, verified by standardwebhooks', () => {
  const t = useEmbeddedGitLab({ version: '19.0.0' });

  it('verifies its test deliveries and system hook events, with the current secret only after a rotation', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await t.createHook({ url: `${receiver.origin}/signed`, signing_token: PREVIOUS });
      assert.equal((await t.call('POST', `/hooks/${hook.id}`)).status, 201);
      const rotated = await t.call('PUT', `/hooks/${hook.id}`, { json: { signing_token: CURRENT } });
      assert.equal(rotated.status, 200, rotated.text);
      const event = await postControlPath(t.gitlab, 'system-hook-events', {
        event_name: 'project_create',
        payload: JSON.parse(BODY),
      });
      assert.equal(event.status, 202, event.text);
      await t.gitlab.deliveriesSettled();

      const [beforeRotation, afterRotation] = receiver.received;
      assert.ok(beforeRotation && afterRotation, 'two deliveries arrived');
      const verify = (secret: string, request: ReceivedRequest) =>
        new Webhook(secret).verify(request.body, headersOf(request));
      assert.deepEqual(verify(PREVIOUS, beforeRotation), JSON.parse(beforeRotation.body));
      assert.deepEqual(verify(CURRENT, afterRotation), JSON.parse(afterRotation.body));
      assert.equal((verify(CURRENT, afterRotation) as { name?: string }).name, 'Exämple ✓');
      assert.throws(
        () => verify(PREVIOUS, afterRotation),
        WebhookVerificationError,
        'the old secret is gone',
      );
      assert.throws(() => verify(CURRENT, beforeRotation), WebhookVerificationError);
      assert.throws(() => verify(UNKNOWN, afterRotation), WebhookVerificationError, 'a secret it never had');
    } finally {
      await receiver.close();
    }
  });

  it('refuses a delivery it signed once it is more than 300 s old', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await t.createHook({ url: `${receiver.origin}/stale`, signing_token: CURRENT });
      assert.equal((await t.call('POST', `/hooks/${hook.id}`)).status, 201);
      const [request] = receiver.received;
      assert.ok(request);
      const headers = headersOf(request);
      const signedAt = Number(headers['webhook-timestamp']) * 1000;
      // The package reads Date.now; only the synchronous verify below runs under the moved clock.
      const clock = mock.method(Date, 'now', () => signedAt + 290_000);
      try {
        assert.doesNotThrow(() => new Webhook(CURRENT).verify(request.body, headers));
        clock.mock.mockImplementation(() => signedAt + 310_000);
        assert.throws(() => new Webhook(CURRENT).verify(request.body, headers), /Message timestamp too old/);
      } finally {
        clock.mock.restore();
      }
    } finally {
      await receiver.close();
    }
  });
});
