import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { SystemHookEventsDocument } from '../generated/graphql.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { type EventStack, startEventStack } from '../helpers/stack.ts';
import {
  closeAll,
  errorCodes,
  type Subscriber,
  type SubscriberOptions,
  subscribe,
  TRANSPORTS,
  type Transport,
} from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * Only a GitLab administrator may watch events (they carry e-mail addresses and usernames): checked against
 * GitLab when a subscription starts, and again every `authRecheckMs` while it runs.
 */

const QUERY = print(SystemHookEventsDocument);
const RECHECK_MS = 1_000;
const NEW_ADMIN_TOKEN = 'glpat-admin-test-token-0100';

/** Each way a subscriber can reach the gateway, credentials included. */
const WAYS: { name: string; transport: Transport; options: SubscriberOptions }[] = [
  ...TRANSPORTS.map((transport) => ({
    name: transport === 'sse' ? 'SSE' : 'WebSocket',
    transport,
    options: {},
  })),
  {
    name: 'WebSocket, credential in the upgrade headers',
    transport: 'ws',
    options: { credentialIn: 'headers' },
  },
];

describe('who may watch system hook events', () => {
  let stack: EventStack;

  before(async () => {
    stack = await startEventStack({ events: { authRecheckMs: RECHECK_MS } });
    await stack.addReceiverHook();
  });
  after(() => stack.close());
  afterEach(() => stack.gitlab.setTokens({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN }));

  /** Emits an event and waits until the receiver has taken it, so that any subscriber could have had it. */
  async function emitOne(): Promise<void> {
    stack.gitlab.emitSystemHookEvent({ eventName: 'user_create' });
    await stack.gitlab.deliveriesSettled();
    assert.equal(stack.gitlab.deliveries.at(-1)?.status, 204);
  }

  const refusals: [what: string, token: string | null, code: string][] = [
    ['a user who is not an administrator', USER_TOKEN, 'FORBIDDEN'],
    ['a token GitLab does not know', 'glpat-unknown-test-token-0009', 'UNAUTHENTICATED'],
    ['no token', null, 'UNAUTHENTICATED'],
  ];
  for (const { name, transport, options } of WAYS) {
    for (const [what, token, code] of refusals) {
      it(`refuses ${what} over ${name} with ${code}, and sends no event`, async () => {
        const subscriber = subscribe(stack, transport, { query: QUERY }, { ...options, token });
        const end = await subscriber.waitForEnd();
        assert.deepEqual(errorCodes(subscriber, end), [code]);
        assert.equal(stack.store.status().subscribers, 0);
        await emitOne();
        assert.deepEqual(subscriber.events, []);
        await subscriber.close();
      });
    }
  }

  it("refuses to set the embedded GitLab's tokens empty or equal", () => {
    assert.throws(
      () => stack.gitlab.setTokens({ adminToken: '', userToken: USER_TOKEN }),
      /must not be empty/,
    );
    assert.throws(
      () => stack.gitlab.setTokens({ adminToken: USER_TOKEN, userToken: USER_TOKEN }),
      /must differ/,
    );
  });

  describe('a credential that stops working mid-stream', () => {
    let subscribers: Subscriber[];

    async function openAsAdministrator(): Promise<void> {
      subscribers = WAYS.map(({ transport, options }) =>
        subscribe(stack, transport, { query: QUERY }, options),
      );
      await waitUntil('every subscriber subscribed', () => stack.store.status().subscribers === WAYS.length);
      await emitOne();
      for (const subscriber of subscribers) await subscriber.waitForEvents(1);
    }

    afterEach(() => closeAll(subscribers, stack.store));

    const stops: [what: string, tokens: { adminToken: string; userToken: string }, code: string][] = [
      ['revoked', { adminToken: NEW_ADMIN_TOKEN, userToken: USER_TOKEN }, 'UNAUTHENTICATED'],
      [
        "demoted (no longer an administrator's)",
        { adminToken: NEW_ADMIN_TOKEN, userToken: ADMIN_TOKEN },
        'FORBIDDEN',
      ],
    ];
    for (const [what, tokens, code] of stops) {
      it(`ends the streams of a token ${what} with ${code} within the recheck interval, and sends no more`, async () => {
        await openAsAdministrator();
        stack.gitlab.setTokens(tokens);
        const revokedAt = Date.now();
        for (const subscriber of subscribers) {
          const end = await subscriber.waitForEnd(RECHECK_MS * 3);
          assert.deepEqual(errorCodes(subscriber, end), [code]);
        }
        const elapsed = Date.now() - revokedAt;
        assert.ok(elapsed < RECHECK_MS * 2, `ended ${elapsed} ms after the change`);
        await emitOne();
        for (const subscriber of subscribers) assert.equal(subscriber.events.length, 1);
      });
    }

    it('keeps the streams of a credential that still works across rechecks', async () => {
      await openAsAdministrator();
      // Two rechecks answered, rather than a wait that only hopes they happened.
      const answered = () =>
        stack
          .upstreamRequests()
          .filter((request) => request.path === '/api/v4/hooks' && request.status === 200).length;
      const before = answered();
      await waitUntil(
        () => `two rechecks answered; GitLab answered ${answered() - before}`,
        () => answered() >= before + 2,
        { withinMs: RECHECK_MS * 4 },
      );
      await emitOne();
      for (const subscriber of subscribers) {
        assert.equal((await subscriber.waitForEvents(2)).length, 2);
        assert.deepEqual(errorCodes(subscriber, undefined), []);
      }
    });
  });
});
