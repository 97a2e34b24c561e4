import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { groupHookGid, projectHookGid, useWebhookStack } from '../helpers/webhook-world.ts';

/** Upstream cost of project and group hook query shapes, counted in the embedded GitLab's request log. */
describe('project and group hooks: batching, counted', () => {
  const t = useWebhookStack();
  const projectHooks: number[] = [];
  const otherHooks: number[] = [];
  let groupHook = 0;

  before(async () => {
    const owner = t.world.owner.token;
    for (let i = 0; i < 5; i++) {
      const hook = await t.rest('POST', `/projects/${t.world.project.id}/hooks`, {
        token: owner,
        json: {
          url: `https://hooks.example.com/{team}/${i}`,
          url_variables: [{ key: 'team', value: `secret-${i}` }],
          custom_headers: [{ key: 'X-Seq', value: `v${i}` }],
        },
      });
      assert.equal(hook.status, 201, hook.text);
      projectHooks.push(hook.body.id);
    }
    for (let i = 0; i < 3; i++) {
      const hook = await t.rest('POST', `/projects/${t.world.otherProject.id}/hooks`, {
        token: owner,
        json: { url: `https://hooks.example.com/other/${i}` },
      });
      otherHooks.push(hook.body.id);
    }
    const group = await t.rest('POST', `/groups/${t.world.group.id}/hooks`, {
      token: owner,
      json: { url: 'https://hooks.example.com/group', url_variables: [{ key: 'k', value: 'v' }] },
    });
    assert.equal(group.status, 201, group.text);
    groupHook = group.body.id;
  });
  beforeEach(() => t.stack.gitlab.resetRequestLog());

  const calls = () => t.stack.upstreamRequests().map((r) => `${r.method} ${r.path}`);
  const encoded = () => encodeURIComponent(t.world.project.path_with_namespace);

  it('serves a project list without its URL variables with the one list call', async () => {
    const result = await t.stack.requestText(
      'query ($p: ID!) { project(fullPath: $p) { webhooks { count nodes { id url pushEvents } } } }',
      { p: t.world.project.path_with_namespace },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal(result.data.project.webhooks.count, 5);
    assert.deepEqual(calls(), [`GET /api/v4/projects/${encoded()}/hooks`]);
  });

  it('reads URL variables and custom headers of a project list with one GET per hook, shared with webhook(id)', async () => {
    const result = await t.stack.requestText(
      `query ($p: ID!, $id: ID!) { project(fullPath: $p) {
        webhooks { nodes { id urlVariables { key } customHeaders { key } } }
        webhook(id: $id) { id urlVariables { key } }
      } }`,
      {
        p: t.world.project.path_with_namespace,
        id: projectHookGid(projectHooks[0] as number, t.world.project.id),
      },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    for (const hook of result.data.project.webhooks.nodes) {
      assert.deepEqual(hook.urlVariables, [{ key: 'team' }]);
      assert.deepEqual(hook.customHeaders, [{ key: 'X-Seq' }]);
    }
    const requests = calls();
    assert.equal(requests.filter((r) => r === `GET /api/v4/projects/${encoded()}/hooks`).length, 1);
    const singles = requests.filter((r) => /\/hooks\/\d+$/.test(r));
    assert.equal(singles.length, 5, `one GET per hook: ${requests.join(', ')}`);
    assert.equal(new Set(singles.map((r) => r.replace(/^.*\/hooks\//, ''))).size, 5, 'each hook once');
    assert.equal(requests.length, 6);
  });

  it('reads a project reached by path once, when its hooks name it again by id', async () => {
    const result = await t.stack.requestText(
      'query ($p: ID!) { project(fullPath: $p) { name webhooks { nodes { project { id name fullPath } } } } }',
      { p: t.world.project.path_with_namespace },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const { project } = result.data;
    assert.equal(project.webhooks.nodes.length, 5);
    for (const node of project.webhooks.nodes) {
      assert.deepEqual(node.project, {
        id: `gid://gitlab/Project/${t.world.project.id}`,
        name: project.name,
        fullPath: t.world.project.path_with_namespace,
      });
    }
    assert.deepEqual(
      calls().sort(),
      [`GET /api/v4/projects/${encoded()}`, `GET /api/v4/projects/${encoded()}/hooks`].sort(),
    );
  });

  it('reads a group list with its URL variables and no GET per hook', async () => {
    const result = await t.stack.requestText(
      'query ($g: ID!) { group(fullPath: $g) { webhooks { nodes { id urlVariables { key } customHeaders { key } } } } }',
      { g: t.world.group.full_path },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data.group.webhooks.nodes[0].urlVariables, [{ key: 'k' }]);
    assert.deepEqual(calls(), [`GET /api/v4/groups/${encodeURIComponent(t.world.group.full_path)}/hooks`]);
  });

  it('reads nodes over hooks of two projects and a group with one list call per parent', async () => {
    const ids = [
      ...projectHooks.map((id) => projectHookGid(id, t.world.project.id)),
      ...otherHooks.map((id) => projectHookGid(id, t.world.otherProject.id)),
      groupHookGid(groupHook, t.world.group.id),
    ];
    const result = await t.stack.requestText(
      'query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Webhook { url } } }',
      { ids },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(
      result.data.nodes.map((node: { id: string }) => node.id),
      ids,
    );
    assert.deepEqual(
      calls().sort(),
      [
        `GET /api/v4/groups/${t.world.group.id}/hooks`,
        `GET /api/v4/projects/${t.world.otherProject.id}/hooks`,
        `GET /api/v4/projects/${t.world.project.id}/hooks`,
      ].sort(),
    );
  });

  it('reads a node whose project does not hold it as null, with the list call alone', async () => {
    const id = projectHookGid(otherHooks[0] as number, t.world.project.id);
    const result = await t.stack.requestText(
      'query ($id: ID!) { node(id: $id) { id } }',
      { id },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal(result.data.node, null);
    assert.deepEqual(calls(), [`GET /api/v4/projects/${t.world.project.id}/hooks`]);
  });

  it("refuses, before any call, a query whose hooks' logs could exceed the request's call budget", async () => {
    const result = await t.stack.requestText(
      `query ($p: ID!) { project(fullPath: $p) {
        webhooks(first: 100) { nodes { webhookEvents(last: 5) { nodes { id } } } }
      } }`,
      { p: t.world.project.path_with_namespace },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors?.[0]?.extensions?.code, 'QUERY_LIMIT_EXCEEDED');
    // The project (1), its hooks (3), and 100 hooks' logs of up to 3 calls each (`last` needs the length).
    assert.equal(result.errors?.[0]?.extensions?.found, 304);
    assert.deepEqual(calls(), []);
  });
});
