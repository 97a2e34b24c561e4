import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startReceiver } from '../helpers/receiver.ts';
import { useReceiver, useWebhookGitLab } from './webhook-world.ts';

describe('POST /projects/:id/hooks/:hook_id/events/:hook_log_id/resend', () => {
  const t = useWebhookGitLab();
  let status = 200;
  const receiver = useReceiver({ answer: (_request, res) => res.writeHead(status).end('answer') });
  const project = () => `/projects/${t.world.projectId}`;
  const resend = (hookId: number, logId: number | string, parent = project()) =>
    t.call('POST', `${parent}/hooks/${hookId}/events/${logId}/resend`);
  /** Resends are limited to 5 a minute per project and user: each test starts a new minute. */
  const nextMinute = () => t.clock.advance(60_000);

  /** A hook at `path` and the log entry of one test delivery to it. */
  async function logged(path: string, params: Record<string, unknown> = {}) {
    const hook = await t.createHook({ url: `${receiver.origin}${path}`, ...params });
    const test = await t.call('POST', `${project()}/hooks/${hook.id}/test/push_events`);
    assert.equal(test.status, 201, test.text);
    const events = await t.call('GET', `${project()}/hooks/${hook.id}/events`);
    return { hook, entry: events.body[0] as { id: number; request_headers: Record<string, string> } };
  }

  it('sends the logged request again with its Idempotency-Key and answers 201 with the status', async () => {
    nextMinute();
    const { hook, entry } = await logged('/resend', { token: 'hook-secret' });
    const original = receiver.received.at(-1);
    status = 503;
    try {
      const answer = await resend(hook.id, entry.id);
      assert.deepEqual([answer.status, answer.text], [201, '{"response_status":503}']);
    } finally {
      status = 200;
    }
    const again = receiver.received.at(-1);
    assert.equal(again?.headers['idempotency-key'], original?.headers['idempotency-key']);
    assert.equal(again?.headers['idempotency-key'], entry.request_headers['Idempotency-Key']);
    assert.notEqual(again?.headers['x-gitlab-webhook-uuid'], original?.headers['x-gitlab-webhook-uuid']);
    assert.equal(again?.headers['x-gitlab-event'], 'Push Hook');
    assert.equal(again?.headers['x-gitlab-token'], 'hook-secret');
    // The logged data, e-mails already redacted, is what goes again.
    const events = await t.call('GET', `${project()}/hooks/${hook.id}/events`);
    assert.deepEqual(JSON.parse(again?.body ?? '{}'), events.body[1].request_data);
    assert.notEqual(again?.body, original?.body);
    assert.equal(JSON.parse(again?.body ?? '{}').commits[0].author.email, '[REDACTED]');
    assert.deepEqual(
      events.body.map((e: { response_status: string }) => e.response_status),
      ['503', '200'],
    );
    assert.equal(events.body[0].request_headers['Idempotency-Key'], entry.request_headers['Idempotency-Key']);
  });

  it('refuses an entry once the URL it was sent to has changed', async () => {
    nextMinute();
    const { hook, entry } = await logged('/{where}', { url_variables: [{ key: 'where', value: 'one' }] });
    const before = receiver.received.length;
    const refused = { message: 'The hook URL has changed, and this log entry cannot be retried' };
    const put = (json: Record<string, unknown>) => t.call('PUT', `${project()}/hooks/${hook.id}`, { json });
    // Another template that interpolates to the same URL is still current: the hash is of the URL sent to.
    assert.equal((await put({ url: `${receiver.origin}/one`, url_variables: [] })).status, 200);
    assert.equal((await resend(hook.id, entry.id)).status, 201);
    assert.equal((await put({ url: `${receiver.origin}/elsewhere` })).status, 200);
    const url = await resend(hook.id, entry.id);
    assert.deepEqual([url.status, url.body], [422, refused]);
    assert.equal(receiver.received.length, before + 1);
    assert.equal(receiver.received.at(-1)?.target, '/one');
  });

  it('answers 422 with the transport error when the receiver is gone', async () => {
    nextMinute();
    const gone = await startReceiver();
    const hook = await t.createHook({ url: `${gone.origin}/gone` });
    assert.equal((await t.call('POST', `${project()}/hooks/${hook.id}/test/push_events`)).status, 201);
    const [entry] = (await t.call('GET', `${project()}/hooks/${hook.id}/events`)).body;
    await gone.close();
    const answer = await resend(hook.id, entry.id);
    assert.deepEqual([answer.status, answer.body], [422, { message: 'Connection refused' }]);
  });

  it('answers 404 for an entry of another hook, an unknown entry or hook, and a non-numeric id', async () => {
    nextMinute();
    const { hook, entry } = await logged('/mine');
    const other = await t.createHook({ url: `${receiver.origin}/other` });
    const before = receiver.received.length;
    for (const [hookId, logId] of [
      [other.id, entry.id],
      [hook.id, 999_999],
      [999_999, entry.id],
      [hook.id, 'abc'],
      ['abc', entry.id],
    ] as const) {
      const answer = await t.call('POST', `${project()}/hooks/${hookId}/events/${logId}/resend`);
      assert.deepEqual(
        [answer.status, answer.body],
        [404, { message: '404 Not found' }],
        `${hookId}/${logId}`,
      );
    }
    const groupHook = await t.createHook({ url: `${receiver.origin}/g` }, { groups: t.world.subgroupId });
    const asGroup = await resend(groupHook.id, entry.id, `/groups/${t.world.subgroupId}`);
    assert.deepEqual([asGroup.status, asGroup.body], [404, { message: '404 Not found' }]);
    assert.equal(receiver.received.length, before);
  });

  it('limits resends to 5 a minute per project and user, with 429 and Retry-After', async () => {
    nextMinute();
    const { hook, entry } = await logged('/limited');
    for (let i = 0; i < 5; i++) assert.equal((await resend(hook.id, entry.id)).status, 201);
    const before = receiver.received.length;
    const limited = await resend(hook.id, entry.id);
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body, {
      message: { error: 'This endpoint has been requested too many times. Try again later.' },
    });
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(receiver.received.length, before);
    // Tests are counted apart from resends.
    assert.equal((await t.call('POST', `${project()}/hooks/${hook.id}/test/push_events`)).status, 201);
    t.clock.advance(Number(limited.headers.get('retry-after')) * 1000);
    assert.equal((await resend(hook.id, entry.id)).status, 201);
  });
});
