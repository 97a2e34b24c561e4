import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { groupHookGid, useDeliveryStack } from '../helpers/webhook-world.ts';

const TEST = `mutation ($id: ID!, $trigger: WebhookTestTrigger!) {
  testGroupHook(input: { id: $id, trigger: $trigger }) { errors groupHook { id } }
}`;

const EVENTS = `query ($g: ID!, $id: ID!, $first: Int, $status: [WebhookEventStatus!], $codes: [Int!]) {
  group(fullPath: $g) { webhook(id: $id) {
    webhookEvents(first: $first, status: $status, statusCodes: $codes) {
      count nodes { id trigger responseStatus requestHeaders { name value } }
    }
  } }
}`;

const RESEND = `mutation ($id: ID!) { resendWebhookEvent(input: { id: $id }) { errors responseStatus } }`;

const CREATE = `mutation ($input: CreateGroupHookInput!) {
  createGroupHook(input: $input) { errors groupHook { id } }
}`;

/**
 * The group scope as thoroughly as the project scope: URL variables and custom headers, tests, the delivery
 * log with its filters, resend, the rate limits, roles and bad input, against the embedded GitLab.
 */
describe('group hooks: keys, tests, delivery log, resend, roles and bad input', () => {
  const t = useDeliveryStack();
  let hookId = 0;
  let hookGid = '';
  const owner = () => ({ token: t.world.owner.token });
  // `acme/platform` holds the project a group test draws its sample data from.
  const groupPath = () => t.world.subgroup.full_path;
  const hookCount = async () =>
    (await t.rest('GET', `/groups/${t.world.subgroup.id}/hooks`)).body.length as number;

  before(async () => {
    const created = await t.stack.requestText(
      `mutation ($input: CreateGroupHookInput!) {
        createGroupHook(input: $input) { errors groupHook { id urlVariables { key } customHeaders { key } } }
      }`,
      {
        input: {
          groupPath: groupPath(),
          url: `${t.receiver.origin}/{path}`,
          token: 'group-token-secret-1',
          urlVariables: [{ key: 'path', value: 'group-hook' }],
          customHeaders: [{ key: 'X-Group', value: 'group-header-secret-2' }],
        },
      },
      owner(),
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const hook = created.data.createGroupHook.groupHook;
    assert.deepEqual(hook.urlVariables, [{ key: 'path' }]);
    assert.deepEqual(hook.customHeaders, [{ key: 'X-Group' }]);
    assert.ok(!JSON.stringify(created).includes('secret'), 'no secret is echoed');
    hookGid = hook.id;
    hookId = Number(/GroupHook\/(\d+)/.exec(hookGid)?.[1]);
    assert.equal(hookGid, groupHookGid(hookId, t.world.subgroup.id));
  });

  const test = (trigger = 'PUSH_EVENTS', token = owner()) =>
    t.stack.requestText(TEST, { id: hookGid, trigger }, token);

  async function events(variables: Record<string, unknown> = {}) {
    const result = await t.stack.requestText(EVENTS, { g: groupPath(), id: hookGid, ...variables }, owner());
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data.group.webhook.webhookEvents;
  }

  it('sets and deletes URL variables and custom headers of a group hook, and the delivery uses them', async () => {
    const set = await t.stack.requestText(
      `mutation ($id: ID!) {
        setHookUrlVariable(input: { hookId: $id, key: "extra", value: "group-var-secret-3" }) {
          errors webhook { urlVariables { key } }
        }
        setHookCustomHeader(input: { hookId: $id, key: "X-Extra", value: "group-header-secret-4" }) {
          errors webhook { ... on GroupHook { customHeaders { key } } }
        }
      }`,
      { id: hookGid },
      owner(),
    );
    assert.equal(set.errors, undefined, JSON.stringify(set.errors));
    assert.deepEqual(set.data.setHookUrlVariable.errors, []);
    assert.deepEqual(
      set.data.setHookUrlVariable.webhook.urlVariables.map((v: { key: string }) => v.key).sort(),
      ['extra', 'path'],
    );
    assert.deepEqual(
      set.data.setHookCustomHeader.webhook.customHeaders.map((h: { key: string }) => h.key).sort(),
      ['X-Extra', 'X-Group'],
    );
    assert.ok(!JSON.stringify(set).includes('secret'));

    const before = t.receiver.received.length;
    const tested = await test();
    assert.deepEqual(tested.data.testGroupHook.errors, []);
    const delivery = t.receiver.received.at(before);
    assert.equal(delivery?.target, '/group-hook', 'the URL variable is interpolated');
    assert.equal(delivery?.headers['x-extra'], 'group-header-secret-4');
    assert.equal(delivery?.headers['x-gitlab-event'], 'Push Hook');

    const removed = await t.stack.requestText(
      `mutation ($id: ID!) {
        deleteHookUrlVariable(input: { hookId: $id, key: "extra" }) { errors webhook { urlVariables { key } } }
        deleteHookCustomHeader(input: { hookId: $id, key: "X-Extra" }) { errors webhook { customHeaders { key } } }
      }`,
      { id: hookGid },
      owner(),
    );
    assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
    assert.deepEqual(removed.data.deleteHookUrlVariable.webhook.urlVariables, [{ key: 'path' }]);
    assert.deepEqual(removed.data.deleteHookCustomHeader.webhook.customHeaders, [{ key: 'X-Group' }]);
  });

  it('tests a group hook, logs the delivery, filters the log by class and code, secrets redacted', async () => {
    t.status = 200;
    assert.deepEqual((await test()).data.testGroupHook.errors, []);
    t.status = 404;
    assert.deepEqual((await test()).data.testGroupHook.errors, ['refused with 404']);
    const all = await events({ first: 20 });
    assert.ok(all.count >= 2);
    const [entry] = all.nodes;
    assert.match(
      entry.id,
      new RegExp(`^gid://gitlab/WebHookLog/\\d+\\?group_id=${t.world.subgroup.id}&hook_id=${hookId}$`),
    );
    assert.equal(entry.responseStatus, '404', 'newest first');
    const notFound = await events({ codes: [404] });
    assert.ok(notFound.nodes.length >= 1);
    assert.ok(notFound.nodes.every((e: { responseStatus: string }) => e.responseStatus === '404'));
    const ok = await events({ status: ['SUCCESSFUL'] });
    assert.ok(ok.nodes.length >= 1);
    assert.ok(ok.nodes.every((e: { responseStatus: string }) => e.responseStatus === '200'));
    const text = JSON.stringify(all);
    assert.ok(!text.includes('group-token-secret-1') && !text.includes('group-header-secret-2'));
    const queries = t.stack.upstreamRequests().filter((r) => r.path.endsWith('/events'));
    assert.ok(queries.some((r) => new URLSearchParams(r.query).get('status') === '404'));
  });

  it('resends a group delivery, refuses it once the URL changed, and finds no entry of another hook', async () => {
    await test();
    const [entry] = (await events({ first: 1 })).nodes;
    t.status = 202;
    const resent = await t.stack.requestText(RESEND, { id: entry.id }, owner());
    assert.equal(resent.errors, undefined, JSON.stringify(resent.errors));
    assert.deepEqual(resent.data.resendWebhookEvent, { errors: [], responseStatus: 202 });

    const other = await t.rest('POST', `/groups/${t.world.subgroup.id}/hooks`, {
      token: t.world.owner.token,
      json: { url: `${t.receiver.origin}/other` },
    });
    assert.equal(other.status, 201, other.text);
    const foreign = entry.id.replace(`hook_id=${hookId}`, `hook_id=${other.body.id}`);
    const missing = await t.stack.requestText(RESEND, { id: foreign }, owner());
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const otherGroup = entry.id.replace(
      `group_id=${t.world.subgroup.id}`,
      `group_id=${t.world.otherGroup.id}`,
    );
    const elsewhere = await t.stack.requestText(RESEND, { id: otherGroup }, owner());
    assert.equal(elsewhere.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const node = await t.stack.requestText(
      'query ($id: ID!) { node(id: $id) { id } }',
      { id: foreign },
      owner(),
    );
    assert.equal(node.data.node, null);

    const moved = await t.stack.requestText(
      'mutation ($id: ID!, $url: String!) { updateGroupHook(input: { id: $id, url: $url }) { errors } }',
      // GitLab drops the URL variables with a new URL (none given): the new URL names none.
      { id: hookGid, url: `${t.receiver.origin}/moved` },
      owner(),
    );
    assert.deepEqual(moved.data.updateGroupHook.errors, []);
    const refused = await t.stack.requestText(RESEND, { id: entry.id }, owner());
    assert.equal(refused.errors, undefined, JSON.stringify(refused.errors));
    assert.deepEqual(refused.data.resendWebhookEvent, {
      errors: ['The hook URL has changed, and this log entry cannot be retried'],
      responseStatus: null,
    });
  });

  it('answers the 6th group test and the 6th resend in a minute RATE_LIMITED with retryAfterSeconds', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await test()).errors, undefined);
    const limited = await test();
    assert.equal(limited.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    const retry = limited.errors?.[0]?.extensions?.retryAfterSeconds;
    assert.ok(typeof retry === 'number' && retry > 0 && retry <= 60, String(retry));

    t.advance(60_000);
    const [entry] = (await events({ first: 1 })).nodes;
    for (let i = 0; i < 5; i++) {
      const resent = await t.stack.requestText(RESEND, { id: entry.id }, owner());
      assert.equal(resent.errors, undefined, JSON.stringify(resent.errors));
    }
    const resendLimited = await t.stack.requestText(RESEND, { id: entry.id }, owner());
    assert.equal(resendLimited.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    assert.equal(typeof resendLimited.errors?.[0]?.extensions?.retryAfterSeconds, 'number');
  });

  it('answers a Developer and a Maintainer FORBIDDEN, an outsider NOT_FOUND, and no credential UNAUTHENTICATED', async () => {
    const before = await hookCount();
    for (const actor of [t.world.developer, t.world.maintainer]) {
      const token = { token: actor.token };
      assert.equal((await test('PUSH_EVENTS', token)).errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const log = await t.stack.requestText(EVENTS, { g: groupPath(), id: hookGid }, token);
      assert.equal(log.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const update = await t.stack.requestText(
        'mutation ($id: ID!) { updateGroupHook(input: { id: $id, name: "x" }) { errors } }',
        { id: hookGid },
        token,
      );
      assert.equal(update.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    }
    const outsider = { token: t.world.outsider.token };
    const outsiderTest = await test('PUSH_EVENTS', outsider);
    assert.equal(outsiderTest.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const hidden = await t.stack.requestText(EVENTS, { g: groupPath(), id: hookGid }, outsider);
    assert.equal(hidden.errors, undefined, JSON.stringify(hidden.errors));
    assert.equal(hidden.data.group, null);
    const anonymous = await t.stack.requestText(
      CREATE,
      {
        input: { groupPath: groupPath(), url: 'https://hooks.example.com/anon' },
      },
      { token: null },
    );
    assert.equal(anonymous.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const bogus = await t.stack.requestText(
      EVENTS,
      { g: groupPath(), id: hookGid },
      { token: 'glpat-bogus' },
    );
    assert.equal(bogus.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(await hookCount(), before, 'nothing was created');
  });

  it("reports GitLab's 400 and 422 answers for a group hook as payload errors and changes nothing", async () => {
    await t.rest('PUT', '/application/settings', {
      json: { allow_local_requests_from_web_hooks_and_services: false },
    });
    try {
      const before = await hookCount();
      const create = async (input: Record<string, unknown>) => {
        const result = await t.stack.requestText(
          CREATE,
          { input: { groupPath: groupPath(), url: 'https://hooks.example.com/g', ...input } },
          owner(),
        );
        assert.equal(result.errors, undefined, JSON.stringify(result.errors));
        assert.equal(result.data.createGroupHook.groupHook, null);
        return result.data.createGroupHook.errors;
      };
      assert.deepEqual(await create({ url: 'http://127.0.0.1:9/hook' }), ['Invalid url given']);
      assert.deepEqual(await create({ url: 'not a url' }), ['Invalid url given']);
      assert.deepEqual(await create({ name: 'n'.repeat(100_000) }), [
        'Name is too long (maximum is 255 characters)',
      ]);
      assert.deepEqual(await create({ pushEventsBranchFilter: '[', branchFilterStrategy: 'REGEX' }), [
        'Invalid branch filter given',
      ]);
      assert.equal(await hookCount(), before);
    } finally {
      await t.rest('PUT', '/application/settings', {
        json: { allow_local_requests_from_web_hooks_and_services: true },
      });
    }
  });

  it('answers an unknown group hook NOT_FOUND on every mutation, and null on webhook(id)', async () => {
    const unknown = groupHookGid(987_654, t.world.subgroup.id);
    const mutations = [
      'mutation ($id: ID!) { updateGroupHook(input: { id: $id, name: "x" }) { errors } }',
      'mutation ($id: ID!) { deleteGroupHook(input: { id: $id }) { errors } }',
      'mutation ($id: ID!) { testGroupHook(input: { id: $id, trigger: PUSH_EVENTS }) { errors } }',
      'mutation ($id: ID!) { setHookUrlVariable(input: { hookId: $id, key: "k", value: "v" }) { errors } }',
      'mutation ($id: ID!) { deleteHookCustomHeader(input: { hookId: $id, key: "k" }) { errors } }',
    ];
    for (const mutation of mutations) {
      const result = await t.stack.requestText(mutation, { id: unknown }, owner());
      assert.equal(result.errors?.[0]?.extensions?.code, 'NOT_FOUND', mutation);
    }
    const read = await t.stack.requestText(
      'query ($g: ID!, $id: ID!) { group(fullPath: $g) { webhook(id: $id) { id } } }',
      { g: groupPath(), id: unknown },
      owner(),
    );
    assert.equal(read.errors, undefined, JSON.stringify(read.errors));
    assert.equal(read.data.group.webhook, null);
  });

  it("answers GitLab's plan limit of 50 group hooks as a payload error through createGroupHook", async () => {
    const group = t.world.otherGroup;
    const count = async () => (await t.rest('GET', `/groups/${group.id}/hooks?per_page=100`)).body.length;
    for (let i = await count(); i < 50; i++) {
      const hook = await t.rest('POST', `/groups/${group.id}/hooks`, {
        token: t.world.owner.token,
        json: { url: `https://hooks.example.com/fill/${i}` },
      });
      assert.equal(hook.status, 201, hook.text);
    }
    const result = await t.stack.requestText(
      CREATE,
      { input: { groupPath: group.full_path, url: 'https://hooks.example.com/51' } },
      owner(),
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data.createGroupHook, {
      errors: ['Maximum number of group hooks (50) exceeded'],
      groupHook: null,
    });
    assert.equal(await count(), 50);
  });
});
