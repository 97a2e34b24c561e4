import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createWebhookVerifier,
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  parseSecretTokens,
  parseSigningSecrets,
  signStandardWebhook,
} from '../../src/events/verification.ts';

// The public Standard Webhooks (Svix) test vector, as in system-hook-events.md §2.7.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const VECTOR_NOW_MS = Number(VECTOR.timestamp) * 1000;

const TOKENS = ['first-secret-token', 'second secret token', 'x'];
const SECRETS = [`whsec_${randomBytes(32).toString('base64')}`, VECTOR.secret];
const BODY = new TextEncoder().encode('{"event_name":"project_create","project_id":74}');
const NOW_MS = 1_800_000_000_000;
const NOW = String(NOW_MS / 1000);

const verifier = createWebhookVerifier({ secretTokens: TOKENS, signingSecrets: SECRETS, now: () => NOW_MS });

function signed(overrides: Record<string, string | null> = {}, secret = SECRETS[0] as string): Headers {
  const id = 'b9f5e3b2-6a4f-4a5e-9c59-2f8c1b9e7a10';
  const headers: Record<string, string | null> = {
    'webhook-id': id,
    'webhook-timestamp': NOW,
    'webhook-signature': signStandardWebhook(secret, id, NOW, BODY),
    ...overrides,
  };
  return new Headers(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== null));
}

describe('webhook verification', () => {
  describe('the Standard Webhooks test vector', () => {
    it('signs the vector as the specification does', () => {
      assert.equal(
        signStandardWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body),
        VECTOR.signature,
      );
    });

    it('accepts the vector, alone and after a bad entry in the list', () => {
      const vectorVerifier = createWebhookVerifier({
        signingSecrets: [VECTOR.secret],
        now: () => VECTOR_NOW_MS,
      });
      const body = new TextEncoder().encode(VECTOR.body);
      for (const signature of [VECTOR.signature, `v1,bad ${VECTOR.signature}`]) {
        const headers = new Headers({
          'webhook-id': VECTOR.id,
          'webhook-timestamp': VECTOR.timestamp,
          'webhook-signature': signature,
        });
        assert.equal(vectorVerifier.verify(headers, body), 'SIGNATURE', signature);
      }
    });
  });

  describe('X-Gitlab-Token', () => {
    for (const token of TOKENS) {
      it(`accepts the configured token ${JSON.stringify(token)} before the body is read`, () => {
        const headers = new Headers({ 'x-gitlab-token': token });
        assert.equal(verifier.checkHeaders(headers), 'TOKEN');
        assert.equal(verifier.verify(headers, BODY), 'TOKEN');
      });
    }

    const refused: [string, Record<string, string>][] = [
      ['a wrong token', { 'x-gitlab-token': 'first-secret-tokeN' }],
      ['no token', {}],
      ['an empty token', { 'x-gitlab-token': '' }],
      ['a truncated token', { 'x-gitlab-token': 'first-secret-toke' }],
      ['a longer token', { 'x-gitlab-token': 'first-secret-token!' }],
      ['a token of another length', { 'x-gitlab-token': 'y'.repeat(300) }],
      ['two tokens in one header', { 'x-gitlab-token': 'x, x' }],
      ['the token sent as Basic credentials', { authorization: `Basic ${btoa('x:first-secret-token')}` }],
    ];
    for (const [what, headers] of refused) {
      it(`refuses ${what}`, () => {
        assert.equal(verifier.checkHeaders(new Headers(headers)), 'refused');
        assert.equal(verifier.verify(new Headers(headers), BODY), null);
      });
    }

    it('refuses every token when none is configured', () => {
      const signingOnly = createWebhookVerifier({ signingSecrets: SECRETS });
      assert.equal(signingOnly.checkHeaders(new Headers({ 'x-gitlab-token': '' })), 'refused');
      assert.equal(signingOnly.checkHeaders(new Headers({ 'x-gitlab-token': 'x' })), 'refused');
    });
  });

  describe('webhook-signature', () => {
    for (const [index, secret] of SECRETS.entries()) {
      it(`accepts a signature made with configured secret ${index + 1}`, () => {
        const headers = signed({}, secret);
        assert.equal(verifier.checkHeaders(headers), 'needs-body');
        assert.equal(verifier.checkSignature(headers, BODY), 'SIGNATURE');
        assert.equal(verifier.verify(headers, BODY), 'SIGNATURE');
      });
    }

    it('accepts a list whose good entry follows a bad one and an unknown scheme', () => {
      const good = signed().get('webhook-signature');
      const headers = signed({ 'webhook-signature': `v1,bad v1a,c2lnbmF0dXJl ${good}` });
      assert.equal(verifier.verify(headers, BODY), 'SIGNATURE');
    });

    it(`accepts timestamps ${DEFAULT_SIGNATURE_TOLERANCE_SECONDS} s old and ahead, at the edges of the window`, () => {
      for (const offset of [-DEFAULT_SIGNATURE_TOLERANCE_SECONDS, DEFAULT_SIGNATURE_TOLERANCE_SECONDS]) {
        const timestamp = String(NOW_MS / 1000 + offset);
        const id = 'edge';
        const headers = new Headers({
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': signStandardWebhook(SECRETS[0] as string, id, timestamp, BODY),
        });
        assert.equal(verifier.verify(headers, BODY), 'SIGNATURE', String(offset));
      }
    });

    const stale = String(NOW_MS / 1000 - DEFAULT_SIGNATURE_TOLERANCE_SECONDS - 1);
    const future = String(NOW_MS / 1000 + DEFAULT_SIGNATURE_TOLERANCE_SECONDS + 1);
    const signedAt = (timestamp: string) =>
      signed({
        'webhook-timestamp': timestamp,
        'webhook-signature': signStandardWebhook(
          SECRETS[0] as string,
          'b9f5e3b2-6a4f-4a5e-9c59-2f8c1b9e7a10',
          timestamp,
          BODY,
        ),
      });
    const refusedBeforeBody: [string, Headers][] = [
      ['a stale timestamp, though correctly signed', signedAt(stale)],
      ['a future timestamp, though correctly signed', signedAt(future)],
      ['a non-numeric timestamp', signed({ 'webhook-timestamp': `${NOW}.5` })],
      ['a timestamp in milliseconds', signed({ 'webhook-timestamp': String(NOW_MS) })],
      ['a missing timestamp', signed({ 'webhook-timestamp': null })],
      ['a missing id', signed({ 'webhook-id': null })],
      ['an empty id', signed({ 'webhook-id': '' })],
    ];
    for (const [what, headers] of refusedBeforeBody) {
      it(`refuses ${what} before the body is read`, () => {
        assert.equal(verifier.checkHeaders(headers), 'refused');
        assert.equal(verifier.verify(headers, BODY), null);
      });
    }

    const refusedWithBody: [string, Headers, Uint8Array][] = [
      [
        'a tampered body',
        signed(),
        new TextEncoder().encode('{"event_name":"project_create","project_id":75}'),
      ],
      [
        'a body with one more space',
        signed(),
        new TextEncoder().encode(`${new TextDecoder().decode(BODY)} `),
      ],
      ['a signature made for another id', signed({ 'webhook-id': 'another-id' }), BODY],
      [
        'a signature made with an unknown secret',
        signed({}, `whsec_${randomBytes(32).toString('base64')}`),
        BODY,
      ],
      ['a bad signature only', signed({ 'webhook-signature': 'v1,bad' }), BODY],
      ['an empty signature', signed({ 'webhook-signature': '' }), BODY],
      [
        'a v1a signature only',
        signed({ 'webhook-signature': 'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw==' }),
        BODY,
      ],
      [
        'the right signature under the v1a scheme',
        signed({ 'webhook-signature': `v1a,${signed().get('webhook-signature')?.slice(3)}` }),
        BODY,
      ],
    ];
    for (const [what, headers, body] of refusedWithBody) {
      it(`refuses ${what}`, () => {
        assert.equal(verifier.verify(headers, body), null);
      });
    }

    it('refuses a bad signature even when the token is good: a signature present must pass', () => {
      const headers = signed({ 'webhook-signature': 'v1,bad', 'x-gitlab-token': TOKENS[0] as string });
      assert.equal(verifier.checkHeaders(headers), 'needs-body');
      assert.equal(verifier.verify(headers, BODY), null);
      const staleWithToken = signedAt(stale);
      staleWithToken.set('x-gitlab-token', TOKENS[0] as string);
      assert.equal(verifier.checkHeaders(staleWithToken), 'refused');
    });

    it('refuses a signature when no signing secret is configured, even with a good token', () => {
      const tokenOnly = createWebhookVerifier({ secretTokens: TOKENS, now: () => NOW_MS });
      const headers = signed({ 'x-gitlab-token': TOKENS[0] as string });
      assert.equal(tokenOnly.checkHeaders(headers), 'refused');
    });

    it('accepts by token when a delivery carries webhook-id and webhook-timestamp but no signature', () => {
      const headers = signed({ 'webhook-signature': null, 'x-gitlab-token': TOKENS[1] as string });
      assert.equal(verifier.verify(headers, BODY), 'TOKEN');
    });
  });
});

describe('parsing the secrets from the environment', () => {
  it('reads comma-separated tokens, trimmed, without empty entries or repeats', () => {
    assert.deepEqual(parseSecretTokens(' one , two words,,one, '), {
      values: ['one', 'two words'],
      problems: [],
    });
    assert.deepEqual(parseSecretTokens(undefined), { values: [], problems: [] });
  });

  it('reports tokens an HTTP header cannot carry without quoting them', () => {
    const parsed = parseSecretTokens(`good,canary-caf\u00e9,${'z'.repeat(1025)},canary\there`);
    assert.deepEqual(parsed.values, ['good']);
    assert.equal(parsed.problems.length, 3);
    assert.match(parsed.problems[0] as string, /^WEBHOOK_SECRET_TOKENS: entry 2 contains a character/);
    assert.match(
      parsed.problems[1] as string,
      /^WEBHOOK_SECRET_TOKENS: entry 3 is longer than 1024 characters$/,
    );
    for (const problem of parsed.problems) assert.doesNotMatch(problem, /canary|zzz/);
  });

  it('reads whsec_ secrets of 24 to 64 bytes, padded or not', () => {
    const of = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;
    const unpadded = of(32).replace(/=+$/, '');
    const raw = [of(24), of(64), unpadded, VECTOR.secret].join(' , ');
    assert.deepEqual(parseSigningSecrets(raw), { values: raw.split(' , '), problems: [] });
  });

  it('reports each malformed signing secret by position, without quoting it', () => {
    const secrets = [
      randomBytes(32).toString('base64'),
      'whsec_not*base64!',
      `whsec_${randomBytes(16).toString('base64')}`,
      `whsec_${randomBytes(65).toString('base64')}`,
      `whsec_${randomBytes(32).toString('base64url')}-_`,
    ];
    const parsed = parseSigningSecrets(secrets.join(','), 'SECRETS');
    assert.deepEqual(parsed.values, []);
    assert.deepEqual(parsed.problems, [
      'SECRETS: entry 1 does not start with whsec_',
      'SECRETS: entry 2 is not standard base64 after whsec_',
      'SECRETS: entry 3 decodes to 16 bytes; a signing secret is 24 to 64 bytes',
      'SECRETS: entry 4 decodes to 65 bytes; a signing secret is 24 to 64 bytes',
      'SECRETS: entry 5 is not standard base64 after whsec_',
    ]);
  });
});
