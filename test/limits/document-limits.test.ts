import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { DEFAULT_QUERY_LIMITS } from '../../src/graphql/plugins/use-query-limits.ts';
import { type GraphQLResponse, gid, type Stack, seedHooks, startStack } from '../helpers/stack.ts';
import type { UntypedData } from '../helpers/untyped.ts';

const { maxTokens, maxDepth, maxAliases, maxDirectives, maxComplexity } = DEFAULT_QUERY_LIMITS;

type Answer = GraphQLResponse<UntypedData>;

/** A rejection by one limit: HTTP 400, one error, the limit's code and numbers, and no data. */
function assertRejected(answer: Answer, limit: string, max: number, message: RegExp): void {
  assert.equal(answer.status, 400, JSON.stringify(answer));
  assert.equal(answer.data, undefined);
  assert.equal(answer.errors?.length, 1, JSON.stringify(answer.errors));
  const [error] = answer.errors ?? [];
  assert.match(error?.message ?? '', message);
  assert.equal(error?.extensions?.code, 'QUERY_LIMIT_EXCEEDED');
  assert.equal(error?.extensions?.limit, limit);
  assert.equal(error?.extensions?.max, max);
}

function assertServed(answer: Answer): void {
  assert.equal(answer.status, 200, JSON.stringify(answer.errors));
  assert.equal(answer.errors, undefined);
  assert.ok(answer.data);
}

/** `{ __type(name: "SystemHook") { fields { type { ofType { … name … } } } } }`, `depth` fields deep. */
function introspectionOfDepth(depth: number): string {
  const ofTypes = depth - 4;
  return `{ __type(name: "SystemHook") { fields { type { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } } } }`;
}

const HOOK_FIELDS = [
  'id',
  'url',
  'name',
  'description',
  'createdAt',
  'pushEvents',
  'tagPushEvents',
  'mergeRequestsEvents',
  'repositoryUpdateEvents',
  'enableSslVerification',
  'pushEventsBranchFilter',
  'branchFilterStrategy',
  'alertStatus',
  'disabledUntil',
  'customWebhookTemplate',
  'organizationId',
];

describe('limits on GraphQL documents', () => {
  let stack: Stack;
  let hook: string;

  before(async () => {
    stack = await startStack();
    const [id] = await seedHooks(stack.gitlab, 1);
    hook = gid(id as number);
  });
  after(() => stack.close());

  /** Sends `query` and asserts that GitLab was not called when the answer is a rejection. */
  async function send(query: string, variables?: Record<string, unknown>): Promise<Answer> {
    stack.gitlab.resetRequestLog();
    const answer = await stack.requestText(query, variables);
    if (answer.errors?.some((error) => error.extensions?.code === 'QUERY_LIMIT_EXCEEDED')) {
      assert.deepEqual(stack.upstreamRequests(), [], 'a rejected document reached GitLab');
    }
    return answer;
  }

  describe('tokens', () => {
    /**
     * A document of `tokens` tokens: 27 of them around a default list of IDs that pads it out. The request
     * sends its own `ids`, so the default is parsed and checked, never used.
     */
    const withTokens = (tokens: number) =>
      `query Tokens($ids: [ID!]! = [${'"1" '.repeat(tokens - 27)}]) { nodes(ids: $ids) { id } }`;

    it(`serves a document of ${maxTokens} tokens`, async () => {
      assertServed(await send(withTokens(maxTokens), { ids: [hook] }));
    });

    it(`refuses a document of ${maxTokens + 1} tokens before parsing it`, async () => {
      assertRejected(
        await send(withTokens(maxTokens + 1), { ids: [hook] }),
        'tokens',
        maxTokens,
        new RegExp(
          `^The document has more than ${maxTokens} tokens, which exceeds the limit of ${maxTokens}$`,
        ),
      );
    });

    it('stops counting at the limit, whatever the size of the document', async () => {
      // 200k tokens, most of them past a syntax error that a full parse would have reported first.
      const answer = await send(`{ __typename ${'a '.repeat(100_000)} ( ${'b '.repeat(100_000)}`);
      assertRejected(answer, 'tokens', maxTokens, /more than 1000 tokens/);
    });

    it('refuses a document over the limit for its tokens when a syntax error comes first', async () => {
      const answer = await send(`{ ( ${'a '.repeat(maxTokens)}}`);
      assertRejected(answer, 'tokens', maxTokens, /more than 1000 tokens/);
    });

    it('answers a syntax error in a document within the limit as a syntax error', async () => {
      const answer = await send(`{ ( ${'a '.repeat(maxTokens - 10)}}`);
      assert.equal(answer.status, 400);
      assert.match(answer.errors?.[0]?.message ?? '', /^Syntax Error: Expected Name, found "\("\.$/);
      assert.equal(answer.errors?.[0]?.extensions?.code, 'GRAPHQL_PARSE_FAILED');
    });
  });

  describe('depth', () => {
    it(`serves a document ${maxDepth} fields deep`, async () => {
      assertServed(await send(introspectionOfDepth(maxDepth)));
    });

    it(`refuses a document ${maxDepth + 1} fields deep`, async () => {
      const answer = await send(introspectionOfDepth(maxDepth + 1));
      assertRejected(
        answer,
        'depth',
        maxDepth,
        new RegExp(`^The operation has a depth of ${maxDepth + 1}, which exceeds the limit of ${maxDepth}$`),
      );
      assert.equal(answer.errors?.[0]?.extensions?.found, maxDepth + 1);
    });

    it('counts fields reached through fragments', async () => {
      const ofTypes = maxDepth - 4;
      const nested = `${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)}`;
      const query = `{ __type(name: "SystemHook") { ...Fields } }
        fragment Fields on __Type { fields { ...Type } }
        fragment Type on __Field { type { ofType { ...Deep } } }
        fragment Deep on __Type { ${nested} }`;
      assertRejected(await send(query), 'depth', maxDepth, /depth of 21/);
    });
  });

  describe('aliases', () => {
    const aliased = (count: number) =>
      `query Aliased($id: ID!) { ${Array.from({ length: count }, (_, i) => `a${i}: systemHook(id: $id) { id }`).join(' ')} }`;

    it(`serves ${maxAliases} aliases`, async () => {
      const answer = await send(aliased(maxAliases), { id: hook });
      assertServed(answer);
      assert.equal(answer.data.a14.id, hook);
    });

    it(`refuses ${maxAliases + 1} aliases without calling GitLab`, async () => {
      assertRejected(
        await send(aliased(maxAliases + 1), { id: hook }),
        'aliases',
        maxAliases,
        /^The operation has 16 aliases, which exceeds the limit of 15$/,
      );
    });
  });

  describe('directives', () => {
    /** `count` directives, at most two (`@include`, `@skip`) on each field of a hook. */
    const withDirectives = (count: number) => {
      const fields = HOOK_FIELDS.map((field, i) => {
        const used = Math.max(0, Math.min(2, count - 2 * i));
        return `${field}${used > 0 ? ' @include(if: true)' : ''}${used > 1 ? ' @skip(if: false)' : ''}`;
      });
      return `query Directives($id: ID!) { systemHook(id: $id) { ${fields.join(' ')} } }`;
    };

    it(`serves ${maxDirectives} directives`, async () => {
      const answer = await send(withDirectives(maxDirectives), { id: hook });
      assertServed(answer);
      assert.equal(answer.data.systemHook.id, hook);
    });

    it(`refuses ${maxDirectives + 1} directives`, async () => {
      assertRejected(
        await send(withDirectives(maxDirectives + 1), { id: hook }),
        'directives',
        maxDirectives,
        /^The operation has 21 directives, which exceeds the limit of 20$/,
      );
    });
  });

  describe('complexity', () => {
    /** One field read (2) plus `extra` root `__typename`s (1 each). */
    const withComplexity = (complexity: number) =>
      `query Cost($id: ID!) { systemHook(id: $id) { id } ${'__typename '.repeat(complexity - 2)}}`;

    it(`serves a complexity of ${maxComplexity}`, async () => {
      assertServed(await send(withComplexity(maxComplexity), { id: hook }));
    });

    it(`refuses a complexity of ${maxComplexity + 1}`, async () => {
      const answer = await send(withComplexity(maxComplexity + 1), { id: hook });
      assertRejected(
        answer,
        'complexity',
        maxComplexity,
        /^The operation has a complexity of 251, which exceeds the limit of 250$/,
      );
      assert.equal(answer.errors?.[0]?.extensions?.found, maxComplexity + 1);
    });

    const page = (size: string) =>
      `systemHooks(first: ${size}) { count nodes { ${HOOK_FIELDS.join(' ')} urlVariables { key } customHeaders { key } } pageInfo { hasNextPage endCursor } }`;

    it('weighs a page by its size, as GitLab does: four full pages of every field pass, five do not', async () => {
      const pages = (count: number) =>
        `{ ${Array.from({ length: count }, (_, i) => `p${i}: ${page('100')}`).join(' ')} }`;
      assertServed(await send(pages(4)));
      assertRejected(await send(pages(5)), 'complexity', maxComplexity, /complexity of 255,/);
      assertServed(
        await send(`{ ${Array.from({ length: 6 }, (_, i) => `p${i}: ${page('10')}`).join(' ')} }`),
      );
    });

    it('counts a page size given by a variable as the largest page, whatever the variable holds', async () => {
      const query = (size: string) =>
        `query Pages${size === '$size' ? '($size: Int)' : ''} { ${Array.from({ length: 5 }, (_, i) => `p${i}: ${page(size)}`).join(' ')} }`;
      assertServed(await send(query('10'), { size: 10 }));
      assertRejected(await send(query('$size'), { size: 10 }), 'complexity', maxComplexity, /complexity/);
    });
  });

  it('reports every exceeded limit of a document at once', async () => {
    const fields = Array.from(
      { length: 16 },
      (_, i) => `a${i}: __typename @include(if: true) @skip(if: false)`,
    );
    const answer = await send(`{ ${fields.join(' ')} }`);
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.errors?.map((error) => error.extensions?.limit).sort(), [
      'aliases',
      'directives',
    ]);
  });

  it('answers a client that accepts only application/json with 200 and the same error, never a 500', async () => {
    stack.gitlab.resetRequestLog();
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'private-token': 'x' },
      body: JSON.stringify({ query: introspectionOfDepth(maxDepth + 1) }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as Answer;
    assert.equal(body.errors?.[0]?.extensions?.code, 'QUERY_LIMIT_EXCEEDED');
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  describe('introspection', () => {
    it("serves GraphiQL's introspection query", async () => {
      const answer = await send(getIntrospectionQuery());
      assertServed(answer);
      assert.equal(answer.data.__schema.queryType.name, 'Query');
    });

    it('serves the introspection query with every option GraphiQL may turn on', async () => {
      const query = getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
        oneOf: true,
      });
      assertServed(await send(query));
    });
  });

  describe('list sizes', () => {
    const ids = (count: number) => Array.from({ length: count }, () => hook);

    it('serves nodes for 100 IDs with one upstream request', async () => {
      const answer = await send('query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ids(100) });
      assertServed(answer);
      assert.equal(answer.data.nodes.length, 100);
      assert.equal(stack.upstreamRequests().length, 1);
    });

    it('refuses nodes for 101 IDs without calling GitLab', async () => {
      const answer = await send('query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ids(101) });
      assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(answer.errors?.[0]?.message ?? '', /at most 100/);
      assert.deepEqual(stack.upstreamRequests(), []);
    });
  });
});

describe('limits set by the operator', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ gateway: { limits: { maxDepth: 3, maxComplexity: 10 } } });
  });
  after(() => stack.close());

  it('applies a lower depth to ordinary fields, before GitLab is called', async () => {
    stack.gitlab.resetRequestLog();
    assertServed(await stack.requestText('{ systemHooks { nodes { id } } }'));
    const answer = await stack.requestText('{ systemHooks { nodes { urlVariables { key } } } }');
    assertRejected(answer, 'depth', 3, /depth of 4/);
    assert.equal(stack.upstreamRequests().length, 1, 'only the served query reached GitLab');
  });

  it('applies a lower complexity', async () => {
    const answer = await stack.requestText('{ systemHooks(first: 100) { nodes { id url name } count } }');
    assertRejected(answer, 'complexity', 10, /complexity of 11/);
  });
});
