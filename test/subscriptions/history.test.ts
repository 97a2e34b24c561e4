import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import { createRedisEventStore } from '../../src/events/redis-event-store.ts';
import {
  RecentSystemHookEventsDocument,
  SystemHookEventsDocument,
  type SystemHookEventType,
} from '../generated/graphql.ts';
import { USER_TOKEN } from '../helpers/credentials.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { type EventStack, startEventStack, startStack } from '../helpers/stack.ts';
import { closeAll, errorCodes, subscribe, TRANSPORTS, type Transport } from '../helpers/subscribers.ts';
import type { UntypedData } from '../helpers/untyped.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * `Query.systemHookEvents` over HTTP, against events that the embedded GitLab delivers to the gateway's receiver:
 * the list a frontend shows before it subscribes, and the hand-off from it to the subscription.
 */

const SUBSCRIPTION = print(SystemHookEventsDocument);
const NAMES = ['project_create', 'user_create'] as const;

/** Emits events through the embedded GitLab, alternating project_create and user_create; returns their ids. */
async function emit(stack: EventStack, count: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) {
    const emitted = stack.gitlab.emitSystemHookEvent({ eventName: NAMES[i % 2] as string });
    await stack.gitlab.deliveriesSettled();
    ids.push(...emitted.deliveries.map((delivery) => delivery.idempotencyKey));
  }
  return ids;
}

/** The `extensions.code` of each error of a response. */
const codesOf = (response: { errors?: { extensions?: { code?: string } }[] }) =>
  response.errors?.map((error) => error.extensions?.code);

type Variables = Parameters<EventStack['request']>[1] & Record<string, unknown>;

describe('systemHookEvents over HTTP', () => {
  let stack: EventStack;
  /** The delivery ids of every event emitted, in order. */
  let emitted: string[];

  before(async () => {
    stack = await startEventStack();
    await stack.addReceiverHook();
    emitted = await emit(stack, 55);
  });
  after(() => stack.close());

  const list = (variables: Variables = {}, token?: string | null) =>
    stack.request(RecentSystemHookEventsDocument, variables, { token });
  const page = async (variables: Variables = {}) => {
    const response = await list(variables);
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    return response.data?.systemHookEvents as NonNullable<
      NonNullable<typeof response.data>['systemHookEvents']
    >;
  };
  const idsOf = (connection: { edges: { node: { deliveryId: string } }[] }) =>
    connection.edges.map((edge) => edge.node.deliveryId);

  it('shows the newest 50 by default, newest last, with the events’ own cursors and the count', async () => {
    const connection = await page();
    assert.deepEqual(idsOf(connection), emitted.slice(5));
    assert.equal(connection.count, 55);
    assert.deepEqual(
      { ...connection.pageInfo },
      {
        hasPreviousPage: true,
        hasNextPage: false,
        startCursor: connection.edges[0]?.cursor,
        endCursor: connection.edges.at(-1)?.cursor,
      },
    );
    for (const edge of connection.edges) assert.equal(edge.cursor, edge.node.cursor);
    assert.equal(connection.edges[0]?.node.__typename, 'UserSystemHookEvent');
  });

  it('pages forward and backward, meeting every event once, in order', async () => {
    const forward: string[] = [];
    let afterCursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const connection = await page({ first: 20, after: afterCursor });
      forward.push(...idsOf(connection));
      if (!connection.pageInfo.hasNextPage) break;
      afterCursor = connection.pageInfo.endCursor ?? null;
    }
    assert.deepEqual(forward, emitted);
    const backward: string[] = [];
    let beforeCursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const connection = await page({ last: 20, before: beforeCursor });
      backward.unshift(...idsOf(connection));
      if (!connection.pageInfo.hasPreviousPage) break;
      beforeCursor = connection.pageInfo.startCursor ?? null;
    }
    assert.deepEqual(backward, emitted);
  });

  it('keeps only the types asked for, in the edges and in the count', async () => {
    const projects = await page({ types: ['PROJECT_CREATE'], last: 100 });
    assert.deepEqual(
      idsOf(projects),
      emitted.filter((_, i) => i % 2 === 0),
    );
    assert.equal(projects.count, 28);
    assert.ok(projects.edges.every((edge) => edge.node.type === 'PROJECT_CREATE'));
    const none = await page({ types: ['PUSH'] });
    assert.deepEqual([none.edges, none.count, none.pageInfo.hasPreviousPage], [[], 0, false]);
    assert.equal((await page({ types: [] })).count, 55);
  });

  for (const transport of TRANSPORTS) {
    it(`hands over to a subscription ${transport === 'sse' ? 'over SSE' : 'over WebSocket'} after the newest edge, with no gap and no repeat`, async () => {
      const newest = (await page({ last: 50 })).pageInfo.endCursor;
      // Delivered between the list and the subscribe: the subscription's replay must bring it.
      const between = await emit(stack, 1);
      const subscriber = subscribe(stack, transport, { query: SUBSCRIPTION, variables: { after: newest } });
      await waitUntil('subscribed', () => stack.store.status().subscribers === 1);
      const live = await emit(stack, 2);
      const events = await subscriber.waitForEvents(3);
      assert.deepEqual(
        events.map((event: UntypedData) => event.deliveryId),
        [...between, ...live],
      );
      await closeAll([subscriber], stack.store);
      emitted.push(...between, ...live);
      // The list holds them too, and the subscription saw nothing the list had shown.
      assert.deepEqual(idsOf(await page({ last: 3 })), [...between, ...live]);
    });
  }

  const refusals: [what: string, token: string | null, code: string][] = [
    ['a user who is not an administrator', USER_TOKEN, 'FORBIDDEN'],
    ['a token GitLab does not know', 'glpat-unknown-test-token-0009', 'UNAUTHENTICATED'],
    ['no token', null, 'UNAUTHENTICATED'],
  ];
  for (const [what, token, code] of refusals) {
    it(`refuses ${what} with ${code}, showing no event`, async () => {
      stack.gitlab.resetRequestLog();
      const response = await list({}, token);
      assert.deepEqual(codesOf(response), [code]);
      assert.equal(response.data, null);
      assert.ok(stack.upstreamRequests().length <= 1);
    });
  }

  it('refuses what is not a cursor or a page size with BAD_USER_INPUT before asking GitLab', async () => {
    const bad: Variables[] = [
      { after: 'nonsense' },
      { before: '' },
      { after: '18446744073709551616-0' },
      { before: '0-18446744073709551616' },
      { after: 'x'.repeat(10_000) },
      { first: 101 },
      { last: -1 },
      { first: 2 ** 31 - 1 },
    ];
    for (const variables of bad) {
      stack.gitlab.resetRequestLog();
      const response = await list(variables);
      assert.deepEqual(codesOf(response), ['BAD_USER_INPUT'], JSON.stringify(variables).slice(0, 100));
      assert.deepEqual(stack.upstreamRequests(), [], 'GitLab was not asked');
    }
  });

  it('refuses a cursor of another store or stream as the subscription does, changing nothing', async () => {
    const other = createMemoryEventStore();
    const { cursor: otherCursor } = await other.append({
      deliveryId: 'other-store-1',
      eventName: 'project_create',
      receivedAt: new Date().toISOString(),
      verifiedBy: 'TOKEN',
      instance: null,
      gitlabVersion: null,
      eventUuid: null,
      attemptId: null,
      bodyBytes: 2,
      payload: {},
    });
    await other.close();
    const before = await page();
    const own = before.pageInfo.endCursor as string;
    // An earlier process's cursor (another store's) and a stream id (an earlier process's with Redis) expired, as
    // docs/errors.md says of the subscription; one of this store's that it never handed out is bad input.
    const cases: [cursor: string, code: string][] = [
      [otherCursor, 'EVENT_CURSOR_EXPIRED'],
      ['1718000000000-0', 'EVENT_CURSOR_EXPIRED'],
      [own.replace(/\.\d+$/, '.99999'), 'BAD_USER_INPUT'],
    ];
    for (const [cursor, code] of cases) {
      for (const variables of [{ after: cursor }, { before: cursor }]) {
        const response = await list(variables);
        assert.deepEqual(codesOf(response), [code], cursor);
        assert.doesNotMatch(JSON.stringify(response.errors), /glpat-|receiver-test-token/);
      }
      const subscriber = subscribe(stack, 'sse', { query: SUBSCRIPTION, variables: { after: cursor } });
      assert.deepEqual(errorCodes(subscriber, await subscriber.waitForEnd()), [code], cursor);
      await subscriber.close();
    }
    assert.deepEqual(await page(), before);
    assert.equal(stack.store.status().healthy, true);
  });

  it('refuses a cursor whose event has left the retention with EVENT_CURSOR_EXPIRED', async () => {
    const small = await startEventStack({ events: { retention: 3 } });
    try {
      await small.addReceiverHook();
      await emit(small, 1);
      const [oldest] =
        (await small.request(RecentSystemHookEventsDocument, {})).data?.systemHookEvents.edges ?? [];
      await emit(small, 3);
      const response = await small.request(RecentSystemHookEventsDocument, { after: oldest?.cursor });
      assert.deepEqual(codesOf(response), ['EVENT_CURSOR_EXPIRED']);
    } finally {
      await small.close();
    }
  });
});

describe('systemHookEvents names the stream to subscribe after, also with no edge', () => {
  /** What a frontend does: read the list, then subscribe after its `streamCursor`. */
  async function readThenSubscribe(
    stack: EventStack,
    transport: Transport,
    types: SystemHookEventType[] | null,
    emitBetween: () => Promise<string[]>,
  ) {
    const response = await stack.request(RecentSystemHookEventsDocument, { types });
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    const connection = response.data?.systemHookEvents;
    assert.deepEqual([connection?.edges, connection?.count, connection?.pageInfo.endCursor], [[], 0, null]);
    const streamCursor = connection?.streamCursor as string;
    assert.equal(typeof streamCursor, 'string');
    // Delivered between the read and the subscribe: the list did not show it, the subscription must bring it.
    const between = await emitBetween();
    const subscriber = subscribe(stack, transport, {
      query: SUBSCRIPTION,
      variables: { after: streamCursor, types },
    });
    await waitUntil('subscribed', () => stack.store.status().subscribers === 1);
    return { streamCursor, between, subscriber };
  }

  for (const transport of TRANSPORTS) {
    const over = transport === 'sse' ? 'over SSE' : 'over WebSocket';

    it(`hands an empty history over to a subscription ${over}, each event once`, async () => {
      const stack = await startEventStack();
      try {
        await stack.addReceiverHook();
        const { streamCursor, between, subscriber } = await readThenSubscribe(stack, transport, null, () =>
          emit(stack, 1),
        );
        const live = await emit(stack, 2, 1);
        // In order: a repeat of the event between would come before the live ones.
        const events = await subscriber.waitForEvents(3);
        assert.deepEqual(
          events.map((event: UntypedData) => event.deliveryId),
          [...between, ...live],
        );
        await closeAll([subscriber], stack.store);
        const since = await stack.request(RecentSystemHookEventsDocument, { after: streamCursor, first: 10 });
        assert.deepEqual(
          since.data?.systemHookEvents.edges.map((edge) => edge.node.deliveryId),
          [...between, ...live],
        );
      } finally {
        await stack.close();
      }
    });

    it(`hands a history with no event of the types over to a subscription ${over}, each event once`, async () => {
      const stack = await startEventStack();
      try {
        await stack.addReceiverHook();
        // A project_create, and no user_create yet: the page of user_create is empty, the stream is not.
        await emit(stack, 1);
        const newest = (await stack.request(RecentSystemHookEventsDocument, { last: 1 })).data
          ?.systemHookEvents;
        const { streamCursor, between, subscriber } = await readThenSubscribe(
          stack,
          transport,
          ['USER_CREATE'],
          () => emit(stack, 2, 1),
        );
        assert.equal(streamCursor, newest?.edges[0]?.cursor);
        const live = await emit(stack, 3, 3);
        const events = await subscriber.waitForEvents(3);
        // user_create only: the first of those between, then the first and the last live one.
        assert.deepEqual(
          events.map((event: UntypedData) => event.deliveryId),
          [between[0], live[0], live[2]],
        );
        await closeAll([subscriber], stack.store);
      } finally {
        await stack.close();
      }
    });
  }
});

describe('systemHookEvents on a gateway that receives no events', () => {
  it('fails with EVENTS_DISABLED', async () => {
    const stack = await startStack();
    try {
      const response = await stack.request(RecentSystemHookEventsDocument, {});
      assert.deepEqual(codesOf(response), ['EVENTS_DISABLED']);
    } finally {
      await stack.close();
    }
  });
});

/** Two gateways sharing one Redis, the receiver hook delivering to A: started before the suite, closed after. */
function twoReplicasOnRedis(keyPrefix: string): { a: EventStack; b: EventStack } {
  const replicas = {} as { a: EventStack; b: EventStack };
  let redis: RedisServer | undefined;
  before(async () => {
    const server = await startRedisServer();
    redis = server;
    const storeOf = () => createRedisEventStore({ redis: server.url, keyPrefix });
    replicas.a = await startEventStack({ events: { store: storeOf() } });
    replicas.b = await startEventStack({ events: { store: storeOf() } });
    for (const stack of [replicas.a, replicas.b])
      await waitUntil('the store reaches Redis', () => stack.store.status().healthy, { withinMs: 10_000 });
    await replicas.a.addReceiverHook();
  });
  after(async () => {
    await Promise.all([replicas.a?.close(), replicas.b?.close()]);
    await redis?.close();
  });
  return replicas;
}

describe('systemHookEvents through Redis', () => {
  const replicas = twoReplicasOnRedis(`history-${process.pid}`);

  it('lists on one replica what the other received, and hands over to a subscription there', async () => {
    const { a, b } = replicas;
    const received = await emit(a, 6);
    const response = await b.request(RecentSystemHookEventsDocument, {
      last: 4,
      types: ['PROJECT_CREATE', 'USER_CREATE'],
    });
    const connection = response.data?.systemHookEvents;
    assert.deepEqual(
      connection?.edges.map((edge) => edge.node.deliveryId),
      received.slice(2),
    );
    assert.equal(connection?.count, 6);
    assert.equal(connection?.pageInfo.hasPreviousPage, true);
    const projects = await b.request(RecentSystemHookEventsDocument, { types: ['PROJECT_CREATE'] });
    assert.equal(projects.data?.systemHookEvents.count, 3);

    const between = await emit(a, 1, 6);
    const subscriber = subscribe(b, 'sse', {
      query: SUBSCRIPTION,
      variables: { after: connection?.pageInfo.endCursor },
    });
    await waitUntil('subscribed', () => b.store.status().subscribers === 1);
    const live = await emit(a, 1, 7);
    const events = await subscriber.waitForEvents(2);
    assert.deepEqual(
      events.map((event: UntypedData) => event.deliveryId),
      [...between, ...live],
    );
    await closeAll([subscriber], b.store);
  });
});

describe('systemHookEvents through Redis, from a stream not yet written', () => {
  const replicas = twoReplicasOnRedis(`history-empty-${process.pid}`);

  // Over SSE with no event in the stream at all; then over WebSocket with none of the type asked for (the events
  // of the first are project_create: emit's even indexes).
  const runs: [Transport, SystemHookEventType[] | null, number][] = [
    ['sse', null, 0],
    ['ws', ['USER_CREATE'], 1],
  ];
  for (const [transport, types, from] of runs) {
    it(`hands an empty page on one replica over to a subscription on the other ${transport === 'sse' ? 'over SSE, types null' : 'over WebSocket, types USER_CREATE'}`, async () => {
      const { a, b } = replicas;
      const response = await b.request(RecentSystemHookEventsDocument, { types });
      const page = response.data?.systemHookEvents;
      assert.deepEqual([page?.edges, page?.count, page?.pageInfo.endCursor], [[], 0, null]);
      // Delivered through A between B's read and the subscribe on B.
      const between = await emit(a, 1, from);
      const subscriber = subscribe(b, transport, {
        query: SUBSCRIPTION,
        variables: { after: page?.streamCursor, types },
      });
      await waitUntil('subscribed', () => b.store.status().subscribers === 1);
      const live = await emit(a, 1, from + 2);
      const events = await subscriber.waitForEvents(2);
      assert.deepEqual(
        events.map((event: UntypedData) => event.deliveryId),
        [...between, ...live],
      );
      await closeAll([subscriber], b.store);
    });
  }
});
