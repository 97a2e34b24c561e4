import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GitLabClient } from '../../src/upstream/client.ts';
import {
  errorFromResponse,
  errorFromTransport,
  parseRetryAfter,
  type UpstreamErrorCode,
} from '../../src/upstream/errors.ts';
import {
  json,
  type ScriptedResponse,
  type ScriptedServer,
  startScriptedServer,
} from '../helpers/scripted-server.ts';
import { bearer, clientFor, privateToken, rejectsWith, serialized, TOKEN } from './fixtures.ts';

interface Case {
  what: string;
  answer: ScriptedResponse;
  code: UpstreamErrorCode;
  messages?: string[];
  message?: string;
}

const cases: Case[] = [
  {
    what: '400 with Grape’s {"error"} shape',
    answer: json(400, { error: 'url is missing' }),
    code: 'BAD_REQUEST',
    messages: ['url is missing'],
  },
  {
    what: '400 with several Grape messages',
    answer: json(400, { error: 'url_variables[0][value] is missing, value is missing' }),
    code: 'BAD_REQUEST',
    messages: ['url_variables[0][value] is missing, value is missing'],
  },
  {
    what: '400 with an older GitLab’s validation hash',
    answer: json(400, { message: { url: ['is blocked: Only allowed schemes are http, https'] } }),
    code: 'BAD_REQUEST',
    messages: ['Url is blocked: Only allowed schemes are http, https'],
  },
  {
    what: '422 with a service error',
    answer: json(422, { error: 'Invalid url given' }),
    code: 'UNPROCESSABLE',
    messages: ['Invalid url given'],
  },
  {
    what: '422 with a validation hash, attributes humanized like full_messages',
    answer: json(422, {
      message: {
        token: ['is invalid'],
        url_variables: ['must be a valid json schema'],
        base: ['Hook is broken'],
      },
    }),
    code: 'UNPROCESSABLE',
    messages: ['Token is invalid', 'Url variables must be a valid json schema', 'Hook is broken'],
  },
  {
    what: '422 with a {"message": string} shape',
    answer: json(422, { message: 'Illegal key or value' }),
    code: 'UNPROCESSABLE',
    messages: ['Illegal key or value'],
  },
  {
    what: '412 from a conditional delete',
    answer: json(412, { message: '412 Precondition Failed' }),
    code: 'PRECONDITION_FAILED',
    messages: ['412 Precondition Failed'],
  },
  {
    what: '400 with a body of unknown shape',
    answer: json(400, { errors: [{ detail: 'nope' }] }),
    code: 'BAD_REQUEST',
    messages: ['GitLab rejected the request (HTTP 400)'],
  },
  {
    what: '422 with an HTML body',
    answer: { status: 422, headers: { 'content-type': 'text/html' }, body: '<h1>Unprocessable</h1>' },
    code: 'UNPROCESSABLE',
    messages: ['GitLab rejected the request (HTTP 422)'],
  },
  {
    what: '400 whose message holds control characters and is very long',
    answer: json(400, { error: `bad\u0000\u001b[31m value\r\n${'x'.repeat(1000)}` }),
    code: 'BAD_REQUEST',
  },
  { what: '401', answer: json(401, { message: '401 Unauthorized' }), code: 'UNAUTHENTICATED' },
  {
    what: '401 for an expired token',
    answer: json(401, {
      error: 'invalid_token',
      error_description: 'Token is expired. You can either do re-authorization or token refresh.',
    }),
    code: 'UNAUTHENTICATED',
    messages: ['Token is expired. You can either do re-authorization or token refresh.'],
  },
  {
    what: '403',
    answer: json(403, { message: '403 Forbidden' }),
    code: 'FORBIDDEN',
    messages: ['403 Forbidden'],
  },
  {
    what: '403 for an insufficient scope',
    answer: json(403, {
      error: 'insufficient_scope',
      error_description: 'The request requires higher privileges than provided by the access token.',
      scope: 'api read_api',
    }),
    code: 'FORBIDDEN',
    messages: ['The request requires higher privileges than provided by the access token.'],
  },
  {
    what: '404 for a hook',
    answer: json(404, { message: '404 Not found' }),
    code: 'NOT_FOUND',
    message: 'Hook not found',
  },
  {
    what: '404 for a URL variable',
    answer: json(404, { message: '404 URL variable Not Found' }),
    code: 'NOT_FOUND',
    message: 'URL variable not found',
  },
  {
    what: '404 for a custom header',
    answer: json(404, { message: '404 Custom header Not Found' }),
    code: 'NOT_FOUND',
    message: 'Custom header not found',
  },
  {
    what: '404 from an older GitLab',
    answer: json(404, { message: '404 System hook Not Found' }),
    code: 'NOT_FOUND',
    message: 'System hook not found',
  },
  {
    what: '404 from Grape’s catch-all route',
    answer: json(404, { error: '404 Not Found' }),
    code: 'NOT_FOUND',
    message: 'Not found: this GitLab has no such endpoint',
  },
  { what: '404 with no body', answer: { status: 404 }, code: 'NOT_FOUND', message: 'Not found' },
  { what: '500', answer: { status: 500, body: 'Internal Server Error' }, code: 'UPSTREAM_UNAVAILABLE' },
  {
    what: '502 from a proxy',
    answer: { status: 502, body: '<html>Bad Gateway</html>' },
    code: 'UPSTREAM_UNAVAILABLE',
  },
  { what: '503', answer: json(503, { message: 'maintenance' }), code: 'UPSTREAM_UNAVAILABLE' },
  { what: '405, which the API never gives', answer: { status: 405 }, code: 'UPSTREAM_UNAVAILABLE' },
  { what: '304, which was never asked for', answer: { status: 304 }, code: 'UPSTREAM_UNAVAILABLE' },
];

describe('GitLab client: status mapping', () => {
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

  for (const c of cases) {
    it(`maps ${c.what} to ${c.code}`, async () => {
      server.setScript(() => c.answer);
      const error = await rejectsWith(
        client.updateHook(1, { url: 'x' }, { credential: privateToken }),
        c.code,
      );
      assert.equal(error.status, c.answer.status);
      if (c.messages) assert.deepEqual(error.messages, c.messages);
      if (c.message) assert.equal(error.message, c.message);
      for (const message of [error.message, ...error.messages]) {
        assert.ok(message.length > 0 && message.length <= 300, `bounded: ${message.length}`);
        assert.doesNotMatch(message, /\p{Cc}/u);
        assert.doesNotMatch(message, /<html>|<h1>/);
      }
      assert.equal(
        error.isUserError,
        ['BAD_REQUEST', 'UNPROCESSABLE', 'PRECONDITION_FAILED'].includes(c.code),
      );
    });
  }

  it('maps 429 with Retry-After in seconds', async () => {
    server.setScript(() => ({ status: 429, headers: { 'retry-after': '7' }, body: 'Retry later\n' }));
    const error = await rejectsWith(client.getHook(1, { credential: bearer }), 'RATE_LIMITED');
    assert.equal(error.retryAfterSeconds, 7);
    assert.equal(error.status, 429);
  });

  it('maps 429 with Retry-After as an HTTP date', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    server.setScript(() => ({ status: 429, headers: { 'retry-after': at }, body: 'Retry later\n' }));
    const error = await rejectsWith(client.getHook(1, { credential: bearer }), 'RATE_LIMITED');
    assert.ok(
      error.retryAfterSeconds !== undefined && error.retryAfterSeconds >= 28 && error.retryAfterSeconds <= 31,
    );
  });

  it('maps 429 without Retry-After', async () => {
    server.setScript(() => ({ status: 429, body: 'Retry later\n' }));
    const error = await rejectsWith(client.getHook(1, { credential: bearer }), 'RATE_LIMITED');
    assert.equal(error.retryAfterSeconds, undefined);
  });

  it('never repeats the token, even when GitLab echoes it', async () => {
    server.setScript(() => json(422, { error: `token ${TOKEN} is invalid`, message: { token: [TOKEN] } }));
    const error = await rejectsWith(
      client.createHook({ url: 'x' }, { credential: privateToken }),
      'UNPROCESSABLE',
    );
    assert.deepEqual(error.messages, ['token [REDACTED] is invalid']);
  });

  it('reads a large error body only up to a bound', async () => {
    server.setScript(() => json(422, { error: 'x'.repeat(200_000) }));
    const error = await rejectsWith(client.getHook(1, {}), 'UNPROCESSABLE');
    assert.deepEqual(error.messages, ['GitLab rejected the request (HTTP 422)']);
  });
});

describe('errorFromResponse and parseRetryAfter', () => {
  it('treats a Retry-After it cannot read as absent', () => {
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter('-5'), undefined);
    assert.equal(parseRetryAfter('1.5'), undefined);
    assert.equal(parseRetryAfter(' 120 '), 120);
    assert.equal(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')),
      60,
    );
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2020-01-01')), 0);
  });

  it('takes the first of repeated Retry-After headers', () => {
    assert.equal(errorFromResponse(429, { 'retry-after': ['3', '9'] }, undefined).retryAfterSeconds, 3);
  });

  it('maps a redirect to UPSTREAM_UNAVAILABLE with its status', () => {
    const error = errorFromResponse(302, { location: 'https://elsewhere.example/' }, '');
    assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(error.status, 302);
    assert.doesNotMatch(error.message, /elsewhere/);
  });
});

describe('errorFromTransport', () => {
  const withCode = (code: string, name = 'Error') =>
    Object.assign(new Error(`failed for ${TOKEN}`), { code, name });

  for (const code of ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
    it(`maps ${code} to UPSTREAM_TIMEOUT`, () => {
      assert.equal(errorFromTransport(withCode(code)).code, 'UPSTREAM_TIMEOUT');
    });
  }

  it('maps a TimeoutError to UPSTREAM_TIMEOUT', () => {
    assert.equal(errorFromTransport(new DOMException('timed out', 'TimeoutError')).code, 'UPSTREAM_TIMEOUT');
  });

  for (const code of [
    'ECONNREFUSED',
    'ECONNRESET',
    'UND_ERR_SOCKET',
    'ENOTFOUND',
    'UND_ERR_CLOSED',
    'HPE_INVALID_CONSTANT',
  ]) {
    it(`maps ${code} to UPSTREAM_UNAVAILABLE`, () => {
      const error = errorFromTransport(withCode(code));
      assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
      assert.match(error.message, new RegExp(code));
    });
  }

  it('reads the code of a failed multi-address connect', () => {
    const aggregate = new AggregateError(
      [withCode('ECONNREFUSED'), withCode('ECONNREFUSED')],
      'connect failed',
    );
    assert.match(errorFromTransport(aggregate).message, /ECONNREFUSED/);
  });

  it('keeps a sanitized cause: name, code and redacted message, nothing else', () => {
    const original = Object.assign(withCode('UND_ERR_SOCKET', 'SocketError'), {
      socket: { remoteAddress: '127.0.0.1' },
      headers: { 'private-token': TOKEN },
    });
    const error = errorFromTransport(original, { redact: [TOKEN] });
    const cause = error.cause as Error & { code?: string };
    assert.notEqual(cause, original);
    assert.equal(cause.name, 'SocketError');
    assert.equal(cause.code, 'UND_ERR_SOCKET');
    assert.equal(cause.message, 'failed for [REDACTED]');
    assert.ok(!serialized(error).includes(TOKEN));
  });

  it('maps something that is not an error at all', () => {
    assert.equal(errorFromTransport('boom').code, 'UPSTREAM_UNAVAILABLE');
  });
});
