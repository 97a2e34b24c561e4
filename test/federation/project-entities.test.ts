import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { printGatewaySubgraph } from '../../src/graphql/print-subgraph.ts';
import { useWebhookStack } from '../helpers/webhook-world.ts';
import { composeSupergraph } from './supergraph.ts';

/** Another team's subgraph that owns projects and groups, and knows nothing of their hooks. */
const PROJECTS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])

  type Query {
    projects: [Project!]!
  }

  type Project @key(fields: "fullPath") {
    fullPath: ID!
    name: String! @shareable
    starCount: Int!
  }

  type Group @key(fields: "id") {
    id: ID!
    memberCount: Int!
  }
`;

const ENTITIES = `query ($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Project { webhooks { count nodes { id } } }
    ... on Group { webhooks { count } }
  }
}`;

describe('Project and Group as federation entities', () => {
  const t = useWebhookStack();

  beforeEach(() => t.stack.gitlab.resetRequestLog());

  it("composes with another subgraph's Project and Group, which gain webhooks", () => {
    const supergraph = composeSupergraph([
      { name: 'system-hooks', url: 'http://127.0.0.1:1/graphql', sdl: printGatewaySubgraph() },
      { name: 'projects', url: 'http://127.0.0.1:2/graphql', sdl: PROJECTS_SDL },
    ]);
    assert.match(supergraph, /type Project\s+@join__type\(graph: PROJECTS, key: "fullPath"\)/);
    assert.match(supergraph, /\): ProjectHookConnection! @join__field\(graph: SYSTEM_HOOKS\)/);
    assert.match(supergraph, /starCount: Int! @join__field\(graph: PROJECTS\)/);
  });

  it('resolves representations by fullPath and by id without GET /projects/:id', async () => {
    const created = await t.rest('POST', `/projects/${t.world.project.id}/hooks`, {
      token: t.world.owner.token,
      json: { url: 'https://hooks.example.com/federated' },
    });
    assert.equal(created.status, 201, created.text);
    t.stack.gitlab.resetRequestLog();
    const result = await t.stack.requestText(
      ENTITIES,
      {
        r: [
          { __typename: 'Project', fullPath: t.world.project.path_with_namespace },
          { __typename: 'Project', id: `gid://gitlab/Project/${t.world.project.id}` },
          { __typename: 'Group', id: `gid://gitlab/Group/${t.world.group.id}` },
        ],
      },
      { token: t.world.owner.token },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const [byPath, byId, group] = result.data._entities;
    assert.ok(byPath.webhooks.count >= 1);
    assert.deepEqual(byId.webhooks, byPath.webhooks);
    assert.equal(typeof group.webhooks.count, 'number');
    const calls = t.stack.upstreamRequests().map((r) => `${r.method} ${r.path}`);
    assert.ok(
      calls.every((call) => call.endsWith('/hooks')),
      calls.join(', '),
    );
  });

  it('refuses a representation without its key, or with a malformed one, before calling GitLab', async () => {
    for (const representation of [
      { __typename: 'Project' },
      { __typename: 'Project', id: 'gid://gitlab/Group/1' },
      { __typename: 'Project', fullPath: '' },
      { __typename: 'Group', fullPath: 'a\u0001b' },
    ]) {
      const result = await t.stack.requestText(
        ENTITIES,
        { r: [representation] },
        { token: t.world.owner.token },
      );
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(representation));
    }
    assert.deepEqual(t.stack.upstreamRequests(), []);
  });
});
