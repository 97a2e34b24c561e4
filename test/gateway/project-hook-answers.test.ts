import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { projectHookGid, useDeliveryStack } from '../helpers/webhook-world.ts';

const CREATE = `mutation ($input: CreateProjectHookInput!) {
  createProjectHook(input: $input) { errors projectHook { id tokenPresent } }
}`;
const UPDATE = `mutation ($input: UpdateProjectHookInput!) {
  updateProjectHook(input: $input) { errors projectHook { id url tokenPresent urlVariables { key } } }
}`;
const RESEND = 'mutation ($id: ID!) { resendWebhookEvent(input: { id: $id }) { errors responseStatus } }';
const TEST = 'mutation ($id: ID!) { testProjectHook(input: { id: $id, trigger: PUSH_EVENTS }) { errors } }';
const LOG = `query ($p: ID!, $id: ID!) {
  project(fullPath: $p) { webhook(id: $id) { webhookEvents(first: 1) { nodes { id } } } }
}`;

/**
 * The project scope's answers the other project-hook tests leave out: no or a bad credential, roles on every
 * write, unknown and foreign hooks on every mutation, the token GitLab drops with a new URL, the plan limit, the
 * resend rate limit and oversized values.
 */
describe('project hooks: credentials, roles, unknown and foreign ids, limits', () => {
  const t = useDeliveryStack();
  let hookGid = '';
  const maintainer = () => ({ token: t.world.maintainer.token });
  const path = () => t.world.project.path_with_namespace;
  const count = async (projectId = t.world.project.id) =>
    (await t.rest('GET', `/projects/${projectId}/hooks?per_page=100`)).body.length as number;

  before(async () => {
    const created = await t.stack.requestText(
      CREATE,
      { input: { projectPath: path(), url: `${t.receiver.origin}/p`, token: 'answers-token-secret' } },
      maintainer(),
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    hookGid = created.data.createProjectHook.projectHook.id;
  });

  it('answers no credential before calling GitLab, and a credential GitLab refuses, UNAUTHENTICATED', async () => {
    const before = await count();
    t.stack.gitlab.resetRequestLog();
    const read = 'query ($p: ID!) { project(fullPath: $p) { webhooks { count } } }';
    const none = await t.stack.requestText(read, { p: path() }, { token: null });
    assert.equal(none.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const write = await t.stack.requestText(
      CREATE,
      { input: { projectPath: path(), url: 'https://hooks.example.com/anon' } },
      { token: null },
    );
    assert.equal(write.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.deepEqual(t.stack.upstreamRequests(), [], 'no credential, no call');
    for (const query of [read, TEST]) {
      const bogus = await t.stack.requestText(query, { p: path(), id: hookGid }, { token: 'glpat-made-up' });
      assert.equal(bogus.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', query);
    }
    assert.equal(await count(), before);
  });

  it('answers a Developer FORBIDDEN and an outsider NOT_FOUND on every write, and changes nothing', async () => {
    await t.stack.requestText(TEST, { id: hookGid }, maintainer());
    const log = await t.stack.requestText(LOG, { p: path(), id: hookGid }, maintainer());
    const entry = log.data.project.webhook.webhookEvents.nodes[0].id;
    const writes: [string, Record<string, unknown>][] = [
      [UPDATE, { input: { id: hookGid, name: 'taken over' } }],
      ['mutation ($id: ID!) { deleteProjectHook(input: { id: $id }) { errors } }', { id: hookGid }],
      [TEST, { id: hookGid }],
      [RESEND, { id: entry }],
      [
        'mutation ($id: ID!) { setHookUrlVariable(input: { hookId: $id, key: "k", value: "v" }) { errors } }',
        { id: hookGid },
      ],
      [
        'mutation ($id: ID!) { deleteHookCustomHeader(input: { hookId: $id, key: "k" }) { errors } }',
        { id: hookGid },
      ],
      [CREATE, { input: { projectPath: path(), url: 'https://hooks.example.com/x' } }],
    ];
    const before = await t.rest('GET', `/projects/${t.world.project.id}/hooks`);
    const received = t.receiver.received.length;
    for (const [actor, code] of [
      [t.world.developer, 'FORBIDDEN'],
      [t.world.guest, 'FORBIDDEN'],
      [t.world.outsider, 'NOT_FOUND'],
    ] as const) {
      for (const [query, variables] of writes) {
        const result = await t.stack.requestText(query, variables, { token: actor.token });
        assert.equal(result.errors?.[0]?.extensions?.code, code, `${actor.username}: ${query}`);
      }
    }
    const afterwards = await t.rest('GET', `/projects/${t.world.project.id}/hooks`);
    assert.deepEqual(afterwards.body, before.body, 'nothing changed');
    assert.equal(t.receiver.received.length, received, 'nothing was delivered');
  });

  it('answers an unknown hook, and a hook of another project, NOT_FOUND on every mutation', async () => {
    const other = await t.rest('POST', `/projects/${t.world.otherProject.id}/hooks`, {
      token: t.world.owner.token,
      json: { url: 'https://hooks.example.com/elsewhere' },
    });
    assert.equal(other.status, 201, other.text);
    const ids = [
      projectHookGid(987_654, t.world.project.id),
      // A hook of the other project, under this project's id: GitLab finds it only under its own.
      projectHookGid(other.body.id, t.world.project.id),
      // The other project's hook under its own id, for a Maintainer who is no member there.
      projectHookGid(other.body.id, t.world.otherProject.id),
    ];
    const mutations = [
      'mutation ($id: ID!) { updateProjectHook(input: { id: $id, name: "x" }) { errors } }',
      'mutation ($id: ID!) { deleteProjectHook(input: { id: $id }) { errors } }',
      TEST,
      'mutation ($id: ID!) { setHookUrlVariable(input: { hookId: $id, key: "k", value: "v" }) { errors } }',
      'mutation ($id: ID!) { deleteHookUrlVariable(input: { hookId: $id, key: "k" }) { errors } }',
      'mutation ($id: ID!) { setHookCustomHeader(input: { hookId: $id, key: "X-K", value: "v" }) { errors } }',
    ];
    for (const id of ids) {
      for (const mutation of mutations) {
        const result = await t.stack.requestText(mutation, { id }, maintainer());
        assert.equal(result.errors?.[0]?.extensions?.code, 'NOT_FOUND', `${id}: ${mutation}`);
      }
    }
    const still = await t.rest('GET', `/projects/${t.world.otherProject.id}/hooks/${other.body.id}`);
    assert.equal(still.status, 200);
    assert.equal(still.body.name, other.body.name, 'the foreign hook is unchanged');
    assert.deepEqual(still.body.url_variables, []);
  });

  it("drops the hook's token and URL variables when the URL changes without them, as GitLab does", async () => {
    const created = await t.stack.requestText(
      `mutation ($input: CreateProjectHookInput!) {
        createProjectHook(input: $input) { errors projectHook { id tokenPresent urlVariables { key } } }
      }`,
      {
        input: {
          projectPath: path(),
          url: 'https://hooks.example.com/{team}',
          token: 'kept-token-secret',
          urlVariables: [{ key: 'team', value: 'kept-var-secret' }],
        },
      },
      maintainer(),
    );
    const hook = created.data.createProjectHook.projectHook;
    assert.equal(hook.tokenPresent, true);
    const renamed = await t.stack.requestText(
      UPDATE,
      { input: { id: hook.id, name: 'renamed' } },
      maintainer(),
    );
    assert.equal(renamed.data.updateProjectHook.projectHook.tokenPresent, true, 'same URL keeps the token');
    const moved = await t.stack.requestText(
      UPDATE,
      { input: { id: hook.id, url: 'https://hooks.example.com/moved' } },
      maintainer(),
    );
    assert.equal(moved.errors, undefined, JSON.stringify(moved.errors));
    assert.deepEqual(moved.data.updateProjectHook.errors, []);
    assert.equal(moved.data.updateProjectHook.projectHook.tokenPresent, false, 'a new URL drops the token');
    assert.deepEqual(moved.data.updateProjectHook.projectHook.urlVariables, []);
    const withToken = await t.stack.requestText(
      UPDATE,
      { input: { id: hook.id, url: 'https://hooks.example.com/again', token: 'new-token-secret' } },
      maintainer(),
    );
    assert.equal(withToken.data.updateProjectHook.projectHook.tokenPresent, true);
    assert.ok(!JSON.stringify([created, renamed, moved, withToken]).includes('secret'));
  });

  it("answers the 6th resend in a minute RATE_LIMITED, and GitLab's verdict on oversized values", async () => {
    await t.stack.requestText(TEST, { id: hookGid }, maintainer());
    t.advance(60_000);
    const log = await t.stack.requestText(LOG, { p: path(), id: hookGid }, maintainer());
    const entry = log.data.project.webhook.webhookEvents.nodes[0].id;
    for (let i = 0; i < 5; i++) {
      const resent = await t.stack.requestText(RESEND, { id: entry }, maintainer());
      assert.deepEqual(resent.data.resendWebhookEvent, { errors: [], responseStatus: 200 });
    }
    const limited = await t.stack.requestText(RESEND, { id: entry }, maintainer());
    assert.equal(limited.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    const retry = limited.errors?.[0]?.extensions?.retryAfterSeconds;
    assert.ok(typeof retry === 'number' && retry > 0 && retry <= 60, String(retry));

    const before = await count();
    const big = await t.stack.requestText(
      CREATE,
      { input: { projectPath: path(), url: 'https://hooks.example.com/big', name: 'n'.repeat(100_000) } },
      maintainer(),
    );
    assert.deepEqual(big.data.createProjectHook, {
      errors: ['Name is too long (maximum is 255 characters)'],
      projectHook: null,
    });
    const longUrl = await t.stack.requestText(
      CREATE,
      { input: { projectPath: path(), url: `https://hooks.example.com/${'u'.repeat(100_000)}` } },
      maintainer(),
    );
    assert.equal(longUrl.data.createProjectHook.projectHook, null);
    assert.ok(longUrl.data.createProjectHook.errors.length > 0);
    assert.ok(JSON.stringify(longUrl).length < 2000, 'the long URL is not echoed');
    assert.equal(await count(), before);
  });

  it("answers GitLab's plan limit of 100 hooks as a payload error through createProjectHook", async () => {
    const project = t.world.otherProject;
    for (let i = await count(project.id); i < 100; i++) {
      const hook = await t.rest('POST', `/projects/${project.id}/hooks`, {
        token: t.world.owner.token,
        json: { url: `https://hooks.example.com/fill/${i}` },
      });
      assert.equal(hook.status, 201, hook.text);
    }
    const result = await t.stack.requestText(
      CREATE,
      { input: { projectPath: project.path_with_namespace, url: 'https://hooks.example.com/101' } },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data.createProjectHook, {
      errors: ['Maximum number of project hooks (100) exceeded'],
      projectHook: null,
    });
    assert.equal(await count(project.id), 100);
    const listed = await t.stack.requestText(
      'query ($p: ID!) { project(fullPath: $p) { webhooks(first: 100) { count pageInfo { hasNextPage } } } }',
      { p: project.path_with_namespace },
      { token: t.world.owner.token },
    );
    assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
    assert.deepEqual(listed.data.project.webhooks, { count: 100, pageInfo: { hasNextPage: false } });
  });

  it("answers bad URL-variable and custom-header keys and values with GitLab's verdict, and changes nothing", async () => {
    const hookId = Number(/ProjectHook\/(\d+)/.exec(hookGid)?.[1]);
    const before = await t.rest('GET', `/projects/${t.world.project.id}/hooks/${hookId}`);
    const set = (mutation: string, key: string, value: string) =>
      t.stack.requestText(
        `mutation ($id: ID!, $k: String!, $v: String!) { ${mutation}(input: { hookId: $id, key: $k, value: $v }) { errors webhook { id } } }`,
        { id: hookGid, k: key, v: value },
        maintainer(),
      );
    const cases: [string, string, string, string][] = [
      ['setHookUrlVariable', 'bad key!', 'v', 'Illegal key or value'],
      ['setHookUrlVariable', '../../hooks', 'v', 'Illegal key or value'],
      ['setHookUrlVariable', 'k', 'v'.repeat(100_000), 'Illegal key or value'],
      ['setHookCustomHeader', 'Bad Header', 'v', 'Illegal key or value'],
      ['setHookCustomHeader', 'X-Split', 'v\r\nX-Injected: 1', 'Illegal key or value'],
      ['setHookCustomHeader', `X-${'k'.repeat(300)}`, 'v', 'key must be less than 255 characters'],
    ];
    for (const [mutation, key, value, message] of cases) {
      const result = await set(mutation, key, value);
      assert.equal(
        result.errors,
        undefined,
        `${mutation} ${key.slice(0, 20)}: ${JSON.stringify(result.errors)}`,
      );
      assert.deepEqual(result.data[mutation], { errors: [message], webhook: null }, key.slice(0, 20));
    }
    t.stack.gitlab.resetRequestLog();
    const empty = await set('setHookUrlVariable', '', 'v');
    assert.equal(empty.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual(t.stack.upstreamRequests(), [], 'an empty key costs no call');
    for (const mutation of ['deleteHookUrlVariable', 'deleteHookCustomHeader']) {
      const missing = await t.stack.requestText(
        `mutation ($id: ID!) { ${mutation}(input: { hookId: $id, key: "nope" }) { errors } }`,
        { id: hookGid },
        maintainer(),
      );
      assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND', mutation);
    }
    const unknownEntry = await t.stack.requestText(
      RESEND,
      { id: `gid://gitlab/WebHookLog/987654?project_id=${t.world.project.id}&hook_id=${hookId}` },
      maintainer(),
    );
    assert.equal(unknownEntry.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const unknownHook = await t.stack.requestText(
      'query ($p: ID!, $id: ID!) { project(fullPath: $p) { webhook(id: $id) { id } } }',
      { p: path(), id: '987654' },
      maintainer(),
    );
    assert.equal(unknownHook.errors, undefined, JSON.stringify(unknownHook.errors));
    assert.equal(unknownHook.data.project.webhook, null);
    const afterwards = await t.rest('GET', `/projects/${t.world.project.id}/hooks/${hookId}`);
    assert.deepEqual(afterwards.body, before.body, 'the hook is unchanged');
  });
});
