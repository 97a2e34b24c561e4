import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gid, type Stack, seedHooks, startStack } from '../helpers/stack.ts';

/** `_entities` as a federating gateway calls it: representations in a variable. */
const ENTITIES = /* GraphQL */ `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on SystemHook { id url name }
    }
  }
`;

const hookRef = (id: unknown) => ({ __typename: 'SystemHook', id });

describe('_entities', () => {
  let stack: Stack;
  let ids: number[];

  before(async () => {
    stack = await startStack();
    ids = await seedHooks(stack.gitlab, 250);
  });
  after(() => stack.close());
  beforeEach(() => stack.gitlab.resetRequestLog());

  const entities = (representations: unknown[], token?: string | null) =>
    stack.requestText(ENTITIES, { representations }, token === undefined ? {} : { token });

  it('resolves 50 representations among 250 hooks, in order, with at most 3 upstream requests', async () => {
    // Every fifth hook, reversed: spread over the whole id range, and not in GitLab's order.
    const wanted = ids.flatMap((id, i) => (i % 5 === 1 ? [{ id, position: i + 1 }] : [])).reverse();
    assert.equal(wanted.length, 50);
    const result = await entities(wanted.map((hook) => hookRef(gid(hook.id))));
    assert.equal(result.errors, undefined);
    assert.deepEqual(
      result.data._entities,
      wanted.map((hook) => ({
        id: gid(hook.id),
        url: `https://hooks.example.com/${hook.position}`,
        name: `hook ${hook.position}`,
      })),
    );
    const requests = stack.upstreamRequests();
    assert.ok(requests.length <= 3, `expected at most 3 upstream requests, got ${requests.length}`);
    assert.ok(requests.every((r) => r.method === 'GET' && r.path === '/api/v4/hooks'));
  });

  it('shares the loader with nodes: a hook read by both costs one upstream request', async () => {
    const id = gid(ids[42] as number);
    const result = await stack.requestText(
      `query ($id: ID!, $representations: [_Any!]!) {
        nodes(ids: [$id]) { id }
        _entities(representations: $representations) { ... on SystemHook { id name } }
      }`,
      { id, representations: [hookRef(id), hookRef(id)] },
    );
    assert.equal(result.errors, undefined);
    assert.deepEqual(result.data._entities, [
      { id, name: 'hook 43' },
      { id, name: 'hook 43' },
    ]);
    assert.deepEqual(
      stack.upstreamRequests().map((r) => `${r.method} ${r.path}`),
      [`GET /api/v4/hooks/${ids[42]}`],
    );
  });

  it('takes a plain REST id, and answers null in place for a hook that does not exist', async () => {
    const result = await entities([hookRef(String(ids[0])), hookRef(gid(999_999)), hookRef(ids[1])]);
    assert.equal(result.errors, undefined);
    assert.deepEqual(
      result.data._entities.map((hook: { id: string } | null) => hook?.id ?? null),
      [gid(ids[0] as number), null, gid(ids[1] as number)],
    );
  });

  it('fails only the representation without an id, and does not call GitLab for it', async () => {
    const result = await entities([hookRef(gid(ids[2] as number)), { __typename: 'SystemHook' }]);
    assert.equal(result.data._entities[0].id, gid(ids[2] as number));
    assert.equal(result.data._entities[1], null);
    assert.equal(result.errors?.length, 1);
    assert.deepEqual(result.errors?.[0]?.path, ['_entities', 1]);
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(result.errors?.[0]?.message ?? '', /needs its key field "id"/);
    assert.deepEqual(
      stack.upstreamRequests().map((r) => r.path),
      [`/api/v4/hooks/${ids[2]}`],
    );
  });

  it('fails each representation with a malformed or foreign id, naming it, without calling GitLab', async () => {
    const bad = ['gid://gitlab/Project/1', 'gid://gitlab/SystemHook/abc', 'not-an-id', '-3', { id: 1 }];
    const result = await entities(bad.map(hookRef));
    assert.deepEqual(result.data._entities, [null, null, null, null, null]);
    assert.deepEqual(
      result.errors?.map((error) => [error.path, error.extensions?.code, error.message]),
      [
        [
          ['_entities', 0],
          'BAD_USER_INPUT',
          '"gid://gitlab/Project/1" does not represent an instance of SystemHook',
        ],
        [['_entities', 1], 'BAD_USER_INPUT', '"gid://gitlab/SystemHook/abc" is not a valid SystemHook ID'],
        [['_entities', 2], 'BAD_USER_INPUT', '"not-an-id" is not a valid Global ID'],
        [['_entities', 3], 'BAD_USER_INPUT', '"-3" is not a valid SystemHook ID'],
        [
          ['_entities', 4],
          'BAD_USER_INPUT',
          'The "id" of a SystemHook representation must be a global ID or a REST id',
        ],
      ],
    );
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('refuses the whole call for a __typename that is not an entity of this subgraph', async () => {
    for (const typename of ['Namespace', 'WebhookUrlVariable', 'Query']) {
      const result = await entities([hookRef(gid(ids[0] as number)), { __typename: typename, id: '1' }]);
      assert.equal(result.data, null, typename);
      assert.equal(result.errors?.length, 1, typename);
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', typename);
      assert.equal(
        result.errors?.[0]?.message,
        `Representation 1 has __typename "${typename}", which is not an entity of this subgraph (its entities: Group, GroupHook, Project, ProjectHook, SystemHook, WebhookEvent)`,
      );
    }
    assert.deepEqual(stack.upstreamRequests(), [], 'no representation of a refused call reaches GitLab');
  });

  it('refuses a representation that is not an object with a __typename', async () => {
    for (const representation of [{ id: gid(1) }, 'SystemHook', 7, { __typename: 7, id: '1' }]) {
      const result = await entities([representation]);
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(representation));
      assert.equal(result.errors?.[0]?.message, 'Representation 0 is not an object with a string __typename');
    }
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('refuses 10,000 representations with one clear error and no upstream request', async () => {
    // Plain REST ids keep the body (about 350 KB) well under the request body limit, so the bound tested is ours.
    const representations = Array.from({ length: 10_000 }, (_, i) => hookRef(String(i + 1)));
    const result = await entities(representations);
    assert.equal(result.status, 200);
    assert.equal(result.data, null);
    assert.deepEqual(
      result.errors?.map((error) => [error.extensions?.code, error.message]),
      [['BAD_USER_INPUT', '_entities takes at most 100 representations, got 10000']],
    );
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('takes exactly 100 representations and refuses 101', async () => {
    const hundred = ids.slice(0, 100).map((id) => hookRef(gid(id)));
    const accepted = await entities(hundred);
    assert.equal(accepted.errors, undefined);
    assert.equal(accepted.data._entities.length, 100);
    assert.ok(
      stack.upstreamRequests().length <= 2,
      `got ${stack.upstreamRequests().length} upstream requests`,
    );

    stack.gitlab.resetRequestLog();
    const refused = await entities([...hundred, hookRef(gid(ids[100] as number))]);
    assert.equal(refused.errors?.[0]?.message, '_entities takes at most 100 representations, got 101');
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('needs a credential like every read, and refuses without one before calling GitLab', async () => {
    const result = await entities([hookRef(gid(ids[0] as number))], null);
    assert.deepEqual(result.data._entities, [null]);
    assert.equal(result.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.deepEqual(stack.upstreamRequests(), []);
  });
});
