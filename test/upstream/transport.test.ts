import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GitLabClient } from '../../src/upstream/client.ts';
import { UpstreamError } from '../../src/upstream/errors.ts';
import { closedPort } from '../helpers/receiver.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { bearer, clientFor, hookJson, privateToken, rejectsWith, serialized, TOKEN } from './fixtures.ts';

const TIMEOUT_MS = 200;

describe('GitLab client: transport failures', () => {
  let server: ScriptedServer;
  let client: GitLabClient;
  before(async () => {
    server = await startScriptedServer();
    client = clientFor(server.url, { timeoutMs: TIMEOUT_MS, maxResponseBytes: 4_096 });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('times out when GitLab accepts and never answers', async () => {
    server.setScript(() => ({ stall: 'before-headers' }));
    const started = performance.now();
    const error = await rejectsWith(client.getHook(1, { credential: privateToken }), 'UPSTREAM_TIMEOUT');
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= TIMEOUT_MS - 20 && elapsed < TIMEOUT_MS + 400, `took ${elapsed} ms`);
    assert.equal(error.status, undefined);
  });

  it('times out when GitLab sends the headers and stalls in the body', async () => {
    server.setScript(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '[{"id":1,',
      stall: 'after-headers',
    }));
    const started = performance.now();
    await rejectsWith(client.listHooks({ page: 1, perPage: 20 }, { credential: bearer }), 'UPSTREAM_TIMEOUT');
    assert.ok(performance.now() - started < TIMEOUT_MS + 400);
  });

  it('times out when an error answer stalls in the body', async () => {
    server.setScript(() => ({ status: 422, body: '{"error":', stall: 'after-headers' }));
    await rejectsWith(client.createHook({ url: 'x' }, { credential: bearer }), 'UPSTREAM_TIMEOUT');
  });

  it('maps a destroyed connection to UPSTREAM_UNAVAILABLE', async () => {
    server.setScript(() => ({ destroy: true }));
    const error = await rejectsWith(client.getHook(1, { credential: privateToken }), 'UPSTREAM_UNAVAILABLE');
    assert.ok(error.cause instanceof Error);
    assert.equal((error.cause as { code?: string }).code, 'UND_ERR_SOCKET');
  });

  it('maps a connection dropped mid-body to UPSTREAM_UNAVAILABLE', async () => {
    server.setScript((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('[{"id":1');
      setTimeout(() => res.destroy(), 20);
    });
    await rejectsWith(
      client.listHooks({ page: 1, perPage: 20 }, { credential: privateToken }),
      'UPSTREAM_UNAVAILABLE',
    );
  });

  it('maps a refused connection to UPSTREAM_UNAVAILABLE', async () => {
    const port = await closedPort();
    const refused = clientFor(`http://127.0.0.1:${port}`, { timeoutMs: TIMEOUT_MS });
    try {
      const error = await rejectsWith(
        refused.getHook(1, { credential: privateToken }),
        'UPSTREAM_UNAVAILABLE',
      );
      assert.match(error.message, /ECONNREFUSED/);
    } finally {
      await refused.close();
    }
  });

  it('rejects an answer larger than maxResponseBytes and destroys its connection', async () => {
    const many = Array.from({ length: 100 }, (_, i) => hookJson(i + 1));
    for (const declared of [true, false]) {
      server.setScript((_request, res) => {
        const body = JSON.stringify(many);
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(declared ? { 'content-length': Buffer.byteLength(body) } : {}),
        });
        // Sent in parts, so that without a declared length the client sees it grow past the limit.
        res.write(body.slice(0, 3_000));
        setTimeout(() => res.end(body.slice(3_000)), 20);
      });
      const error = await rejectsWith(
        client.listHooks({ page: 1, perPage: 100 }, {}),
        'UPSTREAM_UNAVAILABLE',
      );
      assert.match(error.message, /larger|at most/);
      const connection = server.requests.at(-1)?.connection ?? 0;
      await waitUntil('the connection closed', () => !server.isConnectionOpen(connection), {
        withinMs: 1_000,
      });
    }
  });

  it('accepts an answer just under maxResponseBytes', async () => {
    server.setScript(() => json(200, hookJson(1, { description: 'd'.repeat(3_000) })));
    assert.equal((await client.getHook(1, {})).id, 1);
  });

  it('propagates the caller’s abort as an abort, not as a timeout', async () => {
    server.setScript(() => ({ stall: 'before-headers' }));
    const controller = new AbortController();
    const before = server.requests.length;
    const reading = client.getHook(1, { credential: privateToken, signal: controller.signal });
    await waitUntil('the request reaches GitLab, which holds it', () => server.requests.length > before);
    controller.abort();
    await assert.rejects(reading, (error: Error) => {
      assert.ok(!(error instanceof UpstreamError));
      assert.equal(error.name, 'AbortError');
      return true;
    });
  });

  it('propagates the caller’s own abort reason, also mid-body', async () => {
    server.setScript(() => ({ status: 200, body: '[', stall: 'after-headers' }));
    const controller = new AbortController();
    const reason = new Error('client went away');
    setTimeout(() => controller.abort(reason), 30);
    await assert.rejects(
      client.listHooks({ page: 1, perPage: 20 }, { signal: controller.signal }),
      (error) => {
        assert.equal(error, reason);
        return true;
      },
    );
  });

  it('does not send anything for an already aborted signal', async () => {
    server.requests.length = 0;
    await assert.rejects(client.getHook(1, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(server.requests.length, 0);
  });

  it('still times out when the caller’s signal outlives the deadline', async () => {
    server.setScript(() => ({ stall: 'before-headers' }));
    const controller = new AbortController();
    await rejectsWith(client.getHook(1, { signal: controller.signal }), 'UPSTREAM_TIMEOUT');
  });
});

describe('GitLab client: redirects', () => {
  let elsewhere: ScriptedServer;
  let server: ScriptedServer;
  let client: GitLabClient;
  before(async () => {
    elsewhere = await startScriptedServer(() => json(200, hookJson(1)));
    server = await startScriptedServer();
    client = clientFor(server.url);
  });
  after(async () => {
    await client.close();
    await Promise.all([server.close(), elsewhere.close()]);
  });

  for (const status of [301, 302, 303, 307, 308]) {
    it(`does not follow a ${status}, so the credential goes nowhere else`, async () => {
      server.setScript(() => ({
        status,
        headers: { location: `${elsewhere.url}/api/v4/hooks/1` },
        body: 'moved',
      }));
      const error = await rejectsWith(
        client.getHook(1, { credential: privateToken }),
        'UPSTREAM_UNAVAILABLE',
      );
      assert.equal(error.status, status);
      assert.equal(elsewhere.requests.length, 0);
      assert.ok(server.requests.every((r) => r.url === '/api/v4/hooks/1'));
    });
  }
});

describe('GitLab client: no token in any failure', () => {
  it('keeps the token out of transport errors of every kind', async () => {
    const server = await startScriptedServer();
    const client = clientFor(server.url, { timeoutMs: 150, maxResponseBytes: 100 });
    const refused = clientFor(`http://127.0.0.1:${await closedPort()}`);
    try {
      const failures: Array<Promise<unknown>> = [];
      server.setScript(() => ({ stall: 'before-headers' }));
      failures.push(client.getHook(1, { credential: bearer }));
      await Promise.allSettled(failures);
      server.setScript(() => ({ destroy: true }));
      failures.push(client.getHook(1, { credential: bearer }));
      server.setScript(() => json(200, hookJson(1)));
      failures.push(client.getHook(1, { credential: privateToken }));
      failures.push(refused.getHook(1, { credential: privateToken }));
      const results = await Promise.allSettled(failures);
      for (const result of results) {
        assert.equal(result.status, 'rejected');
        assert.ok(result.reason instanceof UpstreamError);
        assert.ok(!serialized(result.reason).includes(TOKEN));
      }
    } finally {
      await Promise.all([client.close(), refused.close()]);
      await server.close();
    }
  });
});
