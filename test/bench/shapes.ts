/**
 * The query shapes the benchmark measures, each with the REST calls a client would make for the same data
 * without the gateway, and the number of upstream requests a naive resolver (one REST call per object) makes.
 */

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT';
  /** Path and query below the server's origin. */
  path: string;
  body?: string;
}

export interface Shape {
  name: string;
  /** The GraphQL request body sent to `/graphql`. */
  graphql: { query: string; variables?: Record<string, unknown> };
  /**
   * The same read or write done directly against GitLab: steps run one after the other, the calls of a step
   * in parallel (a client that knows GitLab's pagination reads page 1, then the other pages at once).
   */
  direct: HttpCall[][];
  /** Upstream requests of a resolver that makes one REST call per object it returns. */
  naiveUpstream: number;
  /** Checks the gateway's answer before it is measured: a benchmark of errors measures nothing. */
  check(data: unknown): string | undefined;
}

/** Every field of a hook, so that the gateway's answer carries what the REST answer carries. */
const HOOK_FIELDS = `id url name description createdAt pushEvents tagPushEvents mergeRequestsEvents
  repositoryUpdateEvents enableSslVerification pushEventsBranchFilter branchFilterStrategy alertStatus
  disabledUntil urlVariables { key } customHeaders { key } customWebhookTemplate organizationId`;

const gid = (id: number) => `gid://gitlab/SystemHook/${id}`;

/** Every 5th hook of the 250 seeded: spread over the three pages of 100 that GitLab's list has. */
export const NODES_IDS = Array.from({ length: 50 }, (_, i) => (i + 1) * 5);
export const SINGLE_ID = 7;
export const UPDATED_ID = 3;

type Json = Record<string, unknown> | null | undefined;

export function shapes(hooks: number): Shape[] {
  if (hooks < 250) throw new RangeError('The shapes read hooks up to id 250; seed at least 250');
  const lastPage = Math.ceil(Math.max(...NODES_IDS) / 100);
  return [
    {
      name: 'systemHooks(first: 20)',
      graphql: {
        query: `query List { systemHooks(first: 20) { count nodes { ${HOOK_FIELDS} } pageInfo { hasNextPage endCursor } } }`,
      },
      direct: [[{ method: 'GET', path: '/api/v4/hooks?page=1&per_page=20' }]],
      naiveUpstream: 1,
      check: (data) => {
        const nodes = ((data as Json)?.systemHooks as Json)?.nodes;
        return Array.isArray(nodes) && nodes.length === 20 ? undefined : 'expected 20 hooks';
      },
    },
    {
      name: 'systemHook(id)',
      graphql: {
        query: `query One($id: ID!) { systemHook(id: $id) { ${HOOK_FIELDS} } }`,
        variables: { id: gid(SINGLE_ID) },
      },
      direct: [[{ method: 'GET', path: `/api/v4/hooks/${SINGLE_ID}` }]],
      naiveUpstream: 1,
      check: (data) =>
        ((data as Json)?.systemHook as Json)?.id === gid(SINGLE_ID) ? undefined : 'expected the hook',
    },
    {
      name: `nodes(ids: ${NODES_IDS.length} ids)`,
      graphql: {
        query: `query Some($ids: [ID!]!) { nodes(ids: $ids) { id ... on SystemHook { ${HOOK_FIELDS} } } }`,
        variables: { ids: NODES_IDS.map(gid) },
      },
      direct: [
        [{ method: 'GET', path: '/api/v4/hooks?page=1&per_page=100' }],
        Array.from({ length: lastPage - 1 }, (_, i) => ({
          method: 'GET' as const,
          path: `/api/v4/hooks?page=${i + 2}&per_page=100`,
        })),
      ],
      naiveUpstream: NODES_IDS.length,
      check: (data) => {
        const nodes = (data as Json)?.nodes;
        return Array.isArray(nodes) &&
          nodes.length === NODES_IDS.length &&
          nodes.every((node) => node !== null)
          ? undefined
          : `expected ${NODES_IDS.length} hooks`;
      },
    },
    {
      // Idempotent: the same change every time, so the store and the answer stay the same size.
      name: 'updateSystemHook',
      graphql: {
        query: `mutation Update($input: UpdateSystemHookInput!) {
          updateSystemHook(input: $input) { clientMutationId errors systemHook { ${HOOK_FIELDS} } } }`,
        variables: { input: { id: gid(UPDATED_ID), name: 'benchmarked', clientMutationId: 'bench' } },
      },
      direct: [
        [
          {
            method: 'PUT',
            path: `/api/v4/hooks/${UPDATED_ID}`,
            body: JSON.stringify({ name: 'benchmarked' }),
          },
        ],
      ],
      naiveUpstream: 1,
      check: (data) => {
        const payload = (data as Json)?.updateSystemHook as Json;
        return Array.isArray(payload?.errors) && payload.errors.length === 0 && payload.systemHook
          ? undefined
          : 'expected the updated hook';
      },
    },
  ];
}
