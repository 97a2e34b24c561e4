import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  print,
} from 'graphql';
import {
  eventNameOf,
  eventsOfFamily,
  type KnownSystemHookEventFamily,
  systemHookEventInfo,
} from '../../src/events/catalogue.ts';
import { schema } from '../../src/graphql/schema/index.ts';
import { SystemHookEventsDocument, TestSystemHookDocument } from '../generated/graphql.ts';
import { selectionOf } from '../helpers/selection.ts';
import { type EventStack, gid, RECEIVER_SIGNING_SECRET, startEventStack } from '../helpers/stack.ts';
import { closeAll, type Subscriber, subscribe, TRANSPORTS } from '../helpers/subscribers.ts';
import type { UntypedData } from '../helpers/untyped.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * System hook events end to end through the public surface: the embedded GitLab delivers to the gateway's
 * receiver, and subscribers over SSE (`graphql-sse`) and WebSocket (`graphql-ws`) see each event typed.
 */

type Json = Record<string, unknown>;

const FIXTURES = new URL('../fixtures/system-hook-events/', import.meta.url);
const FIXTURE_FILES = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .sort();
const fixture = (file: string) => JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as Json;

const TYPE_OF_FAMILY: Record<KnownSystemHookEventFamily, string> = {
  project: 'ProjectSystemHookEvent',
  group: 'GroupSystemHookEvent',
  user: 'UserSystemHookEvent',
  key: 'KeySystemHookEvent',
  projectMember: 'ProjectMemberSystemHookEvent',
  groupMember: 'GroupMemberSystemHookEvent',
  push: 'PushSystemHookEvent',
  tagPush: 'TagPushSystemHookEvent',
  repositoryUpdate: 'RepositoryUpdateSystemHookEvent',
  mergeRequest: 'MergeRequestSystemHookEvent',
  memberApproval: 'MemberApprovalSystemHookEvent',
};

const eventInterface = schema.getType('SystemHookEvent') as GraphQLInterfaceType;
assert.ok(isInterfaceType(eventInterface));
const INTERFACE_FIELDS = new Set(Object.keys(eventInterface.getFields()));

/**
 * A frontend's subscription to one family's events (by `types`) that selects every field of its type. One
 * document for every family would be over the default complexity limit, and could not select both `changes`
 * (a JSON object on merge requests, a list on repository updates) without an alias.
 */
function familySubscription(typename: string, types: readonly string[]): string {
  const type = schema.getType(typename) as GraphQLObjectType;
  return `subscription ${typename} {
    systemHookEventReceived(types: [${types.join(', ')}]) {
      __typename
      ${selectionOf(eventInterface)}
      ... on ${typename} { ${selectionOf(type, INTERFACE_FIELDS)} }
    }
  }`;
}

const snakeCase = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
/** The one typed field not named after its payload key. */
const RENAMED: Readonly<Record<string, string>> = { keyId: 'id' };

/** A GitLab time as UTC ISO 8601: GitLab writes ISO 8601 with an offset, or (older) `YYYY-MM-DD HH:MM:SS UTC`. */
function utc(raw: string): string {
  const ruby = /^(\S+) (\S+) (?:UTC|([+-]\d\d)(\d\d))$/.exec(raw);
  const iso = ruby ? `${ruby[1]}T${ruby[2]}${ruby[3] === undefined ? 'Z' : `${ruby[3]}:${ruby[4]}`}` : raw;
  return new Date(iso).toISOString();
}

/** A typed value equals what the payload sent at its key, as the field's type presents it. */
function assertValue(value: unknown, raw: unknown, type: GraphQLOutputType, at: string): void {
  if (raw === null || raw === undefined) {
    assert.equal(value, null, `${at} is not null, but the payload has no value`);
    return;
  }
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    assert.ok(Array.isArray(value) && Array.isArray(raw), `${at} is a list`);
    assert.equal(value.length, raw.length, `${at} has every item`);
    for (const [index, item] of value.entries())
      assertValue(item, raw[index], nullable.ofType, `${at}[${index}]`);
    return;
  }
  const named = getNamedType(type);
  if (isObjectType(named)) assertTyped(value as Json, raw as Json, named, at);
  else if (named.name === 'ID')
    assert.match(String(value), new RegExp(`^gid://gitlab/[A-Za-z]+/${raw}$`), at);
  else if (named.name === 'DateTime') assert.equal(value, utc(String(raw)), at);
  else assert.deepEqual(value, raw, at);
}

/** Every typed field of `typed` (but `skip`) equals the payload's value at its snake_case key. */
function assertTyped(
  typed: Json,
  raw: Json,
  type: GraphQLObjectType,
  at: string,
  skip = new Set<string>(),
): void {
  const fields = type.getFields();
  for (const [field, value] of Object.entries(typed)) {
    if (skip.has(field) || field === '__typename') continue;
    const definition = fields[field];
    assert.ok(definition, `${at}.${field} is a field of ${type.name}`);
    assertValue(value, raw[RENAMED[field] ?? snakeCase(field)], definition.type, `${at}.${field}`);
  }
}

/** Waits until every subscriber has an event with `deliveryId`; returns each one's. */
async function eventOnEach(subscribers: Subscriber[], deliveryId: string): Promise<UntypedData[]> {
  const find = (subscriber: Subscriber) =>
    subscriber.events.find((event: UntypedData) => event.deliveryId === deliveryId);
  await waitUntil(
    () => `delivery ${deliveryId} on every subscriber`,
    () => subscribers.every((subscriber) => find(subscriber) !== undefined),
  );
  return subscribers.map(find);
}

/** The one delivery an emitted event was planned to make. */
function onlyDelivery(emitted: { deliveries: { idempotencyKey: string }[] }): string {
  assert.equal(emitted.deliveries.length, 1, JSON.stringify(emitted.deliveries));
  return (emitted.deliveries[0] as { idempotencyKey: string }).idempotencyKey;
}

/** Opens a subscription over each transport and waits until the store has them all. */
async function subscribeOnEach(stack: EventStack, query: string, variables?: Json): Promise<Subscriber[]> {
  const before = stack.store.status().subscribers;
  const subscribers = TRANSPORTS.map((transport) => subscribe(stack, transport, { query, variables }));
  try {
    await waitUntil(
      () => `every subscriber subscribed; got ${JSON.stringify(subscribers.map((s) => s.results))}`,
      () => stack.store.status().subscribers === before + subscribers.length,
    );
  } catch (error) {
    for (const subscriber of subscribers) await subscriber.close();
    throw error;
  }
  return subscribers;
}

describe('every event of the catalogue, delivered by the embedded GitLab, over SSE and WebSocket', () => {
  let stack: EventStack;
  /** Each family's subscribers, one per transport, by the family's type name. */
  const subscribers = new Map<string, Subscriber[]>();

  before(async () => {
    stack = await startEventStack();
    await stack.addReceiverHook({
      push_events: true,
      tag_push_events: true,
      merge_requests_events: true,
      repository_update_events: true,
    });
    for (const [family, typename] of Object.entries(TYPE_OF_FAMILY)) {
      const types = eventsOfFamily(family as KnownSystemHookEventFamily).map((info) => info.type);
      subscribers.set(typename, await subscribeOnEach(stack, familySubscription(typename, types)));
    }
    subscribers.set(
      'UnknownSystemHookEvent',
      await subscribeOnEach(stack, print(SystemHookEventsDocument), { types: ['UNKNOWN'] }),
    );
  });
  after(async () => {
    await closeAll([...subscribers.values()].flat(), stack.store);
    await stack.close();
  });

  for (const file of FIXTURE_FILES) {
    const payload = fixture(file);
    const eventName = eventNameOf(payload) as string;
    const info = systemHookEventInfo(eventName);
    assert.ok(info, `${file} is in the catalogue`);
    const typename = TYPE_OF_FAMILY[info.family];

    it(`delivers ${file} as ${typename}, its typed fields read from the payload sent`, async () => {
      const deliveryId = onlyDelivery(stack.gitlab.emitSystemHookEvent({ eventName, payload }));
      for (const event of await eventOnEach(subscribers.get(typename) ?? [], deliveryId)) {
        assert.equal(event.__typename, typename);
        assert.equal(event.type, info.type);
        assert.equal(event.eventName, eventName);
        assert.equal(event.verifiedBy, 'TOKEN');
        assert.equal(event.instance, stack.gitlab.url);
        assert.equal(event.gitlabVersion, '19.0.0');
        assert.ok(Math.abs(Date.parse(event.receivedAt) - Date.now()) < 10_000, event.receivedAt);
        assert.match(event.cursor, /\S/);
        // The body as GitLab sent it, key order included.
        assert.equal(JSON.stringify(event.payload), JSON.stringify(payload));
        assertTyped(event, payload, schema.getType(typename) as GraphQLObjectType, file, INTERFACE_FIELDS);
      }
    });
  }

  it('spells out a few typed fields as a frontend reads them', async () => {
    const deliveryId = onlyDelivery(
      stack.gitlab.emitSystemHookEvent({ eventName: 'key_create', payload: fixture('key_create.json') }),
    );
    for (const event of await eventOnEach(subscribers.get('KeySystemHookEvent') ?? [], deliveryId)) {
      assert.equal(event.keyId, 'gid://gitlab/Key/4');
      assert.equal(event.username, 'root');
      // GitLab's older `2014-08-18 18:45:16 UTC`, as UTC ISO 8601.
      assert.equal(event.createdAt, '2014-08-18T18:45:16.000Z');
    }
  });

  it('delivers an event name it does not know as UnknownSystemHookEvent, with its payload', async () => {
    const payload = { event_name: 'project_archived', project_id: 74, archived_at: '2026-11-29T10:00:00Z' };
    const deliveryId = onlyDelivery(
      stack.gitlab.emitSystemHookEvent({ eventName: 'project_archived', payload }),
    );
    for (const event of await eventOnEach(subscribers.get('UnknownSystemHookEvent') ?? [], deliveryId)) {
      assert.equal(event.__typename, 'UnknownSystemHookEvent');
      assert.equal(event.type, 'UNKNOWN');
      assert.equal(event.eventName, 'project_archived');
      assert.deepEqual(event.payload, payload);
    }
  });

  it("sent each family's subscribers that family's events and no other", () => {
    const expected = new Map<string, number>([
      ['UnknownSystemHookEvent', 1],
      ['KeySystemHookEvent', 1],
    ]);
    for (const file of FIXTURE_FILES) {
      const info = systemHookEventInfo(eventNameOf(fixture(file)) as string);
      const typename = TYPE_OF_FAMILY[info?.family as KnownSystemHookEventFamily];
      expected.set(typename, (expected.get(typename) ?? 0) + 1);
    }
    for (const [typename, each] of subscribers) {
      for (const subscriber of each) {
        assert.deepEqual(
          subscriber.events.map((event: UntypedData) => event.__typename),
          Array.from({ length: expected.get(typename) ?? 0 }, () => typename),
        );
      }
    }
  });
});

describe('which events reach a subscriber', () => {
  let stack: EventStack;

  before(async () => {
    stack = await startEventStack();
  });
  after(() => stack.close());

  it('sends only the types asked for', async () => {
    const hook = await stack.addReceiverHook({ push_events: true, tag_push_events: true });
    const subscribers = await subscribeOnEach(stack, print(SystemHookEventsDocument), {
      types: ['PUSH', 'TAG_PUSH'],
    });
    const wanted: string[] = [];
    for (const eventName of ['project_create', 'push', 'user_create', 'tag_push', 'merge_request', 'push']) {
      const emitted = stack.gitlab.emitSystemHookEvent({ eventName });
      await stack.gitlab.deliveriesSettled();
      const delivery = emitted.deliveries.find((planned) => planned.hookId === hook);
      if (delivery && (eventName === 'push' || eventName === 'tag_push'))
        wanted.push(delivery.idempotencyKey);
    }
    assert.equal(wanted.length, 3);
    for (const subscriber of subscribers) {
      // The last wanted event arriving means every event before it has been either sent or skipped.
      const events = await subscriber.waitForEvents(wanted.length);
      assert.deepEqual(
        events.map((event: UntypedData) => event.deliveryId),
        wanted,
      );
      assert.deepEqual(
        events.map((event: UntypedData) => event.type),
        ['PUSH', 'TAG_PUSH', 'PUSH'],
      );
    }
    await closeAll(subscribers, stack.store);
  });

  it("delivers by each hook's event flags and push branch filter", async () => {
    const none = {
      push_events: false,
      tag_push_events: false,
      merge_requests_events: false,
      repository_update_events: false,
    };
    const hooks = {
      lifecycleOnly: await stack.addReceiverHook(none),
      releaseBranches: await stack.addReceiverHook({
        ...none,
        push_events: true,
        push_events_branch_filter: 'release/*',
        branch_filter_strategy: 'wildcard',
      }),
      mainByRegex: await stack.addReceiverHook({
        ...none,
        push_events: true,
        push_events_branch_filter: '^(main|hotfix-.+)$',
        branch_filter_strategy: 'regex',
      }),
      tagsAndMergeRequests: await stack.addReceiverHook({
        ...none,
        tag_push_events: true,
        merge_requests_events: true,
      }),
      repositoryUpdates: await stack.addReceiverHook({ ...none, repository_update_events: true }),
    };
    const subscribers = await subscribeOnEach(stack, print(SystemHookEventsDocument));
    const cases: [eventName: string, ref: string | undefined, expected: (keyof typeof hooks)[]][] = [
      ['push', 'release/1.0', ['releaseBranches']],
      ['push', 'main', ['mainByRegex']],
      ['push', 'hotfix-42', ['mainByRegex']],
      ['push', 'feature/x', []],
      ['tag_push', undefined, ['tagsAndMergeRequests']],
      ['merge_request', undefined, ['tagsAndMergeRequests']],
      ['repository_update', undefined, ['repositoryUpdates']],
      ['user_create', undefined, Object.keys(hooks) as (keyof typeof hooks)[]],
    ];
    const ours = new Set(Object.values(hooks));
    const expectedDeliveries: string[] = [];
    for (const [eventName, ref, expected] of cases) {
      const emitted = stack.gitlab.emitSystemHookEvent({ eventName, ...(ref && { ref }) });
      const planned = emitted.deliveries.filter((delivery) => ours.has(delivery.hookId));
      assert.deepEqual(
        planned.map((delivery) => delivery.hookId).sort(),
        expected.map((name) => hooks[name]).sort(),
        `${eventName} ${ref ?? ''}`,
      );
      // The earlier tests' hooks get their share too: every planned delivery reaches the subscribers.
      expectedDeliveries.push(...emitted.deliveries.map((delivery) => delivery.idempotencyKey));
      await stack.gitlab.deliveriesSettled();
    }
    assert.ok(
      stack.gitlab.deliveries.every((attempt) => attempt.status === 204),
      'the receiver accepted every delivery',
    );
    for (const subscriber of subscribers) {
      const events = await subscriber.waitForEvents(expectedDeliveries.length);
      assert.deepEqual(
        events.map((event: UntypedData) => event.deliveryId).sort(),
        [...expectedDeliveries].sort(),
      );
    }
    await closeAll(subscribers, stack.store);
  });

  it('takes a delivery signed with a hook signing token as verified by SIGNATURE', async () => {
    const hook = await stack.addReceiverHook({ token: '', signing_token: RECEIVER_SIGNING_SECRET });
    const subscribers = await subscribeOnEach(stack, print(SystemHookEventsDocument));
    const emitted = stack.gitlab.emitSystemHookEvent({ eventName: 'group_create' });
    const delivery = emitted.deliveries.find((planned) => planned.hookId === hook);
    assert.ok(delivery);
    for (const event of await eventOnEach(subscribers, delivery.idempotencyKey)) {
      assert.equal(event.verifiedBy, 'SIGNATURE');
      assert.deepEqual(event.payload, emitted.payload);
    }
    await closeAll(subscribers, stack.store);
  });
});

describe('testSystemHook end to end', () => {
  let stack: EventStack;

  before(async () => {
    stack = await startEventStack();
  });
  after(() => stack.close());

  it("delivers GitLab's project_create mock to the subscribers of the hook's receiver", async () => {
    const hook = await stack.addReceiverHook();
    const subscribers = await subscribeOnEach(stack, print(SystemHookEventsDocument));
    const result = await stack.request(TestSystemHookDocument, { input: { id: gid(hook) } });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data?.testSystemHook.errors, []);
    const mockData = result.data?.testSystemHook.mockData;
    assert.equal(mockData?.event_name, 'project_create');
    for (const subscriber of subscribers) {
      const [event] = await subscriber.waitForEvents(1);
      assert.equal(event.__typename, 'ProjectSystemHookEvent');
      assert.equal(event.type, 'PROJECT_CREATE');
      assert.deepEqual(event.payload, mockData);
      assert.equal(event.name, mockData?.name);
      assert.equal(event.projectId, `gid://gitlab/Project/${mockData?.project_id}`);
    }
    await closeAll(subscribers, stack.store);
  });
});
