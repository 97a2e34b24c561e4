import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createEmbeddedGitLab, type EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import type { EventStore } from '../../src/events/event-store.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import { createGateway } from '../../src/http/gateway.ts';
import { ROUTES } from '../../src/http/routes.ts';
import { createGitLabClient, type GitLabClient } from '../../src/upstream/client.ts';
import {
  composeSupergraph,
  postGraphQL,
  type RunningGateway,
  startApolloGateway,
  startHiveGateway,
} from '../federation/supergraph.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { deliver, projectCreate } from '../helpers/deliveries.ts';
import { listen } from '../helpers/stack.ts';
import {
  eventsSubscription,
  type Subscriber,
  subscribeOverSse,
  untilEachReceives,
} from '../helpers/subscribers.ts';

/**
 * `Subscription.systemHookEventReceived` as part of the federation subgraph (`subgraph.graphql`), through the
 * Hive gateway runtime in front of the gateway, over real HTTP: client → Hive gateway (SSE) → this gateway, a
 * subgraph (SSE, the runtime's default subgraph subscription transport) → the embedded GitLab, which both
 * checks the subscriber's credential and delivers the event to the gateway's receiver.
 *
 * Apollo Gateway is not tested with subscriptions because it cannot run them: it plans and executes queries and
 * mutations only, and answers a subscription with "Execution of subscriptions not supported by gateway" (Apollo's
 * subscription support is in Apollo Router). The last test pins that down, so that the day it changes is seen.
 */

const RECEIVER_TOKEN = 'federation-receiver-token-51aa';
const SUBGRAPH_SDL = readFileSync(new URL('../../subgraph.graphql', import.meta.url), 'utf8');

/** A request the gateway received from the supergraph gateway, credential compared, never kept. */
interface SubgraphRequest {
  method: string;
  path: string;
  accept: string;
  /** Which credential it carried: `admin`, `user`, `other` or `none`. */
  credential: string;
}

function credentialOf(headers: { 'private-token'?: string | string[]; authorization?: string }): string {
  const token = headers['private-token'] ?? headers.authorization?.replace(/^Bearer /, '');
  if (token === undefined) return 'none';
  return token === ADMIN_TOKEN ? 'admin' : token === USER_TOKEN ? 'user' : 'other';
}

describe('the subscription through the Hive gateway runtime', () => {
  let gitlab: EmbeddedGitLab;
  let client: GitLabClient;
  let store: EventStore;
  let server: Server;
  let subgraphUrl: string;
  /** The gateway's origin, where its receiver is. */
  let gatewayOrigin: string;
  let supergraphSdl: string;
  let hive: RunningGateway;
  /** The Hive gateway's origin: graphql-sse subscribes at `${origin}/graphql`. */
  let hiveOrigin: string;
  const subgraphRequests: SubgraphRequest[] = [];
  const subscribers: Subscriber[] = [];

  async function subscribe(options: Parameters<typeof subscribeOverSse>[1] = {}): Promise<Subscriber> {
    const subscriber = await subscribeOverSse(hiveOrigin, options);
    subscribers.push(subscriber);
    return subscriber;
  }

  before(async () => {
    gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN });
    client = createGitLabClient({ baseUrl: await gitlab.listen(), timeoutMs: 2_000 });
    store = createMemoryEventStore();
    const gateway = createGateway({
      api: client,
      logging: false,
      events: { store, receiver: { secretTokens: [RECEIVER_TOKEN] }, authRecheckMs: 60_000 },
    });
    server = createServer((request, response) => {
      if (request.url?.startsWith('/graphql')) {
        subgraphRequests.push({
          method: request.method ?? '',
          path: request.url,
          accept: request.headers.accept ?? '',
          credential: credentialOf(request.headers),
        });
      }
      void gateway(request, response);
    });
    gatewayOrigin = await listen(server);
    subgraphUrl = `${gatewayOrigin}/graphql`;
    await gitlab.seed([
      { url: `${gatewayOrigin}${ROUTES.receiver}`, name: 'gateway', token: RECEIVER_TOKEN },
    ]);
    supergraphSdl = composeSupergraph([{ name: 'system-hooks', url: subgraphUrl, sdl: SUBGRAPH_SDL }]);
    hive = await startHiveGateway(supergraphSdl);
    hiveOrigin = hive.url.replace(/\/graphql$/, '');
  });
  after(async () => {
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    await hive?.close();
    await store?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await client?.close();
    await gitlab?.close();
  });

  it('is part of the subgraph, linked to Federation v2.4 or later, and composes into the supergraph', () => {
    const version = /@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.(\d+)"/.exec(SUBGRAPH_SDL);
    assert.ok(version && Number(version[1]) >= 4, `linked version: ${version?.[0]}`);
    assert.match(SUBGRAPH_SDL, /^type Subscription \{\n[\s\S]*?systemHookEventReceived\(/m);
    assert.match(supergraphSdl, /type Subscription\s+@join__type\(graph: SYSTEM_HOOKS\)/);
    assert.match(supergraphSdl, /interface SystemHookEvent\s+@join__type\(graph: SYSTEM_HOOKS\)/);
  });

  it("delivers an event to an administrator's SSE subscription with its typed fields, the credential forwarded", async () => {
    subgraphRequests.length = 0;
    gitlab.resetRequestLog();
    const viaPrivateToken = await subscribe();
    const viaBearer = await subscribe({ credentials: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const both = [viaPrivateToken, viaBearer];
    // The Hive gateway subscribed to this subgraph over SSE (a GET), with the caller's credential...
    assert.deepEqual(
      subgraphRequests.map(({ method, accept, credential }) => ({ method, accept, credential })),
      [
        { method: 'GET', accept: 'text/event-stream', credential: 'admin' },
        { method: 'GET', accept: 'text/event-stream', credential: 'admin' },
      ],
    );
    // ... which the gateway checked with GitLab (`GET /hooks` answers administrators only).
    assert.deepEqual(
      gitlab.requests.map(({ method, path, status }) => `${method} ${path} ${status}`),
      ['GET /api/v4/hooks 200', 'GET /api/v4/hooks 200'],
    );
    await untilEachReceives(both, (name) => deliver(gatewayOrigin, projectCreate(name), RECEIVER_TOKEN));

    // GitLab delivers the event to the gateway's receiver, through the hook seeded above.
    const emitted = gitlab.emitSystemHookEvent({ eventName: 'project_create' });
    const payload = emitted.payload as Record<string, string | number>;
    for (const subscriber of both) {
      const event = await subscriber.waitForEvent(payload.name as string);
      assert.deepEqual(
        { ...event, cursor: typeof event.cursor },
        {
          __typename: 'ProjectSystemHookEvent',
          cursor: 'string',
          deliveryId: emitted.deliveries[0]?.idempotencyKey,
          eventName: 'project_create',
          type: 'PROJECT_CREATE',
          verifiedBy: 'TOKEN',
          name: payload.name,
          projectId: `gid://gitlab/Project/${payload.project_id}`,
          pathWithNamespace: payload.path_with_namespace,
          createdAt: new Date(payload.created_at as string).toISOString(),
        },
      );
      assert.deepEqual(subscriber.errors(), []);
    }
  });

  /** Opens a subscription as `options` say, which must end at once; returns it once an admin saw a later event. */
  async function refusedSubscription(options: { token: string | null }): Promise<Subscriber> {
    const watcher = await subscribe();
    await untilEachReceives([watcher], (name) => deliver(gatewayOrigin, projectCreate(name), RECEIVER_TOKEN));
    const refused = await subscribe(options);
    await refused.waitForEnd();
    await deliver(gatewayOrigin, projectCreate('not for everyone'), RECEIVER_TOKEN);
    await watcher.waitForEvent('not for everyone');
    assert.deepEqual(refused.events, []);
    assert.equal(refused.probesReceived, 0);
    assert.deepEqual(refused.ending, {}, 'the stream completed');
    return refused;
  }

  it('refuses a user who is not an administrator with FORBIDDEN, and sends them no event', async () => {
    const refused = await refusedSubscription({ token: USER_TOKEN });
    assert.deepEqual(
      refused.results.map((result) => ({
        data: result.data,
        codes: result.errors?.map((e) => e.extensions?.code),
      })),
      [{ data: { systemHookEventReceived: null }, codes: ['FORBIDDEN'] }],
    );
  });

  it('refuses a caller without a credential, and sends them no event', async () => {
    // The Hive gateway subscribes with a GET, and the gateway's CSRF prevention refuses a GET that carries no
    // credential header before anything asks GitLab: the caller sees that refusal (wrapped by the Hive gateway)
    // rather than UNAUTHENTICATED.
    gitlab.resetRequestLog();
    const refused = await refusedSubscription({ token: null });
    assert.deepEqual(
      refused.errors().map(({ message, extensions }) => ({ message, code: extensions?.code })),
      [{ message: 'Required CSRF header(s) not present', code: 'DOWNSTREAM_SERVICE_ERROR' }],
    );
    assert.deepEqual(
      gitlab.requests.filter((request) => request.status !== 200),
      [],
      'no credential check was made for it',
    );
  });
});

describe('the subscription through Apollo Gateway', () => {
  it('is refused by Apollo Gateway itself, which executes no subscriptions: nothing reaches the gateway', async () => {
    let requests = 0;
    const subgraph = createServer((_request, response) => {
      requests += 1;
      response.writeHead(500).end();
    });
    const url = `${await listen(subgraph)}/graphql`;
    let apollo: RunningGateway | undefined;
    try {
      apollo = await startApolloGateway(
        composeSupergraph([{ name: 'system-hooks', url, sdl: SUBGRAPH_SDL }]),
      );
      const result = await postGraphQL(apollo.url, eventsSubscription(), {}, ADMIN_TOKEN);
      assert.deepEqual(
        result.errors?.map((error) => error.message),
        ['Execution of subscriptions not supported by gateway'],
      );
      assert.equal(requests, 0);
    } finally {
      await apollo?.close();
      subgraph.closeAllConnections();
      await new Promise((resolve) => subgraph.close(resolve));
    }
  });
});
