import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

describe('CORS allow-list (CORS_ORIGINS)', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ gateway: { corsOrigins: [APP, 'http://localhost:5173'] } });
  });
  after(() => stack.close());

  const preflight = (origin: string) =>
    fetch(`${stack.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, private-token',
      },
    });

  it("answers an allowed origin's preflight with that origin, the credential headers, and no cookies", async () => {
    const response = await preflight(APP);
    await response.body?.cancel();
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /private-token/);
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
  });

  it('gives another origin no CORS headers, so its page cannot read or send', async () => {
    const response = await preflight(OTHER);
    await response.body?.cancel();
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('access-control-allow-headers'), null);
  });

  it("serves an allowed origin's query with its origin in the answer", async () => {
    stack.gitlab.resetRequestLog();
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json', 'private-token': ADMIN_TOKEN },
      body: JSON.stringify({ query: '{ systemHooks { count } }' }),
    });
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
    assert.deepEqual(await response.json(), { data: { systemHooks: { count: 0 } } });
  });
});

describe('CORS_ORIGINS configuration', () => {
  it('reads a comma-separated list of exact origins', () => {
    assert.deepEqual(loadConfig({ CORS_ORIGINS: ` ${APP} , http://localhost:5173 ` }).corsOrigins, [
      APP,
      'http://localhost:5173',
    ]);
    assert.deepEqual(loadConfig({}).corsOrigins, []);
  });

  it('refuses "*", paths, trailing slashes and other schemes, all at once', () => {
    assert.throws(
      () => loadConfig({ CORS_ORIGINS: `*,${APP}/,https://app.example.com/path,ftp://files.example.com` }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 4, error.message);
        assert.match(error.message, /not "\*"/);
        return true;
      },
    );
  });
});
