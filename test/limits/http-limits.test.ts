import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_REQUEST_LIMITS } from '../../src/graphql/plugins/use-request-limits.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { startProgram } from '../helpers/npm-start.ts';
import { type Stack, seedHooks, startStack } from '../helpers/stack.ts';
import type { UntypedData } from '../helpers/untyped.ts';

const { maxRequestBodyBytes, maxBatchOperations } = DEFAULT_REQUEST_LIMITS;
const JSON_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json',
  'private-token': ADMIN_TOKEN,
};

interface RawAnswer {
  status: number;
  headers: Headers;
  body: UntypedData;
}

async function answer(response: Response): Promise<RawAnswer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** `{"query":"{ systemHooks { count } }"}` padded with trailing whitespace to exactly `bytes` bytes. */
function bodyOf(bytes: number): string {
  const json = JSON.stringify({ query: '{ systemHooks { count } }' });
  return json + ' '.repeat(bytes - json.length);
}

/** POSTs `body` chunked, without `Content-Length`, so the size is learnt only by reading. */
function postChunked(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/graphql`, { method: 'POST', headers: JSON_HEADERS }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    // The server may answer and close before it has read everything; that is the point.
    req.on('error', reject);
    const chunk = 64 * 1024;
    for (let offset = 0; offset < body.length; offset += chunk) req.write(body.slice(offset, offset + chunk));
    req.end();
  });
}

describe('limits on HTTP requests', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await seedHooks(stack.gitlab, 2);
  });
  after(() => stack.close());

  const post = (body: string, headers: Record<string, string> = JSON_HEADERS) =>
    fetch(`${stack.url}/graphql`, { method: 'POST', headers, body }).then(answer);

  describe('body size', () => {
    it(`serves a body of ${maxRequestBodyBytes} bytes`, async () => {
      const served = await post(bodyOf(maxRequestBodyBytes));
      assert.equal(served.status, 200);
      assert.deepEqual(served.body, { data: { systemHooks: { count: 2 } } });
    });

    it(`refuses a body of ${maxRequestBodyBytes + 1} bytes with 413, without calling GitLab`, async () => {
      stack.gitlab.resetRequestLog();
      const refused = await post(bodyOf(maxRequestBodyBytes + 1));
      assert.equal(refused.status, 413);
      assert.equal(refused.body.errors[0].message, 'Request body too large');
      assert.equal(refused.body.errors[0].extensions.code, 'REQUEST_ENTITY_TOO_LARGE');
      assert.deepEqual(stack.upstreamRequests(), []);
    });

    it('refuses a chunked body that grows past the limit, though it never announced a size', async () => {
      stack.gitlab.resetRequestLog();
      const refused = await postChunked(stack.url, bodyOf(maxRequestBodyBytes + 1));
      assert.equal(refused.status, 413, refused.text);
      assert.match(refused.text, /REQUEST_ENTITY_TOO_LARGE/);
      assert.deepEqual(stack.upstreamRequests(), []);
      const served = await postChunked(stack.url, bodyOf(1000));
      assert.equal(served.status, 200, served.text);
    });
  });

  describe('batching', () => {
    const batch = (size: number) =>
      JSON.stringify(Array.from({ length: size }, () => ({ query: '{ systemHooks { count } }' })));

    it(`serves a batch of ${maxBatchOperations} operations`, async () => {
      const served = await post(batch(maxBatchOperations));
      assert.equal(served.status, 200);
      assert.equal(served.body.length, maxBatchOperations);
      assert.deepEqual(served.body[maxBatchOperations - 1], { data: { systemHooks: { count: 2 } } });
    });

    it(`refuses a batch of ${maxBatchOperations + 1} operations, none of them run`, async () => {
      stack.gitlab.resetRequestLog();
      const refused = await post(batch(maxBatchOperations + 1));
      assert.equal(refused.status, 413);
      assert.equal(
        refused.body.errors[0].message,
        `Batching is limited to ${maxBatchOperations} operations per request.`,
      );
      assert.deepEqual(stack.upstreamRequests(), []);
    });

    it('applies the document limits to each operation of a batch', async () => {
      stack.gitlab.resetRequestLog();
      const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: systemHooks { count }`).join(' ');
      const served = await post(
        JSON.stringify([{ query: '{ systemHooks { count } }' }, { query: `{ ${aliases} }` }]),
      );
      assert.equal(served.status, 200);
      assert.deepEqual(served.body[0], { data: { systemHooks: { count: 2 } } });
      assert.equal(served.body[1].errors[0].extensions.code, 'QUERY_LIMIT_EXCEEDED');
      assert.equal(stack.upstreamRequests().length, 1);
    });
  });

  describe('CSRF prevention', () => {
    const query = encodeURIComponent('{ systemHooks { count } }');

    it('refuses a GET that carries neither a credential nor the CSRF header, as a cross-site page would send it', async () => {
      stack.gitlab.resetRequestLog();
      const refused = await fetch(`${stack.url}/graphql?query=${query}`, {
        headers: { accept: 'application/json' },
      }).then(answer);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.errors[0].message, 'Required CSRF header(s) not present');
      assert.deepEqual(stack.upstreamRequests(), []);
    });

    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      it(`refuses a ${contentType} POST without a credential or the CSRF header`, async () => {
        const refused = await post(JSON.stringify({ query: '{ systemHooks { count } }' }), {
          'content-type': contentType,
        });
        assert.equal(refused.status, 403);
      });
    }

    it('serves a GET that carries a credential: no page can set that header without a preflight', async () => {
      const served = await fetch(`${stack.url}/graphql?query=${query}`, {
        headers: { accept: 'application/json', 'private-token': ADMIN_TOKEN },
      }).then(answer);
      assert.equal(served.status, 200);
      assert.deepEqual(served.body, { data: { systemHooks: { count: 2 } } });
    });

    it('lets a GET with the x-graphql-yoga-csrf header through to authentication', async () => {
      const unauthenticated = await fetch(`${stack.url}/graphql?query=${query}`, {
        headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
      }).then(answer);
      assert.equal(unauthenticated.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    });

    it('lets a JSON POST through, as GraphiQL sends it', async () => {
      const served = await post(JSON.stringify({ query: '{ systemHooks { count } }' }));
      assert.equal(served.status, 200);
      assert.deepEqual(served.body, { data: { systemHooks: { count: 2 } } });
    });

    it('sends no CORS headers, so no other origin passes a preflight', async () => {
      const preflight = await fetch(`${stack.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://attacker.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      await preflight.body?.cancel();
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
      const served = await fetch(`${stack.url}/graphql`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, origin: 'https://attacker.example' },
        body: JSON.stringify({ query: '{ systemHooks { count } }' }),
      });
      await served.body?.cancel();
      assert.equal(served.headers.get('access-control-allow-origin'), null);
    });
  });
});

describe('CSRF prevention with a server-side credential', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      gateway: { defaultCredential: { scheme: 'private-token', token: ADMIN_TOKEN } },
    });
  });
  after(() => stack.close());

  it('refuses a cross-site GET mutation that would otherwise run with GITLAB_TOKEN', async () => {
    stack.gitlab.resetRequestLog();
    const mutation = encodeURIComponent(
      'mutation { createSystemHook(input: { url: "https://evil.example" }) { errors } }',
    );
    const refused = await fetch(`${stack.url}/graphql?query=${mutation}`);
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
    const form = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${mutation}`,
    });
    assert.equal(form.status, 403);
    await form.body?.cancel();
    assert.deepEqual(stack.upstreamRequests(), []);
  });
});

describe('limits as npm start applies them from the environment', () => {
  it('enforces MAX_QUERY_DEPTH and MAX_REQUEST_BODY_BYTES', async () => {
    const program = await startProgram({
      PORT: '0',
      EMBEDDED_GITLAB_ADMIN_TOKEN: ADMIN_TOKEN,
      EMBEDDED_GITLAB_USER_TOKEN: 'glpat-user-token-for-limits',
      MAX_QUERY_DEPTH: '2',
      MAX_REQUEST_BODY_BYTES: '2048',
    });
    try {
      const send = (body: string) =>
        fetch(`${program.url}/graphql`, { method: 'POST', headers: JSON_HEADERS, body }).then(answer);
      const served = await send(JSON.stringify({ query: '{ systemHooks { count } }' }));
      assert.equal(served.status, 200);
      const deep = await send(JSON.stringify({ query: '{ systemHooks { nodes { id } } }' }));
      assert.equal(deep.status, 400);
      assert.equal(deep.body.errors[0].extensions.limit, 'depth');
      const large = await send(bodyOf(2049));
      assert.equal(large.status, 413);
    } finally {
      await program.stop();
    }
  });
});
