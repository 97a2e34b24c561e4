import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  deliverySentence,
  eventNameOf,
  eventsOfFamily,
  SYSTEM_HOOK_EVENT_FAMILIES,
  SYSTEM_HOOK_EVENTS,
  systemHookEventFamily,
  systemHookEventInfo,
  systemHookEventType,
} from '../../src/events/catalogue.ts';

const FIXTURES = new URL('../fixtures/system-hook-events/', import.meta.url);

/** The values `gateway-api.md` fixes for `SystemHookEventType`, written out here rather than derived. */
const CONTRACT_TYPES = [
  'PROJECT_CREATE',
  'PROJECT_DESTROY',
  'PROJECT_RENAME',
  'PROJECT_TRANSFER',
  'PROJECT_UPDATE',
  'GROUP_CREATE',
  'GROUP_DESTROY',
  'GROUP_RENAME',
  'KEY_CREATE',
  'KEY_DESTROY',
  'USER_CREATE',
  'USER_DESTROY',
  'USER_RENAME',
  'USER_FAILED_LOGIN',
  'USER_ADD_TO_TEAM',
  'USER_REMOVE_FROM_TEAM',
  'USER_UPDATE_FOR_TEAM',
  'USER_ACCESS_REQUEST_TO_PROJECT',
  'USER_ACCESS_REQUEST_REVOKED_FOR_PROJECT',
  'USER_ADD_TO_GROUP',
  'USER_REMOVE_FROM_GROUP',
  'USER_UPDATE_FOR_GROUP',
  'USER_ACCESS_REQUEST_TO_GROUP',
  'USER_ACCESS_REQUEST_REVOKED_FOR_GROUP',
  'PUSH',
  'TAG_PUSH',
  'REPOSITORY_UPDATE',
  'MERGE_REQUEST',
  'GITLAB_SUBSCRIPTION_MEMBER_APPROVAL',
  'GITLAB_SUBSCRIPTION_MEMBER_APPROVALS',
];

describe('system hook event catalogue', () => {
  it('knows exactly the event types the contract lists', () => {
    assert.deepEqual(SYSTEM_HOOK_EVENTS.map((info) => info.type).sort(), [...CONTRACT_TYPES].sort());
  });

  it('names each type after its event in upper case and describes it', () => {
    for (const info of SYSTEM_HOOK_EVENTS) {
      assert.equal(info.type, info.name.toUpperCase());
      assert.match(info.description, /^[A-Z].*\.$/, info.name);
    }
  });

  it('types every example payload of the catalogue, family by family', () => {
    const files = readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));
    const seen = new Set<string>();
    for (const file of files) {
      const payload = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as Record<string, unknown>;
      const type = systemHookEventType(payload);
      assert.equal(type, file.replace(/(-\d+)?\.json$/, '').toUpperCase(), file);
      seen.add(type);
    }
    // One example at least for every known event.
    assert.deepEqual([...seen].sort(), [...CONTRACT_TYPES].sort());
  });

  it('reads event_name first and object_kind when there is none, as GitLab discriminates', () => {
    assert.equal(eventNameOf({ event_name: 'push', object_kind: 'push' }), 'push');
    assert.equal(eventNameOf({ object_kind: 'merge_request', event_type: 'merge_request' }), 'merge_request');
    assert.equal(eventNameOf({ event_name: null, object_kind: 'merge_request' }), 'merge_request');
    assert.equal(systemHookEventType({ object_kind: 'merge_request' }), 'MERGE_REQUEST');
    assert.equal(
      systemHookEventType({ object_kind: 'gitlab_subscription_member_approvals' }),
      'GITLAB_SUBSCRIPTION_MEMBER_APPROVALS',
    );
  });

  it('types a name it does not know, or no name at all, as UNKNOWN', () => {
    for (const payload of [
      { event_name: 'deploykey_create' },
      { object_kind: 'pipeline' },
      { event_name: 'PROJECT_CREATE' },
      { event_name: 'constructor' },
      { event_name: '__proto__' },
      { event_name: 42, object_kind: 'push' },
      { name: 'no discriminator' },
      {},
    ]) {
      assert.equal(systemHookEventType(payload), 'UNKNOWN', JSON.stringify(payload));
    }
    assert.equal(eventNameOf({ event_name: 42 }), null);
    assert.equal(eventNameOf({}), null);
    assert.equal(systemHookEventInfo('toString'), undefined);
  });

  it('maps each type to its family, and anything else to unknown', () => {
    assert.equal(systemHookEventFamily('PROJECT_RENAME'), 'project');
    assert.equal(systemHookEventFamily('USER_ADD_TO_TEAM'), 'projectMember');
    assert.equal(systemHookEventFamily('USER_ACCESS_REQUEST_TO_GROUP'), 'groupMember');
    assert.equal(systemHookEventFamily('USER_FAILED_LOGIN'), 'user');
    assert.equal(systemHookEventFamily('PUSH'), 'push');
    assert.equal(systemHookEventFamily('TAG_PUSH'), 'tagPush');
    assert.equal(systemHookEventFamily('GITLAB_SUBSCRIPTION_MEMBER_APPROVAL'), 'memberApproval');
    assert.equal(systemHookEventFamily('UNKNOWN'), 'unknown');
    assert.equal(systemHookEventFamily('project_create'), 'unknown');
    for (const family of Object.keys(
      SYSTEM_HOOK_EVENT_FAMILIES,
    ) as (keyof typeof SYSTEM_HOOK_EVENT_FAMILIES)[]) {
      assert.ok(eventsOfFamily(family).length > 0, family);
      for (const info of eventsOfFamily(family)) assert.equal(systemHookEventFamily(info.type), family);
    }
  });

  it('says which hook setting enables each event, lifecycle events going to every hook', () => {
    const settings = Object.fromEntries(SYSTEM_HOOK_EVENTS.map((info) => [info.name, info.hookSetting]));
    assert.equal(settings.push, 'push_events');
    assert.equal(settings.tag_push, 'tag_push_events');
    assert.equal(settings.merge_request, 'merge_requests_events');
    assert.equal(settings.repository_update, 'repository_update_events');
    assert.equal(settings.gitlab_subscription_member_approval, 'member_approval_events');
    assert.equal(settings.gitlab_subscription_member_approvals, 'member_approval_events');
    const flagged = new Set(['push', 'tag_push', 'merge_request', 'repository_update']);
    for (const info of SYSTEM_HOOK_EVENTS) {
      if (flagged.has(info.name) || info.family === 'memberApproval') continue;
      assert.equal(info.hookSetting, null, `${info.name} is a lifecycle event`);
    }
    assert.match(deliverySentence('project'), /every system hook/);
    assert.match(deliverySentence('push'), /`push_events`.*`pushEvents`.*off by default/);
    assert.match(deliverySentence('repositoryUpdate'), /`repository_update_events`.*on by default/);
    assert.match(deliverySentence('memberApproval'), /`member_approval_events`.*GitLab EE/);
  });
});
