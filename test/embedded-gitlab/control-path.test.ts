import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { USER_TOKEN } from '../helpers/credentials.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type CallOptions, postControlPath, useEmbeddedGitLab } from './helpers.ts';

describe('POST /-/embedded-gitlab/system-hook-events refuses bad input and delivers nothing', () => {
  const t = useEmbeddedGitLab({ version: '19.0.0', maxBodyBytes: 4_096 });
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver();
    await t.createHook({ url: `${receiver.origin}/hook`, push_events: true, merge_requests_events: true });
  });
  after(() => receiver.close());
  afterEach(async () => {
    // A request plans its deliveries before it is answered, and they count as pending from then on: anything a
    // refused request had started would be settled here, and show.
    await t.gitlab.deliveriesSettled();
    assert.equal(receiver.received.length, 0, 'nothing was delivered');
    assert.equal(t.gitlab.deliveries.length, 0, 'nothing was attempted');
  });

  async function assertRefused(
    body: unknown,
    status: number,
    expected: unknown,
    options: CallOptions & { method?: string } = {},
  ) {
    const answer = await postControlPath(t.gitlab, 'system-hook-events', body, options);
    assert.equal(answer.status, status, `${JSON.stringify(body)}: ${answer.text}`);
    assert.deepEqual(answer.body, expected, JSON.stringify(body));
  }

  it('answers 401 without a credential and 403 for a user who is not an administrator', async () => {
    await assertRefused({ event_name: 'user_create' }, 401, { message: '401 Unauthorized' }, { token: null });
    await assertRefused(
      { event_name: 'user_create' },
      401,
      { message: '401 Unauthorized' },
      { token: 'wrong' },
    );
    await assertRefused(
      { event_name: 'user_create' },
      403,
      { message: '403 Forbidden' },
      { token: USER_TOKEN },
    );
  });

  it('answers 400 for a body that is not a JSON object', async () => {
    const notAnObject = { error: 'the body must be a JSON object' };
    await assertRefused(['user_create'], 400, notAnObject);
    await assertRefused('user_create', 400, notAnObject);
    await assertRefused(null, 400, notAnObject);
    await assertRefused(undefined, 400, notAnObject, { body: '' });
    await assertRefused(undefined, 400, notAnObject, {
      body: 'event_name=user_create',
      contentType: 'application/x-www-form-urlencoded',
    });
    await assertRefused(
      undefined,
      400,
      { error: 'message body does not match declared format' },
      {
        body: '{"event_name":',
        contentType: 'application/json',
      },
    );
  });

  it('answers 400 for a missing, empty or unknown event, or a misspelt field', async () => {
    await assertRefused({}, 400, { error: 'event_name is missing' });
    await assertRefused({ payload: {} }, 400, { error: 'event_name is missing' });
    await assertRefused({ event_name: '' }, 400, { error: 'event_name must be a non-empty string' });
    await assertRefused({ event_name: 42 }, 400, { error: 'event_name must be a non-empty string' });
    await assertRefused({ event_name: 'deploykey_create' }, 400, {
      error: 'event_name "deploykey_create" is not in the catalogue; send a payload to deliver it as given',
    });
    await assertRefused({ event_name: 'toString' }, 400, {
      error: 'event_name "toString" is not in the catalogue; send a payload to deliver it as given',
    });
    await assertRefused({ evnt_name: 'user_create' }, 400, {
      error: 'unknown field "evnt_name"; expected event_name, payload, ref, resend',
    });
  });

  it('answers 400 for a payload that is not a JSON object', async () => {
    for (const payload of [[], 'text', 7, true, null]) {
      await assertRefused({ event_name: 'push', payload }, 400, { error: 'payload must be a JSON object' });
    }
  });

  it('answers 400 for a ref that cannot apply', async () => {
    await assertRefused({ event_name: 'push', ref: '' }, 400, { error: 'ref must be a non-empty string' });
    await assertRefused({ event_name: 'push', ref: 5 }, 400, { error: 'ref must be a non-empty string' });
    await assertRefused({ event_name: 'push', ref: 'main', payload: { ref: 'refs/heads/main' } }, 400, {
      error: 'ref shapes a generated payload; with a payload, put the ref in it',
    });
    await assertRefused({ event_name: 'merge_request', ref: 'main' }, 400, {
      error: 'ref applies to push, tag_push and repository_update events only',
    });
  });

  it('answers 400 or 404 for a resend it cannot do', async () => {
    await assertRefused({ resend: '' }, 400, { error: 'resend must be a non-empty string' });
    await assertRefused({ resend: 'x', event_name: 'push' }, 400, {
      error: 'resend cannot be combined with event_name, payload or ref',
    });
    await assertRefused({ resend: 'f8b0f0e5-1f3c-4d7e-9f52-5c0e0d7f3a11' }, 404, {
      error: 'no delivery f8b0f0e5-1f3c-4d7e-9f52-5c0e0d7f3a11 in the log',
    });
  });

  it('answers 413 for a body over the limit, 405 for another method and 404 for another control path', async () => {
    await assertRefused({ event_name: 'push', payload: { filler: 'x'.repeat(5_000) } }, 413, {
      message: '413 Request Entity Too Large',
    });
    await assertRefused(undefined, 405, { error: '405 Method Not Allowed' }, { method: 'GET' });
    const other = await postControlPath(t.gitlab, 'other', undefined, { token: null });
    assert.equal(other.status, 404);
    assert.deepEqual(other.body, { error: '404 Not Found' });
  });
});
