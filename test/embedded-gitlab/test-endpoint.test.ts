import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USER_TOKEN } from '../helpers/credentials.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { useEmbeddedGitLab } from './helpers.ts';

const MOCK_DATA =
  '{"event_name":"project_create","name":"Ruby","path":"ruby","project_id":1,"owner_name":"Someone","owner_email":"example@gitlabhq.com"}';

describe('POST /hooks/:hook_id (test delivery)', () => {
  const t = useEmbeddedGitLab({ externalUrl: 'https://gitlab.example.com', deliveryTimeoutMs: 1_000 });

  it('delivers the mock event and answers 201 with it, keys in GitLab order', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await t.createHook({
        url: `${receiver.origin}/hook?x=1`,
        token: 'hook-secret',
        custom_headers: [{ key: 'X-Custom', value: 'custom-value' }],
      });
      const answer = await t.call('POST', `/hooks/${hook.id}`);
      assert.equal(answer.status, 201);
      assert.equal(answer.headers.get('content-type'), 'application/json');
      assert.equal(answer.text, MOCK_DATA);
      assert.equal(receiver.received.length, 1);
      const [delivery] = receiver.received;
      assert.equal(delivery?.method, 'POST');
      assert.equal(delivery?.target, '/hook?x=1');
      assert.equal(delivery?.body, MOCK_DATA);
      assert.equal(delivery?.headers['x-gitlab-event'], 'System Hook');
      assert.equal(delivery?.headers['x-gitlab-token'], 'hook-secret');
      assert.equal(delivery?.headers['x-gitlab-instance'], 'https://gitlab.example.com');
      assert.equal(delivery?.headers['user-agent'], 'GitLab/18.6.5');
      assert.equal(delivery?.headers['x-custom'], 'custom-value');
    } finally {
      await receiver.close();
    }
  });

  it('answers 201 with the mock data when the receiver fails', async () => {
    const receiver = await startReceiver({ status: 500 });
    try {
      const hook = await t.createHook({ url: `${receiver.origin}/fails` });
      const answer = await t.call('POST', `/hooks/${hook.id}`);
      assert.equal(answer.status, 201);
      assert.equal(answer.text, MOCK_DATA);
      assert.equal(receiver.received.length, 1);
    } finally {
      await receiver.close();
    }
  });

  it('answers 201 with the mock data when nothing listens at the URL', async () => {
    const receiver = await startReceiver();
    await receiver.close();
    const hook = await t.createHook({ url: `${receiver.origin}/gone` });
    const answer = await t.call('POST', `/hooks/${hook.id}`);
    assert.equal(answer.status, 201);
    assert.equal(answer.text, MOCK_DATA);
  });

  it('answers 404, 400, 401 and 403 like the other hook endpoints', async () => {
    const missing = await t.call('POST', '/hooks/987654');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { message: '404 Not found' });
    const invalid = await t.call('POST', '/hooks/abc');
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body, { error: 'hook_id is invalid' });
    assert.equal((await t.call('POST', '/hooks/1', { token: null })).status, 401);
    assert.equal((await t.call('POST', '/hooks/1', { token: USER_TOKEN })).status, 403);
  });
});

describe('POST /hooks/:hook_id with local requests from web hooks allowed', () => {
  const gitlab = useEmbeddedGitLab({
    allowLocalRequestsFromWebHooksAndServices: true,
    deliveryTimeoutMs: 1_000,
  });

  it('delivers to the interpolated URL', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await gitlab.createHook({
        url: `${receiver.origin}/{path}`,
        url_variables: [{ key: 'path', value: 'secret-path' }],
      });
      assert.equal((await gitlab.call('POST', `/hooks/${hook.id}`)).status, 201);
      assert.equal(receiver.received[0]?.target, '/secret-path');
    } finally {
      await receiver.close();
    }
  });
});
