import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { signWebhook } from '../../src/embedded-gitlab/delivery.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { useEmbeddedGitLab } from './helpers.ts';

const signingToken = (bytes = 32) => `whsec_${randomBytes(bytes).toString('base64')}`;
const FORMAT_MESSAGE = 'must be in whsec_<base64> format encoding a 32-byte key';

/** A verifier written from the Standard Webhooks spec, independent of the server's signer. */
function verifies(token: string, headers: Record<string, unknown>, body: string): boolean {
  const key = Buffer.from(token.slice('whsec_'.length), 'base64');
  const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
  const expected = `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
  return String(headers['webhook-signature']).split(' ').includes(expected);
}

describe('the Standard Webhooks signer', () => {
  it('gives the signature of the public test vector', () => {
    const signature = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      '1614265330',
      '{"test": 2432232314}',
    );
    assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe('signing_token on GitLab 19.0', () => {
  const t = useEmbeddedGitLab({ version: '19.0.0' });

  it('is accepted on create, never returned, and reported by signing_token_present', async () => {
    const secret = signingToken();
    const answer = await t.call('POST', '/hooks', {
      json: { url: 'http://example.com/signed', signing_token: secret },
    });
    assert.equal(answer.status, 201, answer.text);
    assert.equal(answer.body.signing_token_present, true);
    assert.equal(answer.body.token_present, false);
    assert.equal(answer.body.signing_token, undefined);
    assert.ok(!answer.text.includes(secret.slice(6)), 'the key is not in the answer');
    const read = await t.call('GET', `/hooks/${answer.body.id}`);
    assert.ok(!read.text.includes(secret.slice(6)));
    assert.deepEqual([read.body.token_present, read.body.signing_token_present], [false, true]);
  });

  it('puts token_present and signing_token_present last in the entity', async () => {
    const hook = await t.createHook({ url: 'http://example.com/fields', token: 'secret' });
    assert.deepEqual(Object.keys(hook).slice(-3), [
      'custom_headers',
      'token_present',
      'signing_token_present',
    ]);
    assert.equal(hook.token_present, true);
    assert.equal(hook.signing_token_present, false);
  });

  it('counts a blank token or signing token as absent', async () => {
    const hook = await t.createHook({ url: 'http://example.com/blank', token: '  ', signing_token: '' });
    assert.deepEqual([hook.token_present, hook.signing_token_present], [false, false]);
  });

  it('refuses a signing token in another format, on create (422 error) and on update (422 message)', async () => {
    const hook = await t.createHook({ url: 'http://example.com/format' });
    const key = randomBytes(32).toString('base64');
    const invalid = [
      'not-a-token',
      key,
      `whsec${key}`,
      `WHSEC_${key}`,
      signingToken(31),
      signingToken(33),
      signingToken(24),
      `whsec_${key.replace(/=$/, '')}`,
      `whsec_${randomBytes(32).toString('base64url')}_`,
      `whsec_${key} `,
      `whsec_${key.slice(0, 42)}B=`,
    ];
    for (const value of invalid) {
      const created = await t.call('POST', '/hooks', {
        json: { url: 'http://example.com', signing_token: value },
      });
      assert.equal(created.status, 422, value);
      assert.deepEqual(created.body, { error: `Signing token ${FORMAT_MESSAGE}` }, value);
      const updated = await t.call('PUT', `/hooks/${hook.id}`, { json: { signing_token: value } });
      assert.equal(updated.status, 422, value);
      assert.deepEqual(updated.body, { message: { signing_token: [FORMAT_MESSAGE] } }, value);
    }
    assert.equal((await t.listHooks()).filter((listed) => listed.url === 'http://example.com').length, 0);
  });

  it('sets, keeps and clears the signing token on update', async () => {
    const hook = await t.createHook({ url: 'http://example.com/a' });
    const set = await t.call('PUT', `/hooks/${hook.id}`, { json: { signing_token: signingToken() } });
    assert.equal(set.body.signing_token_present, true);
    const renamed = await t.call('PUT', `/hooks/${hook.id}`, { json: { name: 'renamed' } });
    assert.equal(renamed.body.signing_token_present, true, 'kept by an update that does not send it');
    const cleared = await t.call('PUT', `/hooks/${hook.id}`, { json: { signing_token: '' } });
    assert.equal(cleared.body.signing_token_present, false, 'a blank value removes it');
  });

  it('clears the token and the signing token when the URL changes without them, and keeps those sent again', async () => {
    const hook = await t.createHook({
      url: 'http://example.com/a',
      token: 'tok',
      signing_token: signingToken(),
    });
    const moved = await t.call('PUT', `/hooks/${hook.id}`, { json: { url: 'http://example.com/b' } });
    assert.deepEqual([moved.body.token_present, moved.body.signing_token_present], [false, false]);

    await t.call('PUT', `/hooks/${hook.id}`, { json: { token: 'tok', signing_token: signingToken() } });
    const movedWith = await t.call('PUT', `/hooks/${hook.id}`, {
      json: { url: 'http://example.com/c', signing_token: signingToken() },
    });
    assert.deepEqual([movedWith.body.token_present, movedWith.body.signing_token_present], [false, true]);
  });

  it('signs the test delivery, which an independent verifier accepts', async () => {
    const receiver = await startReceiver();
    try {
      const secret = signingToken();
      const hook = await t.createHook({ url: `${receiver.origin}/signed`, signing_token: secret });
      const answer = await t.call('POST', `/hooks/${hook.id}`);
      assert.equal(answer.status, 201);
      const [request] = receiver.received;
      assert.ok(request);
      assert.equal(request.headers['webhook-id'], request.headers['idempotency-key']);
      assert.match(String(request.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]{43}=$/);
      assert.ok(verifies(secret, request.headers, request.body));
      assert.ok(!verifies(signingToken(), request.headers, request.body), 'another key does not verify');
      assert.ok(!verifies(secret, request.headers, `${request.body} `), 'another body does not verify');
    } finally {
      await receiver.close();
    }
  });
});

describe('signing_token before GitLab 19.0', () => {
  const t = useEmbeddedGitLab({ version: '18.11.2' });

  it('is an undeclared parameter: ignored, and the entity has no presence fields', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await t.createHook({ url: `${receiver.origin}/old`, signing_token: 'not even valid' });
      assert.equal('token_present' in hook, false);
      assert.equal('signing_token_present' in hook, false);
      await t.call('POST', `/hooks/${hook.id}`);
      const headers = receiver.received[0]?.headers ?? {};
      assert.equal(headers['user-agent'], 'GitLab/18.11.2');
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        assert.equal(headers[name], undefined, name);
      }
      assert.ok(headers['idempotency-key']);
    } finally {
      await receiver.close();
    }
  });
});
