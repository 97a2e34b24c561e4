import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { projectHookGid, useWebhookStack } from '../helpers/webhook-world.ts';

const FORBIDDEN_MESSAGE =
  "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

const CREATE = `mutation ($input: CreateProjectHookInput!) {
  createProjectHook(input: $input) {
    clientMutationId errors
    projectHook {
      id url name pushEvents issuesEvents confidentialNoteEvents tagPushEvents enableSslVerification
      alertStatus disabledUntil tokenPresent urlVariables { key } customHeaders { key }
      project { id fullPath }
    }
  }
}`;

const READ = `query ($path: ID!) {
  project(fullPath: $path) {
    id fullPath name webUrl
    webhooks { count nodes { id url name } pageInfo { hasNextPage } }
  }
}`;

describe('project hooks through GraphQL', () => {
  const t = useWebhookStack();
  const path = () => t.world.project.path_with_namespace;
  const maintainer = () => t.world.maintainer.token;

  beforeEach(() => t.stack.gitlab.resetRequestLog());

  /** Creates a project hook through GraphQL as the Maintainer and returns the payload's hook. */
  async function create(input: Record<string, unknown>, token = maintainer()) {
    const result = await t.stack.requestText(
      CREATE,
      { input: { projectPath: path(), url: 'https://hooks.example.com/ci', ...input } },
      { token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data.createProjectHook;
  }

  it("creates a hook with GitLab's defaults and an ID that names its project", async () => {
    const payload = await create({ name: 'CI', token: 'secret-token-1', clientMutationId: 'c1' });
    assert.deepEqual(payload.errors, []);
    assert.equal(payload.clientMutationId, 'c1');
    const hook = payload.projectHook;
    assert.match(hook.id, new RegExp(`^gid://gitlab/ProjectHook/\\d+\\?project_id=${t.world.project.id}$`));
    assert.equal(hook.name, 'CI');
    assert.equal(hook.pushEvents, true);
    assert.equal(hook.issuesEvents, false);
    assert.equal(hook.confidentialNoteEvents, false, 'GitLab keeps null, GraphQL reads false');
    assert.equal(hook.enableSslVerification, true);
    assert.equal(hook.alertStatus, 'EXECUTABLE');
    assert.equal(hook.tokenPresent, true);
    assert.deepEqual(hook.project, {
      id: `gid://gitlab/Project/${t.world.project.id}`,
      fullPath: path(),
    });
    assert.ok(!JSON.stringify(payload).includes('secret-token-1'), 'the token is never echoed');
  });

  it('reads a project and its hooks by full path, with one list call and one project call', async () => {
    await create({ name: 'listed' });
    t.stack.gitlab.resetRequestLog();
    const result = await t.stack.requestText(READ, { path: path() }, { token: maintainer() });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const project = result.data.project;
    assert.equal(project.id, `gid://gitlab/Project/${t.world.project.id}`);
    assert.equal(project.fullPath, path());
    assert.equal(project.name, 'API');
    assert.ok(project.webUrl.endsWith(`/${path()}`));
    assert.ok(project.webhooks.count >= 1);
    assert.equal(project.webhooks.nodes.length, project.webhooks.count);
    assert.ok(project.webhooks.nodes.some((hook: { name: string }) => hook.name === 'listed'));
    const requests = t.stack.upstreamRequests().map((r) => `${r.method} ${r.path}`);
    const encoded = encodeURIComponent(path());
    assert.deepEqual(requests.sort(), [
      `GET /api/v4/projects/${encoded}`,
      `GET /api/v4/projects/${encoded}/hooks`,
    ]);
  });

  it('reads webhook(id) by the global ID, by GitLab’s plain GID and by the REST id', async () => {
    const hook = (await create({ name: 'one' })).projectHook;
    const restId = Number(/ProjectHook\/(\d+)/.exec(hook.id)?.[1]);
    for (const id of [hook.id, `gid://gitlab/ProjectHook/${restId}`, String(restId)]) {
      const result = await t.stack.requestText(
        'query ($path: ID!, $id: ID!) { project(fullPath: $path) { webhook(id: $id) { id name urlVariables { key } } } }',
        { path: path(), id },
        { token: maintainer() },
      );
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data.project.webhook.id, hook.id, id);
    }
  });

  it('reads a hook of another project, or a parent that disagrees with the path, as null', async () => {
    const other = await t.rest('POST', `/projects/${t.world.otherProject.id}/hooks`, {
      token: t.world.owner.token,
      json: { url: 'https://hooks.example.com/other' },
    });
    assert.equal(other.status, 201, other.text);
    const mine = (await create({ name: 'mine' })).projectHook;
    const mineId = Number(/ProjectHook\/(\d+)/.exec(mine.id)?.[1]);
    const ids = [
      String(other.body.id),
      projectHookGid(other.body.id, t.world.otherProject.id),
      projectHookGid(mineId, t.world.otherProject.id),
    ];
    for (const id of ids) {
      const result = await t.stack.requestText(
        'query ($path: ID!, $id: ID!) { project(fullPath: $path) { webhook(id: $id) { id } } }',
        { path: path(), id },
        { token: t.world.owner.token },
      );
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data.project.webhook, null, id);
    }
  });

  it('updates, tests the URL-variable mutations on, and deletes a hook', async () => {
    const hook = (await create({ name: 'before' })).projectHook;
    const updated = await t.stack.requestText(
      `mutation ($id: ID!) {
        updateProjectHook(input: { id: $id, name: "after", issuesEvents: true }) {
          errors projectHook { id name issuesEvents }
        }
      }`,
      { id: hook.id },
      { token: maintainer() },
    );
    assert.equal(updated.errors, undefined, JSON.stringify(updated.errors));
    assert.deepEqual(updated.data.updateProjectHook.projectHook, {
      id: hook.id,
      name: 'after',
      issuesEvents: true,
    });

    const set = await t.stack.requestText(
      `mutation ($id: ID!) {
        setHookUrlVariable(input: { hookId: $id, key: "team", value: "secret-value-9" }) {
          errors systemHook { id } webhook { id urlVariables { key } ... on ProjectHook { name } }
        }
      }`,
      { id: hook.id },
      { token: maintainer() },
    );
    assert.equal(set.errors, undefined, JSON.stringify(set.errors));
    const payload = set.data.setHookUrlVariable;
    assert.equal(payload.systemHook, null, 'systemHook is null for a project hook');
    assert.deepEqual(payload.webhook, { id: hook.id, urlVariables: [{ key: 'team' }], name: 'after' });
    assert.ok(!JSON.stringify(set).includes('secret-value-9'));
    const header = await t.stack.requestText(
      `mutation ($id: ID!) {
        setHookCustomHeader(input: { hookId: $id, key: "X-Team", value: "v" }) { errors webhook { customHeaders { key } } }
        deleteHookUrlVariable(input: { hookId: $id, key: "team" }) { errors webhook { urlVariables { key } } }
      }`,
      { id: hook.id },
      { token: maintainer() },
    );
    assert.equal(header.errors, undefined, JSON.stringify(header.errors));
    assert.deepEqual(header.data.setHookCustomHeader.webhook.customHeaders, [{ key: 'X-Team' }]);
    assert.deepEqual(header.data.deleteHookUrlVariable.webhook.urlVariables, []);

    const remove = `mutation ($id: ID!) { deleteProjectHook(input: { id: $id }) { errors deletedProjectHookId } }`;
    const deleted = await t.stack.requestText(remove, { id: hook.id }, { token: maintainer() });
    assert.equal(deleted.errors, undefined, JSON.stringify(deleted.errors));
    assert.equal(deleted.data.deleteProjectHook.deletedProjectHookId, hook.id);
    const again = await t.stack.requestText(remove, { id: hook.id }, { token: maintainer() });
    assert.equal(again.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    assert.equal(again.errors?.[0]?.message, FORBIDDEN_MESSAGE);
  });

  it("reports GitLab's 400 and 422 answers as payload errors and changes nothing", async () => {
    const before = (await t.rest('GET', `/projects/${t.world.project.id}/hooks`)).body.length;
    const local = await create({ url: 'http://127.0.0.1:9/hook' });
    assert.deepEqual(local.errors, ['Invalid url given']);
    assert.equal(local.projectHook, null);
    const filter = await create({ pushEventsBranchFilter: '[', branchFilterStrategy: 'REGEX' });
    assert.deepEqual(filter.errors, ['Invalid branch filter given']);
    const hook = (await create({})).projectHook;
    const noParams = await t.stack.requestText(
      'mutation ($id: ID!) { updateProjectHook(input: { id: $id }) { errors projectHook { id } } }',
      { id: hook.id },
      { token: maintainer() },
    );
    assert.deepEqual(noParams.data.updateProjectHook.errors, ['No parameters provided']);
    const after = (await t.rest('GET', `/projects/${t.world.project.id}/hooks`)).body.length;
    assert.equal(after, before + 1, 'only the valid hook was created');
  });

  it('refuses an ID that does not name its project, and bad paths, before calling GitLab', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'mutation ($id: ID!) { deleteProjectHook(input: { id: $id }) { errors } }',
        { id: 'gid://gitlab/ProjectHook/7' },
        /must name its project: gid:\/\/gitlab\/ProjectHook\/<id>\?project_id=<project_id>/,
      ],
      [
        'mutation ($id: ID!) { deleteProjectHook(input: { id: $id }) { errors } }',
        { id: '7' },
        /must name its project/,
      ],
      [
        'mutation ($id: ID!) { deleteProjectHook(input: { id: $id }) { errors } }',
        { id: 'gid://gitlab/ProjectHook/7?project_id=1&project_id=2' },
        /takes project_id/,
      ],
      [
        'mutation ($id: ID!) { deleteProjectHook(input: { id: $id }) { errors } }',
        { id: 'gid://gitlab/GroupHook/7?group_id=1' },
        /does not represent an instance of ProjectHook/,
      ],
      [
        'query ($p: ID!) { project(fullPath: $p) { webhooks { count } } }',
        { p: '' },
        /is not a project's full path/,
      ],
      [
        'query ($p: ID!) { project(fullPath: $p) { webhooks { count } } }',
        { p: '..' },
        /is not a project's full path/,
      ],
      [
        'query ($p: ID!) { project(fullPath: $p) { webhooks { count } } }',
        { p: 'a\u0000b' },
        /is not a project's full path/,
      ],
      [
        'query ($p: ID!) { project(fullPath: $p) { webhooks { count } } }',
        { p: 'x'.repeat(5000) },
        /is not a project's full path/,
      ],
      [
        'mutation { createProjectHook(input: { projectPath: "", url: "https://a.example" }) { errors } }',
        {},
        /is not a project's full path/,
      ],
      [
        'mutation ($p: ID!) { createProjectHook(input: { projectPath: $p, url: "https://a.example" }) { errors } }',
        { p: 'acme/\u0007bell' },
        /is not a project's full path/,
      ],
      [
        'mutation ($p: ID!) { createGroupHook(input: { groupPath: $p, url: "https://a.example" }) { errors } }',
        { p: '.'.repeat(3) },
        /is not a group's full path/,
      ],
      [
        'query ($p: ID!, $id: ID!) { project(fullPath: $p) { webhook(id: $id) { id } } }',
        { p: 'acme/platform/api', id: 'gid://gitlab/ProjectHook/x' },
        /is not a valid ProjectHook ID/,
      ],
      [
        'mutation ($id: ID!) { setHookUrlVariable(input: { hookId: $id, key: "k", value: "v" }) { errors } }',
        { id: 'gid://gitlab/ProjectHook/7' },
        /must name its project/,
      ],
    ];
    for (const [query, variables, message] of cases) {
      const result = await t.stack.requestText(query, variables, { token: maintainer() });
      assert.equal(
        result.errors?.[0]?.extensions?.code,
        'BAD_USER_INPUT',
        `${query} ${JSON.stringify(variables)}`,
      );
      assert.match(result.errors?.[0]?.message ?? '', message);
      assert.ok((result.errors?.[0]?.message ?? '').length < 400, 'a long value is not echoed whole');
    }
    assert.deepEqual(t.stack.upstreamRequests(), []);
  });

  it('answers a Developer FORBIDDEN on the hooks of a project they can see', async () => {
    const developer = { token: t.world.developer.token };
    const visible = await t.stack.requestText(
      'query ($p: ID!) { project(fullPath: $p) { name } }',
      { p: path() },
      developer,
    );
    assert.equal(visible.data.project.name, 'API', 'the project itself is visible');
    const result = await t.stack.requestText(READ, { path: path() }, developer);
    // `webhooks` is non-null, so its error nulls the project, as GraphQL says.
    assert.equal(result.data.project, null);
    assert.equal(result.errors?.length, 1);
    assert.deepEqual(result.errors?.[0]?.path, ['project', 'webhooks']);
    assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(result.errors?.[0]?.message, FORBIDDEN_MESSAGE);
    const single = await t.stack.requestText(
      'query ($p: ID!) { project(fullPath: $p) { name webhook(id: "1") { id } } }',
      { p: path() },
      developer,
    );
    assert.equal(single.data.project.name, 'API');
    assert.deepEqual(single.errors?.[0]?.path, ['project', 'webhook']);
    assert.equal(single.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const created = await t.stack.requestText(
      CREATE,
      { input: { projectPath: path(), url: 'https://hooks.example.com/dev' } },
      developer,
    );
    assert.equal(created.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  it('reads a project the caller cannot see, or that does not exist, as null with no error', async () => {
    for (const [token, fullPath] of [
      [t.world.outsider.token, path()],
      [t.world.outsider.token, String(t.world.project.id)],
      [maintainer(), 'acme/platform/no-such-project'],
    ] as const) {
      const result = await t.stack.requestText(READ, { path: fullPath }, { token });
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data.project, null, fullPath);
    }
    const created = await t.stack.requestText(
      CREATE,
      { input: { projectPath: path(), url: 'https://hooks.example.com/out' } },
      { token: t.world.outsider.token },
    );
    assert.equal(created.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  it('reaches a project only for its webhooks without GET /projects/:id', async () => {
    const result = await t.stack.requestText(
      'query ($path: ID!) { project(fullPath: $path) { webhooks { nodes { id } } } }',
      { path: path() },
      { token: maintainer() },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const requests = t.stack.upstreamRequests().map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(requests, [`GET /api/v4/projects/${encodeURIComponent(path())}/hooks`]);
  });

  it('reads every flag of a project hook, as GitLab returned it', async () => {
    const hook = (
      await create({
        mergeRequestsEvents: true,
        pipelineEvents: true,
        releasesEvents: true,
        emojiEvents: true,
      })
    ).projectHook;
    const result = await t.stack.requestText(
      `query ($id: ID!) { node(id: $id) { ... on ProjectHook {
        pushEvents tagPushEvents mergeRequestsEvents issuesEvents confidentialIssuesEvents noteEvents
        confidentialNoteEvents pipelineEvents wikiPageEvents deploymentEvents featureFlagEvents jobEvents
        releasesEvents milestoneEvents emojiEvents resourceAccessTokenEvents resourceDeployTokenEvents
        vulnerabilityEvents
      } } }`,
      { id: hook.id },
      { token: maintainer() },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const flags = result.data.node;
    assert.equal(flags.mergeRequestsEvents, true);
    assert.equal(flags.pipelineEvents, true);
    assert.equal(flags.releasesEvents, true);
    assert.equal(flags.emojiEvents, true);
    assert.equal(flags.wikiPageEvents, false);
    assert.ok(Object.values(flags).every((value) => typeof value === 'boolean'));
  });
});
