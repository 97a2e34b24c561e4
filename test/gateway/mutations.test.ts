import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CreateSystemHookDocument,
  type CreateSystemHookInput,
  DeleteHookCustomHeaderDocument,
  DeleteHookUrlVariableDocument,
  DeleteSystemHookDocument,
  SetHookCustomHeaderDocument,
  SetHookUrlVariableDocument,
  SystemHookDocument,
  TestSystemHookDocument,
  UpdateSystemHookDocument,
} from '../generated/graphql.ts';
import { type ReceivedRequest, type Receiver, startReceiver } from '../helpers/receiver.ts';
import { gid, type Stack, startStack } from '../helpers/stack.ts';

const NO_ACCESS =
  "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

describe('mutations', () => {
  let stack: Stack;
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver({ status: 500 });
    stack = await startStack({ gitlab: { allowLocalRequestsFromWebHooksAndServices: true } });
  });
  after(async () => {
    await stack.close();
    await receiver.close();
  });
  beforeEach(() => {
    stack.gitlab.resetRequestLog();
    receiver.received.length = 0;
  });

  const create = async (input: CreateSystemHookInput) => {
    const result = await stack.request(CreateSystemHookDocument, { input });
    assert.equal(result.errors, undefined);
    return result.data?.createSystemHook;
  };

  it('creates a hook with GitLab defaults and echoes clientMutationId', async () => {
    const payload = await create({ url: 'https://example.com/hook', clientMutationId: 'c-1' });
    assert.equal(payload?.clientMutationId, 'c-1');
    assert.deepEqual(payload?.errors, []);
    const hook = payload?.systemHook;
    assert.ok(hook);
    assert.equal(hook.url, 'https://example.com/hook');
    assert.equal(hook.pushEvents, false);
    assert.equal(hook.repositoryUpdateEvents, true);
    assert.equal(hook.branchFilterStrategy, 'WILDCARD');
    assert.deepEqual(
      stack.upstreamRequests().map((r) => `${r.method} ${r.path} ${r.status}`),
      ['POST /api/v4/hooks 201'],
    );
  });

  it('reports an invalid url as a payload error, writing nothing', async () => {
    const payload = await create({ url: 'ftp://example.com' });
    assert.deepEqual(payload?.errors, ['Invalid url given']);
    assert.equal(payload?.systemHook, null);
    const list = await stack.requestText('{ systemHooks(first: 100) { nodes { url } } }');
    assert.ok(!list.data.systemHooks.nodes.some((n: { url: string }) => n.url === 'ftp://example.com'));
  });

  it('reports an empty url as GitLab does', async () => {
    const payload = await create({ url: '' });
    assert.deepEqual(payload?.errors, ['Invalid url given']);
    assert.equal(payload?.systemHook, null);
  });

  it('reports a token with a newline as "Token is invalid"', async () => {
    const created = await create({ url: 'https://example.com/a', token: 'a\nb' });
    assert.deepEqual(created?.errors, ['Token is invalid']);
    const ok = await create({ url: 'https://example.com/b' });
    const id = ok?.systemHook?.id as string;
    const updated = await stack.request(UpdateSystemHookDocument, { input: { id, token: 'x\r\ny' } });
    assert.deepEqual(updated.data?.updateSystemHook.errors, ['Token is invalid']);
    assert.equal(updated.data?.updateSystemHook.systemHook, null);
  });

  it('updates a hook and returns GitLab state after the change', async () => {
    const created = await create({
      url: 'https://example.com/{path}',
      urlVariables: [{ key: 'path', value: 'one' }],
      customHeaders: [{ key: 'X-Team', value: 'blue' }],
    });
    const id = created?.systemHook?.id as string;
    const result = await stack.request(UpdateSystemHookDocument, {
      input: { id, url: 'https://example.com/other', pushEvents: true, branchFilterStrategy: 'ALL_BRANCHES' },
    });
    const hook = result.data?.updateSystemHook.systemHook;
    assert.deepEqual(result.data?.updateSystemHook.errors, []);
    assert.equal(hook?.url, 'https://example.com/other');
    assert.equal(hook?.pushEvents, true);
    assert.equal(hook?.branchFilterStrategy, 'ALL_BRANCHES');
    // GitLab resets variables and custom headers when the delivered URL changes.
    assert.deepEqual(hook?.urlVariables, []);
    assert.deepEqual(hook?.customHeaders, []);
  });

  it('reports an update with nothing to change as GitLab does', async () => {
    const created = await create({ url: 'https://example.com/c' });
    const result = await stack.request(UpdateSystemHookDocument, {
      input: { id: created?.systemHook?.id as string },
    });
    assert.deepEqual(result.data?.updateSystemHook.errors, ['No parameters provided']);
  });

  it('deletes a hook, after which it reads as null', async () => {
    const created = await create({ url: 'https://example.com/d' });
    const id = created?.systemHook?.id as string;
    const result = await stack.request(DeleteSystemHookDocument, { input: { id, clientMutationId: 'del' } });
    assert.deepEqual(result.data?.deleteSystemHook, {
      clientMutationId: 'del',
      errors: [],
      deletedSystemHookId: id,
    });
    const read = await stack.request(SystemHookDocument, { id });
    assert.equal(read.data?.systemHook, null);
  });

  it('answers NOT_FOUND when the hook to change does not exist', async () => {
    for (const [document, input] of [
      [UpdateSystemHookDocument, { id: gid(55_555), name: 'x' }],
      [DeleteSystemHookDocument, { id: gid(55_555) }],
      [TestSystemHookDocument, { id: gid(55_555) }],
      [SetHookUrlVariableDocument, { hookId: gid(55_555), key: 'k', value: 'v' }],
    ] as const) {
      const result = await stack.request(document as never, { input });
      assert.equal(result.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      assert.equal(result.errors?.[0]?.message, NO_ACCESS);
    }
  });

  it('tests a hook: GitLab delivers the mock event and answers with it whatever the receiver did', async () => {
    const created = await create({
      url: `${receiver.origin}/{path}`,
      token: 'delivery-token',
      urlVariables: [{ key: 'path', value: 'events' }],
      customHeaders: [{ key: 'X-Team', value: 'blue' }],
    });
    assert.deepEqual(created?.errors, []);
    const id = created?.systemHook?.id as string;
    const result = await stack.request(TestSystemHookDocument, { input: { id } });
    assert.equal(result.errors, undefined);
    const payload = result.data?.testSystemHook;
    assert.deepEqual(payload?.mockData, {
      event_name: 'project_create',
      name: 'Ruby',
      path: 'ruby',
      project_id: 1,
      owner_name: 'Someone',
      owner_email: 'example@gitlabhq.com',
    });
    assert.equal(payload?.systemHook?.id, id);
    assert.equal(receiver.received.length, 1);
    const [delivery] = receiver.received as [ReceivedRequest];
    assert.equal(delivery.target, '/events');
    assert.equal(delivery.headers['x-gitlab-event'], 'System Hook');
    assert.equal(delivery.headers['x-gitlab-token'], 'delivery-token');
    assert.equal(delivery.headers['x-team'], 'blue');
    assert.deepEqual(JSON.parse(delivery.body), payload?.mockData);
  });

  it('sets and deletes URL variables, reading the hook after each 204', async () => {
    const created = await create({ url: 'https://example.com/v' });
    const hookId = created?.systemHook?.id as string;
    const set = await stack.request(SetHookUrlVariableDocument, {
      input: { hookId, key: 'region', value: 'eu-secret', clientMutationId: 's' },
    });
    assert.deepEqual(set.data?.setHookUrlVariable.errors, []);
    assert.equal(set.data?.setHookUrlVariable.clientMutationId, 's');
    assert.deepEqual(set.data?.setHookUrlVariable.systemHook?.urlVariables, [{ key: 'region' }]);
    assert.ok(!JSON.stringify(set).includes('eu-secret'));
    const removed = await stack.request(DeleteHookUrlVariableDocument, { input: { hookId, key: 'region' } });
    assert.deepEqual(removed.data?.deleteHookUrlVariable.systemHook?.urlVariables, []);
    const missing = await stack.request(DeleteHookUrlVariableDocument, { input: { hookId, key: 'region' } });
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  it('reports an illegal URL variable key as a payload error', async () => {
    const created = await create({ url: 'https://example.com/w' });
    const hookId = created?.systemHook?.id as string;
    const result = await stack.request(SetHookUrlVariableDocument, {
      input: { hookId, key: 'abc def', value: 'v' },
    });
    assert.deepEqual(result.data?.setHookUrlVariable.errors, ['Illegal key or value']);
    assert.equal(result.data?.setHookUrlVariable.systemHook, null);
  });

  it('sets and deletes custom headers', async () => {
    const created = await create({ url: 'https://example.com/h' });
    const hookId = created?.systemHook?.id as string;
    const set = await stack.request(SetHookCustomHeaderDocument, {
      input: { hookId, key: 'X-Env', value: 'prod' },
    });
    assert.deepEqual(set.data?.setHookCustomHeader.systemHook?.customHeaders, [{ key: 'X-Env' }]);
    const bad = await stack.request(SetHookCustomHeaderDocument, {
      input: { hookId, key: 'X-Bad', value: ' padded ' },
    });
    assert.deepEqual(bad.data?.setHookCustomHeader.errors, ['Illegal key or value']);
    const removed = await stack.request(DeleteHookCustomHeaderDocument, { input: { hookId, key: 'X-Env' } });
    assert.deepEqual(removed.data?.deleteHookCustomHeader.systemHook?.customHeaders, []);
  });

  it('costs one upstream call for a 204 change whose payload does not select the hook', async () => {
    const created = await create({ url: 'https://example.com/n' });
    const hookId = created?.systemHook?.id as string;
    stack.gitlab.resetRequestLog();
    const result = await stack.requestText(
      'mutation ($hookId: ID!) { setHookCustomHeader(input: { hookId: $hookId, key: "X-A", value: "b" }) { errors } }',
      { hookId },
    );
    assert.deepEqual(result.data.setHookCustomHeader.errors, []);
    assert.equal(stack.upstreamRequests().length, 1);
  });
});
