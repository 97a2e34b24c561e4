import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CreateSystemHookDocument,
  NodesDocument,
  SystemHookDocument,
  SystemHooksDocument,
  UpdateSystemHookDocument,
} from '../generated/graphql.ts';
import { gid, type Stack, startStack } from '../helpers/stack.ts';

/** Inputs the gateway rejects itself: a clear BAD_USER_INPUT (or GraphQL validation) error, and no upstream call. */
describe('bad input', () => {
  let stack: Stack;
  let id: number;

  before(async () => {
    stack = await startStack();
    [id] = (await stack.gitlab.seed([{ url: 'https://example.com/kept', name: 'kept' }])) as [number];
  });
  after(() => stack.close());
  beforeEach(() => stack.gitlab.resetRequestLog());

  const rejects = async (
    run: () => Promise<{ errors?: { message: string; extensions?: { code?: string } }[] }>,
    code: string,
    message: RegExp,
  ) => {
    const result = await run();
    assert.equal(result.errors?.[0]?.extensions?.code, code, JSON.stringify(result.errors));
    assert.match(result.errors?.[0]?.message ?? '', message);
    assert.deepEqual(stack.upstreamRequests(), [], 'no upstream request for input the gateway rejects');
  };

  for (const [value, message] of [
    ['gid://gitlab/SystemHook/abc', /"gid:\/\/gitlab\/SystemHook\/abc" is not a valid SystemHook ID/],
    ['gid://gitlab/SystemHook/', /is not a valid SystemHook ID/],
    ['gid://gitlab/Project/1', /"gid:\/\/gitlab\/Project\/1" does not represent an instance of SystemHook/],
    ['gid://github/SystemHook/1', /is not a valid Global ID/],
    ['not an id', /"not an id" is not a valid Global ID/],
    ['', /"" is not a valid Global ID/],
    ['-1', /"-1" is not a valid SystemHook ID/],
    ['0', /"0" is not a valid SystemHook ID/],
    ['99999999999999999999', /"99999999999999999999" is not a valid SystemHook ID/],
    ['gid://gitlab/SystemHook/99999999999999999999', /is not a valid SystemHook ID/],
    ['1.5', /is not a valid Global ID/],
    ['gid://gitlab/SystemHook/1/2', /is not a valid Global ID/],
  ] as const) {
    it(`rejects the ID ${JSON.stringify(value)}`, () =>
      rejects(() => stack.request(SystemHookDocument, { id: value }), 'BAD_USER_INPUT', message));
  }

  it('quotes at most a short prefix of a huge ID', async () => {
    const huge = 'x'.repeat(1_000_000);
    const result = await stack.request(SystemHookDocument, { id: huge });
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.ok((result.errors?.[0]?.message.length ?? 0) < 200);
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('rejects a whole nodes list when one ID is malformed, before any upstream call', () =>
    rejects(
      () => stack.request(NodesDocument, { ids: [gid(id), 'gid://gitlab/Project/1'] }),
      'BAD_USER_INPUT',
      /does not represent an instance of SystemHook/,
    ));

  it('rejects more than 100 IDs in nodes', () =>
    rejects(
      () => stack.request(NodesDocument, { ids: Array.from({ length: 101 }, (_, i) => gid(i + 1)) }),
      'BAD_USER_INPUT',
      /at most 100 IDs, got 101/,
    ));

  for (const [variables, message] of [
    [{ first: 101 }, /first must be between 0 and 100, got 101/],
    [{ first: -1 }, /first must be between 0 and 100, got -1/],
    [{ last: 1000 }, /last must be between 0 and 100, got 1000/],
    [{ after: 'bogus' }, /after cursor is not one this connection issued/],
    [{ before: Buffer.from('position:-5').toString('base64url') }, /before cursor is not one/],
    [{ after: Buffer.from('position:99999999999').toString('base64url') }, /after cursor is not one/],
  ] as const) {
    it(`rejects systemHooks(${JSON.stringify(variables)})`, () =>
      rejects(() => stack.request(SystemHooksDocument, variables), 'BAD_USER_INPUT', message));
  }

  it('rejects an unknown enum value in GraphQL validation, writing nothing', async () => {
    const result = await stack.requestText(
      'mutation { createSystemHook(input: { url: "https://example.com/e", branchFilterStrategy: SOMETIMES }) { errors } }',
    );
    assert.match(result.errors?.[0]?.message ?? '', /SOMETIMES/);
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('rejects an unknown enum value sent as a variable', async () => {
    const result = await stack.requestText(
      'mutation ($s: WebhookBranchFilterStrategy) { createSystemHook(input: { url: "https://e.example", branchFilterStrategy: $s }) { errors } }',
      { s: 'wildcard' },
    );
    assert.match(
      result.errors?.[0]?.message ?? '',
      /Value "wildcard" does not exist in "WebhookBranchFilterStrategy"/,
    );
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it('rejects an update of a malformed id before anything is written', () =>
    rejects(
      () => stack.request(UpdateSystemHookDocument, { input: { id: 'gid://gitlab/Group/1', name: 'x' } }),
      'BAD_USER_INPUT',
      /does not represent an instance of SystemHook/,
    ));

  it('rejects an empty URL-variable key without asking GitLab', async () => {
    const result = await stack.requestText(
      'mutation ($id: ID!) { setHookUrlVariable(input: { hookId: $id, key: "", value: "v" }) { errors } }',
      { id: gid(id) },
    );
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual(stack.upstreamRequests(), []);
  });

  it("passes a 1 MB name to GitLab and reports GitLab's verdict, storing nothing", async () => {
    const result = await stack.request(CreateSystemHookDocument, {
      input: { url: 'https://example.com/big', name: 'n'.repeat(1_000_000) },
    });
    assert.equal(result.data?.createSystemHook.systemHook, null);
    assert.deepEqual(result.data?.createSystemHook.errors, ['Name is too long (maximum is 255 characters)']);
    const list = await stack.requestText('{ systemHooks(first: 100) { count } }');
    assert.equal(list.data.systemHooks.count, 1);
  });

  it('refuses a request without a credential before calling GitLab', () =>
    rejects(
      () => stack.request(SystemHookDocument, { id: gid(id) }, { token: null }),
      'UNAUTHENTICATED',
      /No credential/,
    ));

  it('refuses a malformed Authorization header', () =>
    rejects(
      () =>
        stack.request(
          SystemHookDocument,
          { id: gid(id) },
          { token: null, headers: { authorization: 'Basic abc' } },
        ),
      'UNAUTHENTICATED',
      /Bearer <token>/,
    ));

  it('refuses two different credentials at once', () =>
    rejects(
      () =>
        stack.request(SystemHookDocument, { id: gid(id) }, { headers: { authorization: 'Bearer other' } }),
      'UNAUTHENTICATED',
      /not both/,
    ));

  it('answers malformed JSON with a 400 and no upstream call', async () => {
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ systemHooks { count } "',
    });
    assert.equal(response.status, 400);
    await response.body?.cancel();
    assert.deepEqual(stack.upstreamRequests(), []);
  });
});
