import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createGitLabClient, type GitLabClient } from '../../src/upstream/client.ts';
import {
  json,
  type RecordedRequest,
  type ScriptedServer,
  startScriptedServer,
} from '../helpers/scripted-server.ts';
import { bearer, clientFor, hookJson, privateToken, rejectsWith, TOKEN } from './fixtures.ts';

const MOCK_DATA = {
  event_name: 'project_create',
  name: 'Ruby',
  path: 'ruby',
  project_id: 1,
  owner_name: 'Someone',
  owner_email: 'example@gitlabhq.com',
};

describe('GitLab client: requests and answers', () => {
  let server: ScriptedServer;
  let client: GitLabClient;

  before(async () => {
    server = await startScriptedServer();
    client = clientFor(`${server.url}/gitlab/`);
  });
  after(async () => {
    await client.close();
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  const only = (): RecordedRequest => {
    assert.equal(server.requests.length, 1);
    return server.requests[0] as RecordedRequest;
  };

  it('exposes the origin, without the relative root', () => {
    assert.equal(client.origin, server.url);
  });

  it('reads one hook with GET /hooks/:id under the relative root', async () => {
    server.setScript(() => json(200, hookJson(7)));
    const hook = await client.getHook(7, { credential: privateToken });
    assert.deepEqual(hook, hookJson(7));
    const request = only();
    assert.equal(request.method, 'GET');
    assert.equal(request.url, '/gitlab/api/v4/hooks/7');
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(request.headers['private-token'], TOKEN);
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.headers['content-type'], undefined);
    assert.equal(request.body, '');
  });

  it('forwards a bearer token as Authorization and nothing else', async () => {
    server.setScript(() => json(200, hookJson(7)));
    await client.getHook(7, { credential: bearer });
    const request = only();
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(request.headers['private-token'], undefined);
  });

  it('sends no credential header when the call has none', async () => {
    server.setScript(() => json(200, hookJson(7)));
    await client.getHook(7, {});
    const request = only();
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.headers['private-token'], undefined);
  });

  it('creates a hook with POST /hooks and a JSON body of the given parameters only', async () => {
    server.setScript(() => json(201, hookJson(9)));
    const params = {
      url: 'https://example.com/{token}',
      token: 'hook-secret',
      push_events: true,
      branch_filter_strategy: 'regex' as const,
      url_variables: [{ key: 'token', value: 'v' }],
      custom_headers: [{ key: 'X-Custom', value: 'h' }],
    };
    const hook = await client.createHook(params, { credential: privateToken });
    assert.equal(hook.id, 9);
    const request = only();
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/gitlab/api/v4/hooks');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request.body), params);
  });

  it('updates a hook with PUT /hooks/:id', async () => {
    server.setScript(() => json(200, hookJson(9, { name: 'renamed' })));
    const hook = await client.updateHook(9, { name: 'renamed' }, { credential: privateToken });
    assert.equal(hook.name, 'renamed');
    const request = only();
    assert.equal(request.method, 'PUT');
    assert.equal(request.url, '/gitlab/api/v4/hooks/9');
    assert.deepEqual(JSON.parse(request.body), { name: 'renamed' });
  });

  it('deletes a hook with DELETE /hooks/:id and resolves on 204', async () => {
    server.setScript(() => ({ status: 204 }));
    assert.equal(await client.deleteHook(9, { credential: privateToken }), undefined);
    const request = only();
    assert.equal(request.method, 'DELETE');
    assert.equal(request.url, '/gitlab/api/v4/hooks/9');
    assert.equal(request.body, '');
  });

  it('tests a hook with POST /hooks/:id and returns the mock data', async () => {
    server.setScript(() => json(201, MOCK_DATA));
    assert.deepEqual(await client.testHook(9, { credential: privateToken }), MOCK_DATA);
    const request = only();
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/gitlab/api/v4/hooks/9');
  });

  it('sets and deletes URL variables and custom headers with encoded keys', async () => {
    server.setScript(() => ({ status: 204 }));
    await client.setUrlVariable(3, 'my token/x', 'v a l', { credential: privateToken });
    await client.deleteUrlVariable(3, 'f.o.o', { credential: privateToken });
    await client.setCustomHeader(3, 'X-Custom?', 'h', { credential: privateToken });
    await client.deleteCustomHeader(3, 'X-Custom#', { credential: privateToken });
    const seen = server.requests.map((r) => [r.method, r.url, r.body]);
    assert.deepEqual(seen, [
      ['PUT', '/gitlab/api/v4/hooks/3/url_variables/my%20token%2Fx', '{"value":"v a l"}'],
      ['DELETE', '/gitlab/api/v4/hooks/3/url_variables/f.o.o', ''],
      ['PUT', '/gitlab/api/v4/hooks/3/custom_headers/X-Custom%3F', '{"value":"h"}'],
      ['DELETE', '/gitlab/api/v4/hooks/3/custom_headers/X-Custom%23', ''],
    ]);
    assert.equal(server.requests[0]?.headers['content-type'], 'application/json');
  });

  it('tolerates an older GitLab that sends only the 14.x fields, and a newer one with extra fields', async () => {
    const old = {
      id: 1,
      url: 'https://example.com',
      created_at: '2016-10-31T12:32:15.192Z',
      push_events: true,
      tag_push_events: false,
      merge_requests_events: false,
      repository_update_events: true,
      enable_ssl_verification: true,
    };
    server.setScript(() => json(200, old));
    assert.deepEqual(await client.getHook(1, {}), old);
    server.setScript(() => json(200, hookJson(1, { token_present: true, signing_token_present: false })));
    assert.equal((await client.getHook(1, {})).id, 1);
  });

  it('reads a null event flag as false, as GitLab GraphQL does', async () => {
    server.setScript(() => json(200, hookJson(1, { tag_push_events: null })));
    assert.equal((await client.getHook(1, {})).tag_push_events, false);
  });

  it('keeps connections alive between calls', async () => {
    server.setScript(() => json(200, hookJson(1)));
    for (let i = 0; i < 6; i++) await client.getHook(1, {});
    // undici hands the next call to a second connection while the first is still draining.
    assert.ok(new Set(server.requests.map((r) => r.connection)).size <= 2);
  });

  describe('listHooks pagination', () => {
    it('parses every GitLab pagination header', async () => {
      server.setScript(() =>
        json(200, [hookJson(21), hookJson(22)], {
          'x-page': '2',
          'x-per-page': '20',
          'x-next-page': '3',
          'x-prev-page': '1',
          'x-total': '45',
          'x-total-pages': '3',
        }),
      );
      const { hooks, pagination } = await client.listHooks(
        { page: 2, perPage: 20 },
        { credential: privateToken },
      );
      assert.deepEqual(
        hooks.map((h) => h.id),
        [21, 22],
      );
      assert.deepEqual(pagination, {
        page: 2,
        perPage: 20,
        nextPage: 3,
        prevPage: 1,
        total: 45,
        totalPages: 3,
      });
      assert.equal(only().url, '/gitlab/api/v4/hooks?page=2&per_page=20');
    });

    it('reads empty next/prev headers as null', async () => {
      server.setScript(() =>
        json(200, [hookJson(1)], {
          'x-page': '1',
          'x-per-page': '20',
          'x-next-page': '',
          'x-prev-page': '',
          'x-total': '1',
          'x-total-pages': '1',
        }),
      );
      const { pagination } = await client.listHooks({ page: 1, perPage: 20 }, {});
      assert.deepEqual(pagination, {
        page: 1,
        perPage: 20,
        nextPage: null,
        prevPage: null,
        total: 1,
        totalPages: 1,
      });
    });

    it('gives null totals when GitLab leaves them out above 10,000 rows', async () => {
      server.setScript(() =>
        json(200, [hookJson(1), hookJson(2)], {
          'x-page': '5',
          'x-per-page': '2',
          'x-next-page': '6',
          'x-prev-page': '4',
        }),
      );
      const { pagination } = await client.listHooks({ page: 5, perPage: 2 }, {});
      assert.deepEqual(pagination, {
        page: 5,
        perPage: 2,
        nextPage: 6,
        prevPage: 4,
        total: null,
        totalPages: null,
      });
    });

    it('uses the clamped page size GitLab reports', async () => {
      server.setScript(() =>
        json(200, [], { 'x-page': '1', 'x-per-page': '100', 'x-next-page': '', 'x-total': '0' }),
      );
      const { pagination } = await client.listHooks({ page: 1, perPage: 500 }, {});
      assert.equal(pagination.perPage, 100);
      assert.equal(pagination.total, 0);
    });

    it('derives pagination when no headers came (an old GitLab or a proxy)', async () => {
      server.setScript(() => json(200, [hookJson(1), hookJson(2)]));
      const full = await client.listHooks({ page: 2, perPage: 2 }, {});
      assert.deepEqual(full.pagination, {
        page: 2,
        perPage: 2,
        nextPage: 3,
        prevPage: 1,
        total: null,
        totalPages: null,
      });

      server.setScript(() => json(200, [hookJson(5)]));
      const last = await client.listHooks({ page: 3, perPage: 2 }, {});
      assert.deepEqual(last.pagination, {
        page: 3,
        perPage: 2,
        nextPage: null,
        prevPage: 2,
        total: 5,
        totalPages: 3,
      });

      server.setScript(() => json(200, []));
      const empty = await client.listHooks({ page: 1, perPage: 20 }, {});
      assert.deepEqual(empty.pagination, {
        page: 1,
        perPage: 20,
        nextPage: null,
        prevPage: null,
        total: 0,
        totalPages: 1,
      });

      const past = await client.listHooks({ page: 4, perPage: 20 }, {});
      assert.deepEqual(past.pagination, {
        page: 4,
        perPage: 20,
        nextPage: null,
        prevPage: 3,
        total: null,
        totalPages: null,
      });
    });
  });

  describe('answers that are not the API’s', () => {
    const cases: Array<[string, () => ReturnType<typeof json>]> = [
      [
        'HTML',
        () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>Sign in</html>' }),
      ],
      [
        'truncated JSON',
        () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":1,"url"' }),
      ],
      ['an empty body', () => ({ status: 200, body: '' })],
      ['an array for one hook', () => json(200, [hookJson(1)])],
      ['a hook with a string id', () => json(200, hookJson(1, { id: '1' }))],
      ['a hook without created_at', () => json(200, { ...hookJson(1), created_at: undefined })],
      ['a hook with a non-boolean flag', () => json(200, hookJson(1, { push_events: 'yes' }))],
      [
        'a hook with url_variables of the wrong shape',
        () => json(200, hookJson(1, { url_variables: { token: 'x' } })),
      ],
      ['null', () => json(200, null)],
    ];
    for (const [what, answer] of cases) {
      it(`rejects ${what} as UPSTREAM_UNAVAILABLE`, async () => {
        server.setScript(answer);
        const error = await rejectsWith(
          client.getHook(1, { credential: privateToken }),
          'UPSTREAM_UNAVAILABLE',
        );
        assert.equal(error.status, 200);
        assert.ok(!error.message.includes('Sign in'), 'an upstream body is never repeated');
      });
    }

    it('rejects a list holding one bad hook', async () => {
      server.setScript(() => json(200, [hookJson(1), { id: 2 }]));
      await rejectsWith(client.listHooks({ page: 1, perPage: 20 }, {}), 'UPSTREAM_UNAVAILABLE');
    });

    it('rejects a list that is an object', async () => {
      server.setScript(() => json(200, hookJson(1)));
      await rejectsWith(client.listHooks({ page: 1, perPage: 20 }, {}), 'UPSTREAM_UNAVAILABLE');
    });

    it('rejects mock data that is not an object', async () => {
      server.setScript(() => json(201, ['project_create']));
      await rejectsWith(client.testHook(1, {}), 'UPSTREAM_UNAVAILABLE');
    });
  });

  describe('arguments checked before any request', () => {
    const badIds = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1' as unknown as number];
    for (const id of badIds) {
      it(`rejects hook id ${String(id)} without a request`, async () => {
        await assert.rejects(client.getHook(id, {}), RangeError);
        await assert.rejects(client.deleteHook(id, {}), RangeError);
        await assert.rejects(client.setUrlVariable(id, 'k', 'v', {}), RangeError);
        assert.equal(server.requests.length, 0);
      });
    }

    it('rejects bad page numbers and empty or dot-only keys without a request', async () => {
      await assert.rejects(client.listHooks({ page: 0, perPage: 20 }, {}), RangeError);
      await assert.rejects(client.listHooks({ page: 1, perPage: -5 }, {}), RangeError);
      await assert.rejects(client.setUrlVariable(1, '', 'v', {}), RangeError);
      await assert.rejects(client.deleteCustomHeader(1, '..', {}), RangeError);
      assert.equal(server.requests.length, 0);
    });

    it('rejects a token a header cannot carry, without repeating it', async () => {
      const bad = { scheme: 'private-token' as const, token: `${TOKEN}\r\nX-Injected: 1` };
      await assert.rejects(client.getHook(1, { credential: bad }), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.ok(!error.message.includes(TOKEN));
        return true;
      });
      assert.equal(server.requests.length, 0);
    });
  });
});

describe('GitLab client: configuration', () => {
  const bad = [
    '',
    'gitlab.example.com',
    'ftp://gitlab.example.com',
    'https://user:pass@gitlab.example.com',
    'https://gitlab.example.com/?x=1',
    'https://gitlab.example.com?',
    'https://gitlab.example.com/#top',
    'javascript:alert(1)',
  ];
  for (const baseUrl of bad) {
    it(`refuses base URL ${JSON.stringify(baseUrl)}`, () => {
      assert.throws(
        () => createGitLabClient({ baseUrl }),
        (error: Error) => error instanceof TypeError && !error.message.includes('pass'),
      );
    });
  }

  it('refuses non-positive limits', () => {
    assert.throws(
      () => createGitLabClient({ baseUrl: 'https://gitlab.example.com', timeoutMs: 0 }),
      RangeError,
    );
    assert.throws(
      () => createGitLabClient({ baseUrl: 'https://gitlab.example.com', connections: 1.5 }),
      RangeError,
    );
  });

  it('accepts http and https with a relative root and a trailing slash', async () => {
    const a = createGitLabClient({ baseUrl: 'https://x.example/gitlab/' });
    const b = createGitLabClient({ baseUrl: 'http://127.0.0.1:8080' });
    assert.equal(a.origin, 'https://x.example');
    assert.equal(b.origin, 'http://127.0.0.1:8080');
    await Promise.all([a.close(), b.close()]);
  });
});
