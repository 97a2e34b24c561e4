/**
 * The outside of the events feature as its users meet it: GitLab's deliveries to the receiver, and subscribers
 * over SSE (the graphql-sse client) and over WebSocket (the graphql-ws client), each collecting what it receives
 * so that a test can wait for it with a deadline and count it.
 *
 * ```ts
 * const sse = await subscribeOverSse(gateway.url);           // resolves once the gateway holds the subscription
 * const ws = await subscribeOverWebSocket(gateway.url);
 * await untilEachReceives([sse, ws], (name) => deliver(gateway.url, projectCreate(name), TOKEN));
 * await deliver(gateway.url, projectCreate('one'), TOKEN);
 * await sse.waitForEvent('one');
 * await Promise.all([sse.close(), ws.close()]);
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { Agent, type RequestInit, fetch as undiciFetch } from 'undici';
import WebSocket from 'ws';
import { SYSTEM_HOOK_RECEIVER_PATH } from '../../src/http/gateway.ts';
import { ADMIN_TOKEN, credentialHeaders } from './credentials.ts';

/** Polls `condition` every 20 ms; fails naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Deliveries.

/** A delivery as GitLab sends it: the body, byte for byte, and its headers without the credential. */
export interface Delivery {
  body: string;
  headers: Record<string, string>;
  /** Its `Idempotency-Key` (GitLab 17.4+ sends the same value in `webhook-id`), which the gateway dedupes on. */
  id: string;
}

/**
 * A `project_create` delivery whose project is named `name`, with GitLab 19.0's headers, padded with a
 * `description` of `padBytes` characters when a test needs large bodies.
 */
export function projectCreate(name: string, options: { id?: string; padBytes?: number } = {}): Delivery {
  const id = options.id ?? randomUUID();
  const payload = {
    event_name: 'project_create',
    created_at: '2026-03-01T10:00:00Z',
    updated_at: '2026-03-01T10:00:00Z',
    name,
    path: name.toLowerCase(),
    path_with_namespace: `platform/${name.toLowerCase()}`,
    project_id: 4242,
    project_namespace_id: 23,
    owner_name: 'Administrator',
    owner_email: 'admin@example.com',
    owners: [{ name: 'Administrator', email: 'admin@example.com' }],
    project_visibility: 'internal',
    ...(options.padBytes ? { description: 'x'.repeat(options.padBytes) } : {}),
  };
  return {
    id,
    body: JSON.stringify(payload),
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitLab/19.0.0',
      'x-gitlab-event': 'System Hook',
      'x-gitlab-instance': 'https://gitlab.example.com',
      'x-gitlab-webhook-uuid': randomUUID(),
      'idempotency-key': id,
      'webhook-id': id,
    },
  };
}

/** POSTs `delivery` to the receiver of the gateway at `origin` with `token`; its status and how long it took. */
export async function deliver(
  origin: string,
  delivery: Delivery,
  token: string,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${origin}${SYSTEM_HOOK_RECEIVER_PATH}`, {
    method: 'POST',
    headers: { ...delivery.headers, 'x-gitlab-token': token },
    body: delivery.body,
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

// Subscribers.

/** The fields every subscriber here selects: the interface's identity fields and the project family's. */
export const EVENT_SELECTION = /* GraphQL */ `
  __typename cursor deliveryId eventName type verifiedBy
  ... on ProjectSystemHookEvent { name projectId pathWithNamespace createdAt }
`;

/** `systemHookEventReceived` with `after`, selecting `selection`. */
export function eventsSubscription(selection = EVENT_SELECTION): string {
  return /* GraphQL */ `
    subscription Events($after: String) {
      systemHookEventReceived(after: $after) { ${selection} }
    }
  `;
}

/** An event as the subscribers here select it (`EVENT_SELECTION`). */
export interface ReceivedEvent {
  __typename: string;
  cursor: string;
  deliveryId: string;
  eventName: string;
  type: string;
  verifiedBy: string;
  name?: string | null;
  projectId?: string | null;
  pathWithNamespace?: string | null;
  createdAt?: string | null;
  payload?: Record<string, unknown>;
}

/** One result of the stream, as both clients hand it over. */
interface EventResult {
  data?: { systemHookEventReceived: ReceivedEvent | null } | null;
  errors?: readonly GraphQLFormattedError[];
}

export interface SubscribeOptions {
  /** `PRIVATE-TOKEN` of the subscriber; `null` sends no credential. @default ADMIN_TOKEN */
  token?: string | null;
  /** Headers (SSE) or `connection_init` payload (WebSocket) instead of those `token` makes. */
  credentials?: Record<string, string>;
  /** `after`. */
  after?: string;
  /** The document. @default eventsSubscription() */
  query?: string;
}

/** What one subscription received, in order, and how it ended. */
export class EventSubscriber {
  readonly results: EventResult[] = [];
  /** Set when the stream ended: `complete`, or the error the client reported. */
  ending: { error?: unknown } | null = null;

  constructor(
    readonly transport: 'SSE' | 'WebSocket',
    private readonly dispose: () => Promise<void>,
  ) {}

  /** The events received, without the probes of `untilEachReceives`. */
  events(): ReceivedEvent[] {
    return this.results.flatMap((result) => {
      const event = result.data?.systemHookEventReceived;
      return event && !event.name?.startsWith(PROBE_PREFIX) ? [event] : [];
    });
  }

  names(): (string | null | undefined)[] {
    return this.events().map((event) => event.name);
  }

  /** Errors received in results, in order. */
  errors(): readonly GraphQLFormattedError[] {
    return this.results.flatMap((result) => result.errors ?? []);
  }

  get probesReceived(): number {
    return this.results.filter((result) =>
      result.data?.systemHookEventReceived?.name?.startsWith(PROBE_PREFIX),
    ).length;
  }

  /** Waits until an event named `name` has arrived; returns it. */
  async waitForEvent(name: string, timeoutMs = 10_000): Promise<ReceivedEvent> {
    await waitUntil(
      `the ${this.transport} subscriber receives "${name}" (it has ${JSON.stringify(this.names())})`,
      () => this.names().includes(name),
      timeoutMs,
    );
    return this.events().find((event) => event.name === name) as ReceivedEvent;
  }

  /** Waits until the stream has ended. */
  async waitForEnd(timeoutMs = 10_000): Promise<{ error?: unknown }> {
    await waitUntil(`the ${this.transport} subscription ends`, () => this.ending !== null, timeoutMs);
    return this.ending as { error?: unknown };
  }

  /** Ends the subscription and closes its connection. */
  close(): Promise<void> {
    return this.dispose();
  }

  /** @internal the clients' sink */
  readonly sink = {
    next: (result: EventResult) => {
      this.results.push(result);
    },
    error: (error: unknown) => {
      this.ending ??= { error };
    },
    complete: () => {
      this.ending ??= {};
    },
  };
}

const PROBE_PREFIX = 'probe-';

/**
 * Neither transport tells a client when the server holds its subscription (graphql-ws sends nothing between
 * `subscribe` and the first `next`): sends a probe event every 100 ms until each subscriber has received one.
 * `send(name)` delivers an event whose project is named `name`; the subscribers' `events()` leave probes out.
 */
export async function untilEachReceives(
  subscribers: readonly EventSubscriber[],
  send: (name: string) => Promise<unknown>,
  timeoutMs = 10_000,
): Promise<void> {
  const before = subscribers.map((subscriber) => subscriber.probesReceived);
  const deadline = Date.now() + timeoutMs;
  while (subscribers.some((subscriber, i) => subscriber.probesReceived === before[i])) {
    if (Date.now() > deadline)
      throw new Error(`not every subscriber received a probe within ${timeoutMs} ms`);
    await send(`${PROBE_PREFIX}${randomUUID()}`);
    await sleep(100);
  }
}

function credentialsOf(options: SubscribeOptions): Record<string, string> {
  return options.credentials ?? credentialHeaders(options.token === undefined ? ADMIN_TOKEN : options.token);
}

/**
 * A subscription over SSE with the graphql-sse client (distinct connections mode, no retries), resolved once
 * the gateway answered the request: Yoga answers only after the subscription is open in the event store.
 */
export async function subscribeOverSse(
  origin: string,
  options: SubscribeOptions = {},
): Promise<EventSubscriber> {
  // A connection of its own, destroyed on close: undici keeps a connection whose response body was never read
  // open after an abort, and the gateway would go on streaming to it.
  const agent = new Agent({ connections: 1 });
  const client = createSseClient({
    url: `${origin}/graphql`,
    headers: credentialsOf(options),
    retryAttempts: 0,
    fetchFn: (input: string, init: RequestInit) => undiciFetch(input, { ...init, dispatcher: agent }),
  });
  let connected = false;
  let unsubscribe = () => {};
  const subscriber = new EventSubscriber('SSE', async () => {
    // In distinct connections mode, only a subscription's own dispose ends its request; the client's does not.
    unsubscribe();
    client.dispose();
    await agent.destroy();
  });
  unsubscribe = client.subscribe(
    { query: options.query ?? eventsSubscription(), variables: { after: options.after ?? null } },
    subscriber.sink,
    {
      connected: () => {
        connected = true;
      },
    },
  );
  try {
    await waitUntil('the SSE subscription is answered', () => connected || subscriber.ending !== null);
  } catch (error) {
    await subscriber.close();
    throw error;
  }
  return subscriber;
}

/**
 * A subscription over WebSocket with the graphql-ws client, the credential in `connection_init` as a browser
 * sends it; resolved once the gateway acknowledged the connection (not the subscription: see
 * `untilEachReceives`).
 */
export async function subscribeOverWebSocket(
  origin: string,
  options: SubscribeOptions = {},
): Promise<EventSubscriber> {
  let acknowledged = false;
  const client = createWsClient({
    url: `${origin.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: credentialsOf(options),
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: () => {
        acknowledged = true;
      },
    },
  });
  const subscriber = new EventSubscriber('WebSocket', async () => client.dispose());
  client.subscribe(
    { query: options.query ?? eventsSubscription(), variables: { after: options.after ?? null } },
    subscriber.sink,
  );
  try {
    await waitUntil(
      'the WebSocket connection is acknowledged',
      () => acknowledged || subscriber.ending !== null,
    );
  } catch (error) {
    await subscriber.close();
    throw error;
  }
  return subscriber;
}
