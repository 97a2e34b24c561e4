import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parse } from 'graphql';
import type { EventStore } from '../../src/events/event-store.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import type { SystemHookEventInput } from '../../src/events/types.ts';
import { maskGatewayError } from '../../src/graphql/errors.ts';
import { schema } from '../../src/graphql/schema/index.ts';
import { SubscriptionGroups } from '../../src/graphql/subscription-groups.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { projectCreate } from '../helpers/deliveries.ts';
import { RawSseSubscriber, RawWsSubscriber } from '../helpers/raw-subscribers.ts';
import { type EventStack, startEventStack } from '../helpers/stack.ts';
import type { OperationPayload } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * The grouped fan-out against ordinary execution. Two gateways read one event store: one groups its
 * subscribers (the default), the other executes and writes every subscriber's events on its own, as Yoga and
 * graphql-ws do (`groupSubscriptions: false`). Subscribers of many selections and variables, over SSE and
 * WebSocket, subscribe to both; the same events (with errors, nulls, several types) reach them; each grouped
 * subscriber must receive exactly the bytes its twin on the ordinary gateway receives, so that no subscriber
 * gets another group's answer and grouping changes no answer. Then bursts: one write carries several events,
 * in order.
 */

/** `{"a":[[[...]]]}` nesting `depth` levels: more than a result may nest to be serialized. */
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let level = 1; level < depth; level += 1) value = [value];
  return value;
}

const project = (name: string) => JSON.parse(projectCreate(name).body) as Record<string, unknown>;

/** Events that exercise the answers: plain, a field that fails, nulls, another type, one that cannot be sent. */
const PAYLOADS: Record<string, unknown>[] = [
  project('alpha'),
  // Stored with a `receivedAt` that is no date (see `eventOf`): a non-null field fails, its parent is null.
  { ...project('bad-received-at') },
  { event_name: 'project_create', project_id: 7 },
  {
    event_name: 'user_create',
    created_at: '2026-03-01T10:00:00Z',
    name: 'Ada',
    email: 'ada@example.com',
    username: 'ada',
    user_id: 41,
  },
  { ...project('too-deep'), extra: nested(2_100) },
  { object_kind: 'something_new', value: null },
  // Text beyond ASCII, in 2, 3 and 4 bytes of UTF-8: the SSE frames are encoded to bytes once per group.
  { ...project('unicode'), name: 'Grüße, 名前 🚀', owner_name: 'Zoë \u2028' },
  project('omega'),
];

function eventOf(payload: Record<string, unknown>): SystemHookEventInput {
  return {
    deliveryId: `grouped-${randomUUID()}`,
    eventName: String(payload.event_name ?? payload.object_kind ?? 'unknown'),
    receivedAt: payload.name === 'bad-received-at' ? 'not a date' : '2026-03-01T10:00:01.000Z',
    verifiedBy: 'TOKEN',
    instance: 'https://gitlab.example.com',
    gitlabVersion: null,
    eventUuid: null,
    attemptId: null,
    bodyBytes: 100,
    payload,
  };
}

const EVERY_FIELD = /* GraphQL */ `
  subscription Every($after: String) {
    systemHookEventReceived(after: $after) {
      __typename cursor deliveryId eventName type verifiedBy receivedAt instance gitlabVersion payload
      ... on ProjectSystemHookEvent { name projectId pathWithNamespace createdAt }
      ... on UserSystemHookEvent { username email }
    }
  }
`;

const FRAGMENTS = /* GraphQL */ `
  subscription Fragments {
    first: systemHookEventReceived {
      ...Identity
      kind: __typename
      ... on ProjectSystemHookEvent { project: name when: createdAt }
    }
  }
  fragment Identity on SystemHookEvent { id: cursor event: eventName }
`;

const SEVERAL = /* GraphQL */ `
  subscription One { systemHookEventReceived { cursor } }
  subscription Two($after: String) { systemHookEventReceived(after: $after) { eventName __typename } }
`;

const VARIABLES = /* GraphQL */ `
  subscription Variables($full: Boolean!, $after: String) {
    systemHookEventReceived(after: $after) {
      cursor
      payload @include(if: $full)
      ... on ProjectSystemHookEvent { createdAt @skip(if: $full) }
    }
  }
`;

const OPERATIONS: Record<string, OperationPayload> = {
  every: { query: EVERY_FIELD, variables: { after: null } },
  fragments: { query: FRAGMENTS },
  'several, One': { query: SEVERAL, operationName: 'One' },
  'several, Two': { query: SEVERAL, operationName: 'Two', variables: { after: null } },
  'variables, full': { query: VARIABLES, variables: { full: true, after: null } },
  'variables, not full': { query: VARIABLES, variables: { full: false } },
};

interface Twins {
  grouped: { sse: RawSseSubscriber; ws: RawWsSubscriber };
  plain: { sse: RawSseSubscriber; ws: RawWsSubscriber };
}

async function openOn(stack: EventStack, payload: OperationPayload) {
  return {
    sse: await RawSseSubscriber.open(stack.url, payload, ADMIN_TOKEN),
    ws: await RawWsSubscriber.open(stack.wsUrl, payload, ADMIN_TOKEN),
  };
}

describe('subscribers grouped by what they would receive', () => {
  let store: EventStore;
  let grouped: EventStack;
  let plain: EventStack;
  const twins = new Map<string, Twins>();
  let doubled: { sse: RawSseSubscriber; ws: RawWsSubscriber };

  before(async () => {
    store = createMemoryEventStore();
    grouped = await startEventStack({ events: { store } });
    plain = await startEventStack({ events: { store }, gateway: { groupSubscriptions: false } });
    for (const [name, payload] of Object.entries(OPERATIONS)) {
      twins.set(name, { grouped: await openOn(grouped, payload), plain: await openOn(plain, payload) });
    }
    // A second member of the `every` group.
    doubled = await openOn(grouped, OPERATIONS.every as OperationPayload);
    const expected = (twins.size * 2 + 1) * 2;
    await waitUntil(
      () => `${expected} subscriptions open; the store has ${store.status().subscribers}`,
      () => store.status().subscribers === expected,
    );
    for (const payload of PAYLOADS) await store.append(eventOf(payload));
  });
  after(async () => {
    for (const pair of [...twins.values()].flatMap((twin) => [twin.grouped, twin.plain]).concat(doubled)) {
      pair.sse.close();
      pair.ws.close();
    }
    await grouped.close();
    await plain.close();
  });

  const received = (pair: { sse: RawSseSubscriber; ws: RawWsSubscriber }) => ({
    sse: pair.sse.nextData(),
    ws: pair.ws.nextMessages(),
  });

  for (const name of Object.keys(OPERATIONS)) {
    it(`answers "${name}" with the bytes of ordinary execution, over SSE and WebSocket`, async () => {
      const twin = twins.get(name) as Twins;
      await waitUntil(`every subscriber of "${name}" has every event`, () =>
        [twin.grouped, twin.plain].every(
          (pair) =>
            pair.sse.nextData().length === PAYLOADS.length &&
            pair.ws.nextMessages().length === PAYLOADS.length,
        ),
      );
      assert.deepEqual(received(twin.grouped), received(twin.plain));
    });
  }

  it('gave answers with errors, nulls and several types, so that the comparison above covers them', () => {
    const every = received((twins.get('every') as Twins).plain).sse.map(
      (text) => JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[] },
    );
    const codes = every.flatMap((answer) => answer.errors?.map((error) => error.extensions?.code) ?? []);
    assert.ok(codes.includes('INTERNAL_SERVER_ERROR'), JSON.stringify(codes));
    assert.ok(
      every.some((answer) => answer.errors?.some((error) => 'path' in error)),
      JSON.stringify(every.map((answer) => answer.errors)),
    );
    const texts = received((twins.get('every') as Twins).plain).sse.join('\n');
    for (const part of [
      '"__typename":"UserSystemHookEvent"',
      '"name":null',
      '"type":"UNKNOWN"',
      '"systemHookEventReceived":null',
      '"name":"Grüße, 名前 🚀"',
    ])
      assert.ok(texts.includes(part), part);
  });

  it('sends each selection and each set of variables its own bytes, never another group’s', () => {
    // Each grouped subscriber received what its own twin did (above); here, those are different answers, so
    // a subscriber served another group's bytes could not have passed.
    const bySubscriber = [...twins.entries()].map(([name, twin]) => ({ name, ...received(twin.grouped) }));
    for (const [i, one] of bySubscriber.entries()) {
      for (const other of bySubscriber.slice(i + 1)) {
        assert.notDeepEqual(one.sse, other.sse, `${one.name} and ${other.name} over SSE`);
        assert.notDeepEqual(one.ws, other.ws, `${one.name} and ${other.name} over WebSocket`);
      }
    }
  });

  it('sends the members of one group the same bytes', async () => {
    await waitUntil(
      'the second member has every event',
      () => doubled.ws.nextMessages().length === PAYLOADS.length,
    );
    const twin = twins.get('every') as Twins;
    assert.deepEqual(received(doubled), received(twin.grouped));
  });
});

describe('one write per subscriber and flush', () => {
  let stack: EventStack;
  let plainStack: EventStack;

  before(async () => {
    stack = await startEventStack();
    plainStack = await startEventStack({ gateway: { groupSubscriptions: false } });
  });
  after(async () => {
    await stack.close();
    await plainStack.close();
  });

  const BURST = 50;

  async function burst(target: EventStack) {
    const payload = OPERATIONS.every as OperationPayload;
    const sse = await RawSseSubscriber.open(target.url, payload, ADMIN_TOKEN);
    const ws = await RawWsSubscriber.open(target.wsUrl, payload, ADMIN_TOKEN);
    await waitUntil('both subscriptions open', () => target.store.status().subscribers === 2);
    const names = Array.from({ length: BURST }, (_, n) => `burst-${n}`);
    // Appended in one turn of the event loop, as the receiver does with deliveries that arrive together.
    await Promise.all(names.map((name) => target.store.append(eventOf(project(name)))));
    await waitUntil(
      'every event arrives',
      () => sse.nextData().length === BURST && ws.nextMessages().length === BURST,
    );
    const namesOf = (texts: string[], unwrap: (parsed: unknown) => unknown) =>
      texts.map(
        (text) =>
          (unwrap(JSON.parse(text)) as { data: { systemHookEventReceived: { name: string } } }).data
            .systemHookEventReceived.name,
      );
    const order = {
      sse: namesOf(sse.nextData(), (answer) => answer),
      ws: namesOf(ws.nextMessages(), (message) => (message as { payload: unknown }).payload),
    };
    sse.close();
    ws.close();
    await waitUntil('both subscriptions closed', () => target.store.status().subscribers === 0);
    return { names, order, framesPerChunk: sse.framesPerChunk() };
  }

  it('carries a burst of events to an SSE subscriber in a few writes, in order (WebSocket in order too)', async (t) => {
    const { names, order, framesPerChunk } = await burst(stack);
    t.diagnostic(`${BURST} events came in ${framesPerChunk.length} chunks: ${framesPerChunk.join(', ')}`);
    assert.deepEqual(order, { sse: names, ws: names });
    assert.ok(framesPerChunk.length <= 5, `${framesPerChunk.length} chunks`);
  });

  it('is what ordinary execution does not do: one chunk per event', async (t) => {
    const { names, order, framesPerChunk } = await burst(plainStack);
    t.diagnostic(`without grouping, ${BURST} events came in ${framesPerChunk.length} chunks`);
    assert.deepEqual(order, { sse: names, ws: names });
    assert.equal(framesPerChunk.length, BURST);
  });
});

describe('the group key', () => {
  const groups = new SubscriptionGroups({
    maskError: (error) => maskGatewayError(error, 'Unexpected error.'),
  });
  const document = parse(EVERY_FIELD);
  const args = (variables: Record<string, unknown>) => ({ schema, document, variableValues: variables });

  it('puts subscribers of different scopes in different groups, whose answers are their own', () => {
    const one = groups.join(args({ after: null }), 'scope-a');
    const other = groups.join(args({ after: null }), 'scope-b');
    assert.notEqual(one, other);
    const event = { ...eventOf(project('scoped')), cursor: 'c.1' };
    assert.notEqual(one.answer(event), other.answer(event), 'each group executes for itself');
    assert.equal(one.answer(event), one.answer(event), 'once per group');
    one.leave();
    other.leave();
    assert.equal(groups.count, 0, 'no group outlives its members');
  });

  it('groups subscribers that differ only in where they resume', () => {
    const one = groups.join(args({ after: 'x.1' }), 'scope-a');
    const other = groups.join(args({ after: null }), 'scope-a');
    assert.equal(one, other);
    assert.equal(one.size, 2);
    one.leave();
    other.leave();
  });

  it('keeps a variable used anywhere but `after` in the key', () => {
    const reused = parse(/* GraphQL */ `
      subscription A($after: String) { systemHookEventReceived(after: $after) { cursor } }
      subscription B($after: String) { systemHookEventReceived(after: $after) { eventName } }
    `);
    const one = groups.join({ schema, document: parse(VARIABLES), variableValues: { full: true } }, 's');
    const other = groups.join({ schema, document: parse(VARIABLES), variableValues: { full: false } }, 's');
    assert.notEqual(one, other);
    // Only ever `after`, in each operation of the document: one group.
    const a = groups.join(
      { schema, document: reused, operationName: 'B', variableValues: { after: 'x.1' } },
      's',
    );
    const b = groups.join(
      { schema, document: reused, operationName: 'B', variableValues: { after: 'x.2' } },
      's',
    );
    assert.equal(a, b);
    for (const group of [one, other, a, b]) group.leave();
    assert.equal(groups.count, 0);
  });

  it('keeps a bounded text of answers per group, whatever the size of the events', () => {
    const group = groups.join(args({ after: null }), 'large');
    const events = Array.from({ length: 20 }, (_, n) => ({
      ...eventOf({ ...project(`large-${n}`), description: 'x'.repeat(200_000) }),
      cursor: `c.${n}`,
    }));
    const first = events.map((event) => group.answer(event));
    assert.equal(group.answer(events[19] as never), first[19], 'the newest is kept');
    assert.notEqual(
      group.answer(events[0] as never),
      first[0],
      'the oldest was dropped, and is executed again',
    );
    assert.equal(group.answer(events[0] as never).sse, first[0]?.sse, 'to the same bytes');
    group.leave();
  });

  it('keeps every variable a client sends in the key, `__proto__` too, and none it sends in another order', () => {
    const sent = (json: string) => ({ schema, document, variableValues: JSON.parse(json) });
    const one = groups.join(sent('{"__proto__": {"x": 1}, "a": [1, {"b": 2, "c": 3}]}'), 's');
    const other = groups.join(sent('{"__proto__": {"x": 2}, "a": [1, {"b": 2, "c": 3}]}'), 's');
    const reordered = groups.join(sent('{"a": [1, {"c": 3, "b": 2}], "__proto__": {"x": 1}}'), 's');
    const list = groups.join(sent('{"__proto__": {"x": 1}, "a": [[1], {"b": 2, "c": 3}]}'), 's');
    assert.notEqual(one, other);
    assert.equal(one, reordered);
    assert.notEqual(one, list);
    for (const group of [one, other, reordered, list]) group.leave();
    assert.equal(groups.count, 0);
  });
});
