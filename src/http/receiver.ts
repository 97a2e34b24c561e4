/**
 * The system hook receiver: the one implementation of `POST /webhooks/system-hooks`, which verifies a delivery,
 * bounds and parses its body, and stores it as an event. It answers 204 as soon as the store has the event
 * (GitLab gives a receiver 10 s and never retries a system hook, so nothing waits for subscribers), and the
 * same 204 for a duplicate, which is not published again.
 *
 * Checks run cheapest first and before reading more than they need: the method (405), the content type (415),
 * the credential in the headers (a token, or a signature's id and timestamp: 401), a declared size over the
 * limit (413, answered without reading), a free place among the bodies being read (503, without reading), then
 * the body, read up to the limit (413 past it) and within the read deadline (408 past it), the signature over it
 * (401), the nesting depth (400 past `maxNestingDepth`) and the JSON (400 unless an object). Refusals have tiny
 * bodies (401 none) and never echo a header; tokens, signing secrets and `Authorization` (GitLab sends a hook
 * URL's userinfo as Basic) are never logged.
 *
 * A signed delivery can only be verified once its body is read, so anyone may send one whose headers look right:
 * the deadline and the cap on bodies read at once bound what such requests can hold (the cap times the body
 * limit, each for the deadline at most).
 *
 * `createReceiverCore` is that logic, on a `Delivery`: the method, a header reader and a way to read the body.
 * Two thin adapters feed it: `nodeDelivery` for the edge, which serves the path in its `node:http` listener
 * without Yoga (`src/http/gateway.ts`, `edgeRouteOf`), and `fetchDelivery` for the Yoga route
 * (`createSystemHookReceiver`), which `gateway.fetch` and tests that call Yoga directly go through.
 */

import type { IncomingMessage } from 'node:http';
import { eventOfDelivery } from '../events/delivery-metadata.ts';
import { EventStoreUnavailableError } from '../events/errors.ts';
import type { EventStore } from '../events/event-store.ts';
import { nestsDeeperThan } from '../events/json-nesting.ts';
import type { SystemHookEventInput } from '../events/types.ts';
import { createWebhookVerifier, type WebhookVerifierOptions } from '../events/verification.ts';
import { BodyReadTimeoutError, readAtMost, readMessageAtMost } from './request-body.ts';
import { type HeaderReader, incomingHeaders } from './request-headers.ts';

/** `MAX_WEBHOOK_BODY_BYTES`' default: GitLab's system hook payloads are a few KB; merge requests can be more. */
export const DEFAULT_MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;
/**
 * How deeply a delivery may nest arrays and objects. GitLab's payloads nest 5 levels at most (a merge request's
 * `object_attributes.last_commit.author`); past a few thousand, a payload could be stored but never serialized
 * for a subscriber.
 */
export const DEFAULT_MAX_WEBHOOK_NESTING_DEPTH = 64;
/**
 * `WEBHOOK_READ_TIMEOUT_MS`' default: GitLab sends a delivery's body at once and gives up after 10 s, so a body
 * still arriving after 15 s is not GitLab's.
 */
export const DEFAULT_WEBHOOK_READ_TIMEOUT_MS = 15_000;
/**
 * `MAX_CONCURRENT_WEBHOOK_BODIES`' default. GitLab's bodies arrive at once, so a read takes milliseconds and
 * few overlap; 32 bodies of the default 1 MiB limit hold at most 32 MiB.
 */
export const DEFAULT_MAX_CONCURRENT_WEBHOOK_BODIES = 32;

/** Why a delivery was refused: a closed set, for metrics labels. */
export type ReceiverRefusal =
  /** Not a POST: 405. */
  | 'method'
  /** Not `application/json`, or a compressed body: 415. */
  | 'content_type'
  /** Over `maxBodyBytes`: 413. */
  | 'too_large'
  /** No valid token or signature: 401. */
  | 'unauthenticated'
  /** Not a JSON object, or a body that could not be read: 400. */
  | 'malformed'
  /** JSON nested deeper than `maxNestingDepth`: 400. */
  | 'too_deep'
  /** The body did not arrive within `readTimeoutMs`: 408. */
  | 'timeout'
  /** `maxConcurrentBodies` bodies are being read already: 503, with `Retry-After`, the body not read. */
  | 'busy'
  /** The store cannot take events now (closed, or Redis away and its outage queue full): 503. */
  | 'unavailable';

export interface SystemHookReceiverOptions {
  /** Where accepted events go. */
  store: Pick<EventStore, 'append'>;
  /**
   * Accepted `X-Gitlab-Token` values (`WEBHOOK_SECRET_TOKENS`).
   * @default []
   */
  secretTokens?: WebhookVerifierOptions['secretTokens'];
  /**
   * Accepted Standard Webhooks secrets, `whsec_...` (`WEBHOOK_SIGNING_SECRETS`).
   * @default []
   */
  signingSecrets?: WebhookVerifierOptions['signingSecrets'];
  /**
   * How far `webhook-timestamp` may be from now, either way, in seconds.
   * @default DEFAULT_SIGNATURE_TOLERANCE_SECONDS (300)
   */
  signatureToleranceSeconds?: number | undefined;
  /**
   * The largest body accepted, in bytes (`MAX_WEBHOOK_BODY_BYTES`).
   * @default DEFAULT_MAX_WEBHOOK_BODY_BYTES (1 MiB)
   */
  maxBodyBytes?: number | undefined;
  /**
   * The deepest nesting of arrays and objects accepted in a body.
   * @default DEFAULT_MAX_WEBHOOK_NESTING_DEPTH (64)
   */
  maxNestingDepth?: number | undefined;
  /**
   * How long the body may take to arrive, from when the receiver has the request's headers, in milliseconds
   * (`WEBHOOK_READ_TIMEOUT_MS`).
   * @default DEFAULT_WEBHOOK_READ_TIMEOUT_MS (15 s)
   */
  readTimeoutMs?: number | undefined;
  /**
   * How many bodies may be read at once (`MAX_CONCURRENT_WEBHOOK_BODIES`); a delivery past that is refused
   * without reading its body.
   * @default DEFAULT_MAX_CONCURRENT_WEBHOOK_BODIES (32)
   */
  maxConcurrentBodies?: number | undefined;
  /** Called once per refused delivery, with why; for counting. */
  onRefused?: ((reason: ReceiverRefusal, request: DeliveryRequest) => void) | undefined;
  /** Called once per accepted delivery (duplicates included), after the store has it; for counting. */
  onAccepted?:
    | ((event: SystemHookEventInput, outcome: { duplicate: boolean }, request: DeliveryRequest) => void)
    | undefined;
  /**
   * The clock, in milliseconds since the epoch.
   * @default Date.now
   */
  now?: (() => number) | undefined;
}

/** What the receiver answers: a status, a tiny plain-text body or none, and the headers that go with them. */
export interface ReceiverAnswer {
  readonly status: number;
  readonly text: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

const PLAIN_TEXT = { 'content-type': 'text/plain; charset=utf-8' } as const;

/** Every answer the receiver gives, made once: the adapters write them as they are. */
export const RECEIVER_ANSWERS: Readonly<Record<ReceiverRefusal | 'accepted', ReceiverAnswer>> = {
  accepted: { status: 204, text: null, headers: {} },
  method: { status: 405, text: 'Only POST is accepted here.', headers: { ...PLAIN_TEXT, allow: 'POST' } },
  content_type: { status: 415, text: 'The body must be uncompressed application/json.', headers: PLAIN_TEXT },
  too_large: { status: 413, text: 'The body is too large.', headers: PLAIN_TEXT },
  unauthenticated: { status: 401, text: null, headers: {} },
  malformed: { status: 400, text: 'The body must be a JSON object.', headers: PLAIN_TEXT },
  too_deep: { status: 400, text: 'The body nests arrays and objects too deeply.', headers: PLAIN_TEXT },
  timeout: {
    status: 408,
    text: 'The body did not arrive in time.',
    headers: { ...PLAIN_TEXT, connection: 'close' },
  },
  busy: {
    status: 503,
    text: 'Too many deliveries are being read; try again shortly.',
    headers: { ...PLAIN_TEXT, 'retry-after': '1', connection: 'close' },
  },
  unavailable: { status: 503, text: 'Events cannot be accepted now.', headers: PLAIN_TEXT },
};

/**
 * One delivery as the receiver reads it, whichever server it came through: the edge's `node:http` request
 * (`nodeDelivery`) or a fetch `Request` (`fetchDelivery`, the Yoga route).
 */
export interface Delivery {
  readonly method: string;
  readonly headers: HeaderReader;
  /**
   * The body whole, or `null` once it grows past `limit` bytes; rejects with a `BodyReadTimeoutError` when
   * `timeoutMs` passes first, and with another error when it cannot be read.
   */
  readBody(limit: number, timeoutMs: number): Promise<Uint8Array | null>;
  /** The request it came as, handed to `onRefused` and `onAccepted` (for its telemetry record). */
  readonly request: DeliveryRequest;
}

/** A delivery's request as the server that took it has it. */
export type DeliveryRequest = Request | IncomingMessage;

/** A fetch `Request` as a delivery. */
function fetchDelivery(request: Request): Delivery {
  return {
    method: request.method,
    headers: request.headers,
    readBody: (limit, timeoutMs) => readAtMost(request.body, limit, timeoutMs),
    request,
  };
}

/** A `node:http` request as a delivery, its body read from the request's own events. */
export function nodeDelivery(request: IncomingMessage): Delivery {
  return {
    method: request.method ?? 'GET',
    headers: incomingHeaders(request.headers),
    readBody: (limit, timeoutMs) => readMessageAtMost(request, limit, timeoutMs),
    request,
  };
}

/** A `ReceiverAnswer` as a fetch `Response`. */
function answerResponse({ status, text, headers }: ReceiverAnswer): Response {
  return new Response(text, { status, headers });
}

/** `application/json`, optionally with parameters such as `charset=utf-8`. */
const JSON_MEDIA_TYPE = /^application\/json[ \t]*(?:;|$)/i;

function isUncompressedJson(headers: HeaderReader): boolean {
  const encoding = headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return false;
  return JSON_MEDIA_TYPE.test(headers.get('content-type')?.trim() ?? '');
}

function declaredTooLarge(headers: HeaderReader, limit: number): boolean {
  const declared = headers.get('content-length');
  return declared !== null && /^[0-9]+$/.test(declared) && Number(declared) > limit;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(body: Uint8Array): string | null {
  try {
    return utf8.decode(body);
  } catch {
    return null;
  }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * The receiver over fetch: a `Request` in, a `Response` out. The gateway's Yoga route serves it, for
 * `gateway.fetch` and anything else that hands Yoga a request without the edge (`createReceiverCore`).
 */
export function createSystemHookReceiver(
  options: SystemHookReceiverOptions,
): (request: Request) => Promise<Response> {
  return fetchReceiver(createReceiverCore(options));
}

/** A receiver core over fetch. */
export function fetchReceiver(
  receive: (delivery: Delivery) => Promise<ReceiverAnswer>,
): (request: Request) => Promise<Response> {
  return async (request) => answerResponse(await receive(fetchDelivery(request)));
}

/** The receiver itself, on a `Delivery` from either server: what it answers, once the store has the event. */
export function createReceiverCore(
  options: SystemHookReceiverOptions,
): (delivery: Delivery) => Promise<ReceiverAnswer> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_WEBHOOK_BODY_BYTES;
  const maxNestingDepth = options.maxNestingDepth ?? DEFAULT_MAX_WEBHOOK_NESTING_DEPTH;
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_WEBHOOK_READ_TIMEOUT_MS;
  const maxConcurrentBodies = options.maxConcurrentBodies ?? DEFAULT_MAX_CONCURRENT_WEBHOOK_BODIES;
  let bodiesBeingRead = 0;
  const now = options.now ?? Date.now;
  const verifier = createWebhookVerifier({
    secretTokens: options.secretTokens,
    signingSecrets: options.signingSecrets,
    toleranceSeconds: options.signatureToleranceSeconds,
    now,
  });

  function refuse(reason: ReceiverRefusal, delivery: Delivery): ReceiverAnswer {
    options.onRefused?.(reason, delivery.request);
    return RECEIVER_ANSWERS[reason];
  }

  async function store(event: SystemHookEventInput, delivery: Delivery): Promise<ReceiverAnswer> {
    let duplicate: boolean;
    try {
      ({ duplicate } = await options.store.append(event));
    } catch (error) {
      if (error instanceof EventStoreUnavailableError) return refuse('unavailable', delivery);
      throw error;
    }
    options.onAccepted?.(event, { duplicate }, delivery.request);
    return RECEIVER_ANSWERS.accepted;
  }

  /** The refusal the headers alone decide, or the verdict that lets reading the body begin. */
  function checkHeaders({ method, headers }: Delivery): ReceiverRefusal | 'TOKEN' | 'needs-body' {
    if (method !== 'POST') return 'method';
    if (!isUncompressedJson(headers)) return 'content_type';
    const verdict = verifier.checkHeaders(headers);
    if (verdict === 'refused') return 'unauthenticated';
    return declaredTooLarge(headers, maxBodyBytes) ? 'too_large' : verdict;
  }

  /** The body within the limit and the deadline, or why not; counted among the bodies being read meanwhile. */
  async function readBody(delivery: Delivery): Promise<Uint8Array | ReceiverRefusal> {
    bodiesBeingRead += 1;
    try {
      return (await delivery.readBody(maxBodyBytes, readTimeoutMs)) ?? 'too_large';
    } catch (error) {
      return error instanceof BodyReadTimeoutError ? 'timeout' : 'malformed';
    } finally {
      bodiesBeingRead -= 1;
    }
  }

  /** The JSON object a verified body carries, or why it is refused. */
  function payloadOf(body: Uint8Array): Record<string, unknown> | ReceiverRefusal {
    const text = decode(body);
    if (text === null) return 'malformed';
    if (nestsDeeperThan(text, maxNestingDepth)) return 'too_deep';
    return parseObject(text) ?? 'malformed';
  }

  return async function receive(delivery: Delivery): Promise<ReceiverAnswer> {
    const verdict = checkHeaders(delivery);
    if (verdict !== 'TOKEN' && verdict !== 'needs-body') return refuse(verdict, delivery);
    if (bodiesBeingRead >= maxConcurrentBodies) return refuse('busy', delivery);
    const { headers } = delivery;
    const receivedAt = new Date(now());
    const body = await readBody(delivery);
    if (typeof body === 'string') return refuse(body, delivery);
    const verifiedBy = verdict === 'TOKEN' ? verdict : verifier.checkSignature(headers, body);
    if (verifiedBy === 'refused') return refuse('unauthenticated', delivery);
    const payload = payloadOf(body);
    if (typeof payload === 'string') return refuse(payload, delivery);
    return store(eventOfDelivery({ headers, body, payload, verifiedBy, receivedAt }), delivery);
  };
}
