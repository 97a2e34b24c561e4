import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import {
  CreateSystemHookDocument,
  DeleteHookCustomHeaderDocument,
  DeleteHookUrlVariableDocument,
  DeleteSystemHookDocument,
  SetHookCustomHeaderDocument,
  SetHookUrlVariableDocument,
  SystemHookDocument,
  SystemHooksDocument,
  TestSystemHookDocument,
  UpdateSystemHookDocument,
} from '../generated/graphql.ts';
import { type FaultMode, type FaultProxy, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import { type StartedProgram, startProgram } from '../helpers/npm-start.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { type GatewayHandle, gid, startGateway } from '../helpers/stack.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/** Every secret below contains this, so one search finds any of them anywhere. */
const CANARY = 'CANARYq7Zx';
const ADMIN = `glpat-${CANARY}-admin`;
const USER = `glpat-${CANARY}-user`;
const UNKNOWN = `glpat-${CANARY}-unknown`;
const HOOK_TOKEN = `${CANARY}-hook-token`;
const VARIABLE_VALUE = `${CANARY}-variable-value`;
const HEADER_VALUE = `${CANARY}-header-value`;

/**
 * A canary credential and canary secrets go through every path: successes, each error code, each upstream
 * fault, with the gateway logging at its most verbose (`DEBUG=1`, `NODE_ENV=development`, which also makes
 * Yoga add error details to masked errors). They may appear in the requests to the configured GitLab origin
 * and nowhere else: not in any answer, not in any log line, not at the target of a redirect.
 */
describe('credential containment', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let elsewhere: ScriptedServer;
  let program: StartedProgram;
  /** Every answer the gateway gave: status line, headers and body. */
  const answers: string[] = [];

  before(async () => {
    ({ gitlab, proxy } = await startProxiedGitLab({ hooks: 3, adminToken: ADMIN, userToken: USER }));
    elsewhere = await startScriptedServer(() => json(200, { id: 1, url: 'https://stolen.example' }));
    program = await startProgram({
      GITLAB_URL: proxy.url,
      PORT: '0',
      DEBUG: '1',
      NODE_ENV: 'development',
      UPSTREAM_TIMEOUT_MS: '1000',
      // The faults below come one after another; a breaker would turn most of them into fast failures.
      UPSTREAM_BREAKER_FAILURES: '0',
    });
  });
  after(async () => {
    await program.stop();
    await proxy.close();
    await elsewhere.close();
    await gitlab.close();
  });

  /** A GraphQL request to the gateway in the child process; the whole answer is kept for the final check. */
  async function send(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<{ errors?: { extensions?: { code?: string } }[]; data?: unknown }> {
    const response = await fetch(`${program.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    answers.push(
      `${response.status}\n${[...response.headers].map((pair) => pair.join(': ')).join('\n')}\n${text}`,
    );
    return JSON.parse(text);
  }

  const asAdmin = { 'private-token': ADMIN };
  const asBearer = { authorization: `Bearer ${ADMIN}` };

  /** One mutation of each kind, every secret in play, against hook `id`. */
  async function everyOperation(id: number, credential: Record<string, string>) {
    const results = [
      await send(print(SystemHooksDocument), { first: 5 }, credential),
      await send(print(SystemHookDocument), { id: gid(id) }, credential),
      await send(
        print(CreateSystemHookDocument),
        {
          input: {
            url: 'https://receiver.example/{tenant}',
            token: HOOK_TOKEN,
            urlVariables: [{ key: 'tenant', value: VARIABLE_VALUE }],
            customHeaders: [{ key: 'X-Secret', value: HEADER_VALUE }],
          },
        },
        credential,
      ),
      await send(print(UpdateSystemHookDocument), { input: { id: gid(id), token: HOOK_TOKEN } }, credential),
      await send(
        print(SetHookUrlVariableDocument),
        { input: { hookId: gid(id), key: 'region', value: VARIABLE_VALUE } },
        credential,
      ),
      await send(
        print(SetHookCustomHeaderDocument),
        { input: { hookId: gid(id), key: 'X-Secret', value: HEADER_VALUE } },
        credential,
      ),
      await send(
        print(DeleteHookUrlVariableDocument),
        { input: { hookId: gid(id), key: 'region' } },
        credential,
      ),
      await send(
        print(DeleteHookCustomHeaderDocument),
        { input: { hookId: gid(id), key: 'X-Secret' } },
        credential,
      ),
    ];
    return results;
  }

  it('keeps secrets out of successful answers', async () => {
    for (const credential of [asAdmin, asBearer]) {
      const results = await everyOperation(1, credential);
      for (const result of results) assert.equal(result.errors, undefined, JSON.stringify(result));
    }
    const hookId = (
      await send(print(CreateSystemHookDocument), { input: { url: 'http://127.0.0.1:9/x' } }, asAdmin)
    ).data as { createSystemHook: { systemHook: { id: string } } };
    const created = hookId.createSystemHook.systemHook.id;
    await send(print(TestSystemHookDocument), { input: { id: created } }, asAdmin);
    await send(print(DeleteSystemHookDocument), { input: { id: created } }, asAdmin);
  });

  it('keeps secrets out of every error the gateway reports', async () => {
    const codes = new Set<string>();
    const collect = (results: Awaited<ReturnType<typeof send>>[]) => {
      for (const result of results)
        for (const error of result.errors ?? []) codes.add(String(error.extensions?.code));
    };
    collect(await everyOperation(1, { 'private-token': UNKNOWN }));
    collect(await everyOperation(1, { 'private-token': USER }));
    collect(await everyOperation(9_999, asAdmin));
    collect([
      await send(print(SystemHookDocument), { id: gid(1) }, { authorization: `Bearer ${ADMIN} trailing` }),
      await send(print(SystemHookDocument), { id: gid(1) }, { authorization: `Bearer ${ADMIN}`, ...asAdmin }),
      await send(print(SystemHookDocument), { id: 'gid://gitlab/Project/1' }, asAdmin),
      // GitLab's 400/422 become payload errors.
      await send(
        print(CreateSystemHookDocument),
        { input: { url: 'not a url', token: HOOK_TOKEN } },
        asAdmin,
      ),
    ]);
    for (const code of ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT']) {
      assert.ok(codes.has(code), `${code} was exercised (saw ${[...codes].join(', ')})`);
    }
  });

  it('keeps secrets out of the answer to every upstream fault, and never follows a redirect', async () => {
    const faults: FaultMode[] = [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 429, headers: { 'retry-after': '30' } },
      { kind: 'status', status: 302, headers: { location: `${elsewhere.url}/api/v4/hooks/1` } },
      { kind: 'status', status: 307, headers: { location: `${elsewhere.url}/api/v4/hooks` } },
      { kind: 'reset-before-headers' },
      { kind: 'reset-mid-body' },
      { kind: 'truncated-json' },
      { kind: 'malformed-json' },
      { kind: 'stall-after-headers' },
      { kind: 'no-answer' },
    ];
    const codes = new Set<string>();
    try {
      for (const fault of faults) {
        proxy.setMode(fault);
        const results = [
          await send(print(SystemHookDocument), { id: gid(1) }, asAdmin),
          await send(print(UpdateSystemHookDocument), { input: { id: gid(1), token: HOOK_TOKEN } }, asBearer),
          await send(
            print(SetHookCustomHeaderDocument),
            { input: { hookId: gid(1), key: 'X-Secret', value: HEADER_VALUE } },
            asAdmin,
          ),
        ];
        for (const result of results) {
          for (const error of result.errors ?? []) codes.add(String(error.extensions?.code));
        }
      }
    } finally {
      proxy.setMode({ kind: 'pass' });
    }
    for (const code of ['RATE_LIMITED', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE']) {
      assert.ok(codes.has(code), `${code} was exercised`);
    }
    assert.equal(elsewhere.requests.length, 0, 'nothing was sent to the redirect target');
  });

  it('sent the secrets to the configured GitLab origin, and only there', async () => {
    // The positive control: the search below would find the canary if it were anywhere.
    const upstreamText = proxy.requests.map((request) => `${request.head}\n${request.body}`).join('\n');
    for (const secret of [ADMIN, USER, UNKNOWN, HOOK_TOKEN, VARIABLE_VALUE, HEADER_VALUE]) {
      assert.ok(upstreamText.includes(secret), `${secret.replace(CANARY, '…')} reached GitLab`);
    }
    assert.equal(elsewhere.requests.length, 0);
    const leaks = answers.filter((answer) => answer.includes(CANARY));
    assert.deepEqual(leaks, [], 'no answer carries a secret');
  });

  it('logs at the most verbose level without a secret', async () => {
    await program.stop();
    const output = program.output();
    assert.match(output, /DEBUG/, 'debug logging was on');
    const lines = output.split('\n').filter((line) => line.includes(CANARY));
    assert.deepEqual(lines, [], 'no log line carries a secret');
  });
});

/**
 * Loaders and caches live and die with one request: callers with different credentials, in parallel on the
 * same hooks, each get what GitLab gives their own credential, and each request makes its own upstream call.
 */
describe('isolation between callers', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let gateway: GatewayHandle;

  before(async () => {
    ({ gitlab, proxy } = await startProxiedGitLab({ hooks: 5, adminToken: ADMIN, userToken: USER }));
    gateway = await startGateway(proxy.url, { upstream: { connections: 8 } });
  });
  after(async () => {
    await gateway.close();
    await waitUntil('every gateway-side socket closed', () => proxy.openConnections === 0, {
      withinMs: 2_000,
    });
    await proxy.close();
    await gitlab.close();
  });

  it('never serves one credential’s answer to another, however the requests interleave', async () => {
    // A little latency keeps each request's upstream call in flight while the others arrive.
    proxy.setMode({ kind: 'latency', ms: 5 });
    const rounds = 40;
    const query = `query Both($id: ID!) { systemHook(id: $id) { id url } node(id: $id) { id } }`;
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, async (_, round) => {
        const id = gid((round % 5) + 1);
        const [admin, user] = await Promise.all([
          gateway.requestText(query, { id }, { token: ADMIN }),
          gateway.requestText(query, { id }, { token: USER }),
        ]);
        return { id, admin, user };
      }),
    );
    for (const { id, admin, user } of outcomes) {
      assert.equal(admin.errors, undefined, JSON.stringify(admin.errors));
      assert.equal(admin.data?.systemHook?.id, id);
      assert.equal(user.data?.systemHook ?? null, null);
      assert.equal(user.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.ok(!JSON.stringify(user).includes('hooks.example.com'), 'no hook data reached the user');
    }
    // Each GraphQL request made its own upstream call with its own credential: nothing was shared.
    const byToken = (token: string) => proxy.requests.filter((r) => r.headers['private-token'] === token);
    assert.equal(byToken(ADMIN).length, rounds);
    assert.equal(byToken(USER).length, rounds);
  });
});
