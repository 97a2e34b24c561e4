import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { EventStore } from '../../src/events/event-store.ts';
import { createRedisEventStore, type RedisEventStoreOptions } from '../../src/events/redis-event-store.ts';
import type { StreamEntry } from '../../src/events/redis-stream.ts';
import type { SystemHookEventSource } from '../../src/events/types.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { eventInput, eventStoreContract, nothingBefore, take } from './store-contract.ts';

/** Redis and the store's reconnection take their time on a busy machine. */
const REDIS_WAIT = { withinMs: 10_000 };

/** A TCP pipe to Redis that a test can cut (closing every connection and refusing new ones) and restore. */
async function startCuttablePipe(port: number) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = false;
    },
    async close() {
      this.cut();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The append script of a gateway that kept no event names, as a replica of that version runs it. */
const EARLIER_APPEND_SCRIPT = `
local cursor = redis.call('GET', KEYS[1])
if cursor then return {0, cursor} end
cursor = redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '*', 'd', ARGV[3], 'e', ARGV[4])
redis.call('SET', KEYS[1], cursor, 'EX', ARGV[1])
redis.call('RPUSH', KEYS[3], cursor .. ' ' .. ARGV[6])
local total = redis.call('INCRBY', KEYS[4], ARGV[6])
local length = redis.call('XLEN', KEYS[2])
local listed = redis.call('LLEN', KEYS[3])
while listed > length do
  local trimmed = redis.call('LPOP', KEYS[3])
  total = redis.call('DECRBY', KEYS[4], string.match(trimmed, ' (%d+)$'))
  listed = listed - 1
end
if listed == length then
  while total > tonumber(ARGV[5]) and length > 1 do
    local id, size = string.match(redis.call('LPOP', KEYS[3]), '^(%S+) (%d+)$')
    redis.call('XDEL', KEYS[2], id)
    total = redis.call('DECRBY', KEYS[4], size)
    length = length - 1
  end
end
return {1, cursor}
`;

/** Events 0..count-1 written as an earlier version of the gateway wrote them: no sizes, no names recorded. */
async function writeAsBefore(raw: Redis, keyPrefix: string, count: number): Promise<void> {
  for (let n = 0; n < count; n += 1) {
    const input = eventInput(n);
    await raw.xadd(`${keyPrefix}:stream`, '*', 'd', input.deliveryId, 'e', JSON.stringify(input));
  }
}

const numbers = (events: SystemHookEventSource[]) => events.map((event) => event.payload.n as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('the Redis event store', () => {
  let redis: RedisServer;
  const opened: EventStore[] = [];

  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await redis.close();
  });

  /** A store on the test's Redis, once it is usable; closed by the test or at the end. */
  async function open(options: Partial<RedisEventStoreOptions> & { keyPrefix: string }): Promise<EventStore> {
    const store = createRedisEventStore({ redis: redis.url, ...options });
    opened.push(store);
    await waitUntil('the store reaches Redis', () => store.status().healthy, REDIS_WAIT);
    return store;
  }

  const newPrefix = () => `test-${randomBytes(6).toString('hex')}`;

  eventStoreContract({
    open: ({ retention }) => open({ retention, keyPrefix: newPrefix() }),
    neverIssued: async (store) => {
      const [oldest] = (await store.history({ first: 1 })).events;
      const [ms] = (oldest?.cursor ?? '').split('-');
      // Ids at or past the oldest entry that no entry has, and that Redis never generated.
      return [`${ms}-99999`, '18446744073709551615-18446744073709551615'];
    },
    // Another replica's outage cursor, and an id behind the oldest entry (it may have been one that left).
    outOfReach: async () => ['abcdef012345.3', '1-0'],
  });

  describe('two replicas on one Redis', () => {
    it('hands an event appended on either replica to the subscribers of both, once each', async () => {
      const keyPrefix = newPrefix();
      const [a, b] = [await open({ keyPrefix }), await open({ keyPrefix })];
      const subscribers = [
        await a.subscribe(),
        await a.subscribe(),
        await b.subscribe(),
        await b.subscribe(),
      ];
      for (let n = 0; n < 20; n += 1) await (n % 2 === 0 ? a : b).append(eventInput(n));
      for (const events of subscribers) {
        assert.deepEqual(numbers(await take(events, 20)), range(0, 20));
      }
      assert.equal(await nothingBefore(a, subscribers), true);
      await Promise.all([a.close(), b.close()]);
    });

    it('recognises a duplicate sent to the other replica and publishes it once', async () => {
      const keyPrefix = newPrefix();
      const [a, b] = [await open({ keyPrefix }), await open({ keyPrefix })];
      const [onA, onB] = [await a.subscribe(), await b.subscribe()];
      const input = eventInput(1);
      const first = await a.append(input);
      const again = await b.append({ ...input, attemptId: 'second attempt' });
      assert.deepEqual(again, { duplicate: true, cursor: first.cursor });
      await a.append(eventInput(2));
      assert.deepEqual(numbers(await take(onA, 2)), [1, 2]);
      assert.deepEqual(numbers(await take(onB, 2)), [1, 2]);
      await Promise.all([a.close(), b.close()]);
    });

    it('resumes on one replica from a cursor handed out by the other', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix });
      const cursors: string[] = [];
      for (let n = 0; n < 10; n += 1) cursors.push((await a.append(eventInput(n))).cursor);
      // A replica started after the events: it retains none of them and replays them from Redis.
      const b = await open({ keyPrefix });
      const events = await b.subscribe({ after: cursors[3] });
      await a.append(eventInput(10));
      assert.deepEqual(numbers(await take(events, 7)), range(4, 11));
      assert.equal(await nothingBefore(a, [events]), true);
      await Promise.all([a.close(), b.close()]);
    });

    it('replays from Redis without a gap or a repeat while the other replica keeps appending', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix, retention: 2000 });
      const cursors: string[] = [];
      for (let n = 0; n < 600; n += 1) cursors.push((await a.append(eventInput(n))).cursor);
      const b = await open({ keyPrefix, retention: 2000 });
      const appending = (async () => {
        for (let n = 600; n < 1000; n += 1) await a.append(eventInput(n));
      })();
      const events = await b.subscribe({ after: cursors[99] });
      const taken = await take(events, 900, 20_000);
      await appending;
      assert.deepEqual(numbers(taken), range(100, 1000));
      assert.equal(await nothingBefore(a, [events]), true);
      await Promise.all([a.close(), b.close()]);
    });

    it('refuses on a fresh replica a cursor that Redis has trimmed', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix, retention: 10 });
      const cursors: string[] = [];
      for (let n = 0; n < 25; n += 1) cursors.push((await a.append(eventInput(n))).cursor);
      const b = await open({ keyPrefix, retention: 10 });
      await assert.rejects(b.subscribe({ after: cursors[5] }), { code: 'EVENT_CURSOR_EXPIRED' });
      const events = await b.subscribe({ after: cursors[20] });
      assert.deepEqual(numbers(await take(events, 4)), [21, 22, 23, 24]);
      await Promise.all([a.close(), b.close()]);
    });
  });

  describe('history through the shared stream', () => {
    const listed = (page: { events: SystemHookEventSource[] }) => numbers(page.events);

    it('lists on each replica what either received, also on one started afterwards', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix });
      const b = await open({ keyPrefix });
      const cursors: string[] = [];
      for (let n = 0; n < 12; n += 1)
        cursors.push((await (n % 3 === 0 ? b : a).append(eventInput(n))).cursor);
      // Started afterwards, it holds none of them in its own log: it reads them from the stream.
      const c = await open({ keyPrefix });
      assert.equal(c.status().retained, 0);
      for (const store of [a, b, c]) {
        const page = await store.history({ last: 5 });
        assert.deepEqual(listed(page), range(7, 12));
        assert.deepEqual(
          page.events.map((event) => event.cursor),
          cursors.slice(7),
        );
        assert.equal(page.count, 12);
        const older = await store.history({
          last: 5,
          before: page.events[0]?.cursor,
          types: ['USER_CREATE'],
        });
        assert.deepEqual(listed(older), [1, 3, 5]);
        assert.equal(older.count, 6);
      }
      // The newest listed on C resumes on A with the next event, the seam between the list and the stream.
      const events = await a.subscribe({ after: (await c.history({ last: 1 })).events[0]?.cursor });
      await c.append(eventInput(12));
      assert.deepEqual(numbers(await take(events, 1)), [12]);
      assert.equal(await nothingBefore(a, [events]), true);
      await Promise.all([a.close(), b.close(), c.close()]);
    });

    it('names the start of a stream no replica has written, which another replica resumes from', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix });
      const b = await open({ keyPrefix });
      const raw = new Redis(redis.url);
      try {
        assert.equal(await raw.exists(`${keyPrefix}:stream`), 0);
        const empty = await b.history({});
        assert.deepEqual([listed(empty), empty.count], [[], 0]);
        // Appended on A between B's read and B's subscribe: B's log has it, the start is not in it.
        await a.append(eventInput(0));
        await waitUntil('B reads the event', async () => (await b.history({})).count === 1, REDIS_WAIT);
        const events = await b.subscribe({ after: empty.streamCursor });
        await a.append(eventInput(1));
        assert.deepEqual(numbers(await take(events, 2)), [0, 1]);
        assert.equal(await nothingBefore(a, [events]), true);
        // A replica started afterwards replays it all from the stream.
        const c = await open({ keyPrefix });
        assert.deepEqual(numbers(await take(await c.subscribe({ after: empty.streamCursor }), 2)), [0, 1]);
        await c.close();
      } finally {
        raw.disconnect();
      }
      await Promise.all([a.close(), b.close()]);
    });

    it('names a stream that every entry has left by its last id, a place until the next event', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix, retention: 5 });
      const raw = new Redis(redis.url);
      try {
        const cursors: string[] = [];
        for (let n = 0; n < 8; n += 1) cursors.push((await a.append(eventInput(n))).cursor);
        // An operator empties the stream: nothing is retained, and the start is behind what left.
        await raw.xtrim(`${keyPrefix}:stream`, 'MAXLEN', 0);
        const empty = await a.history({ types: ['USER_CREATE'] });
        assert.deepEqual([listed(empty), empty.count], [[], 0]);
        assert.equal(empty.streamCursor, cursors[7]);
        const b = await open({ keyPrefix, retention: 5 });
        const events = await b.subscribe({ after: empty.streamCursor });
        assert.deepEqual(listed(await b.history({ after: empty.streamCursor })), []);
        await a.append(eventInput(9));
        await a.append(eventInput(11));
        assert.deepEqual(numbers(await take(events, 2)), [9, 11]);
        assert.equal(await nothingBefore(a, [events]), true);
        // Once an event came, Redis cannot tell whether one between left too: the place has expired, loudly.
        await assert.rejects(b.subscribe({ after: empty.streamCursor }), { code: 'EVENT_CURSOR_EXPIRED' });
        await assert.rejects(b.subscribe({ after: '0-0' }), { code: 'EVENT_CURSOR_EXPIRED' });
        await assert.rejects(b.history({ after: '0-0' }), { code: 'EVENT_CURSOR_EXPIRED' });
        await b.close();
      } finally {
        raw.disconnect();
      }
      await a.close();
    });

    it('counts by type from the names kept beside the stream, through trims by count and by bytes', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix, retention: 4, maxRetainedBytes: 25_000 });
      const raw = new Redis(redis.url);
      try {
        const sizes = [...Array(6).fill(5_000), ...Array(3).fill(10_000)];
        for (const [n, bodyBytes] of sizes.entries()) {
          await a.append(eventInput(n, { bodyBytes }));
          const all = await a.history({ first: 100 });
          const users = await a.history({ first: 100, types: ['USER_CREATE'] });
          assert.equal(all.count, all.events.length);
          assert.equal(users.count, users.events.length);
          const names = await raw.hgetall(`${keyPrefix}:stream-name-counts`);
          const total = Object.values(names).reduce((sum, count) => sum + Number(count), 0);
          assert.equal(total, all.count, JSON.stringify(names));
        }
        assert.deepEqual(listed(await a.history({})), [7, 8]);
      } finally {
        raw.disconnect();
      }
      await a.close();
    });

    it('counts entries written before names were kept by reading them', async () => {
      const keyPrefix = newPrefix();
      const raw = new Redis(redis.url);
      try {
        await writeAsBefore(raw, keyPrefix, 3);
        const a = await open({ keyPrefix });
        for (let n = 3; n < 6; n += 1) await a.append(eventInput(n));
        const projects = await a.history({ types: ['PROJECT_CREATE'] });
        assert.deepEqual([listed(projects), projects.count], [[0, 2, 4], 3]);
        assert.equal((await a.history({})).count, 6);
        await a.close();
      } finally {
        raw.disconnect();
      }
    });

    it('counts right beside a replica of an earlier version, which appends and trims without names', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix, retention: 4 });
      const raw = new Redis(redis.url);
      const earlier = async (n: number) => {
        const input = eventInput(n);
        const keys = ['delivery:', 'stream', 'stream-sizes', 'stream-bytes'].map(
          (key) => `${keyPrefix}:${key}`,
        );
        keys[0] += input.deliveryId;
        const args = [86_400, 4, input.deliveryId, JSON.stringify(input), 64 * 1024 * 1024, input.bodyBytes];
        await raw.eval(EARLIER_APPEND_SCRIPT, 4, ...keys, ...args);
      };
      try {
        for (let n = 0; n < 3; n += 1) await a.append(eventInput(n));
        // The earlier version trims two of the named entries, and adds three without names.
        for (let n = 3; n < 6; n += 1) await earlier(n);
        const projects = await a.history({ types: ['PROJECT_CREATE'], first: 100 });
        assert.deepEqual([listed(projects), projects.count], [[2, 4], 2]);
        for (let n = 6; n < 10; n += 1) await a.append(eventInput(n));
        const users = await a.history({ types: ['USER_CREATE'], first: 100 });
        assert.deepEqual([listed(users), users.count], [[7, 9], 2]);
        const counts = await raw.hgetall(`${keyPrefix}:stream-name-counts`);
        assert.deepEqual(counts, { project_create: '2', user_create: '2' });
      } finally {
        raw.disconnect();
      }
      await a.close();
    });

    it('reads the stream in pages bounded in bytes, as a replay does', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix, replayPageBytes: 25_000 });
      const padded = (n: number) =>
        eventInput(n, {
          payload: { event_name: n < 10 ? 'project_create' : 'user_create', n, pad: 'x'.repeat(10_000) },
        });
      for (let n = 0; n <= 12; n += 1) await a.append(padded(n));
      const watcher = new Redis(redis.url);
      const monitor = await watcher.monitor();
      const reads: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (/^XREV?RANGE$/i.test(args[0] ?? '') && args[1] === `${keyPrefix}:stream`) reads.push(args);
      });
      try {
        // The newest 12 projects: back past 3 users to the first event, a page of at most 3 entries at a time.
        const page = await a.history({ last: 20, types: ['PROJECT_CREATE'] });
        assert.deepEqual(listed(page), range(0, 10));
        await a.append(padded(13));
      } finally {
        monitor.disconnect();
        watcher.disconnect();
      }
      // 13 entries of about 10 KB, two or three a page (25,000 bytes past the first): no read takes the stream.
      assert.ok(reads.length >= 5, `${reads.length} reads`);
      await a.close();
    });
  });

  describe('bounds in bytes', () => {
    const trimming: [what: string, bounds: Partial<RedisEventStoreOptions>, sizes: number[], kept: number][] =
      [
        [
          'keeps the shared stream within maxRetainedBytes of bodies, the oldest trimmed first',
          { retention: 100, maxRetainedBytes: 50_000 },
          Array(10).fill(10_000),
          5,
        ],
        [
          // Six of 5,000 bytes (the count trims two), then three of 10,000 (the bytes trim three more).
          'trims by count and by bytes together without losing count of the bytes',
          { retention: 4, maxRetainedBytes: 25_000 },
          [...Array(6).fill(5_000), ...Array(3).fill(10_000)],
          2,
        ],
      ];
    for (const [what, bounds, sizes, kept] of trimming) {
      it(what, async () => {
        const keyPrefix = newPrefix();
        const a = await open({ keyPrefix, ...bounds });
        const cursors: string[] = [];
        for (const [n, bodyBytes] of sizes.entries())
          cursors.push((await a.append(eventInput(n, { bodyBytes }))).cursor);
        // A replica started afterwards retains none of them: what it resumes, it reads from the stream.
        const b = await open({ keyPrefix, ...bounds });
        const first = sizes.length - kept;
        await assert.rejects(b.subscribe({ after: cursors[first - 1] }), { code: 'EVENT_CURSOR_EXPIRED' });
        const events = await b.subscribe({ after: cursors[first] });
        assert.deepEqual(numbers(await take(events, kept - 1)), range(first + 1, sizes.length));
        await Promise.all([a.close(), b.close()]);
      });
    }

    it('leaves entries written before sizes were kept to the count bound, and never trims behind them', async () => {
      const keyPrefix = newPrefix();
      const raw = new Redis(redis.url);
      try {
        await writeAsBefore(raw, keyPrefix, 3);
        const a = await open({ keyPrefix, retention: 5, maxRetainedBytes: 15_000 });
        const ids = async () =>
          ((await raw.xrange(`${keyPrefix}:stream`, '-', '+')) as StreamEntry[]).map(([id]) => id);
        const cursors: string[] = [];
        for (let n = 3; n < 7; n += 1)
          cursors.push((await a.append(eventInput(n, { bodyBytes: 10_000 }))).cursor);
        // Over the byte bound, but the oldest entry's size is unknown: only the count trims, from the oldest.
        assert.deepEqual((await ids()).slice(1), cursors);
        assert.equal((await ids()).length, 5);
        const last = (await a.append(eventInput(7, { bodyBytes: 10_000 }))).cursor;
        // Every entry's size is known again: the bytes trim from the oldest, down to what fits.
        assert.deepEqual(await ids(), [last]);
        await a.close();
      } finally {
        raw.disconnect();
      }
    });

    it('replays from Redis in pages of at most replayPageBytes, without a gap or a repeat', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix });
      const padded = (n: number) =>
        eventInput(n, { payload: { event_name: 'project_create', n, pad: 'x'.repeat(10_000) } });
      const cursors: string[] = [];
      for (let n = 0; n <= 12; n += 1) cursors.push((await a.append(padded(n))).cursor);
      const b = await open({ keyPrefix, replayPageBytes: 25_000 });
      const watcher = new Redis(redis.url);
      const monitor = await watcher.monitor();
      const pages: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]?.toUpperCase() === 'XRANGE' && args[1] === `${keyPrefix}:stream`) pages.push(args);
      });
      try {
        const events = await b.subscribe({ after: cursors[0] });
        assert.deepEqual(numbers(await take(events, 12)), range(1, 13));
        await a.append(padded(13));
        assert.deepEqual(numbers(await take(events, 1)), [13]);
      } finally {
        monitor.disconnect();
        watcher.disconnect();
      }
      // About 10 KB an entry and 25,000 bytes a page: two events a page, each page one XRANGE.
      assert.equal(pages.length, 6);
      await Promise.all([a.close(), b.close()]);
    });
  });

  it('keeps Redis healthy after a cursor Redis would refuse, and appends to it as before', async () => {
    const store = await open({ keyPrefix: newPrefix() });
    await assert.rejects(store.subscribe({ after: '99999999999999999999-0' }), {
      code: 'EVENT_CURSOR_INVALID',
    });
    assert.deepEqual(store.status().degraded, []);
    const { cursor } = await store.append(eventInput(1));
    assert.match(cursor, /^[0-9]+-[0-9]+$/, 'a stream cursor: appended to Redis, not queued locally');
    await store.close();
  });

  describe('when Redis goes away', () => {
    it('ends its subscriptions and forgets its log when events were trimmed before it could read them', async () => {
      const keyPrefix = newPrefix();
      const pipe = await startCuttablePipe(redis.port);
      try {
        const a = await open({ keyPrefix, retention: 10 });
        const b = createRedisEventStore({ redis: pipe.url, keyPrefix, retention: 10 });
        opened.push(b);
        await waitUntil('B reaches Redis', () => b.status().healthy, REDIS_WAIT);
        const onB = await b.subscribe();
        const cursors = [(await a.append(eventInput(0))).cursor, (await a.append(eventInput(1))).cursor];
        assert.deepEqual(numbers(await take(onB, 2)), [0, 1]);

        pipe.cut();
        await waitUntil('B notices', () => !b.status().healthy, REDIS_WAIT);
        for (let n = 2; n < 30; n += 1) await a.append(eventInput(n));
        pipe.restore();
        await waitUntil('B is healthy again', () => b.status().healthy, { withinMs: 15_000 });

        await assert.rejects(onB.next(), { code: 'EVENT_CURSOR_EXPIRED' });
        await assert.rejects(b.subscribe({ after: cursors[1] }), { code: 'EVENT_CURSOR_EXPIRED' });
        const fresh = await b.subscribe();
        await a.append(eventInput(30));
        assert.deepEqual(numbers(await take(fresh, 1)), [30]);
        await Promise.all([a.close(), b.close()]);
      } finally {
        await pipe.close();
      }
    });

    it('keeps accepting and serving its own subscribers, and forwards to the other replica once Redis is back', async () => {
      const keyPrefix = newPrefix();
      const changes: boolean[] = [];
      const a = await open({ keyPrefix, onRedisStateChange: (reachable) => changes.push(reachable) });
      const b = await open({ keyPrefix });
      const [onA, onB] = [await a.subscribe(), await b.subscribe()];
      await a.append(eventInput(0));
      assert.deepEqual(numbers(await take(onB, 1)), [0]);
      assert.deepEqual(numbers(await take(onA, 1)), [0]);

      await redis.stop();
      await waitUntil('A notices', () => !a.status().healthy, REDIS_WAIT);
      await assert.rejects(a.history({}), { code: 'EVENT_STORE_UNAVAILABLE' });
      for (let n = 1; n <= 5; n += 1) assert.equal((await a.append(eventInput(n))).duplicate, false);
      for (let n = 6; n <= 8; n += 1) await b.append(eventInput(n));
      assert.deepEqual(numbers(await take(onA, 5)), [1, 2, 3, 4, 5]);
      assert.deepEqual(numbers(await take(onB, 3)), [6, 7, 8]);
      const degraded = a.status();
      assert.equal(degraded.healthy, false);
      assert.equal(degraded.awaitingRedis, 5);
      assert.match(degraded.degraded.join(' '), /Redis is unreachable/);
      assert.doesNotMatch(JSON.stringify(degraded), /127\.0\.0\.1|redis:\/\//);

      await redis.start();
      await waitUntil('both replicas are healthy again', () => a.status().healthy && b.status().healthy, {
        withinMs: 15_000,
      });
      assert.deepEqual(numbers(await take(onA, 3)), [6, 7, 8]);
      assert.deepEqual(numbers(await take(onB, 5)), [1, 2, 3, 4, 5]);
      await a.append(eventInput(9));
      assert.deepEqual(numbers(await take(onA, 1)), [9]);
      assert.deepEqual(numbers(await take(onB, 1)), [9]);
      assert.equal(await nothingBefore(a, [onA, onB]), true);
      assert.deepEqual(changes, [true, false, true]);
      await Promise.all([a.close(), b.close()]);
    });

    it('loses nothing and repeats nothing when Redis is killed and restarted mid-stream', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix });
      const b = await open({ keyPrefix });
      const [onA, onB] = [await a.subscribe(), await b.subscribe()];
      const total = 300;
      let appended = 0;
      let appendedDuringOutage = 0;
      const appending = (async () => {
        for (let n = 0; n < total; n += 1) {
          await (n % 3 === 0 ? b : a).append(eventInput(n));
          appended += 1;
          if (!a.status().healthy) appendedDuringOutage += 1;
          // Paced, so that the appends span the restart.
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await waitUntil('the stream is under way', () => appended >= total / 10);
      await redis.restart();
      await appending;
      assert.ok(appendedDuringOutage > 0, 'some events were appended while Redis was away');
      await waitUntil('both replicas are healthy again', () => a.status().healthy && b.status().healthy, {
        withinMs: 15_000,
      });
      for (const events of [onA, onB]) {
        const taken = numbers(await take(events, total, 15_000));
        assert.deepEqual(
          [...taken].sort((x, y) => x - y),
          range(0, total),
        );
      }
      assert.equal(await nothingBefore(a, [onA, onB]), true);
      await Promise.all([a.close(), b.close()]);
    });

    it('does not let a hung Redis block append for longer than the command timeout', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix, commandTimeoutMs: 300 });
      const events = await a.subscribe();
      redis.pause();
      try {
        const started = Date.now();
        for (let n = 0; n < 5; n += 1) await a.append(eventInput(n));
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
        assert.deepEqual(numbers(await take(events, 5)), range(0, 5));
        assert.equal(a.status().healthy, false);
      } finally {
        redis.resume();
      }
      await waitUntil('A is healthy again', () => a.status().healthy, { withinMs: 15_000 });
      assert.equal(a.status().awaitingRedis, 0);
      assert.equal(await nothingBefore(a, [events]), true);
      await a.close();
    });

    it('refuses with EVENT_STORE_UNAVAILABLE once its outage queue is full, and accepts again when Redis is back', async () => {
      const keyPrefix = newPrefix();
      const a = await open({ keyPrefix, maxQueuedEvents: 3 });
      await redis.stop();
      try {
        await waitUntil('A notices', () => !a.status().healthy, REDIS_WAIT);
        for (let n = 0; n < 3; n += 1) await a.append(eventInput(n));
        const overflow = eventInput(3);
        await assert.rejects(a.append(overflow), { code: 'EVENT_STORE_UNAVAILABLE' });
        await redis.start();
        await waitUntil('A is healthy again', () => a.status().healthy, { withinMs: 15_000 });
        assert.equal((await a.append(overflow)).duplicate, false, 'the refused delivery was not remembered');
      } finally {
        await redis.start();
      }
      await a.close();
    });

    it('starts without Redis, serves locally, and closes promptly', async () => {
      const store = createRedisEventStore({ redis: 'redis://127.0.0.1:1', keyPrefix: newPrefix() });
      const events = await store.subscribe();
      await store.append(eventInput(1));
      assert.deepEqual(numbers(await take(events, 1)), [1]);
      assert.equal(store.status().healthy, false);
      const started = Date.now();
      await store.close();
      assert.ok(Date.now() - started < 3000);
    });
  });
});
