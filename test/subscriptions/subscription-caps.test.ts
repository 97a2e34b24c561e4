import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import {
  closeAll,
  errorCodes,
  type Subscriber,
  type SubscriberOptions,
  streamErrors,
  subscribe,
  TRANSPORTS,
  type Transport,
} from '../helpers/subscribers.ts';
import type { UntypedData } from '../helpers/untyped.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { EVENTS, OTHER_ADMIN_TOKEN, startWatchedGateway, type WatchedGateway } from './watched-gateway.ts';

/**
 * Subscriptions are capped per credential (`MAX_SUBSCRIPTIONS_PER_CREDENTIAL`) and in total
 * (`MAX_SUBSCRIPTIONS`), over SSE and WebSocket together. A subscription over a cap is refused with
 * `SUBSCRIPTION_LIMIT_EXCEEDED` before anything is sent to GitLab, and opens nothing; one that ends gives its place
 * back, as does one that never opened.
 */

const PER_CREDENTIAL = 3;
const TOTAL = 5;
/** A stranger's token, which GitLab refuses with 401. */
const UNKNOWN_TOKEN = 'glpat-unknown-test-token-0077';

describe('subscription caps', () => {
  let gateway: WatchedGateway;
  let open: Subscriber[] = [];

  before(async () => {
    // No recheck during a test: every call GitLab receives is a subscription's start check.
    gateway = await startWatchedGateway({
      authRecheckMs: 300_000,
      maxSubscriptions: TOTAL,
      maxSubscriptionsPerCredential: PER_CREDENTIAL,
    });
  });
  after(() => gateway.close());
  afterEach(async () => {
    await closeAll(open, gateway.store);
    open = [];
    gateway.gitlab.delayMs = 0;
  });

  /** Opens a subscription and waits until the store holds it. */
  async function hold(transport: Transport, options: SubscriberOptions = {}): Promise<Subscriber> {
    const before = gateway.subscriptions();
    const subscriber = subscribe(gateway, transport, EVENTS, options);
    open.push(subscriber);
    await waitUntil(
      () => `the subscription over ${transport} is held`,
      () => gateway.subscriptions() === before + 1 || subscriber.results.length > 0,
    );
    assert.deepEqual(errorCodes(subscriber, undefined), [], 'it opened');
    return subscriber;
  }

  /** A subscription that is refused: its one error, after which the store holds no more than before. */
  async function refused(transport: Transport, options: SubscriberOptions = {}): Promise<UntypedData> {
    const before = gateway.subscriptions();
    const subscriber = subscribe(gateway, transport, EVENTS, options);
    const end = await subscriber.waitForEnd();
    await subscriber.close();
    const errors = streamErrors(subscriber, end);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(gateway.subscriptions(), before);
    return errors[0] as UntypedData;
  }

  for (const transport of TRANSPORTS) {
    it(`refuses a credential's subscription over ${transport} past its cap, before calling GitLab`, async () => {
      // The cap spans both transports.
      await hold('sse');
      await hold('ws');
      await hold(transport);
      const calls = gateway.gitlab.checks.length;
      const error = await refused(transport);
      assert.equal(error.extensions?.code, 'SUBSCRIPTION_LIMIT_EXCEEDED');
      assert.deepEqual(
        { limit: error.extensions?.limit, max: error.extensions?.max },
        { limit: 'subscriptionsPerCredential', max: PER_CREDENTIAL },
      );
      assert.match(String(error.message), /This credential holds as many subscriptions/);
      assert.ok(!JSON.stringify(error).includes(ADMIN_TOKEN), 'the error carries no token');
      assert.equal(gateway.gitlab.checks.length, calls, 'no call to GitLab');
      // Another credential is not held to this one's cap.
      await hold(transport, { token: OTHER_ADMIN_TOKEN });
    });

    it(`refuses any subscription over ${transport} once the gateway holds its total, before calling GitLab`, async () => {
      for (let i = 0; i < PER_CREDENTIAL; i++) await hold(i % 2 === 0 ? 'sse' : 'ws');
      for (let i = PER_CREDENTIAL; i < TOTAL; i++) await hold('ws', { token: OTHER_ADMIN_TOKEN });
      const calls = gateway.gitlab.checks.length;
      for (const token of [OTHER_ADMIN_TOKEN, UNKNOWN_TOKEN]) {
        const error = await refused(transport, { token });
        assert.equal(error.extensions?.code, 'SUBSCRIPTION_LIMIT_EXCEEDED');
        assert.deepEqual(
          { limit: error.extensions?.limit, max: error.extensions?.max },
          { limit: 'subscriptions', max: TOTAL },
        );
      }
      assert.equal(gateway.gitlab.checks.length, calls, 'no call to GitLab');
    });
  }

  it('gives a place back when a subscription ends, through churn over both transports', async () => {
    const held = [await hold('sse'), await hold('ws'), await hold('sse')];
    for (let round = 0; round < 12; round++) {
      const transport = TRANSPORTS[round % 2] as Transport;
      const index = round % held.length;
      const leaving = held[index] as Subscriber;
      await leaving.close();
      open.splice(open.indexOf(leaving), 1);
      await waitUntil(
        () => `round ${round}: the place is given back`,
        () => gateway.subscriptions() === PER_CREDENTIAL - 1,
      );
      held[index] = await hold(transport);
    }
    assert.equal(gateway.subscriptions(), PER_CREDENTIAL);
    const error = await refused('ws');
    assert.equal(error.extensions?.limit, 'subscriptionsPerCredential');
  });

  it('gives a place back when a subscription never opens, whatever GitLab refused', async () => {
    for (let i = 0; i < PER_CREDENTIAL + 2; i++) {
      const transport = TRANSPORTS[i % 2] as Transport;
      assert.equal((await refused(transport, { token: USER_TOKEN })).extensions?.code, 'FORBIDDEN');
      assert.equal((await refused(transport, { token: UNKNOWN_TOKEN })).extensions?.code, 'UNAUTHENTICATED');
    }
    for (let i = 0; i < PER_CREDENTIAL; i++) await hold('ws');
  });

  for (const transport of TRANSPORTS) {
    it(`gives a place back when the client leaves over ${transport} while its start check is pending`, async () => {
      gateway.gitlab.delayMs = 300;
      const checked = gateway.gitlab.checks.length;
      const leaving = Array.from({ length: PER_CREDENTIAL }, () => subscribe(gateway, transport, EVENTS));
      await waitUntil(
        () => 'every start check reached GitLab',
        () => gateway.gitlab.checks.length === checked + PER_CREDENTIAL,
      );
      for (const subscriber of leaving) await subscriber.close();
      const pending = gateway.gitlab.checks.slice(checked);
      await waitUntil(
        () => 'GitLab answered every check, each an administrator',
        () => pending.every((check) => check.answeredAt !== undefined),
      );
      gateway.gitlab.delayMs = 0;
      // Had the clients that left kept their places, or had their subscriptions opened for nobody, the cap
      // would refuse these, or the store would hold more than them.
      for (let i = 0; i < PER_CREDENTIAL; i++) await hold(transport);
      assert.equal(gateway.subscriptions(), PER_CREDENTIAL);
    });
  }

  it("counts a credential's starting subscriptions against its own cap, but not the total", async () => {
    // Strangers' tokens whose checks GitLab is slow to refuse do not keep an administrator out.
    gateway.gitlab.delayMs = 500;
    const strangers = Array.from({ length: TOTAL }, (_, i) =>
      subscribe(gateway, TRANSPORTS[i % 2] as Transport, EVENTS, { token: `${UNKNOWN_TOKEN}-${i}` }),
    );
    await waitUntil(
      () => "every stranger's check reached GitLab",
      () => gateway.gitlab.checks.filter((check) => check.token?.startsWith(UNKNOWN_TOKEN)).length === TOTAL,
    );
    const starting = Array.from({ length: PER_CREDENTIAL }, () => subscribe(gateway, 'sse', EVENTS));
    open.push(...starting);
    // A fourth of the same credential while three are still being checked is over its cap.
    const error = await refused('ws');
    assert.equal(error.extensions?.limit, 'subscriptionsPerCredential');
    await waitUntil(
      () => `the administrator's subscriptions open; the store has ${gateway.subscriptions()}`,
      () => gateway.subscriptions() === PER_CREDENTIAL,
    );
    for (const stranger of strangers) {
      const end = await stranger.waitForEnd();
      assert.deepEqual(errorCodes(stranger, end), ['UNAUTHENTICATED']);
      await stranger.close();
    }
  });
});
