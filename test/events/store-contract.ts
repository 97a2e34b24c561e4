/**
 * What every event store must do, as tests: the in-memory store and the Redis store each run them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventStore } from '../../src/events/event-store.ts';
import type { SystemHookEventInput, SystemHookEventSource } from '../../src/events/types.ts';

let counter = 0;

/** A distinct accepted delivery; `n` goes into its id and payload. */
export function eventInput(n: number, overrides: Partial<SystemHookEventInput> = {}): SystemHookEventInput {
  counter += 1;
  const payload = { event_name: n % 2 === 0 ? 'project_create' : 'user_create', n };
  return {
    deliveryId: `delivery-${process.pid}-${counter}-${n}`,
    eventName: payload.event_name,
    receivedAt: new Date().toISOString(),
    verifiedBy: 'TOKEN',
    instance: 'https://gitlab.example.com',
    gitlabVersion: '18.6.5',
    eventUuid: null,
    attemptId: null,
    bodyBytes: JSON.stringify(payload).length,
    payload,
    ...overrides,
  };
}

const numberOf = (event: SystemHookEventSource) => event.payload.n as number;

/** The next `count` events, failing after `timeoutMs` instead of waiting forever. */
export async function take(
  events: AsyncIterator<SystemHookEventSource>,
  count: number,
  timeoutMs = 5000,
): Promise<SystemHookEventSource[]> {
  const taken: SystemHookEventSource[] = [];
  const deadline = Date.now() + timeoutMs;
  while (taken.length < count) {
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`only ${taken.length} of ${count} events within ${timeoutMs} ms`)),
        Math.max(remaining, 0),
      );
    });
    try {
      const step = await Promise.race([events.next(), timeout]);
      if (step.done) throw new Error(`the iteration ended after ${taken.length} of ${count} events`);
      taken.push(step.value);
    } finally {
      clearTimeout(timer);
    }
  }
  return taken;
}

/**
 * Whether each of `subscriptions` receives nothing more before a marker appended now. Every store hands a
 * subscriber its events in order, the Redis store in stream order once it is healthy (nothing waiting for Redis),
 * so whatever was still to come (a repeat, a replayed copy) would come before the marker: waiting for the marker
 * shows that nothing came, without waiting out a quiet time. Takes the marker from each subscription.
 */
export async function nothingBefore(
  store: EventStore,
  subscriptions: readonly AsyncIterator<SystemHookEventSource>[],
): Promise<boolean> {
  assert.ok(store.status().healthy, 'a marker keeps its place in the order only in a healthy store');
  const marker = eventInput(-1);
  await store.append(marker);
  for (const events of subscriptions) {
    const [next] = await take(events, 1);
    if (next?.deliveryId !== marker.deliveryId) return false;
  }
  return true;
}

export interface ContractOptions {
  /** A new, empty store with this retention; the contract closes it. */
  open(options: { retention: number }): Promise<EventStore>;
}

export function eventStoreContract({ open }: ContractOptions): void {
  async function withStore(retention: number, run: (store: EventStore) => Promise<void>): Promise<void> {
    const store = await open({ retention });
    try {
      await run(store);
    } finally {
      await store.close();
    }
  }

  describe('the event store contract', () => {
    it('hands every subscriber every event once, in order, with distinct cursors', async () => {
      await withStore(1000, async (store) => {
        const [a, b] = [await store.subscribe(), await store.subscribe()];
        for (let n = 0; n < 50; n += 1) assert.equal((await store.append(eventInput(n))).duplicate, false);
        for (const events of [a, b]) {
          const taken = await take(events, 50);
          assert.deepEqual(
            taken.map(numberOf),
            Array.from({ length: 50 }, (_, n) => n),
          );
          assert.equal(new Set(taken.map((event) => event.cursor)).size, 50);
        }
        assert.equal(await nothingBefore(store, [a, b]), true);
        assert.equal(store.status().subscribers, 2);
      });
    });

    it('returns the cursor each event is delivered with', async () => {
      await withStore(10, async (store) => {
        const events = await store.subscribe();
        const { cursor } = await store.append(eventInput(1));
        const [event] = await take(events, 1);
        assert.equal(event?.cursor, cursor);
      });
    });

    it('stores a repeated deliveryId once and answers it with the first cursor', async () => {
      await withStore(10, async (store) => {
        const events = await store.subscribe();
        const first = eventInput(1);
        const stored = await store.append(first);
        const again = await store.append({ ...eventInput(2), deliveryId: first.deliveryId });
        assert.deepEqual(again, { duplicate: true, cursor: stored.cursor });
        await store.append(eventInput(3));
        assert.deepEqual((await take(events, 2)).map(numberOf), [1, 3]);
      });
    });

    it('skips the events a subscriber does not accept', async () => {
      await withStore(100, async (store) => {
        const events = await store.subscribe({ accept: (event) => event.eventName === 'project_create' });
        for (let n = 0; n < 10; n += 1) await store.append(eventInput(n));
        assert.deepEqual((await take(events, 5)).map(numberOf), [0, 2, 4, 6, 8]);
      });
    });

    it('replays the retained events after a cursor, then continues live', async () => {
      await withStore(100, async (store) => {
        const cursors: string[] = [];
        for (let n = 0; n < 10; n += 1) cursors.push((await store.append(eventInput(n))).cursor);
        const events = await store.subscribe({ after: cursors[6] });
        await store.append(eventInput(10));
        assert.deepEqual((await take(events, 4)).map(numberOf), [7, 8, 9, 10]);
      });
    });

    it('resumes after a cursor without a gap or a repeat while events keep arriving', async () => {
      await withStore(1000, async (store) => {
        const cursors: string[] = [];
        for (let n = 0; n < 100; n += 1) cursors.push((await store.append(eventInput(n))).cursor);
        const appending = (async () => {
          for (let n = 100; n < 300; n += 1) {
            await store.append(eventInput(n));
            if (n % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        const events = await store.subscribe({ after: cursors[49] });
        const taken = await take(events, 250, 10_000);
        await appending;
        assert.deepEqual(
          taken.map(numberOf),
          Array.from({ length: 250 }, (_, i) => 50 + i),
        );
        assert.equal(await nothingBefore(store, [events]), true);
      });
    });

    it('refuses a cursor whose event has left the retention with EVENT_CURSOR_EXPIRED', async () => {
      await withStore(10, async (store) => {
        const cursors: string[] = [];
        for (let n = 0; n < 25; n += 1) cursors.push((await store.append(eventInput(n))).cursor);
        await assert.rejects(store.subscribe({ after: cursors[5] }), { code: 'EVENT_CURSOR_EXPIRED' });
        const events = await store.subscribe({ after: cursors[20] });
        assert.deepEqual((await take(events, 4)).map(numberOf), [21, 22, 23, 24]);
        assert.ok(store.status().retained <= 10);
      });
    });

    it('refuses a malformed cursor with EVENT_CURSOR_INVALID', async () => {
      await withStore(10, async (store) => {
        for (const after of ['', 'nonsense', '12-', '-1', '1.2.3', 'x'.repeat(500), '01-1']) {
          await assert.rejects(store.subscribe({ after }), { code: 'EVENT_CURSOR_INVALID' }, after);
        }
      });
    });

    it('refuses a stream id with a part past 2^64 - 1, which Redis would refuse, with EVENT_CURSOR_INVALID', async () => {
      await withStore(10, async (store) => {
        await store.append(eventInput(1));
        for (const after of ['18446744073709551616-0', '0-18446744073709551616', '99999999999999999999-0']) {
          await assert.rejects(store.subscribe({ after }), { code: 'EVENT_CURSOR_INVALID' }, after);
        }
        // The largest id Redis takes is a cursor, of no event this store retains.
        await assert.rejects(store.subscribe({ after: '18446744073709551615-18446744073709551615' }), {
          code: 'EVENT_CURSOR_EXPIRED',
        });
        assert.equal(store.status().healthy, true);
      });
    });

    it('drops a subscriber that stops reading once it is a retention behind, holding nothing for it', async () => {
      await withStore(20, async (store) => {
        const slow = await store.subscribe();
        const fast = await store.subscribe();
        const reading = take(fast, 60);
        for (let n = 0; n < 60; n += 1) {
          await store.append(eventInput(n, { bodyBytes: 10_000 }));
          // A reader that keeps up gets a turn between deliveries, as it does when they come over HTTP.
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.equal((await reading).length, 60);
        assert.equal(store.status().subscribers, 1);
        assert.ok(store.status().retained <= 20);
        await assert.rejects(slow.next(), { code: 'EVENT_SUBSCRIBER_TOO_SLOW' });
        assert.deepEqual(await slow.next(), { done: true, value: undefined });
      });
    });

    it('ends a subscription when its signal aborts, and on return()', async () => {
      await withStore(10, async (store) => {
        const controller = new AbortController();
        const aborted = await store.subscribe({ signal: controller.signal });
        const returned = await store.subscribe();
        const waiting = aborted.next();
        assert.equal(store.status().subscribers, 2);
        controller.abort();
        assert.deepEqual(await waiting, { done: true, value: undefined });
        await returned.return?.();
        assert.deepEqual(await returned.next(), { done: true, value: undefined });
        assert.equal(store.status().subscribers, 0);
      });
    });

    it('ends every subscription on close', async () => {
      const store = await open({ retention: 10 });
      const events = await store.subscribe();
      const waiting = events.next();
      await store.close();
      assert.deepEqual(await waiting, { done: true, value: undefined });
      await assert.rejects(store.append(eventInput(1)), { code: 'EVENT_STORE_UNAVAILABLE' });
    });
  });
}
