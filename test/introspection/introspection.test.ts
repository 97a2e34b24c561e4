import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { SystemHooksDocument } from '../generated/graphql.ts';
import { type Stack, seedHooks, startStack } from '../helpers/stack.ts';

const DISABLED = /^Introspection is disabled by the operator of this gateway \(INTROSPECTION=false\)/;

describe('INTROSPECTION=false', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ gateway: { introspection: false } });
    await seedHooks(stack.gitlab, 2);
  });
  after(() => stack.close());
  beforeEach(() => stack.gitlab.resetRequestLog());

  it("refuses GraphiQL's introspection query, saying that the operator disabled it", async () => {
    const result = await stack.requestText(getIntrospectionQuery());
    assert.equal(result.status, 400);
    assert.equal(result.data, undefined);
    assert.ok(result.errors && result.errors.length > 0);
    for (const error of result.errors) {
      assert.match(error.message, DISABLED);
      assert.equal(error.extensions?.code, 'INTROSPECTION_DISABLED');
    }
  });

  it('refuses __schema and __type however they are asked for', async () => {
    for (const query of [
      '{ __schema { queryType { name } } }',
      '{ __type(name: "SystemHook") { fields { name } } }',
      '{ schema: __schema { types { name } } }',
      'query { ...Meta } fragment Meta on Query { __type(name: "Query") { name } }',
      '{ systemHooks { count } __schema { types { name } } }',
    ]) {
      const result = await stack.requestText(query);
      assert.equal(result.errors?.[0]?.extensions?.code, 'INTROSPECTION_DISABLED', query);
      assert.match(result.errors?.[0]?.message ?? '', DISABLED);
      assert.equal(result.data, undefined, query);
    }
    assert.equal(stack.upstreamRequests().length, 0, 'nothing runs');
  });

  it('answers __typename and every normal query', async () => {
    const typed = await stack.request(SystemHooksDocument, { first: 1 });
    assert.equal(typed.errors, undefined);
    assert.equal(typed.data?.systemHooks.count, 2);
    const result = await stack.requestText('{ __typename systemHooks { nodes { __typename name } } }');
    assert.equal(result.errors, undefined);
    assert.deepEqual(result.data, {
      __typename: 'Query',
      systemHooks: {
        nodes: [
          { __typename: 'SystemHook', name: 'hook 1' },
          { __typename: 'SystemHook', name: 'hook 2' },
        ],
      },
    });
  });
});

describe('introspection by default', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it("answers GraphiQL's introspection query", async () => {
    const result = await stack.requestText(getIntrospectionQuery({ descriptions: true }));
    assert.equal(result.errors, undefined);
    const query = result.data.__schema.types.find((type: { name: string }) => type.name === 'Query');
    const systemHooks = query.fields.find((field: { name: string }) => field.name === 'systemHooks');
    assert.match(systemHooks.description, /REST: GET \/api\/v4\/hooks$/);
  });

  it('answers __type', async () => {
    const result = await stack.requestText('{ __type(name: "SystemHook") { name kind } }');
    assert.deepEqual(result.data, { __type: { name: 'SystemHook', kind: 'OBJECT' } });
  });
});
