import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  deliver,
  EVENT_SELECTION,
  type EventSubscriber,
  eventsSubscription,
  projectCreate,
  subscribeOverSse,
  subscribeOverWebSocket,
  untilEachReceives,
} from '../helpers/event-clients.ts';
import { type EventStack, RECEIVER_TOKEN, startEventStack } from '../helpers/stack.ts';

/**
 * A delivery that parses but cannot be sent back out: JSON nested so deep that `JSON.stringify` overflows the
 * stack. It must be refused at the receiver, and no subscriber, over SSE or WebSocket, may notice it was tried.
 */

/** `{"event_name":"x","a":[[[...]]]}`, nesting `depth` levels in all. */
const nested = (depth: number) => `{"event_name":"x","a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

const WITH_PAYLOAD = eventsSubscription(`${EVENT_SELECTION} payload`);

describe('a delivery nested deeper than the bound', () => {
  let stack: EventStack;
  let subscribers: EventSubscriber[];

  before(async () => {
    stack = await startEventStack();
    subscribers = [
      await subscribeOverSse(stack.url, { query: WITH_PAYLOAD }),
      await subscribeOverWebSocket(stack.url, { query: WITH_PAYLOAD }),
    ];
    await untilEachReceives(subscribers, (name) => deliver(stack.url, projectCreate(name), RECEIVER_TOKEN));
  });
  after(async () => {
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    await stack.close();
  });

  const sent: string[] = [];
  for (const depth of [100_000, 200_000]) {
    it(`is refused with 400 at ${depth.toLocaleString('en')} levels, and subscribers selecting payload go on`, async () => {
      const body = nested(depth);
      assert.ok(Buffer.byteLength(body) < 1024 * 1024, 'under the body limit');
      const response = await fetch(stack.receiverUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-token': RECEIVER_TOKEN },
        body,
      });
      assert.equal(response.status, 400);
      assert.equal(await response.text(), 'The body nests arrays and objects too deeply.');

      const next = `after ${depth}`;
      sent.push(next);
      assert.equal((await deliver(stack.url, projectCreate(next), RECEIVER_TOKEN)).status, 204);
      for (const subscriber of subscribers) {
        const event = await subscriber.waitForEvent(next);
        assert.equal(event.payload?.name, next);
        assert.deepEqual(subscriber.errors(), [], subscriber.transport);
        assert.equal(subscriber.ending, null, `${subscriber.transport} is still open`);
        // Events arrive in order: with the next one in, the refused one would have come before it.
        assert.deepEqual(subscriber.names(), sent, subscriber.transport);
      }
    });
  }
});
