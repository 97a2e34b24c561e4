import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GatewayHandle, startGateway } from '../helpers/stack.ts';
import { projectHookGid, useDeliveryStack } from '../helpers/webhook-world.ts';

/**
 * The calls to GitLab an operation over project and group hooks is estimated at before it runs (what a gateway
 * allowed a single call refuses it with, `found`) against the calls it makes, counted in the embedded GitLab's
 * request log: the estimate is never below the count.
 */
describe('project and group hooks: estimated and counted calls', () => {
  const t = useDeliveryStack();
  let strict: GatewayHandle;
  const hooks: { id: number; project: number }[] = [];
  let logEntry = '';
  const owner = () => ({ token: t.world.owner.token });

  before(async () => {
    strict = await startGateway(t.stack.gitlab.url, { gateway: { limits: { maxUpstreamCalls: 1 } } });
    for (const project of [t.world.project.id, t.world.otherProject.id]) {
      for (let i = 0; i < 2; i++) {
        const hook = await t.rest('POST', `/projects/${project}/hooks`, {
          token: t.world.owner.token,
          // Nothing listens on port 9: each test delivery fails at once, and is logged.
          json: { url: `http://127.0.0.1:9/${project}/${i}` },
        });
        assert.equal(hook.status, 201, hook.text);
        hooks.push({ id: hook.body.id, project });
      }
    }
    const first = hooks[0] as { id: number; project: number };
    // 45 deliveries, so that the entry to find is on the log's third page of 20.
    for (let i = 0; i < 45; i++) {
      // Past GitLab's limit of 5 tests a minute.
      t.advance(60_000);
      const tested = await t.rest('POST', `/projects/${first.project}/hooks/${first.id}/test/push_events`, {
        token: t.world.owner.token,
      });
      // GitLab logs the failed delivery and answers 422.
      assert.equal(tested.status, 422, tested.text);
    }
    const log = await t.rest('GET', `/projects/${first.project}/hooks/${first.id}/events?per_page=20&page=1`);
    assert.equal(log.status, 200, log.text);
    const total = Number(log.headers.get('x-total'));
    const lastPage = Math.ceil(total / 20);
    const oldest = await t.rest(
      'GET',
      `/projects/${first.project}/hooks/${first.id}/events?per_page=20&page=${lastPage}`,
    );
    const entry = oldest.body.at(-1) as { id: number };
    logEntry = `gid://gitlab/WebHookLog/${entry.id}?project_id=${first.project}&hook_id=${first.id}`;
  });
  after(() => strict?.close());

  /** The estimate the strict gateway refuses `query` with, and the calls the stack's gateway makes for it. */
  async function estimatedAndMade(query: string, variables: Record<string, unknown>) {
    const refused = await strict.requestText(query, variables, owner());
    assert.equal(refused.errors?.[0]?.extensions?.code, 'QUERY_LIMIT_EXCEEDED', JSON.stringify(refused));
    const estimated = refused.errors?.[0]?.extensions?.found as number;
    t.stack.gitlab.resetRequestLog();
    const answer = await t.stack.requestText(query, variables, owner());
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    const made = t.stack.upstreamRequests().length;
    assert.ok(made <= estimated, `${made} calls made, ${estimated} estimated: ${query}`);
    return { estimated, made, answer };
  }

  it('counts the project read for each hook of nodes that selects project { name }', async () => {
    // One hook of each project: each costs its project's list and the project.
    const ids = [hooks[0], hooks[2]].map((hook) =>
      projectHookGid(hook?.id as number, hook?.project as number),
    );
    const { estimated, made, answer } = await estimatedAndMade(
      'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on ProjectHook { id project { name webUrl } } } }',
      { ids },
    );
    assert.equal(answer.data.nodes.length, 2);
    assert.equal(made, 4, 'one list and one project read per project');
    assert.equal(estimated, 4, 'a hook read and a project read per id');
  });

  it('counts no project read for project { id } alone', async () => {
    const ids = hooks.map((hook) => projectHookGid(hook.id, hook.project));
    const { estimated, made } = await estimatedAndMade(
      'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on ProjectHook { project { id } } } }',
      { ids },
    );
    assert.equal(made, 2);
    assert.equal(estimated, 4);
  });

  it("counts a project's hooks selecting project { name } within the estimate", async () => {
    const { made } = await estimatedAndMade(
      'query ($p: ID!) { project(fullPath: $p) { webhooks { nodes { project { name fullPath } } } } }',
      { p: t.world.project.path_with_namespace },
    );
    assert.equal(made, 2, 'the list, and the project once');
  });

  it('counts the log pages node and _entities of a WebhookEvent may scan', async () => {
    const node = await estimatedAndMade('query ($id: ID!) { node(id: $id) { id } }', { id: logEntry });
    assert.equal(node.answer.data.node?.id, logEntry);
    assert.ok(node.made >= 3, `the entry is on page 3 or later: ${node.made}`);
    assert.equal(node.estimated, 5);
    const nodes = await estimatedAndMade('query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [logEntry, projectHookGid(hooks[0]?.id as number, t.world.project.id)],
    });
    assert.equal(nodes.estimated, 6);
    const literal = await estimatedAndMade(`{ node(id: "${logEntry}") { id } }`, {});
    assert.equal(literal.estimated, 5);
    const entities = await estimatedAndMade(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on WebhookEvent { id } } }',
      { r: [{ __typename: 'WebhookEvent', id: logEntry }] },
    );
    assert.equal(entities.estimated, 5);
  });
});
