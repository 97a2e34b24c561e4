/**
 * A subscriber as a frontend runs one: the `graphql-sse` client (distinct connections mode) or the `graphql-ws`
 * client, collecting what arrives so that a test can wait for it, within a bound, and then close it.
 */
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN_TOKEN, credentialHeaders } from '../helpers/credentials.ts';
import type { UntypedData } from '../helpers/untyped.ts';

export type Transport = 'sse' | 'ws';
export const TRANSPORTS: readonly Transport[] = ['sse', 'ws'];

/** The longest a test waits for something that should happen at once. */
export const WAIT_MS = 3_000;

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
  /** Over WebSocket, where the credential travels. @default 'connection_init' */
  credentialIn?: 'connection_init' | 'headers';
  /** How the token is sent: `PRIVATE-TOKEN`, or `Authorization: Bearer`. @default 'private-token' */
  scheme?: 'private-token' | 'bearer';
}

/** The headers (or `connection_init` payload) carrying the subscriber's credential. */
function credentialOf(options: SubscriberOptions): Record<string, string> {
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null && options.scheme === 'bearer') return { authorization: `Bearer ${token}` };
  return credentialHeaders(token);
}

/** How a stream ended: completed (no error), or with what the client reported. */
export interface StreamEnd {
  error?: unknown;
}

export interface Subscriber {
  /** Every result received (`data` and/or `errors`), in order. */
  readonly results: UntypedData[];
  /** The `systemHookEventReceived` events among the results, in order. */
  readonly events: UntypedData[];
  /**
   * Resolves over SSE once the server has answered with its stream, which Yoga does only after the subscription
   * is open (so an event published from then on reaches it); over WebSocket once the socket is acknowledged,
   * which is before the subscription opens.
   */
  readonly opened: Promise<void>;
  /** Settles when the server ends the stream (not when `close()` does). */
  readonly ended: Promise<StreamEnd>;
  /** Resolves with the events once `count` have arrived; rejects after `timeoutMs`. */
  waitForEvents(count: number, timeoutMs?: number): Promise<UntypedData[]>;
  /** Resolves when the stream ends; rejects after `timeoutMs`. */
  waitForEnd(timeoutMs?: number): Promise<StreamEnd>;
  close(): Promise<void>;
}

/** Polls `condition` every 10 ms; rejects with `what()` after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  what: () => string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `promise`, or a rejection naming `what` after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A `ws` WebSocket that sends `headers` with its upgrade request, as a server-side client can. */
function webSocketWithHeaders(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
}

interface Sink {
  opened(): void;
  next(value: UntypedData): void;
  error(error: unknown): void;
  complete(): void;
}

/** Starts the operation on `sink`; returns what stops it. */
type Start = (sink: Sink) => () => Promise<void>;

function startSse(url: string, payload: OperationPayload, options: SubscriberOptions): Start {
  return (sink) => {
    const client = createSseClient({
      url: `${url}/graphql`,
      headers: credentialOf(options),
      retryAttempts: 0,
      on: { connected: sink.opened },
    });
    const dispose = client.subscribe(payload as never, sink);
    return async () => {
      dispose();
      client.dispose();
    };
  };
}

function startWs(wsUrl: string, payload: OperationPayload, options: SubscriberOptions): Start {
  const credential = credentialOf(options);
  const inHeaders = options.credentialIn === 'headers';
  return (sink) => {
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
  const results: UntypedData[] = [];
  let settle: (end: StreamEnd) => void = () => {};
  const ended = new Promise<StreamEnd>((resolve) => {
    settle = resolve;
  });
  let opened: () => void = () => {};
  const openedPromise = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const start =
    transport === 'sse' ? startSse(target.url, payload, options) : startWs(target.wsUrl, payload, options);
  const stop = start({
    opened: () => opened(),
    next: (value) => results.push(value),
    error: (error) => settle({ error }),
    complete: () => settle({}),
  });
  const events = () =>
    results.flatMap((result) => {
      const event = result?.data?.systemHookEventReceived;
      return event ? [event] : [];
    });
  return {
    results,
    get events() {
      return events();
    },
    opened: openedPromise,
    ended,
    async waitForEvents(count, timeoutMs = WAIT_MS) {
      await until(
        () => events().length >= count,
        () => `${count} events over ${transport}; got ${JSON.stringify(results)}`,
        timeoutMs,
      );
      return events();
    },
    waitForEnd: (timeoutMs = WAIT_MS) => within(ended, `the end of the stream over ${transport}`, timeoutMs),
    close: stop,
  };
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
  await until(
    () => store.status().subscribers === remaining,
    () => `${remaining} subscriptions left; the store has ${store.status().subscribers}`,
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
  const inResults = subscriber.results.flatMap((result) => result?.errors ?? []);
  const atEnd = Array.isArray(end?.error) ? (end.error as UntypedData[]) : [];
  return [...inResults, ...atEnd];
}
