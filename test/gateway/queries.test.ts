import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { NodeDocument, SystemHookDocument, SystemHooksDocument } from '../generated/graphql.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { gid, type Stack, seedHooks, startStack } from '../helpers/stack.ts';

describe('systemHook and node', () => {
  let stack: Stack;
  let id: number;

  before(async () => {
    stack = await startStack();
    [id] = (await stack.gitlab.seed([
      {
        url: 'https://audit.example.com/{tenant}/events',
        name: 'Audit',
        description: 'Every event, to the audit store',
        token: 'secret-token-value',
        push_events: true,
        tag_push_events: true,
        push_events_branch_filter: 'release/*',
        url_variables: [{ key: 'tenant', value: 'secret-tenant-value' }],
        custom_headers: [{ key: 'X-Source', value: 'secret-header-value' }],
      },
    ])) as [number];
  });
  after(() => stack.close());
  beforeEach(() => stack.gitlab.resetRequestLog());

  it('returns every field of a hook in GitLab camelCase, with its global ID', async () => {
    const result = await stack.request(SystemHookDocument, { id: gid(id) });
    assert.equal(result.errors, undefined);
    const hook = result.data?.systemHook;
    assert.ok(hook);
    assert.equal(hook.id, `gid://gitlab/SystemHook/${id}`);
    assert.equal(hook.url, 'https://audit.example.com/{tenant}/events');
    assert.equal(hook.name, 'Audit');
    assert.equal(hook.description, 'Every event, to the audit store');
    assert.equal(hook.pushEvents, true);
    assert.equal(hook.tagPushEvents, true);
    assert.equal(hook.mergeRequestsEvents, false);
    assert.equal(hook.repositoryUpdateEvents, true);
    assert.equal(hook.enableSslVerification, true);
    assert.equal(hook.pushEventsBranchFilter, 'release/*');
    assert.equal(hook.branchFilterStrategy, 'WILDCARD');
    assert.equal(hook.alertStatus, 'EXECUTABLE');
    assert.equal(hook.disabledUntil, null);
    assert.deepEqual(hook.urlVariables, [{ key: 'tenant' }]);
    assert.deepEqual(hook.customHeaders, [{ key: 'X-Source' }]);
    assert.equal(hook.customWebhookTemplate, null);
    assert.equal(typeof hook.organizationId, 'number');
    assert.ok(!Number.isNaN(Date.parse(hook.createdAt)));
    assert.deepEqual(
      stack.upstreamRequests().map((r) => `${r.method} ${r.path}`),
      [`GET /api/v4/hooks/${id}`],
    );
  });

  it('never returns a secret value', async () => {
    const result = await stack.request(SystemHookDocument, { id: gid(id) });
    const text = JSON.stringify(result);
    for (const secret of ['secret-token-value', 'secret-tenant-value', 'secret-header-value']) {
      assert.ok(!text.includes(secret), `${secret} leaked`);
    }
  });

  it('accepts the plain REST id as well as the global ID', async () => {
    const result = await stack.request(SystemHookDocument, { id: String(id) });
    assert.equal(result.data?.systemHook?.id, gid(id));
  });

  it('returns null, not an error, for a hook that does not exist', async () => {
    const result = await stack.request(SystemHookDocument, { id: gid(987_654) });
    assert.equal(result.errors, undefined);
    assert.equal(result.data?.systemHook, null);
  });

  it('resolves node by global ID to a SystemHook', async () => {
    const result = await stack.request(NodeDocument, { id: gid(id) });
    assert.deepEqual(result.data?.node, { id: gid(id), url: 'https://audit.example.com/{tenant}/events' });
  });

  it('sends the caller credential to GitLab as it came (Bearer too)', async () => {
    const result = await stack.request(
      SystemHookDocument,
      { id: gid(id) },
      {
        token: null,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      },
    );
    assert.equal(result.data?.systemHook?.id, gid(id));
  });
});

describe('systemHooks connection', () => {
  let stack: Stack;
  let ids: number[];

  before(async () => {
    stack = await startStack();
    ids = await seedHooks(stack.gitlab, 45);
  });
  after(() => stack.close());
  beforeEach(() => stack.gitlab.resetRequestLog());

  it('returns the first 20 hooks by default, with count from X-Total, in one request', async () => {
    const result = await stack.request(SystemHooksDocument, {});
    assert.equal(result.errors, undefined);
    const connection = result.data?.systemHooks;
    assert.ok(connection);
    assert.equal(connection.count, 45);
    assert.deepEqual(
      connection.nodes.map((n) => n.id),
      ids.slice(0, 20).map(gid),
    );
    assert.deepEqual(
      connection.edges.map((e) => e.node.id),
      ids.slice(0, 20).map(gid),
    );
    assert.equal(connection.pageInfo.hasNextPage, true);
    assert.equal(connection.pageInfo.hasPreviousPage, false);
    assert.equal(connection.pageInfo.startCursor, connection.edges[0]?.cursor);
    assert.equal(connection.pageInfo.endCursor, connection.edges.at(-1)?.cursor);
    assert.equal(stack.upstreamRequests().length, 1);
  });

  it('pages forward with first and after to the end, covering every hook once', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await stack.request(SystemHooksDocument, { first: 7, after });
      const connection = result.data?.systemHooks;
      assert.ok(connection);
      seen.push(...connection.nodes.map((n) => n.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    assert.deepEqual(seen, ids.map(gid));
    // An unaligned window still costs one GitLab page: some per_page holds it whole.
    assert.equal(stack.upstreamRequests().length, 7);
  });

  it('pages backward with last and before', async () => {
    const tail = await stack.request(SystemHooksDocument, { last: 10 });
    assert.deepEqual(
      tail.data?.systemHooks.nodes.map((n) => n.id),
      ids.slice(35).map(gid),
    );
    assert.equal(tail.data?.systemHooks.pageInfo.hasNextPage, false);
    assert.equal(tail.data?.systemHooks.pageInfo.hasPreviousPage, true);
    const before = tail.data?.systemHooks.pageInfo.startCursor;
    const previous = await stack.request(SystemHooksDocument, { last: 5, before });
    assert.deepEqual(
      previous.data?.systemHooks.nodes.map((n) => n.id),
      ids.slice(30, 35).map(gid),
    );
  });

  it('serves first: 0 with the count and no hooks', async () => {
    const result = await stack.request(SystemHooksDocument, { first: 0 });
    assert.equal(result.data?.systemHooks.count, 45);
    assert.deepEqual(result.data?.systemHooks.nodes, []);
    assert.equal(result.data?.systemHooks.pageInfo.hasNextPage, true);
  });

  it('returns an empty page past the end', async () => {
    const all = await stack.request(SystemHooksDocument, { first: 100 });
    assert.equal(all.data?.systemHooks.nodes.length, 45);
    assert.equal(all.data?.systemHooks.pageInfo.hasNextPage, false);
    const past = await stack.request(SystemHooksDocument, {
      first: 5,
      after: all.data?.systemHooks.pageInfo.endCursor,
    });
    assert.deepEqual(past.data?.systemHooks.nodes, []);
    assert.equal(past.data?.systemHooks.pageInfo.hasNextPage, false);
  });
});
