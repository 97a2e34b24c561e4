import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import {
  createEmbeddedGitLab,
  type EmbeddedGitLab,
  type EmbeddedGitLabOptions,
} from '../../src/embedded-gitlab/index.ts';
import type { EventStore } from '../../src/events/event-store.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import { requestLimits } from '../../src/graphql/plugins/use-request-limits.ts';
import { createGateway, type GatewayOptions } from '../../src/http/gateway.ts';
import { ROUTES } from '../../src/http/routes.ts';
import { type GatewayServerOptions, startGatewayServer } from '../../src/http/server.ts';
import type { GraphQLWebSocketOptions } from '../../src/http/websocket.ts';
import {
  createGitLabClient,
  type GitLabClient,
  type GitLabClientOptions,
} from '../../src/upstream/client.ts';
import { ADMIN_TOKEN, graphqlHeaders, USER_TOKEN } from './credentials.ts';
import type { UntypedData } from './untyped.ts';

export interface GraphQLErrorJson {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLResponse<Data> {
  status: number;
  data?: Data | null;
  errors?: GraphQLErrorJson[];
}

export interface RequestOptions {
  /** `PRIVATE-TOKEN` to send; `null` sends no credential. @default the admin token */
  token?: string | null;
  headers?: Record<string, string>;
}

/** A gateway on a real loopback port, and a typed client for it. */
export interface GatewayHandle {
  url: string;
  client: GitLabClient;
  request<Data, Variables>(
    document: TypedDocumentNode<Data, Variables>,
    variables?: Variables,
    options?: RequestOptions,
  ): Promise<GraphQLResponse<Data>>;
  /** An untyped document, for shapes no generated operation has (aliases, invalid documents). */
  requestText(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<GraphQLResponse<UntypedData>>;
  close(): Promise<void>;
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export interface StartGatewayOptions {
  upstream?: Partial<GitLabClientOptions>;
  gateway?: Partial<GatewayOptions>;
  /** GraphQL over WebSocket on the gateway's `/graphql`, with these options. @default none (no WebSocket) */
  websocket?: Partial<GraphQLWebSocketOptions>;
  /** The HTTP edge's settings (timeouts, connection cap, allowed hosts). @default npm start's, on 127.0.0.1:0 */
  server?: Partial<GatewayServerOptions>;
}

export async function startGateway(
  gitlabUrl: string,
  options: StartGatewayOptions = {},
): Promise<GatewayHandle> {
  const client = createGitLabClient({ baseUrl: gitlabUrl, timeoutMs: 2_000, ...options.upstream });
  const gateway = createGateway({ api: client, logging: false, ...options.gateway });
  // The edge npm start serves through; no grace at close: a test's requests are over or meant to be cut.
  const edge = await startGatewayServer(gateway, {
    corsOrigins: options.gateway?.corsOrigins,
    shutdownGraceMs: 0,
    ...options.server,
    websocket: options.websocket && {
      maxMessageBytes: requestLimits(options.gateway?.limits).maxRequestBodyBytes,
      trustedDocuments: options.gateway?.trustedDocuments,
      ...options.websocket,
    },
  });
  const { url } = edge;

  const requestText = async (
    query: string,
    variables?: Record<string, unknown>,
    opts: RequestOptions = {},
  ) => {
    const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { ...graphqlHeaders(token), ...opts.headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<unknown>, 'status'>;
    return { status: response.status, ...body };
  };

  return {
    url,
    client,
    request: (document, variables, opts) =>
      requestText(print(document), variables as Record<string, unknown> | undefined, opts) as never,
    requestText,
    close: async () => {
      // Ends every subscription first, so that SSE responses finish rather than being cut.
      await edge.close({ endStreams: async () => options.gateway?.events?.store.close() });
      await client.close();
    },
  };
}

/** The embedded GitLab and a gateway in front of it, as every GraphQL test needs them. */
export interface Stack extends GatewayHandle {
  gitlab: EmbeddedGitLab;
  /** Upstream requests served since the last `resetRequestLog()`, as the embedded GitLab counts them. */
  upstreamRequests(): readonly { method: string; path: string; query: string; status: number }[];
}

export interface StackOptions extends StartGatewayOptions {
  gitlab?: Partial<EmbeddedGitLabOptions>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN, ...options.gitlab });
  const gitlabUrl = await gitlab.listen();
  const gateway = await startGateway(gitlabUrl, options);
  return {
    ...gateway,
    gitlab,
    upstreamRequests: () => gitlab.requests,
    close: async () => {
      await gateway.close();
      await gitlab.close();
    },
  };
}

/** `count` hooks created through the embedded GitLab's own validation; returns their REST ids. */
export function seedHooks(gitlab: EmbeddedGitLab, count: number): Promise<number[]> {
  return gitlab.seed(
    Array.from({ length: count }, (_, i) => ({
      url: `https://hooks.example.com/${i + 1}`,
      name: `hook ${i + 1}`,
    })),
  );
}

export const gid = (id: number) => `gid://gitlab/SystemHook/${id}`;

/** The `X-Gitlab-Token` an event stack's receiver accepts, and its hooks send. A test value, not a secret. */
export const RECEIVER_TOKEN = 'receiver-test-token-0003';
/** A Standard Webhooks secret an event stack's receiver accepts (`whsec_` + base64 of 32 bytes); a test value. */
export const RECEIVER_SIGNING_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

export interface EventStackOptions {
  /** Where events go. Closed by `close()`, like everything else. @default an in-memory store of `retention` */
  store?: EventStore;
  /** `EVENT_RETENTION` of the default store. @default the store's default (1000) */
  retention?: number;
  /** `WEBHOOK_SECRET_TOKENS`. @default [RECEIVER_TOKEN] */
  secretTokens?: readonly string[];
  /** `WEBHOOK_SIGNING_SECRETS`. @default [RECEIVER_SIGNING_SECRET] */
  signingSecrets?: readonly string[];
  /** `WEBHOOK_SIGNATURE_TOLERANCE_SECONDS`. @default the receiver's (300) */
  signatureToleranceSeconds?: number;
  /** `MAX_WEBHOOK_BODY_BYTES`. @default the receiver's (1 MiB) */
  maxBodyBytes?: number;
  /** `WEBHOOK_READ_TIMEOUT_MS`. @default the receiver's (15 s) */
  readTimeoutMs?: number;
  /** `MAX_CONCURRENT_WEBHOOK_BODIES`. @default the receiver's (32) */
  maxConcurrentBodies?: number;
  /** How often a subscriber's credential is checked again. @default 300_000 (the configuration's default) */
  authRecheckMs?: number;
  /** How old a subscriber's last confirmation may grow while rechecks fail. @default 2 × authRecheckMs */
  authMaxStalenessMs?: number;
  /** `MAX_SUBSCRIPTIONS`. @default the gateway's (1000) */
  maxSubscriptions?: number;
  /** `MAX_SUBSCRIPTIONS_PER_CREDENTIAL`. @default the gateway's (100) */
  maxSubscriptionsPerCredential?: number;
}

/** A stack whose gateway receives system hook events, serves subscriptions over SSE and WebSocket. */
export interface EventStack extends Stack {
  /** `http://127.0.0.1:<port>/webhooks/system-hooks`, on the gateway's own port. */
  receiverUrl: string;
  /** `ws://127.0.0.1:<port>/graphql`. */
  wsUrl: string;
  store: EventStore;
  /**
   * Seeds a hook in the embedded GitLab that delivers to the receiver with `RECEIVER_TOKEN`, with REST
   * parameters added or overriding (`signing_token`, `push_events`, ...); resolves with its REST id.
   */
  addReceiverHook(params?: Record<string, unknown>): Promise<number>;
}

/**
 * The embedded GitLab and a gateway with events on: the receiver on its port, subscriptions over SSE and over
 * WebSocket (attached to the gateway's `node:http` server). `close()` ends the sockets, the store (so SSE streams
 * end), the gateway and GitLab.
 */
export async function startEventStack(
  options: StackOptions & { events?: EventStackOptions } = {},
): Promise<EventStack> {
  const { events = {}, ...rest } = options;
  const store = events.store ?? createMemoryEventStore({ retention: events.retention });
  const stack = await startStack({
    ...rest,
    websocket: rest.websocket ?? {},
    gateway: {
      ...rest.gateway,
      events: {
        store,
        receiver: {
          secretTokens: events.secretTokens ?? [RECEIVER_TOKEN],
          signingSecrets: events.signingSecrets ?? [RECEIVER_SIGNING_SECRET],
          signatureToleranceSeconds: events.signatureToleranceSeconds,
          maxBodyBytes: events.maxBodyBytes,
          readTimeoutMs: events.readTimeoutMs,
          maxConcurrentBodies: events.maxConcurrentBodies,
        },
        authRecheckMs: events.authRecheckMs ?? 300_000,
        authMaxStalenessMs: events.authMaxStalenessMs,
        maxSubscriptions: events.maxSubscriptions,
        maxSubscriptionsPerCredential: events.maxSubscriptionsPerCredential,
      },
    },
  });
  const receiverUrl = `${stack.url}${ROUTES.receiver}`;
  return {
    ...stack,
    receiverUrl,
    wsUrl: `${stack.url.replace(/^http/, 'ws')}/graphql`,
    store,
    addReceiverHook: async (params = {}) => {
      const [id] = await stack.gitlab.seed([
        { url: receiverUrl, name: 'the gateway', token: RECEIVER_TOKEN, ...params },
      ]);
      return id as number;
    },
  };
}
