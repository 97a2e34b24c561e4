import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { DEFAULT_REQUEST_LIMITS } from '../../src/graphql/plugins/use-request-limits.ts';
import { ADMIN_TOKEN, graphqlHeaders, USER_TOKEN } from '../helpers/credentials.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import {
  type GatewayHandle,
  type GraphQLErrorJson,
  type Stack,
  seedHooks,
  startGateway,
  startStack,
} from '../helpers/stack.ts';
import type { UntypedData } from '../helpers/untyped.ts';

/**
 * How many calls one request can make GitLab do (security review, finding 2), counted by the GitLab that served
 * them: the embedded GitLab's request log, or a scripted GitLab's.
 */

/** `count` distinct REST ids from `from` on: above 10,000, each is read alone rather than by walking pages. */
const distinctIds = (count: number, from = 10_001) =>
  Array.from({ length: count }, (_, i) => String(from + i));

const NODES = 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }';

type Answer = { data?: UntypedData; errors?: GraphQLErrorJson[] };

/** A batched HTTP request (a JSON array of operations) with `token` in `PRIVATE-TOKEN`. */
async function batch(
  url: string,
  operations: { query: string; variables?: Record<string, unknown> }[],
  token: string,
): Promise<Answer[]> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: graphqlHeaders(token),
    body: JSON.stringify(operations),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Answer[];
}

const codesOf = (answer: Answer) => new Set(answer.errors?.map((error) => error.extensions?.code));

/** `count` fields `nodes(ids: $vN)`, the first unaliased, with a variable of 100 distinct ids each. */
function manyNodes(count: number, from: number): { query: string; variables: Record<string, string[]> } {
  const names = Array.from({ length: count }, (_, i) => `v${i}`);
  const fields = names.map((name, i) => `${i === 0 ? '' : `a${i}: `}nodes(ids: $${name}) { id }`);
  return {
    query: `query (${names.map((name) => `$${name}: [ID!]!`).join(', ')}) { ${fields.join(' ')} }`,
    variables: Object.fromEntries(names.map((name, i) => [name, distinctIds(100, from + i * 100)])),
  };
}

/** The answer's one error, which refused its operation before any call: its extensions. */
function refusedBeforeRunning(answer: Answer) {
  assert.equal(answer.data, undefined, JSON.stringify(answer));
  assert.equal(answer.errors?.length, 1, JSON.stringify(answer.errors));
  const extensions = answer.errors?.[0]?.extensions;
  assert.equal(extensions?.code, 'QUERY_LIMIT_EXCEEDED');
  assert.equal(extensions?.limit, 'upstreamCalls');
  return extensions;
}

describe('calls to GitLab per request', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await seedHooks(stack.gitlab, 3);
  });
  after(() => stack.close());
  beforeEach(() => stack.gitlab.resetRequestLog());

  describe('a credential GitLab refuses', () => {
    it('costs one GitLab call for nodes of 100 distinct ids above 10,000 with a made-up token', async () => {
      const answer = await stack.requestText(NODES, { ids: distinctIds(100) }, { token: 'x' });
      assert.equal(answer.data?.nodes.length, 100);
      assert.ok(answer.data?.nodes.every((node: unknown) => node === null));
      assert.deepEqual(codesOf(answer), new Set(['UNAUTHENTICATED']));
      assert.equal(stack.upstreamRequests().length, 1);
    });

    it("costs one GitLab call with a non-administrator's token, answered FORBIDDEN", async () => {
      const answer = await stack.requestText(NODES, { ids: distinctIds(100) }, { token: USER_TOKEN });
      assert.deepEqual(codesOf(answer), new Set(['FORBIDDEN']));
      assert.equal(stack.upstreamRequests().length, 1);
    });

    it('costs one GitLab call for every operation of a batch together', async () => {
      const answers = await batch(
        stack.url,
        Array.from({ length: 3 }, (_, i) => ({
          query: NODES,
          variables: { ids: distinctIds(50, 20_000 + i * 50) },
        })),
        'x',
      );
      assert.equal(answers.length, 3);
      for (const answer of answers) assert.ok(answer.errors && answer.errors.length > 0);
      assert.equal(stack.upstreamRequests().length, 1);
    });

    it('costs one GitLab call for a list and a lookup side by side', async () => {
      const answer = await stack.requestText(
        '{ systemHooks(first: 100) { nodes { id } } a: systemHook(id: "10001") { id } b: systemHook(id: "10002") { id } }',
        undefined,
        { token: 'x' },
      );
      assert.deepEqual(codesOf(answer), new Set(['UNAUTHENTICATED']));
      assert.equal(stack.upstreamRequests().length, 1);
    });
  });

  describe('the calls an operation could make, counted before it runs', () => {
    it("refuses the review's batch (10 operations of 16 nodes of 100 ids) before calling GitLab", async () => {
      const operations = Array.from({ length: 10 }, (_, i) => manyNodes(16, 10_001 + i * 1_600));
      for (const token of ['x', ADMIN_TOKEN]) {
        stack.gitlab.resetRequestLog();
        const answers = await batch(stack.url, operations, token);
        assert.equal(answers.length, 10);
        for (const answer of answers) assert.equal(refusedBeforeRunning(answer)?.found, 1_600);
        assert.deepEqual(stack.upstreamRequests(), [], token);
      }
    });

    it('counts nodes across aliases, by the ids each variable holds', async () => {
      const over = await stack.requestText(
        'query ($a: [ID!]!, $b: [ID!]!) { nodes(ids: $a) { id } b: nodes(ids: $b) { id } }',
        {
          a: distinctIds(100),
          b: distinctIds(51, 20_001),
        },
      );
      assert.equal(over.status, 400, 'a request error, under application/graphql-response+json');
      assert.deepEqual(refusedBeforeRunning(over), {
        code: 'QUERY_LIMIT_EXCEEDED',
        limit: 'upstreamCalls',
        max: 150,
        found: 151,
      });
      assert.deepEqual(stack.upstreamRequests(), []);
      const within = await stack.requestText(
        'query ($a: [ID!]!, $b: [ID!]!) { nodes(ids: $a) { id } b: nodes(ids: $b) { id } }',
        { a: distinctIds(100), b: distinctIds(50, 20_001) },
      );
      assert.equal(within.errors, undefined);
      assert.equal(stack.upstreamRequests().length, 150);
    });

    it('counts a short list by its ids, not as the largest list', async () => {
      const { query } = manyNodes(16, 10_001);
      const variables = Object.fromEntries(
        Array.from({ length: 16 }, (_, i) => [`v${i}`, distinctIds(3, 30_000 + i * 3)]),
      );
      const answer = await stack.requestText(query, variables);
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors?.[0]));
      assert.equal(stack.upstreamRequests().length, 48);
    });

    it('counts ids written in the document, and a fragment once for each place it is spread', async () => {
      const ids = JSON.stringify(distinctIds(50));
      const answer = await stack.requestText(
        `fragment Two on Query { b: nodes(ids: ${ids}) { id } c: nodes(ids: ${ids}) { id } } ` +
          '{ ...Two ... on Query { ...Two } e: systemHook(id: "1") { id } }',
      );
      assert.equal(refusedBeforeRunning(answer)?.found, 201);
      assert.deepEqual(stack.upstreamRequests(), []);
    });

    it('counts the representations of _entities with the ids of nodes', async () => {
      const representations = distinctIds(100).map((id) => ({ __typename: 'SystemHook', id }));
      const answer = await stack.requestText(
        'query ($r: [_Any!]!, $ids: [ID!]!) { _entities(representations: $r) { ... on SystemHook { id } } nodes(ids: $ids) { id } }',
        { r: representations, ids: distinctIds(51, 20_001) },
      );
      assert.equal(refusedBeforeRunning(answer)?.found, 151);
      assert.deepEqual(stack.upstreamRequests(), []);
    });

    it('counts the operations of a batch together: the one that would go over is refused, the other runs', async () => {
      const answers = await batch(
        stack.url,
        [
          { query: NODES, variables: { ids: distinctIds(100) } },
          { query: NODES, variables: { ids: distinctIds(60, 20_001) } },
        ],
        ADMIN_TOKEN,
      );
      const refused = answers.filter((answer) => answer.errors?.[0]?.extensions?.limit === 'upstreamCalls');
      assert.equal(refused.length, 1, JSON.stringify(answers.map((answer) => answer.errors)));
      assert.equal(refusedBeforeRunning(refused[0] as Answer)?.found, 160);
      const served = answers.find((answer) => answer !== refused[0]);
      assert.equal(served?.errors, undefined);
      assert.equal(stack.upstreamRequests().length, served?.data?.nodes.length);
    });
  });

  describe('an administrator', () => {
    it('reads nodes of 100 distinct ids above 10,000, one call each, within the default budget', async () => {
      assert.ok(DEFAULT_REQUEST_LIMITS.maxUpstreamCalls >= 100);
      const answer = await stack.requestText(NODES, { ids: distinctIds(100) }, { token: ADMIN_TOKEN });
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors?.[0]));
      assert.ok(
        answer.data?.nodes.every((node: unknown) => node === null),
        'none of them exists',
      );
      assert.equal(stack.upstreamRequests().length, 100);
    });

    it('reads a full page and nodes of 100 ids in one document', async () => {
      const answer = await stack.requestText(
        'query ($ids: [ID!]!) { systemHooks(first: 100) { nodes { id } } nodes(ids: $ids) { id } }',
        { ids: distinctIds(100) },
      );
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors?.[0]));
      assert.equal(answer.data?.systemHooks.nodes.length, 3);
      assert.equal(stack.upstreamRequests().length, 101);
    });
  });
});

describe('a budget of GitLab calls at run time', () => {
  let gitlab: ScriptedServer;
  let gateway: GatewayHandle;
  /** A hook entity as GitLab sends it. */
  const hook = (id: number) => ({
    id,
    url: `https://hooks.example.com/${id}`,
    created_at: '2026-01-01T00:00:00.000Z',
    push_events: true,
    tag_push_events: false,
    merge_requests_events: false,
    repository_update_events: false,
    enable_ssl_verification: true,
  });

  let totalPages = 1;

  before(async () => {
    // A GitLab whose first page says it is the last of its list (`X-Total-Pages: 1`) but full, with a next page:
    // so the loader cannot settle ids past it from the page and reads each alone, one call more than `nodes`
    // costs by its ids.
    gitlab = await startScriptedServer((request) => {
      if (request.url.startsWith('/api/v4/hooks?')) {
        const page = Array.from({ length: 100 }, (_, i) => hook(i + 1));
        return json(200, page, {
          'x-page': '1',
          'x-per-page': '100',
          'x-next-page': '2',
          'x-total-pages': String(totalPages),
        });
      }
      // A `read_api` token: GitLab answers every write 403.
      if (request.method !== 'GET') return json(403, { error: 'insufficient_scope' });
      return json(404, { message: '404 Not found' });
    });
    gateway = await startGateway(gitlab.url, { gateway: { limits: { maxUpstreamCalls: 60 } } });
  });
  after(async () => {
    await gateway.close();
    await gitlab.close();
  });

  it('refuses the call past MAX_UPSTREAM_CALLS unsent, and serves what came before', async () => {
    const ids = distinctIds(60, 101);
    const answer = await gateway.requestText(NODES, { ids });
    const refused = answer.errors?.filter((error) => error.extensions?.code === 'QUERY_LIMIT_EXCEEDED') ?? [];
    assert.equal(refused.length, 1, JSON.stringify(answer.errors));
    assert.deepEqual(refused[0]?.extensions, {
      code: 'QUERY_LIMIT_EXCEEDED',
      limit: 'upstreamCalls',
      max: 60,
    });
    assert.equal(answer.errors?.length, 1, 'the other ids read as absent');
    assert.equal(gitlab.requests.length, 60, 'the page, then 59 ids alone');
  });

  it('refuses every call waiting for its turn once the budget is spent, rather than leaving it waiting', {
    timeout: 15_000,
  }, async () => {
    // Eight loader batches of 100 ids below 901, each walking 9 pages that settle none of them, then reading its
    // ids 8 at a time: 872 calls where the ids say 800, and dozens of calls waiting when the budget runs out.
    totalPages = 9;
    const wide = await startGateway(gitlab.url, { gateway: { limits: { maxUpstreamCalls: 800 } } });
    try {
      const names = Array.from({ length: 8 }, (_, k) => `v${k}`);
      const query = `query (${names.map((name) => `$${name}: [ID!]!`).join(', ')}) { ${names
        .map((name, k) => `${k === 0 ? '' : `${name}: `}nodes(ids: $${name}) { id }`)
        .join(' ')} }`;
      const variables = Object.fromEntries(
        names.map((name, k) => [name, Array.from({ length: 100 }, (_, j) => String(101 + k + 8 * j))]),
      );
      const before = gitlab.requests.length;
      const answer = await wide.requestText(query, variables);
      const codes = new Set(answer.errors?.map((error) => error.extensions?.code));
      assert.deepEqual(codes, new Set(['QUERY_LIMIT_EXCEEDED']));
      assert.equal(answer.errors?.length, 72, 'the calls past 800');
      assert.equal(gitlab.requests.length - before, 800);
    } finally {
      totalPages = 1;
      await wide.close();
    }
  });

  const create = (alias: string) => ({
    query: `mutation { ${alias}: createSystemHook(input: { url: "https://hooks.example.com/${alias}" }) { errors } }`,
  });

  it('after a 403 to a write, refuses the request’s other writes unsent', async () => {
    const before = gitlab.requests.length;
    const answers = await batch(gateway.url, [create('a'), create('b')], ADMIN_TOKEN);
    assert.deepEqual(
      answers.map((answer) => answer.errors?.map((error) => error.extensions?.code)),
      [['FORBIDDEN'], ['FORBIDDEN']],
    );
    assert.equal(gitlab.requests.length - before, 1, 'one create reached GitLab');
  });

  it('after a 403 to a write, still reads', async () => {
    const [mutation, query] = await batch(
      gateway.url,
      [create('a'), { query: '{ systemHooks(first: 1) { nodes { id } } }' }],
      ADMIN_TOKEN,
    );
    assert.equal(mutation?.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(query?.errors, undefined);
    assert.equal(query?.data?.systemHooks.nodes.length, 1);
  });
});

describe('calls to GitLab per operation over WebSocket', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ websocket: {} });
  });
  after(() => stack.close());

  /** Runs `operations` at once on one socket and resolves with their one result each. */
  async function onOneSocket(operations: { query: string; variables?: Record<string, unknown> }[]) {
    const client = createClient({
      url: `${stack.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { 'PRIVATE-TOKEN': ADMIN_TOKEN },
      retryAttempts: 0,
    });
    try {
      return await Promise.all(
        operations.map(async (operation) => {
          const results: Answer[] = [];
          for await (const result of client.iterate(operation)) results.push(result as Answer);
          assert.equal(results.length, 1);
          return results[0] as Answer;
        }),
      );
    } finally {
      await client.dispose();
    }
  }

  it('gives each operation of a socket a budget of its own', async () => {
    stack.gitlab.resetRequestLog();
    const answers = await onOneSocket([
      { query: NODES, variables: { ids: distinctIds(100) } },
      { query: NODES, variables: { ids: distinctIds(100, 20_001) } },
    ]);
    for (const answer of answers) assert.equal(answer.errors, undefined, JSON.stringify(answer.errors?.[0]));
    assert.equal(stack.upstreamRequests().length, 200);
  });

  it('refuses an operation that could make more calls than the budget, before calling GitLab', async () => {
    stack.gitlab.resetRequestLog();
    const [answer] = await onOneSocket([manyNodes(2, 10_001)]);
    assert.equal(refusedBeforeRunning(answer as Answer)?.found, 200);
    assert.deepEqual(stack.upstreamRequests(), []);
  });
});
