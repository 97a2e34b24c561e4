import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { type FaultMode, type FaultProxy, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import { eventsInMemory, type Observed, startObservedGateway } from '../helpers/observed-stack.ts';
import { type GatewayHandle, gid } from '../helpers/stack.ts';

const CANARY = `canary${randomBytes(8).toString('hex')}`;
const ADMIN = `glpat-${CANARY}-admin`;
const USER = `glpat-${CANARY}-user`;
const UNKNOWN = `glpat-${CANARY}-unknown`;
const HOOK_TOKEN = `${CANARY}-hook-token`;
const INLINE_TOKEN = `${CANARY}-inline-token`;
const SIGNING_TOKEN = `whsec_${Buffer.from(`${CANARY}-32-bytes-of-key!!`.slice(0, 32)).toString('base64')}`;
const VARIABLE_VALUE = `${CANARY}-variable-value`;
const HEADER_VALUE = `${CANARY}-header-value`;
const RECEIVER_TOKEN = `${CANARY}-receiver-token`;
const QUERY_VALUE = `${CANARY}-query-string`;

/** Everything a span holds, as text: names, attributes, events and their attributes, status, resource. */
function spanText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events.map((event) => [event.name, event.attributes]),
      status: span.status,
      resource: span.resource.attributes,
    })),
  );
}

/**
 * Canary credentials and secrets go through every path with the gateway at its most verbose (`trace`, with
 * graphql-yoga's debug lines): they reach GitLab, and no log line, span or metric.
 */
describe('secrets in telemetry', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let gateway: GatewayHandle & Observed;

  before(async () => {
    ({ gitlab, proxy } = await startProxiedGitLab({ hooks: 2, adminToken: ADMIN, userToken: USER }));
    gateway = await startObservedGateway(proxy.url, {
      logLevel: 'trace',
      yogaDebug: true,
      upstream: { timeoutMs: 1_000, retry: { retries: 1, baseDelayMs: 1 } },
      gateway: {
        events: eventsInMemory(RECEIVER_TOKEN),
      },
    });
  });
  after(async () => {
    await gateway.close();
    await proxy.close();
    await gitlab.close();
  });

  async function send(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
    const response = await fetch(`${gateway.url}/graphql?private_token=${QUERY_VALUE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom-secret': HEADER_VALUE, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    await response.text();
  }

  /** Every mutation and query, with every secret in variables and inline. */
  async function everything(credential: Record<string, string>) {
    const id = gid(1);
    await send('query { systemHooks(first: 5) { count nodes { id } } }', {}, credential);
    await send('query Read($id: ID!) { systemHook(id: $id) { id } }', { id }, credential);
    await send(
      'mutation Create($input: CreateSystemHookInput!) { createSystemHook(input: $input) { errors systemHook { id } } }',
      {
        input: {
          url: 'https://receiver.example/{tenant}',
          token: HOOK_TOKEN,
          signingToken: SIGNING_TOKEN,
          urlVariables: [{ key: 'tenant', value: VARIABLE_VALUE }],
          customHeaders: [{ key: 'X-Secret', value: HEADER_VALUE }],
        },
      },
      credential,
    );
    await send(
      `mutation { updateSystemHook(input: { id: "${id}", token: "${INLINE_TOKEN}" }) { errors } }`,
      {},
      credential,
    );
    await send(
      'mutation Set($input: SetHookUrlVariableInput!) { setHookUrlVariable(input: $input) { errors } }',
      { input: { hookId: id, key: 'region', value: VARIABLE_VALUE } },
      credential,
    );
    await send(
      `mutation { setHookCustomHeader(input: { hookId: "${id}", key: "X-Secret", value: "${HEADER_VALUE}" }) { errors } }`,
      {},
      credential,
    );
  }

  it('sends the secrets through successes, errors and upstream faults', async () => {
    await everything({ 'private-token': ADMIN });
    await everything({ authorization: `Bearer ${ADMIN}` });
    await everything({ 'private-token': UNKNOWN });
    await everything({ 'private-token': USER });
    await everything({ authorization: `Bearer ${ADMIN} trailing` });
    const faults: FaultMode[] = [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 429, headers: { 'retry-after': '30' } },
      { kind: 'reset-before-headers' },
      { kind: 'malformed-json' },
    ];
    for (const fault of faults) {
      proxy.setMode(fault);
      await everything({ 'private-token': ADMIN });
    }
    proxy.setMode({ kind: 'pass' });
  });

  it('sends them to the receiver and to a subscription', async () => {
    for (const token of [RECEIVER_TOKEN, `${RECEIVER_TOKEN}-wrong`]) {
      const response = await fetch(`${gateway.url}/webhooks/system-hooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-token': token,
          authorization: `Basic ${CANARY}`,
        },
        body: JSON.stringify({ event_name: 'user_create', email: `${CANARY}@example.com` }),
      });
      await response.body?.cancel();
    }
    for (const token of [ADMIN, USER]) {
      const controller = new AbortController();
      const response = await fetch(
        `${gateway.url}/graphql?query=${encodeURIComponent('subscription { systemHookEventReceived { eventName } }')}`,
        { headers: { accept: 'text/event-stream', 'private-token': token }, signal: controller.signal },
      );
      await response.body
        ?.getReader()
        .read()
        .catch(() => {});
      controller.abort();
    }
  });

  it('sent the secrets to GitLab (the search below would find them)', () => {
    const upstream = proxy.requests.map((request) => `${request.head}\n${request.body}`).join('\n');
    for (const secret of [ADMIN, USER, UNKNOWN, HOOK_TOKEN, INLINE_TOKEN, VARIABLE_VALUE, HEADER_VALUE]) {
      assert.ok(upstream.includes(secret), `${secret.replace(CANARY, '…')} reached GitLab`);
    }
    assert.ok(gateway.logs.length > 50, 'the gateway logged');
    assert.ok(
      gateway.logs.some((line) => line.component === 'graphql-yoga' && line.level === 'DEBUG'),
      "with graphql-yoga's own debug lines",
    );
    assert.ok(gateway.spans().length > 50, 'the gateway traced');
  });

  it('finds them in no log line', () => {
    const leaks = gateway
      .logText()
      .split('\n')
      .filter((line) => line.includes(CANARY));
    assert.deepEqual(leaks, []);
  });

  it('finds them in no span', () => {
    const text = spanText(gateway.spans());
    assert.ok(
      !text.includes(CANARY),
      text.slice(Math.max(0, text.indexOf(CANARY) - 300), text.indexOf(CANARY) + 100),
    );
  });

  it('finds them in no metric', async () => {
    const text = await gateway.metricsText();
    assert.ok(text.length > 1_000);
    assert.ok(!text.includes(CANARY));
  });
});
