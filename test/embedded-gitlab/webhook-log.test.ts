import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startReceiver } from '../helpers/receiver.ts';
import { useReceiver, useWebhookGitLab } from './webhook-world.ts';

const DAY_MS = 86_400_000;
const ENTRY_KEYS = [
  'id',
  'url',
  'trigger',
  'request_headers',
  'request_data',
  'response_headers',
  'response_body',
  'execution_duration',
  'response_status',
  'created_at',
];

describe('GET /projects/:id/hooks/:hook_id/events', () => {
  const t = useWebhookGitLab({ externalUrl: 'https://gitlab.example.com' });
  /** Answers with the status the path names (`/status/404`), and echoes what the tests need. */
  const receiver = useReceiver({
    answer: (request, res) => {
      const status = Number(/\/status\/(\d+)/.exec(request.target)?.[1] ?? 200);
      if (request.target.startsWith('/big')) {
        const headers: Record<string, string> = { 'x-long': 'v'.repeat(2_000), 'x-echo': request.target };
        for (let i = 0; i < 60; i++) headers[`x-h${String(i).padStart(2, '0')}`] = String(i);
        res.writeHead(200, headers).end('b'.repeat(20_000));
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`answered ${status}`);
    },
  });

  const events = (hookId: number, query = '') =>
    t.call('GET', `/projects/${t.world.projectId}/hooks/${hookId}/events${query}`);
  /** Fires a push at the project and waits for every delivery. */
  const push = async (payload?: Record<string, unknown>) => {
    const answer = await t.fire({
      event_name: 'push',
      project: t.world.projectId,
      ...(payload ? { payload } : {}),
    });
    assert.equal(answer.status, 202, answer.text);
    await t.gitlab.deliveriesSettled();
    return answer.body;
  };

  it('logs a delivery with GitLab’s fields and redactions', async () => {
    const hook = await t.createHook({
      url: `http://user:pass@127.0.0.1:${receiver.port}/big/{secret}`,
      token: 'hook-secret',
      url_variables: [{ key: 'secret', value: 's3cr3t-value' }],
      custom_headers: [{ key: 'X-Custom', value: 'custom-value' }],
    });
    const fired = await push({ object_kind: 'push', ref: 'refs/heads/main', user_email: 'jane@example.com' });
    const answer = await events(hook.id);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.length, 1);
    const [entry] = answer.body;
    assert.deepEqual(Object.keys(entry), ENTRY_KEYS);
    assert.equal(entry.url, `http://*****:*****@127.0.0.1:${receiver.port}/big/{secret}`);
    assert.equal(entry.trigger, 'push_hooks');
    assert.equal(entry.request_headers['X-Gitlab-Token'], '[REDACTED]');
    assert.equal(entry.request_headers['X-Custom'], '[REDACTED]');
    assert.equal(entry.request_headers['X-Gitlab-Event'], 'Push Hook');
    assert.equal(entry.request_headers['Idempotency-Key'], fired.deliveries[0].idempotency_key);
    assert.equal(entry.request_headers.Authorization, undefined);
    assert.deepEqual(entry.request_data, {
      object_kind: 'push',
      ref: 'refs/heads/main',
      user_email: '[REDACTED]',
    });
    assert.equal(Object.keys(entry.response_headers).length, 50);
    assert.equal(entry.response_headers['x-long'].length, 1024);
    assert.ok(entry.response_headers['x-long'].endsWith('...'));
    assert.equal(entry.response_headers['x-echo'], '/big/{secret}');
    assert.equal(entry.response_body, 'b'.repeat(8 * 1024));
    assert.equal(entry.response_status, '200');
    assert.equal(typeof entry.execution_duration, 'number');
    assert.equal(entry.created_at, new Date(t.clock.now).toISOString());
    assert.ok(!answer.text.includes('s3cr3t-value') && !answer.text.includes('hook-secret'));
    assert.ok(!answer.text.includes('custom-value') && !answer.text.includes('pass@'));
  });

  it('lists newest first, filters by status, and pages 1 to 20 at a time with GitLab’s headers', async () => {
    const gone = await startReceiver();
    await gone.close();
    // One hook that gets every status: its URL picks the receiver's answer.
    const hook = await t.createHook({ url: `${receiver.origin}/status/200` });
    const order: string[] = [];
    for (const code of ['200', '404', '500', '201', '503', '422', '302']) {
      const url = `${receiver.origin}/status/${code}`;
      await t.call('PUT', `/projects/${t.world.projectId}/hooks/${hook.id}`, { json: { url } });
      t.clock.advance(1_000);
      await push();
      order.unshift(code);
    }
    await t.call('PUT', `/projects/${t.world.projectId}/hooks/${hook.id}`, {
      json: { url: `${gone.origin}/x` },
    });
    t.clock.advance(1_000);
    await push();
    order.unshift('internal error');

    const all = await events(hook.id);
    assert.deepEqual(
      all.body.map((e: { response_status: string }) => e.response_status),
      order,
    );
    assert.equal(all.headers.get('x-total'), String(order.length));
    const ids = all.body.map((e: { id: number }) => e.id);
    assert.deepEqual(
      [...ids].sort((a, b) => b - a),
      ids,
    );

    const statuses = async (query: string) =>
      (await events(hook.id, query)).body.map((e: { response_status: string }) => e.response_status);
    assert.deepEqual(await statuses('?status=successful'), ['201', '200']);
    assert.deepEqual(await statuses('?status=client_failure'), ['422', '404']);
    assert.deepEqual(await statuses('?status=server_failure'), ['internal error', '503', '500']);
    assert.deepEqual(await statuses('?status=successful,server_failure'), [
      'internal error',
      '503',
      '201',
      '500',
      '200',
    ]);
    assert.deepEqual(await statuses('?status=404'), ['404']);
    assert.deepEqual(await statuses('?status[]=302&status[]=503'), ['302', '503']);
    assert.deepEqual(await statuses('?status=405'), []);

    const page = await events(hook.id, '?per_page=3&page=2');
    assert.deepEqual(
      page.body.map((e: { response_status: string }) => e.response_status),
      order.slice(3, 6),
    );
    assert.equal(page.headers.get('x-per-page'), '3');
    assert.equal(page.headers.get('x-page'), '2');
    assert.equal(page.headers.get('x-next-page'), '3');
    assert.equal(page.headers.get('x-prev-page'), '1');
    assert.equal(page.headers.get('x-total-pages'), '3');
    assert.match(page.headers.get('link') ?? '', /events\?page=3&per_page=3>; rel="next"/);
    assert.equal((await events(hook.id, '?per_page=20')).body.length, order.length);
    assert.equal((await events(hook.id, '?per_page=1')).body.length, 1);
  });

  it('answers GitLab’s 400 for a bad status or page size', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/status/200` });
    const cases: [string, string][] = [
      ['?status=nope', 'status does not have a valid value'],
      ['?status=200,nope', 'status does not have a valid value'],
      ['?status=299', 'status does not have a valid value'],
      ['?status=__proto__', 'status does not have a valid value'],
      ['?status=constructor', 'status does not have a valid value'],
      ['?per_page=99999999999999999999', 'per_page does not have a valid value'],
      ['?per_page=21', 'per_page does not have a valid value'],
      ['?per_page=0', 'per_page does not have a valid value'],
      ['?per_page=-1', 'per_page does not have a valid value'],
      ['?per_page=abc', 'per_page is invalid'],
      ['?page=abc', 'page is invalid'],
      [
        '?status=nope&per_page=50',
        'status does not have a valid value, per_page does not have a valid value',
      ],
    ];
    for (const [query, error] of cases) {
      const answer = await events(hook.id, query);
      assert.deepEqual([answer.status, answer.body], [400, { error }], query);
    }
    const badId = await t.call('GET', `/projects/${t.world.projectId}/hooks/abc/events?per_page=21`);
    assert.deepEqual(badId.body, { error: 'hook_id is invalid, per_page does not have a valid value' });
  });

  it('keeps 7 days, from the start of the day 7 days ago', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/status/200` });
    await push();
    assert.equal((await events(hook.id)).body.length, 1);
    const dayStart = t.clock.now - (t.clock.now % DAY_MS);
    // The last moment of the seventh day after: still within `7.days.ago.beginning_of_day`.
    const saved = t.clock.now;
    t.clock.now = dayStart + 8 * DAY_MS - 1;
    assert.equal((await events(hook.id)).body.length, 1);
    t.clock.now = dayStart + 8 * DAY_MS;
    assert.equal((await events(hook.id)).body.length, 0);
    t.clock.now = saved;
  });

  it('shows the log to a Maintainer, 403 to a Developer, 404 to an outsider', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/status/200` });
    await push();
    const { maintainer, developer, outsider } = t.world.members;
    const path = `/projects/${t.world.projectId}/hooks/${hook.id}/events`;
    const asMaintainer = await t.call('GET', path, { token: maintainer.token });
    assert.deepEqual([asMaintainer.status, asMaintainer.body.length], [200, 1]);
    const asDeveloper = await t.call('GET', path, { token: developer.token });
    assert.deepEqual([asDeveloper.status, asDeveloper.body], [403, { message: '403 Forbidden' }]);
    const asOutsider = await t.call('GET', path, { token: outsider.token });
    assert.deepEqual([asOutsider.status, asOutsider.body], [404, { message: '404 Project Not Found' }]);
  });

  it('answers 404 for an unknown or foreign hook, 401 without a token', async () => {
    const groupHook = await t.createHook(
      { url: `${receiver.origin}/status/200` },
      { groups: t.world.subgroupId },
    );
    for (const id of [999_999, groupHook.id]) {
      const answer = await events(id);
      assert.deepEqual([answer.status, answer.body], [404, { message: '404 Not found' }]);
    }
    const group = await t.call('GET', `/groups/${t.world.subgroupId}/hooks/${groupHook.id}/events`);
    assert.deepEqual([group.status, group.body], [200, []]);
    const anonymous = await t.call('GET', `/projects/${t.world.projectId}/hooks/${groupHook.id}/events`, {
      token: null,
    });
    assert.equal(anonymous.status, 401);
  });
});
