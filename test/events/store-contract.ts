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
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

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
  /**
   * Well-formed cursors that a store with retained events never handed out (past its newest, between its
   * entries), which `subscribe` and `history` both refuse as invalid.
   */
  neverIssued(store: EventStore): Promise<string[]>;
  /**
   * Well-formed cursors of events this store cannot have (another store's: an earlier process's, another
   * replica's outage cursor), which `subscribe` and `history` both refuse as expired.
   */
  outOfReach(store: EventStore): Promise<string[]>;
}

export function eventStoreContract({ open, neverIssued, outOfReach }: ContractOptions): void {
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
        // The largest id Redis takes is a cursor (`neverIssued` or `outOfReach` says which the store makes of it).
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

    describe('history', () => {
      /** Appends events 0..count-1 (even: project_create, odd: user_create); returns their cursors. */
      async function fill(store: EventStore, count: number): Promise<string[]> {
        const cursors: string[] = [];
        for (let n = 0; n < count; n += 1) cursors.push((await store.append(eventInput(n))).cursor);
        return cursors;
      }
      const listed = (page: { events: SystemHookEventSource[] }) => page.events.map(numberOf);

      it('lists the newest 50 by default, oldest first, with the cursors events are delivered with', async () => {
        await withStore(1000, async (store) => {
          const live = await store.subscribe();
          const cursors = await fill(store, 60);
          const delivered = await take(live, 60);
          const page = await store.history({});
          assert.deepEqual(listed(page), range(10, 60));
          assert.deepEqual(
            page.events.map((event) => event.cursor),
            cursors.slice(10),
          );
          assert.deepEqual(page.events, delivered.slice(10));
          assert.equal(page.count, 60);
          assert.equal(page.hasPrevious, true);
          assert.equal(page.hasNext, false);
        });
      });

      it('pages forward with first/after and backward with last/before, meeting every event once', async () => {
        await withStore(1000, async (store) => {
          const cursors = await fill(store, 25);
          const forward: number[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await store.history({ first: 7, after });
            forward.push(...listed(page));
            assert.equal(page.hasPrevious, after !== undefined);
            if (!page.hasNext) break;
            after = page.events.at(-1)?.cursor;
          }
          assert.deepEqual(forward, range(0, 25));
          const backward: number[] = [];
          let before: string | undefined;
          for (;;) {
            const page = await store.history({ last: 7, before });
            backward.unshift(...listed(page));
            assert.equal(page.hasNext, before !== undefined);
            if (!page.hasPrevious) break;
            before = page.events[0]?.cursor;
          }
          assert.deepEqual(backward, range(0, 25));
          const between = await store.history({ after: cursors[4], before: cursors[10], first: 100 });
          assert.deepEqual(listed(between), [5, 6, 7, 8, 9]);
          assert.deepEqual([between.hasPrevious, between.hasNext], [true, true]);
          const both = await store.history({ after: cursors[4], first: 6, last: 2 });
          assert.deepEqual(listed(both), [9, 10]);
          assert.deepEqual([both.hasPrevious, both.hasNext], [true, true]);
          const none = await store.history({ first: 0 });
          assert.deepEqual([listed(none), none.hasPrevious, none.hasNext, none.count], [[], false, true, 25]);
          const newest = await store.history({ last: 0 });
          assert.deepEqual([listed(newest), newest.hasPrevious, newest.hasNext], [[], true, false]);
        });
      });

      it('keeps only the wanted types, in the page and in the count', async () => {
        await withStore(1000, async (store) => {
          const cursors = await fill(store, 30);
          const users = await store.history({ types: ['USER_CREATE'], last: 5 });
          assert.deepEqual(listed(users), [21, 23, 25, 27, 29]);
          assert.equal(users.count, 15);
          assert.equal(users.hasPrevious, true);
          const before = await store.history({ types: ['PROJECT_CREATE'], before: cursors[5], first: 10 });
          assert.deepEqual(listed(before), [0, 2, 4]);
          assert.deepEqual([before.hasPrevious, before.hasNext], [false, true]);
          const pushes = await store.history({ types: ['PUSH'] });
          assert.deepEqual(
            [listed(pushes), pushes.count, pushes.hasPrevious, pushes.hasNext],
            [[], 0, false, false],
          );
          assert.equal((await store.history({ types: [] })).count, 30);
        });
      });

      it('counts and lists only what is retained', async () => {
        await withStore(10, async (store) => {
          const cursors = await fill(store, 25);
          const page = await store.history({ first: 100 });
          assert.deepEqual(listed(page), range(15, 25));
          assert.equal(page.count, 10);
          assert.equal(page.hasPrevious, false);
          await assert.rejects(store.history({ after: cursors[3] }), { code: 'EVENT_CURSOR_EXPIRED' });
          await assert.rejects(store.history({ before: cursors[3] }), { code: 'EVENT_CURSOR_EXPIRED' });
        });
      });

      it('hands over to a subscription after the newest event listed, with no gap and no repeat', async () => {
        await withStore(1000, async (store) => {
          await fill(store, 20);
          const page = await store.history({ last: 5 });
          // Delivered between the list and the subscribe: the subscription's replay must carry them.
          await store.append(eventInput(20));
          await store.append(eventInput(21));
          const events = await store.subscribe({ after: page.events.at(-1)?.cursor });
          await store.append(eventInput(22));
          assert.deepEqual((await take(events, 3)).map(numberOf), [20, 21, 22]);
          assert.equal(await nothingBefore(store, [events]), true);
        });
      });

      it('names the stream at the read, and a subscription after it gets exactly what came later', async () => {
        await withStore(1000, async (store) => {
          // Nothing retained yet: no edge, no endCursor, but a place to subscribe after.
          const empty = await store.history({});
          assert.deepEqual(
            [listed(empty), empty.count, empty.hasPrevious, empty.hasNext],
            [[], 0, false, false],
          );
          // Delivered between the read and the subscribe.
          await store.append(eventInput(0));
          await store.append(eventInput(1));
          const events = await store.subscribe({ after: empty.streamCursor });
          await store.append(eventInput(2));
          assert.deepEqual((await take(events, 3)).map(numberOf), [0, 1, 2]);
          assert.equal(await nothingBefore(store, [events]), true);
          // The list takes it too, and then names the newest event.
          const since = await store.history({ after: empty.streamCursor, first: 100 });
          assert.deepEqual(listed(since).slice(0, 3), [0, 1, 2]);
          const newest = since.events.at(-1)?.cursor;
          assert.equal(since.streamCursor, newest);
          assert.equal((await store.history({ last: 1 })).streamCursor, newest);
        });
      });

      it('names the stream also when no event has the types asked for, past the newest of them', async () => {
        await withStore(1000, async (store) => {
          const cursors = await fill(store, 6);
          const pushes = await store.history({ types: ['PUSH'] });
          assert.deepEqual([listed(pushes), pushes.count], [[], 0]);
          assert.equal(pushes.streamCursor, cursors[5]);
          const users = await store.history({ types: ['USER_CREATE'], first: 1 });
          assert.equal(users.streamCursor, cursors[5]);
          await store.append(eventInput(6));
          await store.append(eventInput(7));
          const wanted = (event: SystemHookEventSource) => event.eventName === 'user_create';
          const events = await store.subscribe({ after: pushes.streamCursor, accept: wanted });
          await store.append(eventInput(9));
          assert.deepEqual((await take(events, 2)).map(numberOf), [7, 9]);
          assert.equal(await nothingBefore(store, [events]), true);
        });
      });

      it('expires the start it named once an event has left the retention, in the list and the subscription', async () => {
        await withStore(3, async (store) => {
          const { streamCursor } = await store.history({});
          await fill(store, 3);
          assert.equal((await store.history({ after: streamCursor })).events.length, 3);
          await store.append(eventInput(3));
          await assert.rejects(store.subscribe({ after: streamCursor }), { code: 'EVENT_CURSOR_EXPIRED' });
          await assert.rejects(store.history({ after: streamCursor }), { code: 'EVENT_CURSOR_EXPIRED' });
          await assert.rejects(store.history({ before: streamCursor }), { code: 'EVENT_CURSOR_EXPIRED' });
        });
      });

      it('refuses every cursor the same way in the list and in the subscription', async () => {
        await withStore(10, async (store) => {
          await fill(store, 3);
          for (const [cursors, code] of [
            [await neverIssued(store), 'EVENT_CURSOR_INVALID'],
            [await outOfReach(store), 'EVENT_CURSOR_EXPIRED'],
          ] as const) {
            for (const cursor of cursors) {
              await assert.rejects(store.subscribe({ after: cursor }), { code }, `subscribe ${cursor}`);
              await assert.rejects(store.history({ after: cursor }), { code }, `after ${cursor}`);
              await assert.rejects(store.history({ before: cursor }), { code }, `before ${cursor}`);
            }
          }
          assert.equal(store.status().subscribers, 0);
          assert.equal((await store.history({})).count, 3);
        });
      });

      it('refuses a cursor that names no event of the store with EVENT_CURSOR_INVALID, and bad sizes', async () => {
        await withStore(10, async (store) => {
          await fill(store, 3);
          const invalid = [
            '',
            'nonsense',
            '01-1',
            '18446744073709551616-0',
            '0-18446744073709551616',
            ...(await neverIssued(store)),
          ];
          for (const cursor of invalid) {
            await assert.rejects(store.history({ after: cursor }), { code: 'EVENT_CURSOR_INVALID' }, cursor);
            await assert.rejects(store.history({ before: cursor }), { code: 'EVENT_CURSOR_INVALID' }, cursor);
          }
          for (const size of [-1, 101, 1.5, Number.NaN]) {
            await assert.rejects(store.history({ first: size }), RangeError);
            await assert.rejects(store.history({ last: size }), RangeError);
          }
          assert.equal((await store.history({})).count, 3);
          assert.equal(store.status().healthy, true);
        });
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
