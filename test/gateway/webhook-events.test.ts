import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { projectHookGid, useWebhookStack } from '../helpers/webhook-world.ts';

const TEST = `mutation ($id: ID!, $trigger: WebhookTestTrigger!) {
  testProjectHook(input: { id: $id, trigger: $trigger }) { errors projectHook { id alertStatus } }
}`;

const EVENTS = `query ($p: ID!, $id: ID!, $first: Int, $after: String, $status: [WebhookEventStatus!], $codes: [Int!]) {
  project(fullPath: $p) { webhook(id: $id) {
    webhookEvents(first: $first, after: $after, status: $status, statusCodes: $codes) {
      count pageInfo { hasNextPage endCursor }
      nodes { id trigger url responseStatus responseBody executionDuration createdAt requestData
        requestHeaders { name value } responseHeaders { name value } }
    }
  } }
}`;

const RESEND = `mutation ($id: ID!) { resendWebhookEvent(input: { id: $id, clientMutationId: "r" }) { clientMutationId errors responseStatus } }`;

/** Test triggers, the delivery log and resend, against the embedded GitLab delivering to a local receiver. */
describe('webhook tests, delivery log and resend through GraphQL', () => {
  // Each test starts in a fresh rate-limit window: the embedded GitLab's clock moves a minute per test.
  let now = Date.UTC(2026, 11, 7, 12, 0, 0);
  const t = useWebhookStack({ gitlab: { clock: () => now } });
  let receiver: Receiver;
  let status = 200;
  let hookId = 0;
  let hookGid = '';
  const maintainer = () => ({ token: t.world.maintainer.token });
  const path = () => t.world.project.path_with_namespace;

  before(async () => {
    receiver = await startReceiver({
      answer: (_request, res) => {
        res.writeHead(status, { 'content-type': 'text/plain', 'x-receiver': 'yes' });
        res.end(status < 300 ? 'ok' : `refused with ${status}`);
      },
    });
    const settings = await t.rest('PUT', '/application/settings', {
      json: { allow_local_requests_from_web_hooks_and_services: true },
    });
    assert.equal(settings.status, 200, settings.text);
    const hook = await t.rest('POST', `/projects/${t.world.project.id}/hooks`, {
      token: t.world.maintainer.token,
      json: {
        url: `${receiver.origin}/hook`,
        token: 'hook-secret-77',
        custom_headers: [{ key: 'X-Key', value: 'header-secret-78' }],
      },
    });
    assert.equal(hook.status, 201, hook.text);
    hookId = hook.body.id;
    hookGid = projectHookGid(hookId, t.world.project.id);
  });
  after(() => receiver.close());
  beforeEach(() => {
    now += 60_000;
    status = 200;
    t.stack.gitlab.resetRequestLog();
  });

  async function test(trigger = 'PUSH_EVENTS', id = hookGid) {
    return t.stack.requestText(TEST, { id, trigger }, maintainer());
  }

  async function events(variables: Record<string, unknown> = {}) {
    const result = await t.stack.requestText(EVENTS, { p: path(), id: hookGid, ...variables }, maintainer());
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data.project.webhook.webhookEvents;
  }

  it('tests a hook: the receiver got the sample push, and the delivery is logged, secrets redacted', async () => {
    const before = receiver.received.length;
    const result = await test();
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data.testProjectHook.errors, []);
    assert.equal(result.data.testProjectHook.projectHook.id, hookGid);
    assert.equal(receiver.received.length, before + 1);
    assert.equal(receiver.received.at(-1)?.headers['x-gitlab-event'], 'Push Hook');

    const log = await events({ first: 5 });
    assert.ok(log.count >= 1);
    const [entry] = log.nodes;
    assert.match(
      entry.id,
      new RegExp(`^gid://gitlab/WebHookLog/\\d+\\?project_id=${t.world.project.id}&hook_id=${hookId}$`),
    );
    assert.equal(entry.trigger, 'push_hooks');
    assert.equal(entry.responseStatus, '200');
    assert.equal(entry.responseBody, 'ok');
    assert.equal(entry.requestData.object_kind, 'push');
    assert.equal(typeof entry.executionDuration, 'number');
    const headers = Object.fromEntries(
      entry.requestHeaders.map((h: { name: string; value: string }) => [h.name, h.value]),
    );
    assert.equal(headers['X-Gitlab-Event'], 'Push Hook');
    assert.equal(headers['X-Gitlab-Token'], '[REDACTED]');
    assert.ok(entry.responseHeaders.some((h: { name: string }) => h.name === 'x-receiver'));
    const text = JSON.stringify(log);
    assert.ok(
      !text.includes('hook-secret-77') && !text.includes('header-secret-78'),
      'secrets stay redacted',
    );
  });

  it("reports a receiver's refusal and GitLab's missing sample data as payload errors", async () => {
    status = 500;
    const refused = await test();
    assert.equal(refused.errors, undefined, JSON.stringify(refused.errors));
    assert.deepEqual(refused.data.testProjectHook.errors, ['refused with 500']);
    assert.equal(refused.data.testProjectHook.projectHook, null);
    const noIssues = await test('ISSUES_EVENTS');
    assert.deepEqual(noIssues.data.testProjectHook.errors, ['Ensure the project has issues.']);
    const unavailable = await test('DEPLOYMENT_EVENTS');
    assert.deepEqual(unavailable.data.testProjectHook.errors, ['Testing not available for this hook']);
  });

  it('answers the 6th test in a minute RATE_LIMITED with retryAfterSeconds', async () => {
    for (let i = 0; i < 5; i++) {
      const result = await test();
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    }
    const limited = await test();
    assert.equal(limited.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    const retryAfter = limited.errors?.[0]?.extensions?.retryAfterSeconds;
    assert.ok(typeof retryAfter === 'number' && retryAfter > 0 && retryAfter <= 60, String(retryAfter));
  });

  it("filters the log by GitLab's status classes and codes, and pages it by 20 at most", async () => {
    status = 200;
    await test();
    status = 404;
    await test();
    status = 503;
    await test();
    const failures = await events({ status: ['CLIENT_FAILURE', 'SERVER_FAILURE'] });
    assert.ok(failures.nodes.length >= 2);
    assert.ok(failures.nodes.every((e: { responseStatus: string }) => e.responseStatus !== '200'));
    const notFound = await events({ codes: [404] });
    assert.ok(notFound.nodes.length >= 1);
    assert.ok(notFound.nodes.every((e: { responseStatus: string }) => e.responseStatus === '404'));
    const first = await events({ first: 1 });
    assert.equal(first.nodes.length, 1);
    assert.equal(first.pageInfo.hasNextPage, true);
    const next = await events({ first: 1, after: first.pageInfo.endCursor });
    assert.notEqual(next.nodes[0].id, first.nodes[0].id);
    const requests = t.stack.upstreamRequests().filter((r) => r.path.endsWith('/events'));
    assert.ok(
      requests.every((r) => Number(new URLSearchParams(r.query).get('per_page')) <= 20),
      'pages of 20 at most',
    );
    const tooMany = await t.stack.requestText(EVENTS, { p: path(), id: hookGid, first: 21 }, maintainer());
    assert.equal(tooMany.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(tooMany.errors?.[0]?.message ?? '', /first must be between 0 and 20/);
    const badCode = await t.stack.requestText(EVENTS, { p: path(), id: hookGid, codes: [99] }, maintainer());
    assert.equal(badCode.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('resends a logged delivery, and reads the entry by node(id)', async () => {
    await test();
    const [entry] = (await events({ first: 1 })).nodes;
    status = 202;
    const before = receiver.received.length;
    const resent = await t.stack.requestText(RESEND, { id: entry.id }, maintainer());
    assert.equal(resent.errors, undefined, JSON.stringify(resent.errors));
    assert.deepEqual(resent.data.resendWebhookEvent, {
      clientMutationId: 'r',
      errors: [],
      responseStatus: 202,
    });
    assert.equal(receiver.received.length, before + 1);
    const node = await t.stack.requestText(
      'query ($id: ID!) { node(id: $id) { id ... on WebhookEvent { trigger responseStatus } } }',
      { id: entry.id },
      maintainer(),
    );
    assert.equal(node.errors, undefined, JSON.stringify(node.errors));
    assert.deepEqual(node.data.node, {
      id: entry.id,
      trigger: 'push_hooks',
      responseStatus: entry.responseStatus,
    });
  });

  it('refuses to resend after the URL changed, and an entry of another hook is not found', async () => {
    await test();
    const [entry] = (await events({ first: 1 })).nodes;
    const other = await t.rest('POST', `/projects/${t.world.project.id}/hooks`, {
      token: t.world.maintainer.token,
      json: { url: `${receiver.origin}/other` },
    });
    const foreign = entry.id.replace(`hook_id=${hookId}`, `hook_id=${other.body.id}`);
    const missing = await t.stack.requestText(RESEND, { id: foreign }, maintainer());
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const nodeMissing = await t.stack.requestText(
      'query ($id: ID!) { node(id: $id) { id } }',
      { id: foreign },
      maintainer(),
    );
    assert.equal(nodeMissing.errors, undefined);
    assert.equal(nodeMissing.data.node, null);

    const moved = await t.rest('PUT', `/projects/${t.world.project.id}/hooks/${hookId}`, {
      token: t.world.maintainer.token,
      json: { url: `${receiver.origin}/moved`, token: 'hook-secret-77' },
    });
    assert.equal(moved.status, 200, moved.text);
    const refused = await t.stack.requestText(RESEND, { id: entry.id }, maintainer());
    assert.equal(refused.errors, undefined, JSON.stringify(refused.errors));
    assert.deepEqual(refused.data.resendWebhookEvent.errors, [
      'The hook URL has changed, and this log entry cannot be retried',
    ]);
    assert.equal(refused.data.resendWebhookEvent.responseStatus, null);
  });

  it('refuses resend IDs that do not name their hook and parent, without calling GitLab', async () => {
    for (const id of [
      '7',
      'gid://gitlab/WebHookLog/7',
      'gid://gitlab/WebHookLog/7?hook_id=1',
      'gid://gitlab/WebHookLog/7?project_id=1&group_id=2&hook_id=3',
      'gid://gitlab/ProjectHook/7?project_id=1',
    ]) {
      const result = await t.stack.requestText(RESEND, { id }, maintainer());
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', id);
    }
    assert.deepEqual(t.stack.upstreamRequests(), []);
  });

  it('answers a Developer FORBIDDEN on a test and on the log', async () => {
    const developer = { token: t.world.developer.token };
    const tested = await t.stack.requestText(TEST, { id: hookGid, trigger: 'PUSH_EVENTS' }, developer);
    assert.equal(tested.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const log = await t.stack.requestText(
      'query ($p: ID!, $id: ID!) { project(fullPath: $p) { name webhook(id: $id) { id } } }',
      { p: path(), id: hookGid },
      developer,
    );
    assert.equal(log.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  it('reads the logs of every hook of a project with one list call and one log call per hook', async () => {
    const hooks = (await t.rest('GET', `/projects/${t.world.project.id}/hooks`)).body.length;
    t.stack.gitlab.resetRequestLog();
    const result = await t.stack.requestText(
      'query ($p: ID!) { project(fullPath: $p) { webhooks { nodes { id webhookEvents(first: 5) { nodes { responseStatus } } } } } }',
      { p: path() },
      maintainer(),
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const calls = t.stack.upstreamRequests().map((r) => `${r.method} ${r.path}`);
    assert.equal(calls.filter((c) => c.endsWith('/hooks')).length, 1);
    const logs = calls.filter((c) => c.endsWith('/events'));
    assert.equal(logs.length, hooks);
    assert.equal(new Set(logs).size, hooks, 'one log call per hook');
    assert.equal(calls.length, hooks + 1);
  });
});
