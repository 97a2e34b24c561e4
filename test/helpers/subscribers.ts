/**
 * Subscribers as a frontend runs them: the `graphql-sse` client (distinct connections mode) and the `graphql-ws`
 * client, no retries, each collecting what arrives so that a test can wait for it within a bound, count it, and
 * close it.
 *
 * ```ts
 * const sse = subscribe(stack, 'sse', { query: eventsSubscription() });      // returns at once
 * const ws = await subscribeOverWebSocket(stack.url);                          // resolves once acknowledged
 * await untilEachReceives([sse, ws], (name) => deliver(stack.url, projectCreate(name), RECEIVER_TOKEN));
 * await deliver(stack.url, projectCreate('one'), RECEIVER_TOKEN);
 * await sse.waitForEvent('one');
 * await closeAll([sse, ws], stack.store);
 * ```
 */
import { randomUUID } from 'node:crypto';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { Agent, type RequestInit, fetch as undiciFetch } from 'undici';
import WebSocket from 'ws';
import { ADMIN_TOKEN, credentialHeaders } from './credentials.ts';
import type { UntypedData } from './untyped.ts';
import { WAIT_MS, waitUntil, within } from './wait-until.ts';

export type Transport = 'sse' | 'ws';
export const TRANSPORTS: readonly Transport[] = ['sse', 'ws'];

/** What a client sends: a document's text, or (trusted documents) a hash in `documentId` or `extensions`. */
export interface OperationPayload {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  extensions?: Record<string, unknown>;
  documentId?: string;
}

export interface SubscriberOptions {
  /** `PRIVATE-TOKEN` to send; `null` sends none. @default ADMIN_TOKEN */
  token?: string | null;
  /** How the token is sent: `PRIVATE-TOKEN`, or `Authorization: Bearer`. @default 'private-token' */
  scheme?: 'private-token' | 'bearer';
  /** Headers (SSE) or `connection_init` payload (WebSocket) instead of those `token` makes. @default none */
  credentials?: Record<string, string>;
  /** Over WebSocket, where the credential travels. @default 'connection_init' */
  credentialIn?: 'connection_init' | 'headers';
  /** How long this subscriber's waits last unless a wait says otherwise. @default WAIT_MS */
  waitMs?: number;
}

/** One result as both clients hand it over; the tests check its shape field by field. */
export interface SubscriptionResult {
  data?: UntypedData;
  errors?: UntypedData[];
  extensions?: UntypedData;
}

/** How a stream ended: completed (no error), or with what the client reported. */
export interface StreamEnd {
  error?: unknown;
}

/** The fields the event subscribers here select: the interface's identity fields and the project family's. */
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

/** The probes `untilEachReceives` sends are projects named so; `events` leaves them out. */
const PROBE_PREFIX = 'probe-';

const isProbe = (event: UntypedData) =>
  typeof event?.name === 'string' && event.name.startsWith(PROBE_PREFIX);

/** What one subscription received, in order, and how it ended. */
export class Subscriber {
  /** Every result received (`data` and/or `errors`), in order. */
  readonly results: SubscriptionResult[] = [];
  /** Set when the server ended the stream: completed (`{}`), or with the error the client reported. */
  ending: StreamEnd | null = null;
  /**
   * Resolves over SSE once the server has answered with its stream, which Yoga does only after the subscription
   * is open (so an event published from then on reaches it); over WebSocket once the socket is acknowledged,
   * which is before the subscription opens (see `untilEachReceives`).
   */
  readonly opened: Promise<void>;
  /** Settles when the server ends the stream (not when `close()` does). */
  readonly ended: Promise<StreamEnd>;
  #open: () => void = () => {};
  #end: (end: StreamEnd) => void = () => {};
  #stop: () => Promise<void> = async () => {};

  constructor(
    readonly transport: Transport,
    private readonly waitMs: number,
  ) {
    this.opened = new Promise((resolve) => {
      this.#open = resolve;
    });
    this.ended = new Promise((resolve) => {
      this.#end = resolve;
    });
  }

  /** The `systemHookEventReceived` events among the results, in order, without `untilEachReceives`' probes. */
  get events(): UntypedData[] {
    return this.results.flatMap((result) => {
      const event = result?.data?.systemHookEventReceived;
      return event && !isProbe(event) ? [event] : [];
    });
  }

  /** The events' project names, in order. */
  names(): (string | null | undefined)[] {
    return this.events.map((event) => event.name);
  }

  /** The errors received in results, in order (not the one the stream may have ended with). */
  errors(): UntypedData[] {
    return this.results.flatMap((result) => result?.errors ?? []);
  }

  get probesReceived(): number {
    return this.results.filter((result) => isProbe(result?.data?.systemHookEventReceived)).length;
  }

  /** Resolves with the events once `count` have arrived. */
  async waitForEvents(count: number, withinMs = this.waitMs): Promise<UntypedData[]> {
    await waitUntil(
      () => `${count} events over ${this.transport}; got ${JSON.stringify(this.results)}`,
      () => this.events.length >= count,
      { withinMs },
    );
    return this.events;
  }

  /** Resolves with the event named `name` once it has arrived. */
  async waitForEvent(name: string, withinMs = this.waitMs): Promise<UntypedData> {
    await waitUntil(
      () => `the ${this.transport} subscriber receives "${name}" (it has ${JSON.stringify(this.names())})`,
      () => this.names().includes(name),
      { withinMs },
    );
    return this.events.find((event) => event.name === name);
  }

  /** Resolves when the server has ended the stream. */
  waitForEnd(withinMs = this.waitMs): Promise<StreamEnd> {
    return within(this.ended, `the end of the stream over ${this.transport}`, { withinMs });
  }

  /** Ends the subscription and closes its connection. */
  close(): Promise<void> {
    return this.#stop();
  }

  /** @internal what a client calls, and what stops it */
  attach(start: (sink: Sink) => () => Promise<void>): this {
    this.#stop = start({
      opened: () => this.#open(),
      next: (value) => {
        this.results.push(value);
      },
      error: (error) => this.#ended({ error }),
      complete: () => this.#ended({}),
    });
    return this;
  }

  #ended(end: StreamEnd): void {
    this.ending ??= end;
    this.#end(end);
  }
}

interface Sink {
  opened(): void;
  next(value: SubscriptionResult): void;
  error(error: unknown): void;
  complete(): void;
}

/** The headers (or `connection_init` payload) carrying the subscriber's credential. */
function credentialOf(options: SubscriberOptions): Record<string, string> {
  if (options.credentials) return options.credentials;
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null && options.scheme === 'bearer') return { authorization: `Bearer ${token}` };
  return credentialHeaders(token);
}

/** A `ws` WebSocket that sends `headers` with its upgrade request, as a server-side client can. */
function webSocketWithHeaders(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
}

function startSse(url: string, payload: OperationPayload, options: SubscriberOptions) {
  return (sink: Sink) => {
    // A connection of its own, destroyed on close: undici keeps a connection whose response body was never read
    // open after an abort, and the gateway would go on streaming to it.
    const agent = new Agent({ connections: 1 });
    const client = createSseClient({
      url: `${url}/graphql`,
      headers: credentialOf(options),
      retryAttempts: 0,
      fetchFn: (input: string, init: RequestInit) => undiciFetch(input, { ...init, dispatcher: agent }),
      on: { connected: sink.opened },
    });
    const dispose = client.subscribe(payload as never, sink);
    return async () => {
      // In distinct connections mode, only a subscription's own dispose ends its request; the client's does not.
      dispose();
      client.dispose();
      await agent.destroy();
    };
  };
}

function startWs(wsUrl: string, payload: OperationPayload, options: SubscriberOptions) {
  const credential = credentialOf(options);
  const inHeaders = options.credentialIn === 'headers';
  return (sink: Sink) => {
    const client = createWsClient({
      url: wsUrl,
      webSocketImpl: inHeaders ? webSocketWithHeaders(credential) : WebSocket,
      connectionParams: inHeaders ? {} : credential,
      retryAttempts: 0,
      lazy: true,
      on: { connected: sink.opened },
    });
    const dispose = client.subscribe(payload as never, sink);
    return async () => {
      dispose();
      await client.dispose();
    };
  };
}

/** Opens `payload` over `transport` against a gateway at `url` (`http://...`) and `wsUrl` (`ws://.../graphql`). */
export function subscribe(
  target: { url: string; wsUrl: string },
  transport: Transport,
  payload: OperationPayload,
  options: SubscriberOptions = {},
): Subscriber {
  const subscriber = new Subscriber(transport, options.waitMs ?? WAIT_MS);
  return subscriber.attach(
    transport === 'sse' ? startSse(target.url, payload, options) : startWs(target.wsUrl, payload, options),
  );
}

export interface EventSubscriberOptions extends SubscriberOptions {
  /** `after`. @default none */
  after?: string;
  /** The document. @default eventsSubscription() */
  query?: string;
}

/** Events through Redis and other replicas, under load: these subscribers wait longer. */
const EVENT_WAIT_MS = 10_000;

/**
 * `eventsSubscription()` from `after` over `transport` to the gateway at `origin`, resolved once it opened (see
 * `Subscriber.opened`) or ended.
 */
async function subscribeToEvents(
  transport: Transport,
  origin: string,
  options: EventSubscriberOptions,
): Promise<Subscriber> {
  const target = { url: origin, wsUrl: `${origin.replace(/^http/, 'ws')}/graphql` };
  const payload = {
    query: options.query ?? eventsSubscription(),
    variables: { after: options.after ?? null },
  };
  const subscriber = subscribe(target, transport, payload, { waitMs: EVENT_WAIT_MS, ...options });
  try {
    await within(Promise.race([subscriber.opened, subscriber.ended]), `the ${transport} subscription opens`, {
      withinMs: EVENT_WAIT_MS,
    });
  } catch (error) {
    await subscriber.close();
    throw error;
  }
  return subscriber;
}

/** `eventsSubscription()` over SSE, resolved once the gateway answered (Yoga does once the subscription is open). */
export const subscribeOverSse = (origin: string, options: EventSubscriberOptions = {}) =>
  subscribeToEvents('sse', origin, options);

/** `eventsSubscription()` over WebSocket, resolved once the connection is acknowledged (see `untilEachReceives`). */
export const subscribeOverWebSocket = (origin: string, options: EventSubscriberOptions = {}) =>
  subscribeToEvents('ws', origin, options);

/**
 * Neither transport tells a client when the server holds its subscription (graphql-ws sends nothing between
 * `subscribe` and the first `next`): sends a probe event every 100 ms until each subscriber has received one.
 * `send(name)` delivers an event whose project is named `name`; the subscribers' `events` leave probes out.
 */
export async function untilEachReceives(
  subscribers: readonly Subscriber[],
  send: (name: string) => Promise<unknown>,
  withinMs = EVENT_WAIT_MS,
): Promise<void> {
  const before = subscribers.map((subscriber) => subscriber.probesReceived);
  const eachReceived = () => subscribers.every((subscriber, i) => subscriber.probesReceived !== before[i]);
  await waitUntil(
    'every subscriber receives a probe',
    async () => {
      if (eachReceived()) return true;
      await send(`${PROBE_PREFIX}${randomUUID()}`);
      return false;
    },
    { withinMs, everyMs: 100 },
  );
}

/**
 * Closes `subscribers` and waits until `store` counts `remaining` subscriptions (0: these were its only ones), so
 * that the next test counts its own from a settled number.
 */
export async function closeAll(
  subscribers: Iterable<Subscriber>,
  store: { status(): { subscribers: number } },
  remaining = 0,
): Promise<void> {
  for (const subscriber of subscribers) await subscriber.close();
  await waitUntil(
    () => `${remaining} subscriptions left; the store has ${store.status().subscribers}`,
    () => store.status().subscribers === remaining,
  );
}

/**
 * The `extensions.code` of every error a subscriber was told about: in its results, and in the error it ended
 * with (graphql-ws reports an operation's failure as a list of GraphQL errors).
 */
export function errorCodes(subscriber: Subscriber, end: StreamEnd | undefined): string[] {
  return streamErrors(subscriber, end).map(
    (error) => error?.extensions?.code ?? `no code: ${error?.message}`,
  );
}

/** Every error a subscriber was told about, with its message and extensions: in its results, then at its end. */
export function streamErrors(subscriber: Subscriber, end: StreamEnd | undefined): UntypedData[] {
  const atEnd = Array.isArray(end?.error) ? (end.error as UntypedData[]) : [];
  return [...subscriber.errors(), ...atEnd];
}
