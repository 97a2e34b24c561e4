import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventInput } from '../events/store-contract.ts';
import { deliver, projectCreate } from '../helpers/deliveries.ts';
import { type EventStack, RECEIVER_TOKEN, startEventStack } from '../helpers/stack.ts';
import {
  EVENT_SELECTION,
  eventsSubscription,
  type Subscriber,
  subscribeOverSse,
  subscribeOverWebSocket,
  untilEachReceives,
} from '../helpers/subscribers.ts';

/**
 * A delivery that parses but cannot be sent back out: JSON nested so deep that `JSON.stringify` overflows the
 * stack. It must be refused at the receiver, and no subscriber, over SSE or WebSocket, may notice it was tried.
 * An event that is in the store all the same (stored before the bound, by an older replica sharing Redis) costs
 * the subscribers that select it an error for that one result, and nobody else anything.
 */

/** `{"event_name":"x","a":[[[...]]]}`, nesting `depth` levels in all. */
const nested = (depth: number) => `{"event_name":"x","a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

const WITH_PAYLOAD = eventsSubscription(`${EVENT_SELECTION} payload`);

describe('a delivery nested deeper than the bound', () => {
  let stack: EventStack;
  let subscribers: Subscriber[];

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

describe('an event in the store that cannot be serialized', () => {
  let stack: EventStack;
  let selecting: Subscriber[];
  let other: Subscriber;

  before(async () => {
    stack = await startEventStack();
    selecting = [
      await subscribeOverSse(stack.url, { query: WITH_PAYLOAD }),
      await subscribeOverWebSocket(stack.url, { query: WITH_PAYLOAD }),
    ];
    other = await subscribeOverSse(stack.url);
    await untilEachReceives([...selecting, other], (name) =>
      deliver(stack.url, projectCreate(name), RECEIVER_TOKEN),
    );
  });
  after(async () => {
    await Promise.all([...selecting, other].map((subscriber) => subscriber.close()));
    await stack.close();
  });

  const unserializable: [what: string, payload: () => Record<string, unknown>][] = [
    ['JSON nested 100,000 levels deep', () => JSON.parse(nested(100_000))],
    // Nothing parsed from JSON can hold one, but no failure of the serializer may escape, whatever its cause.
    ['a value JSON has no form for', () => ({ event_name: 'x', big: 10n })],
  ];
  const sent: string[] = [];
  for (const [what, payload] of unserializable) {
    it(`with ${what}: an error for that result alone, and every stream goes on`, async () => {
      const before = selecting.map((subscriber) => subscriber.results.length);
      await stack.store.append(eventInput(0, { eventName: 'x', payload: payload() }));
      const next = `after ${what}`;
      sent.push(next);
      assert.equal((await deliver(stack.url, projectCreate(next), RECEIVER_TOKEN)).status, 204);

      for (const [index, subscriber] of selecting.entries()) {
        await subscriber.waitForEvent(next);
        const results = subscriber.results.slice(before[index]);
        assert.equal(results.length, 2, subscriber.transport);
        assert.deepEqual(
          results[0],
          {
            data: null,
            errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
          },
          subscriber.transport,
        );
        assert.equal(subscriber.ending, null, `${subscriber.transport} is still open`);
        assert.deepEqual(subscriber.names(), sent, subscriber.transport);
      }
      // A subscriber that does not select the payload receives the event like any other.
      await other.waitForEvent(next);
      assert.deepEqual(
        other.events.slice(-2).map((event) => [event.eventName, event.name ?? null]),
        [
          ['x', null],
          ['project_create', next],
        ],
      );
      assert.deepEqual(other.errors(), []);
    });
  }
});
