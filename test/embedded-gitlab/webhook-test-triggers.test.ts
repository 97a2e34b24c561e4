import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startReceiver } from '../helpers/receiver.ts';
import { useReceiver, useWebhookGitLab } from './webhook-world.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../fixtures/webhook-events/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
const keysOf = (value: unknown) => Object.keys(value as Record<string, unknown>);

describe('POST /projects/:id/hooks/:hook_id/test/:trigger', () => {
  const t = useWebhookGitLab({ externalUrl: 'https://gitlab.example.com' });
  const receiver = useReceiver();
  const failing = useReceiver({
    answer: (_request, res) => res.writeHead(400, { 'content-type': 'text/plain' }).end('Error response'),
  });
  const test = (hookId: number, trigger: string, parent = `projects/${t.world.projectId}`) =>
    t.call('POST', `/${parent}/hooks/${hookId}/test/${trigger}`);
  /** Tests are limited to 5 a minute per project and user: each test starts a new minute. */
  const nextMinute = () => t.clock.advance(60_000);

  it('delivers a push sample of the project with the headers of a Push Hook and answers 201', async () => {
    nextMinute();
    const hook = await t.createHook({
      url: `${receiver.origin}/{path}`,
      token: 'hook-secret',
      url_variables: [{ key: 'path', value: 'secret-path' }],
      custom_headers: [{ key: 'X-Custom', value: 'custom-value' }],
    });
    const before = receiver.received.length;
    const answer = await test(hook.id, 'push_events');
    assert.equal(answer.status, 201);
    assert.equal(answer.text, '{"message":"201 Created"}');
    assert.equal(receiver.received.length, before + 1);
    const delivery = receiver.received.at(-1);
    assert.equal(delivery?.target, '/secret-path');
    const headers = delivery?.headers ?? {};
    assert.equal(headers['x-gitlab-event'], 'Push Hook');
    assert.equal(headers['x-gitlab-token'], 'hook-secret');
    assert.equal(headers['x-custom'], 'custom-value');
    assert.equal(headers['x-gitlab-instance'], 'https://gitlab.example.com');
    assert.equal(headers['content-type'], 'application/json');
    assert.match(String(headers['idempotency-key']), UUID);
    assert.match(String(headers['x-gitlab-webhook-uuid']), UUID);
    assert.match(String(headers['x-gitlab-event-uuid']), UUID);
    const body = JSON.parse(delivery?.body ?? '{}');
    assert.deepEqual(Object.keys(body), keysOf(fixture('push')));
    assert.equal(body.object_kind, 'push');
    assert.equal(body.ref, 'refs/heads/main');
    assert.equal(body.project_id, t.world.projectId);
    assert.equal(body.project.path_with_namespace, 'acme/platform/api');
    assert.equal(body.project.web_url, 'https://gitlab.example.com/acme/platform/api');
    assert.equal(body.project.namespace, 'Platform');
    assert.equal(body.user_email, '[REDACTED]');
  });

  it('sends each trigger with its own X-Gitlab-Event', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/each` });
    const expected: [string, string, string][] = [
      ['tag_push_events', 'Tag Push Hook', 'tag_push'],
      ['resource_access_token_events', 'Resource Access Token Hook', 'access_token'],
      ['vulnerability_events', 'Vulnerability Hook', 'vulnerability'],
    ];
    nextMinute();
    for (const [trigger, header, kind] of expected) {
      const answer = await test(hook.id, trigger);
      assert.equal(answer.status, 201, `${trigger}: ${answer.text}`);
      const delivery = receiver.received.at(-1);
      assert.equal(delivery?.headers['x-gitlab-event'], header);
      assert.equal(JSON.parse(delivery?.body ?? '{}').object_kind, kind);
    }
    const token = JSON.parse(receiver.received.at(-2)?.body ?? '{}');
    assert.equal(token.object_attributes.name, 'pat_for_webhook_event');
    assert.equal(token.project.id, t.world.projectId);
  });

  it('answers 422 with GitLab’s message when the project lacks the data, and delivers nothing', async () => {
    nextMinute();
    const hook = await t.createHook({ url: `${receiver.origin}/lacking` });
    const before = receiver.received.length;
    const cases: [string, string][] = [
      ['issues_events', 'Ensure the project has issues.'],
      ['confidential_issues_events', 'Ensure the project has issues.'],
      ['note_events', 'Ensure the project has notes.'],
      ['merge_requests_events', 'Ensure the project has merge requests.'],
      ['job_events', 'Ensure the project has CI jobs.'],
    ];
    for (const [trigger, message] of cases) {
      const answer = await test(hook.id, trigger);
      assert.equal(answer.status, 422, trigger);
      assert.deepEqual(answer.body, { message });
    }
    nextMinute();
    for (const [trigger, message] of [
      ['pipeline_events', 'Ensure the project has CI pipelines.'],
      ['wiki_page_events', 'Ensure the wiki is enabled and has pages.'],
      ['releases_events', 'Ensure the project has releases.'],
      ['emoji_events', 'Ensure the project has notes.'],
      ['confidential_note_events', 'Testing not available for this hook'],
    ]) {
      const answer = await test(hook.id, trigger as string);
      assert.equal(answer.status, 422, trigger);
      assert.deepEqual(answer.body, { message });
    }
    nextMinute();
    for (const trigger of ['deployment_events', 'feature_flag_events']) {
      const answer = await test(hook.id, trigger);
      assert.deepEqual(
        [answer.status, answer.body],
        [422, { message: 'Testing not available for this hook' }],
      );
    }
    assert.equal(receiver.received.length, before);
  });

  it('tests with the newest issue once an issue event has happened in the project', async () => {
    nextMinute();
    const hook = await t.createHook({ url: `${receiver.origin}/issues` });
    const fired = await t.fire({ event_name: 'issue', project: t.world.projectId });
    assert.equal(fired.status, 202);
    const answer = await test(hook.id, 'issues_events');
    assert.equal(answer.status, 201, answer.text);
    const delivery = receiver.received.at(-1);
    assert.equal(delivery?.headers['x-gitlab-event'], 'Issue Hook');
    const body = JSON.parse(delivery?.body ?? '{}');
    assert.equal(body.object_kind, 'issue');
    assert.equal(body.object_attributes.action, 'open');
    assert.equal(body.project.id, t.world.projectId);
    const confidential = await test(hook.id, 'confidential_issues_events');
    assert.equal(confidential.status, 201);
    assert.equal(receiver.received.at(-1)?.headers['x-gitlab-event'], 'Confidential Issue Hook');
  });

  it('answers 422 with the receiver’s own body when it does not answer 2xx', async () => {
    nextMinute();
    const hook = await t.createHook({ url: `${failing.origin}/fails` });
    const answer = await test(hook.id, 'push_events');
    assert.deepEqual([answer.status, answer.body], [422, { message: 'Error response' }]);
    const log = await t.call('GET', `/projects/${t.world.projectId}/hooks/${hook.id}/events`);
    assert.equal(log.status, 200);
    assert.equal(log.body[0].response_status, '400');
    assert.equal(log.body[0].trigger, 'push_hooks');
  });

  it('answers 422 with the transport error when nothing listens, and logs it as an internal error', async () => {
    nextMinute();
    const gone = await startReceiver();
    await gone.close();
    const hook = await t.createHook({ url: `${gone.origin}/gone` });
    const answer = await test(hook.id, 'push_events');
    assert.deepEqual([answer.status, answer.body], [422, { message: 'Connection refused' }]);
    const log = await t.call('GET', `/projects/${t.world.projectId}/hooks/${hook.id}/events`);
    assert.equal(log.body[0].response_status, 'internal error');
  });

  it('refuses a local URL at delivery once the application setting is off again', async () => {
    nextMinute();
    const hook = await t.createHook({ url: `${receiver.origin}/local` });
    const before = receiver.received.length;
    const off = { allow_local_requests_from_web_hooks_and_services: false };
    assert.equal((await t.call('PUT', '/application/settings', { json: off })).status, 200);
    try {
      const answer = await test(hook.id, 'push_events');
      assert.deepEqual(
        [answer.status, answer.body],
        [422, { message: 'URL is blocked: Requests to localhost are not allowed' }],
      );
      assert.equal(receiver.received.length, before);
    } finally {
      const on = { allow_local_requests_from_web_hooks_and_services: true };
      await t.call('PUT', '/application/settings', { json: on });
    }
  });

  it('rejects triggers outside the project list with 400, group-only ones included, before the hook', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/bad` });
    // 18.10's resource_deploy_token_events is not a trigger of the version played (18.6.5).
    const invalid = [
      'member_events',
      'subgroup_events',
      'project_events',
      'xyz',
      'push_hooks',
      'resource_deploy_token_events',
    ];
    for (const trigger of invalid) {
      const answer = await test(hook.id, trigger);
      assert.deepEqual([answer.status, answer.body], [400, { error: 'trigger does not have a valid value' }]);
    }
    const missing = await test(999_999, 'xyz');
    assert.equal(missing.status, 400);
    const groupHook = await t.createHook({ url: `${receiver.origin}/bad` }, { groups: t.world.subgroupId });
    const group = await test(groupHook.id, 'member_events', `groups/${t.world.subgroupId}`);
    assert.deepEqual([group.status, group.body], [400, { error: 'trigger does not have a valid value' }]);
  });

  it('answers 404 for an unknown hook, a hook of another project and a group hook, 400 for a bad id', async () => {
    nextMinute();
    const other = await t.call('POST', '/projects', {
      json: { name: 'Other', path: 'other', namespace_id: t.world.groupId },
    });
    assert.equal(other.status, 201);
    const foreign = await t.createHook({ url: `${receiver.origin}/foreign` }, { projects: other.body.id });
    const groupHook = await t.createHook({ url: `${receiver.origin}/g` }, { groups: t.world.subgroupId });
    const before = receiver.received.length;
    for (const id of [999_999, foreign.id, groupHook.id]) {
      const answer = await test(id, 'push_events');
      assert.deepEqual([answer.status, answer.body], [404, { message: '404 Not found' }]);
    }
    const bad = await test(Number.NaN, 'push_events');
    assert.deepEqual([bad.status, bad.body], [400, { error: 'hook_id is invalid' }]);
    assert.equal(receiver.received.length, before);
  });

  it('limits tests to 5 a minute per project and user, with 429 and Retry-After', async () => {
    nextMinute();
    const hook = await t.createHook({ url: `${receiver.origin}/limited` });
    const second = await t.createHook({ url: `${receiver.origin}/limited-too` });
    for (let i = 0; i < 5; i++)
      assert.equal((await test(i % 2 ? second.id : hook.id, 'push_events')).status, 201);
    const before = receiver.received.length;
    const limited = await test(second.id, 'push_events');
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body, {
      message: { error: 'This endpoint has been requested too many times. Try again later.' },
    });
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(receiver.received.length, before);
    // Another user is counted on their own, and so is another parent; a Developer may not test at all.
    const { maintainer, developer } = t.world.members;
    const path = `/projects/${t.world.projectId}/hooks/${hook.id}/test/push_events`;
    assert.equal((await t.call('POST', path, { token: maintainer.token })).status, 201);
    assert.equal((await t.call('POST', path, { token: developer.token })).status, 403);
    const groupHook = await t.createHook({ url: `${receiver.origin}/g` }, { groups: t.world.subgroupId });
    assert.equal((await test(groupHook.id, 'push_events', `groups/${t.world.subgroupId}`)).status, 201);
    t.clock.advance(retryAfter * 1000);
    assert.equal((await test(hook.id, 'push_events')).status, 201);
  });
});

describe('POST /groups/:id/hooks/:hook_id/test/:trigger', () => {
  const t = useWebhookGitLab();
  const receiver = useReceiver();

  it('tests with the group’s first project', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/g` }, { groups: t.world.subgroupId });
    const answer = await t.call('POST', `/groups/${t.world.subgroupId}/hooks/${hook.id}/test/push_events`);
    assert.equal(answer.status, 201, answer.text);
    const body = JSON.parse(receiver.received.at(-1)?.body ?? '{}');
    assert.equal(body.project.path_with_namespace, 'acme/platform/api');
  });

  it('answers 422 for a group without a project of its own, and for vulnerabilities', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/g` }, { groups: t.world.groupId });
    const before = receiver.received.length;
    const push = await t.call('POST', `/groups/${t.world.groupId}/hooks/${hook.id}/test/push_events`);
    assert.deepEqual(
      [push.status, push.body],
      [422, { message: 'Ensure the group has a project with commits.' }],
    );
    const sub = await t.createHook({ url: `${receiver.origin}/g` }, { groups: t.world.subgroupId });
    const vulnerability = await t.call(
      'POST',
      `/groups/${t.world.subgroupId}/hooks/${sub.id}/test/vulnerability_events`,
    );
    assert.deepEqual(
      [vulnerability.status, vulnerability.body],
      [422, { message: 'Ensure the group has a project with vulnerabilities.' }],
    );
    assert.equal(receiver.received.length, before);
  });

  it('answers 404 for a hook of another group', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/g` }, { groups: t.world.groupId });
    const answer = await t.call('POST', `/groups/${t.world.subgroupId}/hooks/${hook.id}/test/push_events`);
    assert.deepEqual([answer.status, answer.body], [404, { message: '404 Not found' }]);
  });
});

describe('test deliveries of GitLab 19.0', () => {
  const t = useWebhookGitLab({ version: '19.0.0' });
  const receiver = useReceiver();

  it('signs them as Standard Webhooks, webhook-id being the Idempotency-Key, at the clock’s time', async () => {
    const key = randomBytes(32);
    const hook = await t.createHook({
      url: `${receiver.origin}/signed`,
      signing_token: `whsec_${key.toString('base64')}`,
    });
    const answer = await t.call('POST', `/projects/${t.world.projectId}/hooks/${hook.id}/test/push_events`);
    assert.equal(answer.status, 201, answer.text);
    const delivery = receiver.received.at(-1);
    const id = String(delivery?.headers['webhook-id']);
    const timestamp = String(delivery?.headers['webhook-timestamp']);
    assert.equal(id, delivery?.headers['idempotency-key']);
    assert.equal(timestamp, String(Math.floor(t.clock.now / 1000)));
    const expected = createHmac('sha256', key)
      .update(`${id}.${timestamp}.${delivery?.body}`)
      .digest('base64');
    assert.equal(delivery?.headers['webhook-signature'], `v1,${expected}`);
    assert.equal(delivery?.headers['user-agent'], 'GitLab/19.0.0');
  });

  it('knows 18.10’s resource_deploy_token_events, which has no test data', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/deploy-token` });
    const answer = await t.call(
      'POST',
      `/projects/${t.world.projectId}/hooks/${hook.id}/test/resource_deploy_token_events`,
    );
    assert.deepEqual([answer.status, answer.body], [422, { message: 'Testing not available for this hook' }]);
  });
});
