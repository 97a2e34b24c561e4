import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { GitLabClient } from '../../src/upstream/client.ts';
import { GROUP_HOOKS, PROJECT_HOOKS } from '../../src/upstream/hook-scope.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { clientFor, hookJson, privateToken, rejectsWith } from './fixtures.ts';

const options = { credential: privateToken };

function projectHookJson(id: number, extra: Record<string, unknown> = {}) {
  return hookJson(id, { project_id: 3, issues_events: true, ...extra });
}

const event = {
  id: 9,
  url: 'https://receiver.example.com/hook',
  trigger: 'push_hooks',
  request_headers: { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': '[REDACTED]' },
  request_data: { object_kind: 'push' },
  response_headers: { 'content-type': 'text/plain' },
  response_body: 'ok',
  execution_duration: 0.12,
  response_status: '200',
  created_at: '2026-12-07T01:00:00.000Z',
};

describe('GitLab client: project and group hook scopes', () => {
  let server: ScriptedServer;
  let client: GitLabClient;

  before(async () => {
    server = await startScriptedServer();
    client = clientFor(server.url);
  });
  after(async () => {
    await client.close();
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('encodes a full path as one segment of :id, and a numeric id as it is', async () => {
    server.setScript(() => json(200, [projectHookJson(1)], { 'x-total': '1' }));
    await client.hooks(PROJECT_HOOKS, 'acme/platform/api').listHooks({ page: 1, perPage: 100 }, options);
    await client
      .hooks(GROUP_HOOKS, 12)
      .listHooks({ page: 1, perPage: 20 }, options)
      .catch(() => {});
    assert.deepEqual(
      server.requests.map((r) => r.url),
      [
        '/api/v4/projects/acme%2Fplatform%2Fapi/hooks?page=1&per_page=100',
        '/api/v4/groups/12/hooks?page=1&per_page=20',
      ],
    );
  });

  it('refuses a parent REST could not take, before any request', async () => {
    for (const parent of ['', '..', 'a\u0000b', 'x'.repeat(1025), 0, -1, 1.5] as const) {
      assert.throws(() => client.hooks(PROJECT_HOOKS, parent), RangeError, String(parent));
    }
    assert.deepEqual(server.requests, []);
  });

  it('reads project hooks, with flags an older GitLab lacks as false, and refuses one without project_id', async () => {
    server.setScript(() => json(200, hookJson(1, { project_id: 3, issues_events: null })));
    const hook = await client.hooks(PROJECT_HOOKS, 3).getHook(1, options);
    assert.equal(hook.issues_events, false);
    assert.equal(hook.vulnerability_events, false, 'an absent flag (GitLab CE) reads false');
    server.setScript(() => json(200, hookJson(1)));
    await rejectsWith(client.hooks(PROJECT_HOOKS, 3).getHook(1, options), 'UPSTREAM_UNAVAILABLE');
    server.setScript(() => json(200, projectHookJson(1, { note_events: 'yes' })));
    await rejectsWith(client.hooks(PROJECT_HOOKS, 3).getHook(1, options), 'UPSTREAM_UNAVAILABLE');
  });

  it('reads the delivery log with its status filter and pages of at most 20', async () => {
    server.setScript(() => json(200, [event], { 'x-total': '1', 'x-page': '1', 'x-per-page': '20' }));
    const page = await client
      .hooks(PROJECT_HOOKS, 3)
      .listHookEvents(7, { page: 2, perPage: 20, status: ['successful', '404'] }, options);
    assert.equal(page.events[0]?.response_status, '200');
    assert.equal(page.pagination.total, 1);
    assert.equal(
      server.requests[0]?.url,
      '/api/v4/projects/3/hooks/7/events?status=successful,404&page=2&per_page=20',
    );
    await assert.rejects(
      client.hooks(PROJECT_HOOKS, 3).listHookEvents(7, { page: 1, perPage: 21 }, options),
      RangeError,
    );
    await assert.rejects(
      client.hooks(PROJECT_HOOKS, 3).listHookEvents(7, { page: 1, perPage: 20, status: ['ok&x=1'] }, options),
      RangeError,
    );
  });

  it('answers UPSTREAM_UNAVAILABLE to a malformed log, resend, test or parent answer', async () => {
    const api = client.hooks(PROJECT_HOOKS, 3);
    const cases: [() => Promise<unknown>, unknown][] = [
      [() => api.listHookEvents(7, { page: 1, perPage: 20 }, options), [{ ...event, id: '9' }]],
      [() => api.listHookEvents(7, { page: 1, perPage: 20 }, options), { events: [] }],
      [() => api.listHookEvents(7, { page: 1, perPage: 20 }, options), [{ ...event, request_headers: 'x' }]],
      [() => api.resendHookEvent(7, 9, options), { response_status: '200' }],
      [() => api.testHook(7, 'push_events', options), ['201 Created']],
      [() => api.getParent(options), { id: 3, name: 'API' }],
    ];
    for (const [call, body] of cases) {
      server.setScript(() => json(200, body));
      await rejectsWith(call(), 'UPSTREAM_UNAVAILABLE');
    }
  });

  it('calls resend, the trigger test and the parent read on their routes', async () => {
    const api = client.hooks(GROUP_HOOKS, 'acme');
    server.setScript((request) => {
      if (request.url.endsWith('/resend')) return json(201, { response_status: 202 });
      if (request.url.includes('/test/')) return json(201, { message: '201 Created' });
      return json(200, {
        id: 5,
        name: 'Acme',
        full_path: 'acme',
        web_url: 'https://gitlab.example.com/acme',
      });
    });
    assert.deepEqual(await api.resendHookEvent(7, 9, options), { response_status: 202 });
    assert.deepEqual(await api.testHook(7, 'push_events', options), { message: '201 Created' });
    assert.equal((await api.getParent(options)).full_path, 'acme');
    assert.deepEqual(
      server.requests.map((r) => `${r.method} ${r.url}`),
      [
        'POST /api/v4/groups/acme/hooks/7/events/9/resend',
        'POST /api/v4/groups/acme/hooks/7/test/push_events',
        'GET /api/v4/groups/acme',
      ],
    );
    await assert.rejects(api.testHook(7, '../../x', options), RangeError);
    assert.equal(server.requests.length, 3, 'a refused trigger sends nothing');
  });
});
