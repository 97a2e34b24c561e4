import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import type { SystemHookEventInput } from '../../src/events/types.ts';
import { eventInput, eventStoreContract, take } from './store-contract.ts';

describe('the in-memory event store', () => {
  eventStoreContract({
    open: async ({ retention }) => createMemoryEventStore({ retention }),
    neverIssued: async (store) => {
      const [own] = (await store.history({ last: 1 })).events;
      return [own?.cursor.replace(/\.\d+$/, '.999') ?? ''];
    },
    outOfReach: async () => {
      const other = createMemoryEventStore();
      const { cursor } = await other.append(eventInput(1));
      await other.close();
      // Another store's (an earlier process's), and stream ids, which only a Redis store (an earlier process
      // with REDIS_URL) hands out: resuming from them would skip what this process never had.
      return [cursor, '1718000000000-0', '0-0', '18446744073709551615-18446744073709551615'];
    },
  });

  it('reports a cursor of another store (an earlier process) as expired', async () => {
    const earlier = createMemoryEventStore();
    const { cursor } = await earlier.append(eventInput(1));
    await earlier.close();
    const store = createMemoryEventStore();
    await store.append(eventInput(1));
    await assert.rejects(store.subscribe({ after: cursor }), { code: 'EVENT_CURSOR_EXPIRED' });
    await assert.rejects(store.subscribe({ after: '1718000000000-0' }), { code: 'EVENT_CURSOR_EXPIRED' });
    await store.close();
  });

  it('refuses a cursor of its own that it never handed out as invalid', async () => {
    const store = createMemoryEventStore();
    const { cursor } = await store.append(eventInput(1));
    const ahead = cursor.replace(/\.\d+$/, '.7');
    await assert.rejects(store.subscribe({ after: ahead }), { code: 'EVENT_CURSOR_INVALID' });
    await store.close();
  });

  it('keeps the retained events within maxRetainedBytes, evicting the oldest', async () => {
    const store = createMemoryEventStore({ retention: 100, maxRetainedBytes: 50_000 });
    const cursors: string[] = [];
    for (let n = 0; n < 10; n += 1)
      cursors.push((await store.append(eventInput(n, { bodyBytes: 10_000 }))).cursor);
    assert.equal(store.status().retained, 5);
    await assert.rejects(store.subscribe({ after: cursors[4] }), { code: 'EVENT_CURSOR_EXPIRED' });
    const events = await store.subscribe({ after: cursors[5] });
    assert.deepEqual(
      (await take(events, 4)).map((event) => event.payload.n),
      [6, 7, 8, 9],
    );
    await store.close();
  });

  it('recognises a delivery for the dedupe window, and longer while its event is retained', async () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    const store = createMemoryEventStore({ retention: 2, dedupeWindowSeconds: 60, now: () => now });
    const first = eventInput(1);
    await store.append(first);
    now += 120_000;
    assert.equal((await store.append({ ...first })).duplicate, true, 'still retained');
    await store.append(eventInput(2));
    assert.equal((await store.append({ ...first })).duplicate, true, 'within the window of the newer events');
    await store.append(eventInput(3));
    assert.equal(
      (await store.append({ ...first })).duplicate,
      false,
      'neither retained nor within the window',
    );
    await store.close();
  });

  it('forgets no id inside the window: past maxDedupeEntries it refuses new deliveries instead', async () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    const store = createMemoryEventStore({
      retention: 2,
      maxDedupeEntries: 4,
      dedupeWindowSeconds: 600,
      now: () => now,
    });
    const inputs = [1, 2, 3, 4].map((n) => eventInput(n));
    for (const input of inputs) await store.append(input);
    const refused = eventInput(5);
    await assert.rejects(store.append(refused), { code: 'EVENT_STORE_UNAVAILABLE' });
    // The oldest, no longer retained (retention 2), is still recognised: a replay within the window publishes nothing.
    now += 300_000;
    assert.equal((await store.append({ ...(inputs[0] as SystemHookEventInput) })).duplicate, true);
    await assert.rejects(store.append(refused), { code: 'EVENT_STORE_UNAVAILABLE' });
    assert.equal(store.status().retained, 2);

    // Once the older ids have left the window, there is room again, and they are forgotten.
    now += 300_001;
    assert.equal((await store.append(refused)).duplicate, false);
    assert.equal((await store.append({ ...(inputs[0] as SystemHookEventInput) })).duplicate, false);
    await store.close();
  });

  it('never remembers fewer ids than it retains', async () => {
    const store = createMemoryEventStore({ retention: 3, maxDedupeEntries: 1 });
    for (const n of [1, 2, 3]) await store.append(eventInput(n));
    await assert.rejects(store.append(eventInput(4)), { code: 'EVENT_STORE_UNAVAILABLE' });
    await store.close();
  });
});
