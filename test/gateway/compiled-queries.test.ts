import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type GraphQLObjectType, getNamedType, isLeafType } from 'graphql';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { EXECUTORS } from '../../src/plugins/use-compiled-queries.ts';
import { schema } from '../../src/schema/index.ts';
import { credentialHeaders, graphqlHeaders } from '../helpers/credentials.ts';
import { type FaultMode, type ProxiedGitLab, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import { type Observed, parseExposition, startObservedGateway, sumOf } from '../helpers/observed-stack.ts';
import { propertyRuns } from '../helpers/property.ts';
import { selectionOf } from '../helpers/selection.ts';
import { type GatewayHandle, gid, startGateway } from '../helpers/stack.ts';

/**
 * Compiled queries answer exactly as graphql-js does. One embedded GitLab (behind a proxy that fails some hooks
 * in set ways) serves two gateways, one with `COMPILED_QUERIES` off and one with it on, and every document of the
 * corpus below goes to both: the compiled gateway's answer (its second, once the document is compiled) must be
 * the same bytes as graphql-js's, and its metric must say which executor ran it.
 */

/** Hooks the proxy fails: a 500, a body that is not JSON, a reset connection; hook 99 does not exist. */
const FAILS_500 = 13;
const FAILS_MALFORMED = 14;
const FAILS_RESET = 15;
const MISSING = 99;
/** Hooks GitLab answers with values the schema cannot serialize: a creation time that is not one, an unknown enum value. */
const ODD_HOOK = 21;
const ODD_PAGE_SIZE = 7;

const ALL_FIELDS = selectionOf(schema.getType('SystemHook') as GraphQLObjectType);

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** Which executor runs it once compiled documents are in use. */
  executor: 'compiled' | 'graphql-js';
  /** Text graphql-js's answer holds, to show that the case reaches what it names. */
  shows?: string[];
}

const CASES: Case[] = [
  {
    name: 'a page of 20 hooks with every field',
    query: `query List { systemHooks(first: 20) { count nodes { ${ALL_FIELDS} } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
    executor: 'compiled',
  },
  {
    name: 'edges with cursors, a page from a cursor, the last page before one',
    query: `query Pages($after: String, $before: String) {
      first: systemHooks(first: 3) { edges { cursor node { id name } } pageInfo { endCursor } }
      second: systemHooks(first: 3, after: $after) { edges { cursor node { id __typename } } }
      back: systemHooks(last: 2, before: $before) { nodes { id } pageInfo { hasPreviousPage startCursor } }
    }`,
    variables: { after: null, before: null },
    executor: 'compiled',
  },
  {
    name: 'an argument out of range',
    query: `{ a: systemHooks(first: -1) { count } }`,
    executor: 'compiled',
  },
  {
    name: 'a bad cursor under a non-null root field: no data, the error located',
    query: `query Mixed { ok: systemHook(id: "${gid(1)}") { id url } bad: systemHooks(after: "not-a-cursor") { count } }`,
    executor: 'compiled',
  },
  {
    name: 'one hook by a variable, with fragments, aliases and nested __typename',
    query: `query One($id: ID!) {
      systemHook(id: $id) { __typename hookId: id ...Names ... on SystemHook { createdAt urlVariables { key __typename } } }
    }
    fragment Names on SystemHook { name description url }`,
    variables: { id: gid(2) },
    executor: 'compiled',
  },
  {
    name: 'hooks that are missing, malformed or of another type, next to one that is there',
    query: `{
      missing: systemHook(id: "${gid(MISSING)}") { id }
      malformed: systemHook(id: "nope") { id }
      foreign: systemHook(id: "gid://gitlab/Project/1") { id }
      fine: systemHook(id: "${gid(3)}") { id pushEvents }
    }`,
    executor: 'compiled',
    shows: ['"missing":null', 'BAD_USER_INPUT', '"pushEvents":false'],
  },
  ...[FAILS_500, FAILS_MALFORMED, FAILS_RESET].map(
    (id): Case => ({
      name: `a hook GitLab fails to serve (hook ${id}), in a list and at the root`,
      query: `query Failing($ids: [ID!]!) { nodes(ids: $ids) { id } one: systemHook(id: "${gid(id)}") { id name } }`,
      variables: { ids: [gid(id)] },
      executor: 'compiled',
      shows: ['"one":null', '"nodes":[null]', '"code":"UPSTREAM_'],
    }),
  ),
  {
    name: 'a hook whose creation time is not a time and whose alert status is unknown',
    query: `query Odd { systemHook(id: "${gid(ODD_HOOK)}") { id alertStatus createdAt name } }`,
    executor: 'compiled',
    shows: ['"systemHook":null', '"path":["systemHook","createdAt"]'],
  },
  {
    name: 'a list with such a hook in it: the error reaches the non-null list, and the root',
    query: `{ systemHooks(first: ${ODD_PAGE_SIZE}) { count nodes { id alertStatus createdAt } } }`,
    executor: 'compiled',
    shows: ['"data":null', '"createdAt"]'],
  },
  {
    name: 'the same list without the field that fails',
    query: `{ systemHooks(first: ${ODD_PAGE_SIZE}) { nodes { id alertStatus } } }`,
    executor: 'compiled',
  },
  {
    name: 'nodes with good and missing ids, read in one batch',
    query: `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on SystemHook { name tokenPresent } } }`,
    variables: { ids: [gid(1), gid(MISSING), gid(4), gid(FAILS_500)] },
    executor: 'compiled',
  },
  {
    name: 'nodes with an id that is not a global id: the whole list fails',
    query: `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
    variables: { ids: [gid(1), 'bad'] },
    executor: 'compiled',
  },
  {
    name: 'node by id under @include and @skip from variables',
    query: `query Node($id: ID!, $names: Boolean!, $urls: Boolean = true) {
      node(id: $id) { id ... on SystemHook @include(if: $names) { name } ... on SystemHook { url @skip(if: $urls) } }
    }`,
    variables: { id: gid(5), names: false },
    executor: 'graphql-js',
  },
  ...[
    [false, false],
    [true, true],
    [false, true],
    [true, false],
  ].map(
    ([a, b]): Case => ({
      name: `one field under fragment spreads with @include(if: ${a}) and @skip(if: ${b}), and on its own (graphql-js runs @skip and @include)`,
      query: `query Spreads($a: Boolean!, $b: Boolean!) {
        systemHook(id: "${gid(8)}") { ...F @include(if: $a) ...G @skip(if: $b) name @include(if: $a) ... on SystemHook @skip(if: $a) { id } }
        systemHooks(first: 2) { nodes { ...F @skip(if: $b) ... { ...G @include(if: $b) } } }
      }
      fragment F on SystemHook { id url ... on SystemHook @include(if: $b) { description } }
      fragment G on SystemHook { id pushEvents url @skip(if: $a) }`,
      variables: { a, b },
      executor: 'graphql-js',
    }),
  ),
  {
    name: 'a field selected in several places, its selections merged in order',
    query: `{
      systemHooks(first: 2) { nodes { id } ...P nodes { url ... on SystemHook { id name } ... on Node { id } } pageInfo { endCursor } }
      again: systemHooks(first: 2) { ...P count nodes { ...Q } }
    }
    fragment P on SystemHookConnection { nodes { description ...Q } count }
    fragment Q on SystemHook { createdAt id }`,
    executor: 'compiled',
  },
  {
    name: 'the chosen operation of a document with two',
    query: `query A { systemHooks(first: 1) { count } } query B { systemHook(id: "${gid(6)}") { name } }`,
    operationName: 'B',
    executor: 'compiled',
  },
  {
    name: 'a default variable and an explicit null',
    query: `query Defaults($first: Int = 2, $after: String) { systemHooks(first: $first, after: $after) { nodes { id } } }`,
    variables: { after: null },
    executor: 'compiled',
  },
  {
    name: 'aliases that are names of Object.prototype (graphql-js runs those with __proto__)',
    query: `{
      __proto__: systemHook(id: "${gid(1)}") { __proto__: name constructor: id toString: url }
      hasOwnProperty: systemHooks(first: 2) { __proto__: nodes { prototype: id } }
    }`,
    executor: 'graphql-js',
    shows: ['"__proto__":{"__proto__":"hook 1"', '"hasOwnProperty":{"__proto__":[{"prototype"'],
  },
  {
    name: 'aliases that are names of Object.prototype, but not __proto__',
    query: `{ constructor: systemHook(id: "${gid(1)}") { toString: name valueOf: id } prototype: systemHooks(first: 1) { hasOwnProperty: count } }`,
    executor: 'compiled',
    shows: ['"constructor":{"toString":"hook 1"'],
  },
  {
    name: 'string literals written to break out of generated code',
    query: `{
      a: systemHooks(after: "\\"); globalThis.compiledQueryEscaped = true; (\\"") { count }
    }`,
    executor: 'compiled',
    shows: ['BAD_USER_INPUT'],
  },
  {
    name: 'the same strings, with a line separator and a template, in a variable',
    query: `query Escape($after: String) { systemHooks(after: $after) { count } }`,
    variables: {
      after:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a template's placeholder is the point
        '`${globalThis.compiledQueryEscaped = true}`\u2028"); globalThis.compiledQueryEscaped = true; //',
    },
    executor: 'compiled',
    shows: ['BAD_USER_INPUT'],
  },
  {
    name: 'a variable graphql-js refuses: its own message, from graphql-js',
    query: `query Bad($first: Int) { systemHooks(first: $first) { count } }`,
    variables: { first: 'twenty' },
    executor: 'graphql-js',
  },
  {
    name: 'a list variable with a null item',
    query: `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
    variables: { ids: [gid(1), null] },
    executor: 'graphql-js',
  },
  {
    name: 'a root __typename',
    query: `{ __typename systemHook(id: "${gid(1)}") { id } }`,
    executor: 'graphql-js',
  },
  {
    name: "federation's _entities with a representation that fails",
    query: `query Entities($r: [_Any!]!) { _entities(representations: $r) { ... on SystemHook { id name } } }`,
    variables: {
      r: [
        { __typename: 'SystemHook', id: gid(1) },
        { __typename: 'SystemHook', id: gid(MISSING) },
      ],
    },
    executor: 'graphql-js',
  },
  {
    name: 'a mutation',
    query: `mutation { updateSystemHook(input: { id: "${gid(7)}", name: "renamed" }) { errors systemHook { name } } }`,
    executor: 'graphql-js',
  },
];

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

async function post(gateway: GatewayHandle, testCase: Case): Promise<Answer> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: graphqlHeaders(),
    body: JSON.stringify({
      query: testCase.query,
      variables: testCase.variables,
      operationName: testCase.operationName,
    }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

/**
 * GitLab's answers for hook `ODD_HOOK` and for the first page of `ODD_PAGE_SIZE` hooks, with one hook's
 * `created_at` and `alert_status` replaced by values the schema cannot serialize.
 */
async function oddAnswers(gitlabUrl: string): Promise<Record<'hook' | 'page', FaultMode>> {
  const oddly = (hook: Record<string, unknown>) => ({
    ...hook,
    created_at: 'not a time',
    alert_status: 'some_future_status',
  });
  const read = async (path: string, rewrite: (body: unknown) => unknown): Promise<FaultMode> => {
    const response = await fetch(`${gitlabUrl}${path}`, { headers: credentialHeaders() });
    const headers = Object.fromEntries(
      [...response.headers].filter(
        ([name]) => name === 'content-type' || name.startsWith('x-') || name === 'link',
      ),
    );
    return { kind: 'status', status: 200, headers, body: JSON.stringify(rewrite(await response.json())) };
  };
  return {
    hook: await read(`/api/v4/hooks/${ODD_HOOK}`, (hook) => oddly(hook as Record<string, unknown>)),
    page: await read(`/api/v4/hooks?page=1&per_page=${ODD_PAGE_SIZE}`, (hooks) =>
      (hooks as Record<string, unknown>[]).map((hook, i) => (i === 3 ? oddly(hook) : hook)),
    ),
  };
}

/** `gateway_graphql_executions_total` by executor, as the compiled gateway's metrics read now. */
async function executions(observed: Observed): Promise<Record<string, number>> {
  const samples = parseExposition(await observed.metricsText());
  return Object.fromEntries(
    EXECUTORS.map((executor) => [executor, sumOf(samples, 'gateway_graphql_executions_total', { executor })]),
  );
}

describe('compiled queries', () => {
  let upstream: ProxiedGitLab;
  let interpreted: GatewayHandle;
  let compiled: GatewayHandle & Observed;

  before(async () => {
    upstream = await startProxiedGitLab({ hooks: 30 });
    const odd = await oddAnswers(upstream.gitlab.url);
    upstream.proxy.setMode(({ target }) => {
      if (target === `/api/v4/hooks/${ODD_HOOK}`) return odd.hook;
      if (target.includes(`per_page=${ODD_PAGE_SIZE}`)) return odd.page;
      if (target === `/api/v4/hooks/${FAILS_500}`) return { kind: 'status', status: 500 };
      if (target === `/api/v4/hooks/${FAILS_MALFORMED}`) return { kind: 'malformed-json' };
      if (target === `/api/v4/hooks/${FAILS_RESET}`) return { kind: 'reset-before-headers' };
      return { kind: 'pass' };
    });
    const upstreamOptions = { retry: { retries: 0 } };
    interpreted = await startGateway(upstream.proxy.url, {
      upstream: upstreamOptions,
      gateway: { compiledQueries: { enabled: false } },
    });
    compiled = await startObservedGateway(upstream.proxy.url, {
      upstream: upstreamOptions,
      tracing: false,
      logLevel: 'silent',
      // As `npm start` runs: a document is compiled when it comes the second time.
      gateway: { logging: false, compiledQueries: { compileAfter: 1 } },
    });
  });

  after(async () => {
    await Promise.all([interpreted?.close(), compiled?.close()]);
    await upstream?.proxy.close();
    await upstream?.gitlab.close();
  });

  for (const testCase of CASES) {
    it(`answers as graphql-js does: ${testCase.name}`, async () => {
      // A mutation changes the hook: each gateway runs it on a hook of its own state (renaming twice is the same).
      const expected = await post(interpreted, testCase);
      for (const text of testCase.shows ?? [])
        assert.ok(expected.body.includes(text), `${text} in ${expected.body}`);
      const first = await post(compiled, testCase);
      const counted = await executions(compiled);
      const second = await post(compiled, testCase);
      const counts = await executions(compiled);
      assert.deepEqual(first, expected, 'the first execution, before compiling');
      assert.deepEqual(second, expected, 'the second execution');
      const executed = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const executedBefore = Object.values(counted).reduce((sum, n) => sum + n, 0);
      if (expected.status === 200 || testCase.executor === 'compiled') {
        assert.equal(executed - executedBefore, 1, 'one execution counted');
        assert.equal(
          (counts[testCase.executor] ?? 0) - (counted[testCase.executor] ?? 0),
          1,
          `run by ${testCase.executor}`,
        );
      }
    });
  }

  it('answers a page requested by cursors from an earlier page as graphql-js does', async () => {
    const page = JSON.parse(
      (await post(interpreted, { ...CASES[1], variables: { after: null, before: null } } as Case)).body,
    ) as { data: { first: { pageInfo: { endCursor: string } } } };
    const cursor = page.data.first.pageInfo.endCursor;
    const testCase = { ...(CASES[1] as Case), variables: { after: cursor, before: cursor } };
    const expected = await post(interpreted, testCase);
    assert.match(expected.body, /"second":\{"edges":\[\{"cursor"/);
    assert.deepEqual(await post(compiled, testCase), expected);
  });

  it('answers random selections of hooks as graphql-js does', async () => {
    // Selections drawn from SystemHook's fields, aliased, repeated, and spread through named and inline fragments,
    // under each root field that returns hooks; each document is sent to both gateways, twice to the compiled one.
    const scalars = Object.values((schema.getType('SystemHook') as GraphQLObjectType).getFields())
      .filter((field) => isLeafType(getNamedType(field.type)))
      .map((field) => field.name);
    const alias = fc.constantFrom('', 'a', 'b', 'constructor', 'toString', 'id', 'url');
    const selection = fc.array(
      fc.tuple(alias, fc.constantFrom(...scalars), fc.constantFrom('field', 'inline', 'spread')),
      { minLength: 1, maxLength: 8 },
    );
    const root = fc.constantFrom(
      (body: string) => `systemHooks(first: 5) { nodes { ${body} } }`,
      (body: string) => `systemHook(id: "${gid(2)}") { ${body} }`,
      (body: string) =>
        `nodes(ids: ["${gid(3)}", "${gid(MISSING)}", "${gid(ODD_HOOK)}"]) { ... on SystemHook { ${body} } }`,
    );
    await fc.assert(
      fc.asyncProperty(selection, root, async (fields, wrap) => {
        const fragments: string[] = [];
        // A response key names one field: an alias already given to another field, or naming another field, is dropped.
        const keys = new Map<string, string>(scalars.map((field) => [field, field]));
        const body = fields
          .map(([name, field, how], i) => {
            const owner = keys.get(name) ?? field;
            if (name !== '' && owner === field) keys.set(name, field);
            const key = name !== '' && owner === field ? `${name}: ${field}` : field;
            if (how === 'inline') return `... on SystemHook { ${key} }`;
            if (how === 'spread') fragments.push(`fragment F${i} on SystemHook { ${key} }`);
            return how === 'spread' ? `...F${i}` : key;
          })
          .join(' ');
        const testCase: Case = {
          name: 'random',
          query: `query Random { ${wrap(body)} } ${fragments.join(' ')}`,
          executor: 'compiled',
        };
        const expected = await post(interpreted, testCase);
        assert.equal(expected.status, 200, expected.body);
        await post(compiled, testCase);
        assert.deepEqual(await post(compiled, testCase), expected);
      }),
      propertyRuns(40),
    );
  });

  it('keeps at most maxCompiled compiled queries, dropping the least recently run', async () => {
    const small = await startObservedGateway(upstream.proxy.url, {
      tracing: false,
      logLevel: 'silent',
      gateway: { logging: false, compiledQueries: { compileAfter: 1, maxCompiled: 2 } },
    });
    try {
      const documents = [1, 2, 3].map(
        (first): Case => ({
          name: `first ${first}`,
          query: `query Page { systemHooks(first: ${first}) { count } }`,
          executor: 'compiled',
        }),
      );
      const ranBy = async (testCase: Case) => {
        const before = await executions(small);
        await post(small, testCase);
        const after = await executions(small);
        return (after.compiled ?? 0) > (before.compiled ?? 0) ? 'compiled' : 'graphql-js';
      };
      const [one, two, three] = documents as [Case, Case, Case];
      // Each document runs once with graphql-js before it is compiled (compileAfter: 1).
      const order: string[] = [];
      for (const testCase of [one, one, two, two, one, three, three, one, two, two, three])
        order.push(`${testCase.name}: ${await ranBy(testCase)}`);
      assert.deepEqual(order, [
        'first 1: graphql-js',
        'first 1: compiled',
        'first 2: graphql-js',
        'first 2: compiled',
        'first 1: compiled',
        'first 3: graphql-js',
        'first 3: compiled', // three compiled: two, the least recently run, is dropped
        'first 1: compiled',
        'first 2: graphql-js', // dropped: seen again from the start
        'first 2: compiled', // and compiled again: three is dropped
        'first 3: graphql-js',
      ]);
    } finally {
      await small.close();
    }
  });

  it('runs no code a document or its variables carry', () => {
    assert.equal((globalThis as { compiledQueryEscaped?: boolean }).compiledQueryEscaped, undefined);
  });

  it('compiles a document once it has been seen, and only then', async () => {
    const testCase: Case = {
      name: 'new',
      query: `query Fresh { systemHooks(first: 4) { nodes { id } } }`,
      executor: 'compiled',
    };
    const before = await executions(compiled);
    await post(compiled, testCase);
    const afterFirst = await executions(compiled);
    assert.equal((afterFirst['graphql-js'] ?? 0) - (before['graphql-js'] ?? 0), 1, 'the first by graphql-js');
    await post(compiled, testCase);
    await post(compiled, testCase);
    const afterThird = await executions(compiled);
    assert.equal((afterThird.compiled ?? 0) - (afterFirst.compiled ?? 0), 2, 'the next ones compiled');
  });
});

describe('COMPILED_QUERIES', () => {
  it('is on by default (unset or empty), and off with false in any case', () => {
    assert.equal(loadConfig({}).compiledQueries, true);
    assert.equal(loadConfig({ COMPILED_QUERIES: '' }).compiledQueries, true);
    assert.equal(loadConfig({ COMPILED_QUERIES: ' FALSE ' }).compiledQueries, false);
    assert.equal(loadConfig({ COMPILED_QUERIES: 'true' }).compiledQueries, true);
  });

  for (const value of ['yes', '0', 'off', 'true\nfalse', 'x'.repeat(10_000)]) {
    it(`refuses ${JSON.stringify(value.slice(0, 12))}${value.length > 12 ? '…' : ''} with a sentence naming it`, () => {
      assert.throws(
        () => loadConfig({ COMPILED_QUERIES: value }),
        (error: unknown) => error instanceof ConfigError && /COMPILED_QUERIES/.test(error.message),
      );
    });
  }
});
