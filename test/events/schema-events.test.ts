import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type ExecutionResult, isInterfaceType, parse, subscribe } from 'graphql';
import { eventNameOf, systemHookEventType } from '../../src/events/catalogue.ts';
import type { SystemHookEventSource } from '../../src/events/types.ts';
import type { GatewayContext } from '../../src/graphql/context.ts';
import { schema } from '../../src/graphql/schema/index.ts';
import { selectionOf } from '../helpers/selection.ts';

/**
 * `Subscription.systemHookEventReceived` through graphql-js's `subscribe` on the built schema, with an event
 * source that yields GitLab's example payloads: the typed fields, the raw payload, unknown events, the `types`
 * filter and a gateway without events.
 */

const FIXTURES = new URL('../fixtures/system-hook-events/', import.meta.url);
const FIXTURE_FILES = readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));

type Json = Record<string, unknown>;

function fixtureText(file: string): string {
  return readFileSync(new URL(file, FIXTURES), 'utf8');
}

function fixture(name: string): Json {
  return JSON.parse(fixtureText(`${name}.json`)) as Json;
}

const RECEIVED_AT = '2026-01-02T03:04:05.000Z';

function eventOf(payload: Json, cursor = '1'): SystemHookEventSource {
  return {
    cursor,
    deliveryId: `delivery-${cursor}`,
    eventName: eventNameOf(payload) ?? '',
    receivedAt: RECEIVED_AT,
    verifiedBy: 'SIGNATURE',
    instance: 'https://gitlab.example.com',
    gitlabVersion: '19.0.0',
    eventUuid: null,
    attemptId: null,
    bodyBytes: JSON.stringify(payload).length,
    payload,
  };
}

type SubscribeArgs = { types: readonly string[] | null; after: string | null };

/**
 * An event source that yields `events` of the types asked for and ends, recording what it was asked: as the
 * gateway's own source does, it filters by type itself.
 */
function sourceOf(events: SystemHookEventSource[]) {
  const calls: SubscribeArgs[] = [];
  const signals: (AbortSignal | undefined)[] = [];
  return {
    calls,
    signals,
    subscribe(args: SubscribeArgs, signal: AbortSignal | undefined): AsyncIterable<SystemHookEventSource> {
      calls.push(args);
      signals.push(signal);
      const wanted = args.types === null ? null : new Set(args.types);
      return (async function* () {
        for (const event of events) {
          if (wanted === null || wanted.has(systemHookEventType(event.payload))) yield event;
        }
      })();
    },
  };
}

function contextWith(events: GatewayContext['events']): GatewayContext {
  // Only `events` is reached by a subscription; the upstream members would fail loudly if anything used them.
  const unused = () => {
    throw new Error('a subscription must not call GitLab');
  };
  return {
    upstream: unused,
    mutate: unused,
    loadHook: unused,
    loaders: {},
    events,
  } as unknown as GatewayContext;
}

const eventInterface = schema.getType('SystemHookEvent');
assert.ok(isInterfaceType(eventInterface));
const INTERFACE_FIELDS = new Set(Object.keys(eventInterface.getFields()));
const IMPLEMENTATIONS = schema.getPossibleTypes(eventInterface);

/** A client's subscription that selects every field of every family through `... on` fragments. */
const EVERY_FIELD = `
  subscription Events($types: [SystemHookEventType!], $after: String) {
    systemHookEventReceived(types: $types, after: $after) {
      __typename
      ${selectionOf(eventInterface)}
      ${IMPLEMENTATIONS.map((type) => [type.name, selectionOf(type, INTERFACE_FIELDS)])
        // UnknownSystemHookEvent has only the interface's fields.
        .filter(([, fields]) => fields !== '')
        .map(([name, fields]) => `... on ${name} { ${fields} }`)
        .join('\n')}
    }
  }
`;

async function receive(
  events: GatewayContext['events'],
  variables: Json = {},
  query = EVERY_FIELD,
): Promise<ExecutionResult[]> {
  const result = await subscribe({
    schema,
    document: parse(query),
    contextValue: contextWith(events),
    variableValues: variables,
  });
  if (!(Symbol.asyncIterator in result)) return [result];
  const results: ExecutionResult[] = [];
  for await (const next of result) results.push(next);
  return results;
}

/** The one event a source yielding `payload` delivers, as JSON (graphql-js answers null-prototype objects). */
async function receiveOne(payload: Json): Promise<Json> {
  const results = await receive(sourceOf([eventOf(payload)]));
  assert.equal(results.length, 1);
  const [result] = results as [ExecutionResult];
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return (JSON.parse(JSON.stringify(result.data)) as { systemHookEventReceived: Json })
    .systemHookEventReceived;
}

/** The family fields of an event: everything but the interface's fields and `__typename`. */
function familyFields(event: Json): Json {
  return Object.fromEntries(
    Object.entries(event).filter(([field]) => field !== '__typename' && !INTERFACE_FIELDS.has(field)),
  );
}

const snakeCase = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
const RENAMED: Readonly<Record<string, string>> = { keyId: 'id' };

/** Every typed field is null exactly where the payload has no value, at every depth. */
function assertNullsWhereMissing(typed: Json, raw: Json, path: string): void {
  for (const [field, value] of Object.entries(typed)) {
    const key = RENAMED[field] ?? snakeCase(field);
    const rawValue = raw[key];
    const at = `${path}.${field}`;
    if (value === null) {
      assert.ok(rawValue === undefined || rawValue === null, `${at} is null but the payload has ${key}`);
      continue;
    }
    assert.ok(rawValue !== undefined && rawValue !== null, `${at} has a value but the payload has no ${key}`);
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        if (typeof item === 'object')
          assertNullsWhereMissing(item, (rawValue as Json[])[index] as Json, `${at}[${index}]`);
      });
    } else if (typeof value === 'object') {
      assertNullsWhereMissing(value as Json, rawValue as Json, at);
    }
  }
}

const TYPE_BY_FAMILY_FIXTURE: Readonly<Record<string, string>> = {
  project: 'ProjectSystemHookEvent',
  group: 'GroupSystemHookEvent',
  user: 'UserSystemHookEvent',
  key: 'KeySystemHookEvent',
  user_add_to_team: 'ProjectMemberSystemHookEvent',
  user_remove_from_team: 'ProjectMemberSystemHookEvent',
  user_update_for_team: 'ProjectMemberSystemHookEvent',
  user_access_request_to_project: 'ProjectMemberSystemHookEvent',
  user_access_request_revoked_for_project: 'ProjectMemberSystemHookEvent',
  user_add_to_group: 'GroupMemberSystemHookEvent',
  user_remove_from_group: 'GroupMemberSystemHookEvent',
  user_update_for_group: 'GroupMemberSystemHookEvent',
  user_access_request_to_group: 'GroupMemberSystemHookEvent',
  user_access_request_revoked_for_group: 'GroupMemberSystemHookEvent',
  push: 'PushSystemHookEvent',
  tag_push: 'TagPushSystemHookEvent',
  repository_update: 'RepositoryUpdateSystemHookEvent',
  merge_request: 'MergeRequestSystemHookEvent',
  gitlab_subscription: 'MemberApprovalSystemHookEvent',
};

function expectedTypename(name: string): string {
  const exact = TYPE_BY_FAMILY_FIXTURE[name];
  if (exact) return exact;
  const prefix = Object.keys(TYPE_BY_FAMILY_FIXTURE).find((key) => name.startsWith(`${key}_`));
  assert.ok(prefix, `no family for ${name}`);
  return TYPE_BY_FAMILY_FIXTURE[prefix] as string;
}

const gid = (model: string, id: number) => `gid://gitlab/${model}/${id}`;

/** `hook_attrs` of a project as the schema returns it, from the fields every example shares. */
function hookProject(id: number | null, name: string, path: string, extra: Json = {}): Json {
  const web = `http://example.com/${path}`;
  return {
    id: id === null ? null : gid('Project', id),
    name,
    description: '',
    homepage: web,
    url: `git@example.com:${path}.git`,
    gitHttpUrl: `${web}.git`,
    gitSshUrl: `git@example.com:${path}.git`,
    visibilityLevel: 0,
    webUrl: web,
    avatarUrl: null,
    namespace: null,
    pathWithNamespace: path,
    defaultBranch: 'master',
    ciConfigPath: null,
    sshUrl: `git@example.com:${path}.git`,
    httpUrl: `${web}.git`,
    ...extra,
  };
}

const AVATAR =
  'https://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=8://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=80';

describe('systemHookEventReceived', () => {
  describe('every example payload of the catalogue', () => {
    for (const file of FIXTURE_FILES) {
      const name = file.replace(/\.json$/, '');
      const eventName = name.replace(/-\d+$/, '');
      it(`delivers ${file} as ${expectedTypename(eventName)}, typed from its payload, with the body kept`, async () => {
        const payload = fixture(name);
        const event = await receiveOne(payload);
        assert.equal(event.__typename, expectedTypename(eventName));
        assert.equal(event.type, eventName.toUpperCase());
        assert.equal(event.eventName, eventName);
        assert.equal(event.cursor, '1');
        assert.equal(event.deliveryId, 'delivery-1');
        assert.equal(event.receivedAt, RECEIVED_AT);
        assert.equal(event.verifiedBy, 'SIGNATURE');
        assert.equal(event.instance, 'https://gitlab.example.com');
        assert.equal(event.gitlabVersion, '19.0.0');
        // The body byte for byte after a JSON round trip, key order included.
        assert.equal(JSON.stringify(event.payload), JSON.stringify(JSON.parse(fixtureText(file))));
        assertNullsWhereMissing(familyFields(event), payload, name);
      });
    }
  });

  describe('typed fields, family by family', () => {
    it('types a project event: global IDs, UTC times, owners', async () => {
      assert.deepEqual(familyFields(await receiveOne(fixture('project_create'))), {
        createdAt: '2012-07-21T07:30:54.000Z',
        updatedAt: '2012-07-21T07:38:22.000Z',
        projectId: gid('Project', 74),
        name: 'StoreCloud',
        path: 'storecloud',
        pathWithNamespace: 'jsmith/storecloud',
        projectNamespaceId: gid('Namespace', 23),
        projectVisibility: 'private',
        owners: [{ name: 'John', email: 'user1@example.com' }],
        ownerName: 'John Smith',
        ownerEmail: 'johnsmith@example.com',
        oldPathWithNamespace: null,
      });
      const transfer = await receiveOne(fixture('project_transfer'));
      assert.equal(transfer.oldPathWithNamespace, 'jsmith/overscore');
      assert.equal(transfer.pathWithNamespace, 'scores/underscore');
    });

    it('types a group event, with the rename fields null on other group events', async () => {
      assert.deepEqual(familyFields(await receiveOne(fixture('group_rename'))), {
        createdAt: '2017-10-30T15:09:00.000Z',
        updatedAt: '2017-11-01T10:23:52.000Z',
        groupId: gid('Group', 64),
        name: 'Better Name',
        path: 'better-name',
        fullPath: 'parent-group/better-name',
        oldPath: 'old-name',
        oldFullPath: 'parent-group/old-name',
      });
      assert.deepEqual(familyFields(await receiveOne(fixture('group_create'))), {
        createdAt: '2012-07-21T07:30:54.000Z',
        updatedAt: '2012-07-21T07:38:22.000Z',
        groupId: gid('Group', 78),
        name: 'StoreCloud',
        path: 'storecloud',
        fullPath: null,
        oldPath: null,
        oldFullPath: null,
      });
    });

    it('types a user event', async () => {
      assert.deepEqual(familyFields(await receiveOne(fixture('user_rename'))), {
        createdAt: '2017-11-01T11:21:04.000Z',
        updatedAt: '2017-11-01T14:04:47.000Z',
        userId: gid('User', 58),
        name: 'new-name',
        username: 'new-exciting-name',
        email: 'best-email@example.tld',
        oldUsername: 'old-boring-name',
        state: null,
      });
      const failed = await receiveOne(fixture('user_failed_login'));
      assert.equal(failed.state, 'blocked');
      assert.equal(failed.oldUsername, null);
    });

    it("types a key event, reading GitLab's older `... UTC` time and naming the key's id keyId", async () => {
      const payload = fixture('key_create');
      assert.deepEqual(familyFields(await receiveOne(payload)), {
        createdAt: '2014-08-18T18:45:16.000Z',
        updatedAt: '2012-07-21T07:38:22.000Z',
        keyId: gid('Key', 4),
        key: payload.key,
        username: 'root',
      });
    });

    it('types a project member event', async () => {
      assert.deepEqual(familyFields(await receiveOne(fixture('user_add_to_team'))), {
        createdAt: '2012-07-21T07:30:56.000Z',
        updatedAt: '2012-07-21T07:38:22.000Z',
        userId: gid('User', 41),
        userUsername: 'johnsmith',
        userName: 'John Smith',
        userEmail: 'johnsmith@example.com',
        projectId: gid('Project', 74),
        projectName: 'StoreCloud',
        projectPath: 'storecloud',
        projectPathWithNamespace: 'jsmith/storecloud',
        projectVisibility: 'private',
        accessLevel: 'Maintainer',
      });
    });

    it('types a group member event, with expiresAt null when the payload has none', async () => {
      const expected = {
        createdAt: '2012-07-21T07:30:56.000Z',
        updatedAt: '2012-07-21T07:38:22.000Z',
        userId: gid('User', 41),
        userUsername: 'johnsmith',
        userName: 'John Smith',
        userEmail: 'johnsmith@example.com',
        groupId: gid('Group', 78),
        groupName: 'StoreCloud',
        groupPath: 'storecloud',
        groupAccess: 'Maintainer',
        expiresAt: null,
      };
      assert.deepEqual(familyFields(await receiveOne(fixture('user_add_to_group'))), expected);
      // As the code builds it: a redacted e-mail and an expiry.
      const newer = {
        ...fixture('user_add_to_group'),
        user_email: '[REDACTED]',
        expires_at: '2020-12-04T10:12:10Z',
      };
      assert.deepEqual(familyFields(await receiveOne(newer)), {
        ...expected,
        userEmail: '[REDACTED]',
        expiresAt: '2020-12-04T10:12:10.000Z',
      });
    });

    it('types a push with its commits, converting commit times to UTC', async () => {
      assert.deepEqual(familyFields(await receiveOne(fixture('push-2'))), {
        userId: gid('User', 4),
        userName: 'John Smith',
        userAvatar: AVATAR,
        projectId: gid('Project', 15),
        project: hookProject(15, 'Diaspora', 'mike/diaspora', { namespace: 'Mike' }),
        userUsername: 'jsmith',
        userEmail: 'john@example.com',
        before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
        after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        ref: 'refs/heads/master',
        refProtected: true,
        checkoutSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        message: null,
        commits: [
          {
            id: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
            message:
              'Update Catalan translation to e38cb41.\n\nSee https://gitlab.com/gitlab-org/gitlab for more information',
            title: 'Update Catalan translation to e38cb41.',
            timestamp: '2011-12-12T12:27:31.000Z',
            url: 'http://example.com/mike/diaspora/commit/b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
            author: { name: 'Jordi Mallach', email: 'jordi@softcatala.org' },
            added: ['CHANGELOG'],
            modified: ['app/controller/application.rb'],
            removed: [],
          },
          {
            id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
            message: 'fixed readme',
            title: 'fixed readme',
            timestamp: '2012-01-03T21:36:29.000Z',
            url: 'http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
            author: { name: 'GitLab dev user', email: 'gitlabdev@dv6700.(none)' },
            added: ['CHANGELOG'],
            modified: ['app/controller/application.rb'],
            removed: [],
          },
        ],
        totalCommitsCount: 4,
        pushOptions: null,
        repository: {
          name: 'Diaspora',
          description: '',
          homepage: 'http://example.com/mike/diaspora',
          url: 'git@example.com:mike/diaspora.git',
          gitHttpUrl: 'http://example.com/mike/diaspora.git',
          gitSshUrl: 'git@example.com:mike/diaspora.git',
          visibilityLevel: 0,
        },
      });
      // The older example: no project id, no username, commits without title or file lists.
      const older = await receiveOne(fixture('push'));
      assert.equal((older.project as Json).id, null);
      assert.equal(older.userUsername, null);
      assert.equal(older.refProtected, null);
      assert.deepEqual(older.commits, [
        {
          id: 'c5feabde2d8cd023215af4d2ceeb7a64839fc428',
          message: 'Add simple search to projects in public area',
          title: null,
          timestamp: '2013-05-13T18:18:08.000Z',
          url: 'https://dev.gitlab.org/gitlab/gitlabhq/commit/c5feabde2d8cd023215af4d2ceeb7a64839fc428',
          author: { name: 'Example User', email: 'user@example.com' },
          added: null,
          modified: null,
          removed: null,
        },
      ]);
    });

    it('types a tag push as its own type, with no commits', async () => {
      const tag = familyFields(await receiveOne(fixture('tag_push')));
      assert.deepEqual(tag, {
        userId: gid('User', 1),
        userName: 'John Smith',
        userAvatar: AVATAR,
        projectId: gid('Project', 1),
        project: hookProject(null, 'Example', 'jsmith/example', { namespace: 'Jsmith' }),
        userUsername: null,
        userEmail: null,
        before: '0000000000000000000000000000000000000000',
        after: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
        ref: 'refs/tags/v1.0.0',
        refProtected: null,
        checkoutSha: '5937ac0a7beb003549fc5fd26fc247adbce4a52e',
        message: null,
        commits: [],
        totalCommitsCount: 0,
        pushOptions: null,
        repository: {
          name: 'Example',
          description: '',
          homepage: 'http://example.com/jsmith/example',
          url: 'ssh://git@example.com/jsmith/example.git',
          gitHttpUrl: 'http://example.com/jsmith/example.git',
          gitSshUrl: 'git@example.com:jsmith/example.git',
          visibilityLevel: 0,
        },
      });
    });

    it('types a repository update with its ref changes', async () => {
      assert.deepEqual(familyFields(await receiveOne(fixture('repository_update'))), {
        userId: gid('User', 1),
        userName: 'John Smith',
        userAvatar: AVATAR,
        projectId: gid('Project', 1),
        project: hookProject(null, 'Example', 'jsmith/example', { namespace: 'Jsmith' }),
        userEmail: 'admin@example.com',
        changes: [
          {
            before: '8205ea8d81ce0c6b90fbe8280d118cc9fdad6130',
            after: '4045ea7a3df38697b3730a20fb73c8bed8a3e69e',
            ref: 'refs/heads/master',
          },
        ],
        refs: ['refs/heads/master'],
      });
    });

    it('types a merge request: its attributes, user, labels, and the changes as GitLab sent them', async () => {
      const payload = fixture('merge_request');
      const event = familyFields(await receiveOne(payload));
      const awesome = hookProject(null, 'Awesome Project', 'awesome_space/awesome_project', {
        description: 'Aut reprehenderit ut est.',
        namespace: 'Awesome Space',
        visibilityLevel: 20,
        url: 'http://example.com/awesome_space/awesome_project.git',
      });
      assert.deepEqual(event, {
        eventType: 'merge_request',
        user: {
          id: gid('User', 1),
          name: 'Administrator',
          username: 'root',
          avatarUrl: 'http://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=40&d=identicon',
          email: 'admin@example.com',
        },
        project: hookProject(1, 'Gitlab Test', 'gitlabhq/gitlab-test', {
          description: 'Aut reprehenderit ut est.',
          namespace: 'GitlabHQ',
          visibilityLevel: 20,
          url: 'http://example.com/gitlabhq/gitlab-test.git',
        }),
        repository: {
          name: 'Gitlab Test',
          description: 'Aut reprehenderit ut est.',
          homepage: 'http://example.com/gitlabhq/gitlab-test',
          url: 'http://example.com/gitlabhq/gitlab-test.git',
          gitHttpUrl: null,
          gitSshUrl: null,
          visibilityLevel: null,
        },
        objectAttributes: {
          id: gid('MergeRequest', 99),
          iid: 1,
          title: 'MS-Viewport',
          description: '',
          action: 'open',
          state: 'opened',
          stateId: null,
          sourceBranch: 'ms-viewport',
          targetBranch: 'master',
          sourceProjectId: gid('Project', 14),
          targetProjectId: gid('Project', 14),
          authorId: gid('User', 51),
          assigneeId: gid('User', 6),
          assigneeIds: null,
          reviewerIds: null,
          milestoneId: null,
          mergeStatus: 'unchecked',
          detailedMergeStatus: null,
          draft: null,
          workInProgress: false,
          firstContribution: null,
          url: 'http://example.com/diaspora/merge_requests/1',
          oldrev: null,
          createdAt: '2013-12-03T17:23:34.000Z',
          updatedAt: '2013-12-03T17:23:34.000Z',
          preparedAt: null,
          source: awesome,
          target: awesome,
          lastCommit: {
            id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
            message: 'fixed readme',
            title: null,
            timestamp: '2012-01-03T21:36:29.000Z',
            url: 'http://example.com/awesome_space/awesome_project/commits/da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
            author: { name: 'GitLab dev user', email: 'gitlabdev@dv6700.(none)' },
            added: null,
            modified: null,
            removed: null,
          },
          assignee: {
            id: null,
            name: 'User1',
            username: 'user1',
            avatarUrl: 'http://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=40&d=identicon',
            email: null,
          },
        },
        labels: [
          {
            id: gid('ProjectLabel', 206),
            title: 'API',
            color: '#ffffff',
            description: 'API related issues',
            type: 'ProjectLabel',
            template: false,
            projectId: gid('Project', 14),
            groupId: gid('Group', 41),
            createdAt: '2013-12-03T17:15:43.000Z',
            updatedAt: '2013-12-03T17:15:43.000Z',
          },
        ],
        assignees: null,
        reviewers: null,
        changes: payload.changes,
      });
    });

    it('types member approval events, queued and reviewed', async () => {
      assert.deepEqual(familyFields(await receiveOne(fixture('gitlab_subscription_member_approval'))), {
        action: 'enqueue',
        objectAttributes: {
          newAccessLevel: 30,
          oldAccessLevel: 10,
          existingMemberId: gid('Member', 123),
          status: null,
          promotionRequestIdsThatFailedToApply: null,
        },
        userId: gid('User', 42),
        requestedByUserId: gid('User', 99),
        reviewedByUserId: null,
        promotionNamespaceId: gid('Namespace', 789),
        createdAt: '2025-04-10T14:00:00.000Z',
        updatedAt: '2025-04-10T14:05:00.000Z',
      });
      assert.deepEqual(familyFields(await receiveOne(fixture('gitlab_subscription_member_approvals'))), {
        action: 'approve',
        objectAttributes: {
          newAccessLevel: null,
          oldAccessLevel: null,
          existingMemberId: null,
          status: 'success',
          promotionRequestIdsThatFailedToApply: [],
        },
        userId: gid('User', 42),
        requestedByUserId: null,
        reviewedByUserId: gid('User', 101),
        promotionNamespaceId: null,
        createdAt: null,
        updatedAt: '2025-04-10T14:10:00.000Z',
      });
    });
  });

  describe('events the gateway does not know', () => {
    for (const [label, payload] of [
      ['an unknown event_name', { event_name: 'deploykey_create', id: 9, key: 'ssh-ed25519 AAAA' }],
      ['an unknown object_kind', { object_kind: 'pipeline', object_attributes: { id: 1 } }],
      ['neither event_name nor object_kind', { name: 'mystery', nested: { list: [1, 'two', null] } }],
      ['an event_name of another JSON type', { event_name: 7, object_kind: 'push' }],
      ['an event_name that names an Object property', { event_name: 'constructor' }],
    ] as [string, Json][]) {
      it(`delivers ${label} as UnknownSystemHookEvent of type UNKNOWN, with its payload`, async () => {
        const event = await receiveOne(payload);
        assert.equal(event.__typename, 'UnknownSystemHookEvent');
        assert.equal(event.type, 'UNKNOWN');
        assert.equal(event.eventName, eventNameOf(payload) ?? '');
        assert.deepEqual(event.payload, payload);
        assert.deepEqual(familyFields(event), {});
      });
    }
  });

  describe('payload values of another type', () => {
    it('answers null for each field whose value has the wrong JSON type, and no error', async () => {
      const event = await receiveOne({
        ...fixture('project_create'),
        project_id: '74',
        project_namespace_id: -3,
        name: 42,
        path: ['storecloud'],
        created_at: 1_342_855_854,
        updated_at: 'yesterday',
        owners: [{ name: 'John', email: 'user1@example.com' }, 'Jane'],
        owner_name: { first: 'John' },
        owner_email: false,
      });
      const fields = familyFields(event);
      for (const field of [
        'projectId',
        'projectNamespaceId',
        'name',
        'path',
        'createdAt',
        'updatedAt',
        'owners',
        'ownerName',
        'ownerEmail',
      ]) {
        assert.equal(fields[field], null, field);
      }
      assert.equal(fields.pathWithNamespace, 'jsmith/storecloud');
    });

    it('answers null for numbers outside what Int and IDs hold, and for nested misfits', async () => {
      const payload = fixture('push-2');
      const commits = payload.commits as Json[];
      const event = await receiveOne({
        ...payload,
        total_commits_count: 2 ** 31,
        user_id: 2 ** 53,
        ref_protected: 'yes',
        project: { ...(payload.project as Json), id: 1.5, visibility_level: '0' },
        commits: [
          { ...commits[0], author: 'Jordi', added: ['CHANGELOG', 3], timestamp: '2011-13-12T14:27:31Z' },
        ],
        push_options: ['ci.skip'],
      });
      assert.equal(event.totalCommitsCount, null);
      assert.equal(event.userId, null);
      assert.equal(event.refProtected, null);
      assert.equal(event.pushOptions, null);
      const project = event.project as Json;
      assert.equal(project.id, null);
      assert.equal(project.visibilityLevel, null);
      assert.equal(project.name, 'Diaspora');
      const [commit] = event.commits as [Json];
      assert.equal(commit.author, null);
      assert.equal(commit.added, null);
      assert.equal(commit.timestamp, null);
      assert.equal(commit.title, 'Update Catalan translation to e38cb41.');
    });

    it('answers null for an object where GitLab sends one but the payload has something else', async () => {
      const event = await receiveOne({
        ...fixture('merge_request'),
        object_attributes: 'MS-Viewport',
        changes: [],
      });
      assert.equal(event.__typename, 'MergeRequestSystemHookEvent');
      assert.equal(event.objectAttributes, null);
      assert.equal(event.changes, null);
    });

    it('reads every form of time GitLab writes and nothing else', async () => {
      const times: [unknown, string | null][] = [
        ['2021-04-19T07:05:36Z', '2021-04-19T07:05:36.000Z'],
        ['2021-04-19T07:05:36.123Z', '2021-04-19T07:05:36.123Z'],
        ['2011-12-12T14:27:31+02:00', '2011-12-12T12:27:31.000Z'],
        ['2013-05-13T18:18:08-05:30', '2013-05-13T23:48:08.000Z'],
        ['2014-08-18 18:45:16 UTC', '2014-08-18T18:45:16.000Z'],
        ['2014-08-18 18:45:16 +0200', '2014-08-18T16:45:16.000Z'],
        ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
        ['2023-02-29T00:00:00Z', null],
        ['2021-04-19T24:00:00Z', null],
        ['2021-04-19T07:05:36', null],
        ['2021-04-19', null],
        ['2014-08-18 18:45:16 CEST', null],
        ['April 19, 2021', null],
        ['', null],
        [1_618_815_936, null],
        [null, null],
      ];
      for (const [value, expected] of times) {
        const event = await receiveOne({ event_name: 'group_create', created_at: value });
        assert.equal(event.createdAt, expected, JSON.stringify(value));
      }
    });
  });

  describe('the types argument', () => {
    const events = ['project_create', 'push-2', 'user_create', 'merge_request', 'tag_push'].map(
      (name, index) => eventOf(fixture(name), String(index + 1)),
    );
    const TYPES_ONLY =
      'subscription ($types: [SystemHookEventType!]) { systemHookEventReceived(types: $types) { type cursor } }';
    const received = (results: ExecutionResult[]) =>
      results.map((result) => {
        assert.equal(result.errors, undefined);
        return (result.data as { systemHookEventReceived: Json }).systemHookEventReceived.type;
      });

    it('delivers only events of the types asked for, in order, and passes them to the source', async () => {
      const source = sourceOf(events);
      const results = await receive(source, { types: ['MERGE_REQUEST', 'PUSH'] }, TYPES_ONLY);
      assert.deepEqual(received(results), ['PUSH', 'MERGE_REQUEST']);
      assert.deepEqual(source.calls, [{ types: ['MERGE_REQUEST', 'PUSH'], after: null }]);
    });

    it('delivers every event for an empty list or no list, and tells the source null', async () => {
      for (const variables of [{ types: [] }, { types: null }, {}]) {
        const source = sourceOf(events);
        const results = await receive(source, variables, TYPES_ONLY);
        assert.deepEqual(received(results), [
          'PROJECT_CREATE',
          'PUSH',
          'USER_CREATE',
          'MERGE_REQUEST',
          'TAG_PUSH',
        ]);
        assert.deepEqual(source.calls, [{ types: null, after: null }]);
      }
    });

    it('filters unknown events by UNKNOWN', async () => {
      const source = sourceOf([...events, eventOf({ event_name: 'deploykey_create' }, '9')]);
      const results = await receive(source, { types: ['UNKNOWN'] }, TYPES_ONLY);
      assert.deepEqual(received(results), ['UNKNOWN']);
    });

    it('refuses a type that is not a SystemHookEventType before reaching the source', async () => {
      const source = sourceOf(events);
      const [result] = await receive(source, { types: ['project_create'] }, TYPES_ONLY);
      assert.match(result?.errors?.[0]?.message ?? '', /SystemHookEventType/);
      assert.deepEqual(source.calls, []);
    });
  });

  describe('the event source', () => {
    it('passes after to the source as given', async () => {
      const source = sourceOf([]);
      assert.deepEqual(await receive(source, { after: 'cursor-41' }), []);
      assert.deepEqual(source.calls, [{ types: null, after: 'cursor-41' }]);
    });

    it('fails with EVENTS_DISABLED when the gateway has no event source', async () => {
      const results = await receive(undefined);
      assert.equal(results.length, 1);
      const [result] = results as [ExecutionResult];
      assert.equal(result.data, undefined);
      assert.equal(result.errors?.length, 1);
      assert.equal(result.errors?.[0]?.extensions.code, 'EVENTS_DISABLED');
      assert.equal(result.errors?.[0]?.message, 'System hook events are not enabled on this gateway');
    });

    it("reports the source's own refusal, such as an expired cursor, as the subscription's error", async () => {
      const { GraphQLError } = await import('graphql');
      const source = {
        subscribe(): AsyncIterable<SystemHookEventSource> {
          throw new GraphQLError('The cursor is no longer retained', {
            extensions: { code: 'EVENT_CURSOR_EXPIRED' },
          });
        },
      };
      const [result] = await receive(source, { after: 'gone' });
      assert.equal(result?.errors?.[0]?.extensions.code, 'EVENT_CURSOR_EXPIRED');
    });

    it('aborts the signal it gave the source as soon as the subscriber leaves, even with no event pending', async () => {
      let signal: AbortSignal | undefined;
      let returned = false;
      const idle = {
        subscribe(
          _args: SubscribeArgs,
          given: AbortSignal | undefined,
        ): AsyncIterable<SystemHookEventSource> {
          signal = given;
          return {
            [Symbol.asyncIterator]: () => ({
              // Never yields on its own: it ends only when the signal aborts.
              next: () =>
                new Promise<IteratorResult<SystemHookEventSource>>((resolve) => {
                  given?.addEventListener('abort', () => resolve({ done: true, value: undefined }));
                }),
              return: async () => {
                returned = true;
                return { done: true, value: undefined };
              },
            }),
          };
        },
      };
      const stream = await subscribe({
        schema,
        document: parse('subscription { systemHookEventReceived { type } }'),
        contextValue: contextWith(idle),
      });
      assert.ok(Symbol.asyncIterator in stream);
      const pending = stream.next();
      assert.equal(signal?.aborted, false);
      await stream.return?.();
      assert.equal(signal?.aborted, true);
      assert.equal(returned, true);
      assert.deepEqual(await pending, { done: true, value: undefined });
    });
  });
});
