import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { SystemHookEventsDocument } from '../generated/graphql.ts';
import { type EventStack, startEventStack } from '../helpers/stack.ts';
import { closeAll, errorCodes, type Subscriber, subscribe, TRANSPORTS } from '../helpers/subscribers.ts';
import type { UntypedData } from '../helpers/untyped.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * `after`: a subscriber that went away resumes from the last cursor it read, and gets exactly the events it
 * missed, in order, then the live ones; a cursor that has left the retention, or is not a cursor, fails.
 */

const QUERY = print(SystemHookEventsDocument);

/** Emits `count` events one after the other through the embedded GitLab; resolves with their delivery ids. */
async function emit(stack: EventStack, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const emitted = stack.gitlab.emitSystemHookEvent({ eventName: 'project_create' });
    await stack.gitlab.deliveriesSettled();
    ids.push(...emitted.deliveries.map((delivery) => delivery.idempotencyKey));
  }
  assert.equal(ids.length, count, 'one hook, one delivery per event');
  return ids;
}

async function subscribed(stack: EventStack, subscriber: Subscriber): Promise<Subscriber> {
  await waitUntil(
    () => `subscribed; got ${JSON.stringify(subscriber.results)}`,
    () => stack.store.status().subscribers === 1,
  );
  return subscriber;
}

const idsOf = (events: UntypedData[]) => events.map((event) => event.deliveryId);

for (const transport of TRANSPORTS) {
  const over = transport === 'sse' ? 'over SSE' : 'over WebSocket';

  describe(`resuming ${over}`, () => {
    let stack: EventStack;

    before(async () => {
      stack = await startEventStack({ events: { retention: 4 } });
      await stack.addReceiverHook();
    });
    after(() => stack.close());

    const open = (after?: string) =>
      subscribed(stack, subscribe(stack, transport, { query: QUERY, variables: after ? { after } : {} }));

    it('replays exactly the missed events after the cursor, in order, then continues live', async () => {
      const first = await open();
      const seen = await emit(stack, 2);
      const read = await first.waitForEvents(2);
      assert.deepEqual(idsOf(read), seen);
      await closeAll([first], stack.store);

      const missed = await emit(stack, 2);
      const resumed = await open(read[1].cursor);
      // Two live events: a repeat at the seam, or a replayed event out of order, would show before the second.
      const live = await emit(stack, 2);
      const events = await resumed.waitForEvents(4);
      assert.deepEqual(idsOf(events), [...missed, ...live]);
      const cursors = events.map((event: UntypedData) => event.cursor);
      assert.equal(new Set([read[1].cursor, ...cursors]).size, 5, 'every cursor is new');
      await closeAll([resumed], stack.store);
    });

    it('resumes after the newest event with only live events', async () => {
      const first = await open();
      await emit(stack, 1);
      const [newest] = await first.waitForEvents(1);
      await closeAll([first], stack.store);
      const resumed = await open(newest.cursor);
      const live = await emit(stack, 2);
      assert.deepEqual(idsOf(await resumed.waitForEvents(2)), live);
      await closeAll([resumed], stack.store);
    });

    it('fails with EVENT_CURSOR_EXPIRED once the cursor has left the retention (4 events)', async () => {
      const first = await open();
      await emit(stack, 1);
      const [oldest] = await first.waitForEvents(1);
      await closeAll([first], stack.store);
      await emit(stack, 4);
      const expired = subscribe(stack, transport, { query: QUERY, variables: { after: oldest.cursor } });
      const end = await expired.waitForEnd();
      assert.deepEqual(errorCodes(expired, end), ['EVENT_CURSOR_EXPIRED']);
      assert.deepEqual(expired.events, []);
      await expired.close();
    });

    for (const cursor of ['not-a-cursor', '', 'a'.repeat(5000), '1-2-3', '18446744073709551616-0']) {
      it(`refuses the malformed cursor ${JSON.stringify(cursor.slice(0, 12))} with BAD_USER_INPUT`, async () => {
        const malformed = subscribe(stack, transport, { query: QUERY, variables: { after: cursor } });
        const end = await malformed.waitForEnd();
        assert.deepEqual(errorCodes(malformed, end), ['BAD_USER_INPUT']);
        await malformed.close();
      });
    }
  });
}
