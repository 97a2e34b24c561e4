import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createGateway } from '../../src/http/gateway.ts';
import { eventInput } from '../events/store-contract.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { projectCreate } from '../helpers/deliveries.ts';
import { RawSseSubscriber } from '../helpers/raw-subscribers.ts';
import { type EventStack, startEventStack } from '../helpers/stack.ts';
import { eventsSubscription } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * The flush window (`subscriptionFlushWindowMs`): a subscriber woken by an event waits that long for more, so
 * that deliveries that arrive a few milliseconds apart, in different turns of the event loop, leave in one write.
 */

const EVENTS = 8;

const eventOf = (name: string) =>
  eventInput(0, { eventName: 'project_create', payload: JSON.parse(projectCreate(name).body) });

describe('the flush window', () => {
  let wide: EventStack;
  let none: EventStack;

  before(async () => {
    wide = await startEventStack({ gateway: { subscriptionFlushWindowMs: 80 } });
    none = await startEventStack({ gateway: { subscriptionFlushWindowMs: 0 } });
  });
  after(async () => {
    await wide?.close();
    await none?.close();
  });

  /** The HTTP chunks that carried `EVENTS` events appended a millisecond or more apart, each in a turn of its own. */
  async function spread(stack: EventStack): Promise<number[]> {
    const sse = await RawSseSubscriber.open(
      stack.url,
      { query: eventsSubscription('... on ProjectSystemHookEvent { name }'), variables: { after: null } },
      ADMIN_TOKEN,
    );
    await waitUntil('the subscription is open', () => stack.store.status().subscribers === 1);
    for (let n = 0; n < EVENTS; n += 1) {
      await stack.store.append(eventOf(`spread-${n}`));
      await delay(1);
    }
    await waitUntil('every event arrives', () => sse.nextData().length === EVENTS);
    const names = sse
      .nextData()
      .map(
        (text) =>
          (JSON.parse(text) as { data: { systemHookEventReceived: { name: string } } }).data
            .systemHookEventReceived.name,
      );
    assert.deepEqual(
      names,
      Array.from({ length: EVENTS }, (_, n) => `spread-${n}`),
    );
    sse.close();
    await waitUntil('the subscription closed', () => stack.store.status().subscribers === 0);
    return sse.framesPerChunk();
  }

  it('gathers events appended in different turns into few writes, in order', async (t) => {
    const chunks = await spread(wide);
    t.diagnostic(`80 ms window: ${EVENTS} events in ${chunks.length} chunks: ${chunks.join(', ')}`);
    assert.ok(chunks.length <= 3, `${chunks.length} chunks`);
  });

  it('flushes at the end of each turn without one', async (t) => {
    const chunks = await spread(none);
    // Not asserted: a loaded machine can make the client read two writes at once.
    t.diagnostic(`no window: ${EVENTS} events in ${chunks.length} chunks: ${chunks.join(', ')}`);
  });

  it('refuses a window out of range, before anything is served', () => {
    for (const windowMs of [-1, 101, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => createGateway({ api: wide.client, logging: false, subscriptionFlushWindowMs: windowMs }),
        /flush window must be 0 to 100 milliseconds/,
        String(windowMs),
      );
    }
  });
});
