import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { useWebhookStack } from '../helpers/webhook-world.ts';

const PROJECT = 'query ($p: ID!) { project(fullPath: $p) { webhooks { count } } }';
const GROUP = 'query ($p: ID!) { group(fullPath: $p) { webhooks { count } } }';
const DELETE = 'mutation ($id: ID!) { deleteProjectHook(input: { id: $id }) { errors } }';
const RESEND = 'mutation ($id: ID!) { resendWebhookEvent(input: { id: $id }) { errors } }';
const EVENTS = `query ($p: ID!, $id: ID!, $first: Int, $last: Int, $codes: [Int!]) {
  project(fullPath: $p) { webhook(id: $id) { webhookEvents(first: $first, last: $last, statusCodes: $codes) { count } } }
}`;

/**
 * Hostile values on the paths project and group hooks added: full paths, global-ID query strings, trigger names,
 * status codes and page sizes. Each is refused with `BAD_USER_INPUT` before any call when the gateway can tell,
 * or goes to GitLab on the one route meant, its value encoded into one path segment, for GitLab to judge.
 */
describe('project and group hooks: hostile input', () => {
  const t = useWebhookStack();
  const maintainer = () => ({ token: t.world.maintainer.token });

  beforeEach(() => t.stack.gitlab.resetRequestLog());

  async function refused(query: string, variables: Record<string, unknown>, message: RegExp) {
    const result = await t.stack.requestText(query, variables, maintainer());
    const what = `${query} ${JSON.stringify(variables).slice(0, 200)}`;
    assert.equal(
      result.errors?.[0]?.extensions?.code,
      'BAD_USER_INPUT',
      `${what}: ${JSON.stringify(result)}`,
    );
    assert.match(result.errors?.[0]?.message ?? '', message, what);
    assert.ok((result.errors?.[0]?.message ?? '').length < 400, 'a long value is not echoed whole');
  }

  it('refuses full paths no GitLab route can take, before calling GitLab', async () => {
    const paths = [
      '',
      '.',
      '..',
      '...',
      'a\u0000b',
      'a\nb',
      'a\u007fb',
      'x'.repeat(10_240),
      `${'a/'.repeat(600)}b`,
    ];
    for (const p of paths) {
      await refused(PROJECT, { p }, /is not a project's full path or id/);
      await refused(GROUP, { p }, /is not a group's full path or id/);
    }
    await refused(
      'mutation ($p: ID!) { createProjectHook(input: { projectPath: $p, url: "https://a.example" }) { errors } }',
      { p: '..' },
      /is not a project's full path/,
    );
    assert.deepEqual(t.stack.upstreamRequests(), []);
  });

  it('sends every other full path to its one route, encoded as one segment, and reads what GitLab finds', async () => {
    const paths = [
      '../../hooks',
      'acme/../other',
      'acme%2Fplatform%2Fapi',
      'acme/platform/api?private_token=x',
      'acme/platform/api#x',
      '+1',
      '-1',
      '0',
      ' 1',
      '1e3',
      '1234567890123456',
      'acme/platform/api/',
    ];
    for (const p of paths) {
      t.stack.gitlab.resetRequestLog();
      const result = await t.stack.requestText(PROJECT, { p }, maintainer());
      assert.equal(result.errors, undefined, `${p}: ${JSON.stringify(result.errors)}`);
      assert.equal(result.data.project, null, p);
      const requests = t.stack.upstreamRequests().map((r) => `${r.method} ${r.path}`);
      assert.deepEqual(requests, [`GET /api/v4/projects/${encodeURIComponent(p)}/hooks`], p);
    }
  });

  it('reads a numeric id with leading zeros as that id, as GitLab does', async () => {
    const result = await t.stack.requestText(PROJECT, { p: `000${t.world.project.id}` }, maintainer());
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal(typeof result.data.project.webhooks.count, 'number');
    assert.deepEqual(
      t.stack.upstreamRequests().map((r) => r.path),
      [`/api/v4/projects/${t.world.project.id}/hooks`],
    );
  });

  it("refuses global IDs whose query string is not exactly the parent's id, before calling GitLab", async () => {
    const ids = [
      'gid://gitlab/ProjectHook/7?project_id=1&project_id=2',
      'gid://gitlab/ProjectHook/7?project_id=-1',
      'gid://gitlab/ProjectHook/7?project_id=0',
      'gid://gitlab/ProjectHook/7?project_id=+1',
      'gid://gitlab/ProjectHook/7?project_id=1e2',
      'gid://gitlab/ProjectHook/7?project_id=%31',
      'gid://gitlab/ProjectHook/7?project_id=1%00',
      'gid://gitlab/ProjectHook/7?project_id=1&extra=2',
      'gid://gitlab/ProjectHook/7?project_id=1&',
      'gid://gitlab/ProjectHook/7?project_id',
      'gid://gitlab/ProjectHook/7?project_id=99999999999999999999',
      'gid://gitlab/ProjectHook/7?group_id=1',
      'gid://gitlab/ProjectHook/7?project_id=1=2',
      'gid://gitlab/ProjectHook/7?project_id=1/../2',
      'gid://gitlab/ProjectHook/-7?project_id=1',
      'gid://gitlab/ProjectHook/7%00?project_id=1',
      'gid://gitlab/ProjectHook/99999999999999999999?project_id=1',
      `gid://gitlab/ProjectHook/7?project_id=${'1'.repeat(10_000)}`,
    ];
    for (const id of ids) await refused(DELETE, { id }, /not a valid|must name its project/);
    for (const id of [
      'gid://gitlab/WebHookLog/7?project_id=1&hook_id=2&hook_id=3',
      'gid://gitlab/WebHookLog/7?project_id=1&hook_id=-2',
      'gid://gitlab/WebHookLog/7?project_id=1&hook_id=2&extra=1',
      'gid://gitlab/WebHookLog/7?project_id=%00&hook_id=2',
    ]) {
      await refused(RESEND, { id }, /not a valid|must name its hook/);
    }
    assert.deepEqual(t.stack.upstreamRequests(), []);
  });

  it('refuses trigger names outside the enum, status codes out of range and log pages over 20', async () => {
    const test = await t.stack.requestText(
      'mutation ($id: ID!, $trigger: WebhookTestTrigger!) { testProjectHook(input: { id: $id, trigger: $trigger }) { errors } }',
      { id: `gid://gitlab/ProjectHook/7?project_id=${t.world.project.id}`, trigger: '../../hooks' },
      maintainer(),
    );
    assert.ok(test.errors?.[0]?.message.includes('WebhookTestTrigger'), JSON.stringify(test.errors));
    const hook = await t.rest('POST', `/projects/${t.world.project.id}/hooks`, {
      token: t.world.maintainer.token,
      json: { url: 'https://hooks.example.com/log' },
    });
    const base = { p: t.world.project.path_with_namespace, id: String(hook.body.id) };
    t.stack.gitlab.resetRequestLog();
    for (const codes of [[99], [600], [-200], [2_147_483_647], [0]]) {
      await refused(EVENTS, { ...base, codes }, /statusCodes takes HTTP status codes/);
    }
    await refused(EVENTS, { ...base, first: 21 }, /first must be between 0 and 20/);
    await refused(EVENTS, { ...base, last: 21 }, /last must be between 0 and 20/);
    await refused(EVENTS, { ...base, first: -1 }, /first must be between 0 and 20/);
    const logCalls = t.stack.upstreamRequests().filter((r) => r.path.endsWith('/events'));
    assert.deepEqual(logCalls, [], 'no log call for a refused window or filter');
  });
});
