import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { printGatewaySubgraph } from '../../src/graphql/print-subgraph.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { gid, type Stack, seedHooks, startStack } from '../helpers/stack.ts';
import {
  composeSupergraph,
  type OwnershipSubgraph,
  postGraphQL,
  type RunningGateway,
  startApolloGateway,
  startHiveGateway,
  startOwnershipSubgraph,
} from './supergraph.ts';

/**
 * The gateway as one subgraph of a supergraph, behind the two gateways platform teams run, over real HTTP:
 * supergraph gateway → this gateway (a subgraph) → embedded GitLab, and supergraph gateway → a second
 * subgraph that extends SystemHook.
 */

const TEAMS = ['platform', 'security', 'release'];

/** Starts at this gateway's subgraph and crosses into the ownership subgraph for `ownerTeam`. */
const HOOKS_WITH_OWNERS = /* GraphQL */ `
  query HooksWithOwners {
    systemHooks(first: 5) {
      count
      pageInfo { hasNextPage }
      nodes { id url name ownerTeam }
    }
  }
`;

/** Starts at the ownership subgraph and crosses into this gateway's `_entities` for the hooks' fields. */
const AUDIT_LOG = /* GraphQL */ `
  query AuditLog($first: Int!) {
    hookAuditLog(first: $first) {
      pageInfo { hasNextPage }
      nodes { id action systemHook { id url name ownerTeam } }
    }
  }
`;

/** Relay's `nodes` on this gateway, with a field of the other subgraph on the concrete type. */
const NODES_WITH_OWNERS = /* GraphQL */ `
  query NodesWithOwners($ids: [ID!]!) {
    nodes(ids: $ids) { id ... on SystemHook { name ownerTeam } }
  }
`;

const gateways: { name: string; start: (supergraphSdl: string) => Promise<RunningGateway> }[] = [
  { name: 'Apollo Gateway (served by Apollo Server)', start: startApolloGateway },
  { name: 'Hive gateway runtime', start: startHiveGateway },
];

describe('composition with a second subgraph', () => {
  let stack: Stack;
  let ids: number[];
  /** The hooks a team owns, with their position among the seeded hooks (which names their URL and name). */
  let owned: { id: number; position: number; team: string }[];
  let owners: Map<string, string>;
  let ownership: OwnershipSubgraph;
  let supergraphSdl: string;

  before(async () => {
    stack = await startStack();
    ids = await seedHooks(stack.gitlab, 250);
    // Every fifth hook has an owner: 50 hooks spread over the whole id range, so their reads need batching.
    owned = ids
      .flatMap((id, i) => (i % 5 === 4 ? [{ id, position: i + 1 }] : []))
      .map((hook, i) => ({ ...hook, team: TEAMS[i % TEAMS.length] as string }));
    owners = new Map(owned.map((hook) => [gid(hook.id), hook.team]));
    ownership = await startOwnershipSubgraph(owners);
    supergraphSdl = composeSupergraph([
      { name: 'system-hooks', url: `${stack.url}/graphql`, sdl: printGatewaySubgraph() },
      { name: ownership.name, url: ownership.url, sdl: ownership.sdl },
    ]);
  });
  after(async () => {
    await ownership?.close();
    await stack?.close();
  });

  it('merges SystemHook from both subgraphs and the shared PageInfo into one supergraph', () => {
    assert.match(
      supergraphSdl,
      /type SystemHook implements Node & Webhook\s+@join__implements\(graph: SYSTEM_HOOKS, interface: "Node"\)\s+@join__implements\(graph: SYSTEM_HOOKS, interface: "Webhook"\)\s+@join__type\(graph: OWNERSHIP, key: "id"\)\s+@join__type\(graph: SYSTEM_HOOKS, key: "id"\)/,
    );
    assert.match(supergraphSdl, /ownerTeam: String @join__field\(graph: OWNERSHIP\)/);
    assert.match(
      supergraphSdl,
      /type PageInfo\s+@join__type\(graph: OWNERSHIP\)\s+@join__type\(graph: SYSTEM_HOOKS\)/,
    );
  });

  it('would not compose if the gateway did not mark PageInfo @shareable', () => {
    const unshared = printGatewaySubgraph().replace(/(type PageInfo)\s+@shareable/, '$1');
    assert.notEqual(unshared, printGatewaySubgraph());
    assert.throws(
      () =>
        composeSupergraph([
          { name: 'system-hooks', url: `${stack.url}/graphql`, sdl: unshared },
          { name: ownership.name, url: ownership.url, sdl: ownership.sdl },
        ]),
      /Non-shareable field "PageInfo\.hasNextPage" is resolved from multiple subgraphs/,
    );
  });

  for (const { name, start } of gateways) {
    describe(name, () => {
      let gateway: RunningGateway;
      before(async () => {
        gateway = await start(supergraphSdl);
      });
      after(() => gateway?.close());
      beforeEach(() => {
        stack.gitlab.resetRequestLog();
        ownership.requests = 0;
      });

      it('answers a list of hooks with a field of the other subgraph, from one upstream request', async () => {
        const result = await postGraphQL(gateway.url, HOOKS_WITH_OWNERS, {}, ADMIN_TOKEN);
        assert.equal(result.errors, undefined);
        assert.deepEqual(result.data, {
          systemHooks: {
            count: 250,
            pageInfo: { hasNextPage: true },
            nodes: ids.slice(0, 5).map((id, i) => ({
              id: gid(id),
              url: `https://hooks.example.com/${i + 1}`,
              name: `hook ${i + 1}`,
              ownerTeam: owners.get(gid(id)) ?? null,
            })),
          },
        });
        assert.equal(owners.get(gid(ids[4] as number)), 'platform', 'the page holds an owned hook');
        assert.deepEqual(
          stack.upstreamRequests().map((r) => `${r.method} ${r.path}?${r.query}`),
          ['GET /api/v4/hooks?page=1&per_page=5'],
        );
        assert.equal(ownership.requests, 1, 'one entity fetch for all five owners');
      });

      it('resolves 50 hooks that the other subgraph references with at most 3 upstream requests', async () => {
        const result = await postGraphQL(gateway.url, AUDIT_LOG, { first: 50 }, ADMIN_TOKEN);
        assert.equal(result.errors, undefined);
        assert.deepEqual(
          result.data.hookAuditLog.nodes,
          owned.map((hook, i) => ({
            id: `audit-${i}`,
            action: 'updated',
            systemHook: {
              id: gid(hook.id),
              url: `https://hooks.example.com/${hook.position}`,
              name: `hook ${hook.position}`,
              ownerTeam: hook.team,
            },
          })),
        );
        const requests = stack.upstreamRequests();
        assert.ok(requests.length <= 3, `expected at most 3 upstream requests, got ${requests.length}`);
        assert.ok(requests.every((r) => r.method === 'GET' && r.path === '/api/v4/hooks'));
      });

      it('serves Relay nodes across both subgraphs', async () => {
        const wanted = [ids[4] as number, ids[0] as number, 999_999];
        const result = await postGraphQL(
          gateway.url,
          NODES_WITH_OWNERS,
          { ids: wanted.map(gid) },
          ADMIN_TOKEN,
        );
        assert.equal(result.errors, undefined);
        assert.deepEqual(result.data.nodes, [
          { id: gid(wanted[0] as number), name: 'hook 5', ownerTeam: 'platform' },
          { id: gid(wanted[1] as number), name: 'hook 1', ownerTeam: null },
          null,
        ]);
        // Three ids that no list holds: one read each, the unknown one answered 404 and read as null.
        assert.deepEqual(
          stack
            .upstreamRequests()
            .map((r) => `${r.path} ${r.status}`)
            .sort(),
          [
            `/api/v4/hooks/${wanted[1]} 200`,
            `/api/v4/hooks/${wanted[0]} 200`,
            '/api/v4/hooks/999999 404',
          ].sort(),
        );
      });

      it("forwards each caller's own PRIVATE-TOKEN to the subgraph, never another's", async () => {
        const forbidden = await postGraphQL(gateway.url, HOOKS_WITH_OWNERS, {}, USER_TOKEN);
        assert.equal(forbidden.data?.systemHooks ?? null, null);
        assert.deepEqual(
          forbidden.errors?.map((error) => error.extensions?.code),
          ['FORBIDDEN'],
        );
        const anonymous = await postGraphQL(gateway.url, HOOKS_WITH_OWNERS, {}, null);
        assert.deepEqual(
          anonymous.errors?.map((error) => error.extensions?.code),
          ['UNAUTHENTICATED'],
        );
        // GitLab saw the non-admin token (403); the anonymous call was refused before reaching it.
        assert.deepEqual(
          stack.upstreamRequests().map((r) => r.status),
          [403],
        );
      });
    });
  }
});
