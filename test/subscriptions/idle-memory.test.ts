import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEmbeddedGitLab, type EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { deliver, projectCreate } from '../helpers/deliveries.ts';
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.ts';
import type { MemorySample } from '../helpers/memory-probe.ts';
import { RawSseSubscriber, RawWsSubscriber } from '../helpers/raw-subscribers.ts';
import { RECEIVER_TOKEN } from '../helpers/stack.ts';
import { eventsSubscription } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * What an idle subscription costs the gateway: heap and external memory after a full collection, with N idle
 * subscriptions open and with none, in a gateway process started as `npm start` runs it (the subscribers live in
 * this process, so that their memory is not counted). The target is under 10 KB each (issue 20): about 9 KB
 * over SSE and over WebSocket on Node 20, 7-9 KB on Node 24 and 26 (16 and 13 KB before the subscriptions
 * dropped Yoga's and envelop's wrappers, whatwg-node's response listeners, their own abort controller and
 * their suspended async calls; 36 and 32 KB before the subscription's own objects were slimmed).
 */

const IDLE = 200;
/**
 * Regression bounds, a little above the target (10 KB: docs/performance.md has the figures and where the rest
 * goes) and below what undoing the largest cut of each transport would give (12.3 KB over SSE with whatwg-node's
 * response listeners, 13 KB over WebSocket through Yoga's and envelop's wrappers), so that such a return fails;
 * the figure is printed.
 */
const BOUND_BYTES = { sse: 11 * 1024, ws: 11 * 1024 } as const;

const held = (sample: MemorySample) => sample.heapUsedBytes + sample.externalBytes;

describe('idle subscriptions', () => {
  let gitlab: EmbeddedGitLab;
  let gateway: GatewayProcess;
  const open: { close(): void }[] = [];

  before(async () => {
    gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN });
    gateway = await startGatewayProcess(
      {
        GITLAB_URL: await gitlab.listen(),
        WEBHOOK_SECRET_TOKENS: RECEIVER_TOKEN,
        // One token holds them all.
        MAX_SUBSCRIPTIONS_PER_CREDENTIAL: String(IDLE * 4),
      },
      { memoryProbe: true },
    );
  });
  after(async () => {
    for (const subscriber of open) subscriber.close();
    await gateway?.stop();
    await gitlab?.close();
  });

  /** `count` subscriptions of `transport`, each on a connection of its own, once the gateway holds them all. */
  async function openIdle(transport: 'sse' | 'ws', count: number): Promise<{ close(): void }[]> {
    const payload = { query: eventsSubscription(), variables: { after: null } };
    const wsUrl = `${gateway.url.replace(/^http/, 'ws')}/graphql`;
    const subscribers: (RawSseSubscriber | RawWsSubscriber)[] = [];
    for (let n = 0; n < count; n += 1) {
      subscribers.push(
        transport === 'sse'
          ? await RawSseSubscriber.open(gateway.url, payload, ADMIN_TOKEN)
          : await RawWsSubscriber.open(wsUrl, payload, ADMIN_TOKEN),
      );
    }
    open.push(...subscribers);
    // Every subscription holds once each has received an event, and none was refused.
    const texts = (subscriber: RawSseSubscriber | RawWsSubscriber) =>
      subscriber instanceof RawSseSubscriber ? subscriber.nextData() : subscriber.nextMessages();
    const received = () => {
      const all = subscribers.map(texts);
      const refused = all.flat().find((text) => text.includes('"errors"'));
      if (refused !== undefined) throw new Error(`a subscription was refused: ${refused}`);
      return all.every((one) => one.length > 0);
    };
    await waitUntil(
      `${count} ${transport} subscriptions receive an event`,
      async () => {
        if (received()) return true;
        await deliver(gateway.url, projectCreate('warm-up'), RECEIVER_TOKEN);
        return false;
      },
      { withinMs: 30_000, everyMs: 200 },
    );
    return subscribers;
  }

  for (const transport of ['sse', 'ws'] as const) {
    const bound = BOUND_BYTES[transport];
    it(`costs less than ${bound / 1024} KB of heap and external memory each, over ${transport}`, async (t) => {
      // Warm: as many subscriptions opened first and left open (closed with the rest at the end), so that the
      // code compiled while the first ones open (several KB a subscription) is not counted as theirs, and
      // nothing still closing is counted either.
      await openIdle(transport, IDLE);
      const before = await gateway.memory();
      const subscribers = await openIdle(transport, IDLE);
      const withIdle = await gateway.memory();
      for (const subscriber of subscribers) subscriber.close();
      const perSubscription = (held(withIdle) - held(before)) / IDLE;
      t.diagnostic(
        `${IDLE} idle ${transport} subscriptions: ${(perSubscription / 1024).toFixed(1)} KB each ` +
          `(heap ${((withIdle.heapUsedBytes - before.heapUsedBytes) / IDLE / 1024).toFixed(1)} KB, ` +
          `external ${((withIdle.externalBytes - before.externalBytes) / IDLE / 1024).toFixed(1)} KB, ` +
          `RSS ${((withIdle.rssBytes - before.rssBytes) / IDLE / 1024).toFixed(1)} KB)`,
      );
      assert.ok(perSubscription < bound, `${perSubscription} bytes each`);
    });
  }
});
