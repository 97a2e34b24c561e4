import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { groupHookGid, useWebhookStack } from '../helpers/webhook-world.ts';

const CREATE = `mutation ($input: CreateGroupHookInput!) {
  createGroupHook(input: $input) {
    errors
    groupHook { id url memberEvents subgroupEvents projectEvents pushEvents urlVariables { key } group { id fullPath name } }
  }
}`;

describe('group hooks through GraphQL', () => {
  const t = useWebhookStack();
  const owner = () => ({ token: t.world.owner.token });

  beforeEach(() => t.stack.gitlab.resetRequestLog());

  async function create(input: Record<string, unknown>, token = owner()) {
    const result = await t.stack.requestText(
      CREATE,
      { input: { groupPath: t.world.group.full_path, url: 'https://hooks.example.com/group', ...input } },
      token,
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data.createGroupHook;
  }

  it('creates a group hook with its group-only flags, by full path or by numeric id', async () => {
    const byPath = await create({ memberEvents: true, urlVariables: [{ key: 'team', value: 'secret-7' }] });
    assert.deepEqual(byPath.errors, []);
    const hook = byPath.groupHook;
    assert.match(hook.id, new RegExp(`^gid://gitlab/GroupHook/\\d+\\?group_id=${t.world.group.id}$`));
    assert.equal(hook.memberEvents, true);
    assert.equal(hook.subgroupEvents, false);
    assert.equal(hook.projectEvents, false);
    assert.equal(hook.pushEvents, true);
    assert.deepEqual(hook.urlVariables, [{ key: 'team' }]);
    assert.deepEqual(hook.group, {
      id: `gid://gitlab/Group/${t.world.group.id}`,
      fullPath: t.world.group.full_path,
      name: 'Acme',
    });
    const byId = await create({ groupPath: String(t.world.subgroup.id) });
    assert.match(byId.groupHook.id, new RegExp(`\\?group_id=${t.world.subgroup.id}$`));
  });

  it('lists a group’s hooks with their URL variables, and reads one by id', async () => {
    const hook = (await create({ urlVariables: [{ key: 'k', value: 'v' }] })).groupHook;
    t.stack.gitlab.resetRequestLog();
    const result = await t.stack.requestText(
      `query ($g: ID!, $id: ID!) { group(fullPath: $g) {
        webhooks { count nodes { id urlVariables { key } } }
        webhook(id: $id) { id url }
      } }`,
      { g: t.world.group.full_path, id: hook.id },
      owner(),
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.ok(result.data.group.webhooks.count >= 1);
    assert.equal(result.data.group.webhook.id, hook.id);
    const calls = t.stack.upstreamRequests().map((r) => `${r.method} ${r.path}`);
    assert.ok(!calls.some((c) => c === `GET /api/v4/groups/${encodeURIComponent(t.world.group.full_path)}`));
  });

  it('updates, tests and deletes a group hook; a group without a project of its own has nothing to test with', async () => {
    const hook = (await create({})).groupHook;
    const updated = await t.stack.requestText(
      'mutation ($id: ID!) { updateGroupHook(input: { id: $id, subgroupEvents: true }) { errors groupHook { subgroupEvents } } }',
      { id: hook.id },
      owner(),
    );
    assert.deepEqual(updated.data.updateGroupHook, { errors: [], groupHook: { subgroupEvents: true } });
    const tested = await t.stack.requestText(
      'mutation ($id: ID!) { testGroupHook(input: { id: $id, trigger: PUSH_EVENTS }) { errors groupHook { id } } }',
      { id: hook.id },
      owner(),
    );
    assert.deepEqual(tested.data.testGroupHook.errors, ['Ensure the group has a project with commits.']);
    const deleted = await t.stack.requestText(
      'mutation ($id: ID!) { deleteGroupHook(input: { id: $id }) { errors deletedGroupHookId } }',
      { id: hook.id },
      owner(),
    );
    assert.equal(deleted.data.deleteGroupHook.deletedGroupHookId, hook.id);
  });

  it('answers a Maintainer of the group FORBIDDEN (group hooks are for Owners) and an outsider null', async () => {
    const query = 'query ($g: ID!) { group(fullPath: $g) { webhooks { count } } }';
    const maintainer = await t.stack.requestText(
      query,
      { g: t.world.group.full_path },
      { token: t.world.maintainer.token },
    );
    assert.equal(maintainer.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.deepEqual(maintainer.errors?.[0]?.path, ['group', 'webhooks']);
    const outsider = await t.stack.requestText(
      query,
      { g: t.world.group.full_path },
      { token: t.world.outsider.token },
    );
    assert.equal(outsider.errors, undefined, JSON.stringify(outsider.errors));
    assert.equal(outsider.data.group, null);
    const created = await t.stack.requestText(
      CREATE,
      { input: { groupPath: t.world.group.full_path, url: 'https://hooks.example.com/m' } },
      { token: t.world.maintainer.token },
    );
    assert.equal(created.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  it('reads a hook of another group as null, and refuses a GroupHook ID without its group', async () => {
    const other = await t.rest('POST', `/groups/${t.world.otherGroup.id}/hooks`, {
      token: t.world.owner.token,
      json: { url: 'https://hooks.example.com/other-group' },
    });
    assert.equal(other.status, 201, other.text);
    const foreign = await t.stack.requestText(
      'query ($g: ID!, $id: ID!) { group(fullPath: $g) { webhook(id: $id) { id } } }',
      { g: t.world.group.full_path, id: groupHookGid(other.body.id, t.world.otherGroup.id) },
      owner(),
    );
    assert.equal(foreign.errors, undefined, JSON.stringify(foreign.errors));
    assert.equal(foreign.data.group.webhook, null);
    const plain = await t.stack.requestText(
      'mutation ($id: ID!) { deleteGroupHook(input: { id: $id }) { errors } }',
      { id: `gid://gitlab/GroupHook/${other.body.id}` },
      owner(),
    );
    assert.equal(plain.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(plain.errors?.[0]?.message ?? '', /must name its group/);
  });
});
