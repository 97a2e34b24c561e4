import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { type GatewayHandle, startGateway } from '../helpers/stack.ts';
import { projectHookGid, useWebhookStack } from '../helpers/webhook-world.ts';

describe('global IDs of project and group hooks in node and nodes', () => {
  const t = useWebhookStack();
  let systemHook = 0;

  before(async () => {
    [systemHook] = (await t.stack.gitlab.seed([{ url: 'https://hooks.example.com/system' }])) as [number];
  });
  beforeEach(() => t.stack.gitlab.resetRequestLog());

  it('reads system, project and group hooks in one nodes call, each as its type', async () => {
    const project = await t.rest('POST', `/projects/${t.world.project.id}/hooks`, {
      token: t.world.owner.token,
      json: { url: 'https://hooks.example.com/p' },
    });
    const group = await t.rest('POST', `/groups/${t.world.group.id}/hooks`, {
      token: t.world.owner.token,
      json: { url: 'https://hooks.example.com/g' },
    });
    const ids = [
      `gid://gitlab/SystemHook/${systemHook}`,
      projectHookGid(project.body.id, t.world.project.id),
      `gid://gitlab/GroupHook/${group.body.id}?group_id=${t.world.group.id}`,
      String(systemHook),
    ];
    const result = await t.stack.requestText(
      'query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Webhook { url } } }',
      { ids },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(
      result.data.nodes.map((node: { __typename: string }) => node.__typename),
      ['SystemHook', 'ProjectHook', 'GroupHook', 'SystemHook'],
    );
    assert.equal(result.data.nodes[3].id, ids[0], 'a plain REST id still names a system hook');
  });

  it('refuses IDs that do not name their parent, or carry what they may not, with no call', async () => {
    for (const id of [
      'gid://gitlab/ProjectHook/7',
      'gid://gitlab/GroupHook/7?project_id=1',
      'gid://gitlab/ProjectHook/7?project_id=abc',
      'gid://gitlab/ProjectHook/7?project_id=1&x=2',
      'gid://gitlab/ProjectHook/7?project_id=',
      'gid://gitlab/SystemHook/7?project_id=1',
      `gid://gitlab/ProjectHook/7?project_id=${'9'.repeat(400)}`,
    ]) {
      const result = await t.stack.requestText('query ($id: ID!) { node(id: $id) { id } }', { id });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', id);
      assert.ok((result.errors?.[0]?.message ?? '').length < 300, 'the value is not echoed whole');
    }
    assert.deepEqual(t.stack.upstreamRequests(), []);
  });
});

describe('a GitLab whose project hook answers are malformed', () => {
  let server: ScriptedServer;
  let gateway: GatewayHandle;

  before(async () => {
    server = await startScriptedServer();
    gateway = await startGateway(server.url);
  });
  after(async () => {
    await gateway.close();
    await server.close();
  });

  it('answers UPSTREAM_UNAVAILABLE at the field, never the body', async () => {
    for (const body of [[{ id: 1, url: 'x' }], { hooks: [] }, 'not json']) {
      server.setScript(() => json(200, body));
      const result = await gateway.requestText('{ project(fullPath: "a/b") { webhooks { nodes { id } } } }');
      assert.equal(result.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE', JSON.stringify(body));
      assert.ok(!JSON.stringify(result).includes('not json'));
    }
  });
});
