/**
 * The system hook receiver: a fetch-API handler for `POST /webhooks/system-hooks` that verifies a delivery,
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
 */

import { eventOfDelivery } from '../events/delivery-metadata.ts';
import { EventStoreUnavailableError } from '../events/errors.ts';
import type { EventStore } from '../events/event-store.ts';
import { nestsDeeperThan } from '../events/json-nesting.ts';
import type { SystemHookEventInput } from '../events/types.ts';
import { createWebhookVerifier, type WebhookVerifierOptions } from '../events/verification.ts';
import { BodyReadTimeoutError, readAtMost } from './request-body.ts';

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
  onRefused?: ((reason: ReceiverRefusal, request: Request) => void) | undefined;
  /** Called once per accepted delivery (duplicates included), after the store has it; for counting. */
  onAccepted?:
    | ((event: SystemHookEventInput, outcome: { duplicate: boolean }, request: Request) => void)
    | undefined;
  /**
   * The clock, in milliseconds since the epoch.
   * @default Date.now
   */
  now?: (() => number) | undefined;
}

const STATUS: Record<
  ReceiverRefusal,
  { status: number; text: string | null; headers?: Record<string, string> }
> = {
  method: { status: 405, text: 'Only POST is accepted here.', headers: { allow: 'POST' } },
  content_type: { status: 415, text: 'The body must be uncompressed application/json.' },
  too_large: { status: 413, text: 'The body is too large.' },
  unauthenticated: { status: 401, text: null },
  malformed: { status: 400, text: 'The body must be a JSON object.' },
  too_deep: { status: 400, text: 'The body nests arrays and objects too deeply.' },
  timeout: {
    status: 408,
    text: 'The body did not arrive in time.',
    headers: { connection: 'close' },
  },
  busy: {
    status: 503,
    text: 'Too many deliveries are being read; try again shortly.',
    headers: { 'retry-after': '1', connection: 'close' },
  },
  unavailable: { status: 503, text: 'Events cannot be accepted now.' },
};

/** `application/json`, optionally with parameters such as `charset=utf-8`. */
const JSON_MEDIA_TYPE = /^application\/json[ \t]*(?:;|$)/i;

function isUncompressedJson(headers: Headers): boolean {
  const encoding = headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return false;
  return JSON_MEDIA_TYPE.test(headers.get('content-type')?.trim() ?? '');
}

function declaredTooLarge(headers: Headers, limit: number): boolean {
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

export function createSystemHookReceiver(
  options: SystemHookReceiverOptions,
): (request: Request) => Promise<Response> {
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

  function refuse(reason: ReceiverRefusal, request: Request): Response {
    options.onRefused?.(reason, request);
    const { status, text, headers } = STATUS[reason];
    return new Response(text, {
      status,
      headers: text === null ? headers : { 'content-type': 'text/plain; charset=utf-8', ...headers },
    });
  }

  async function store(event: SystemHookEventInput, request: Request): Promise<Response> {
    let duplicate: boolean;
    try {
      ({ duplicate } = await options.store.append(event));
    } catch (error) {
      if (error instanceof EventStoreUnavailableError) return refuse('unavailable', request);
      throw error;
    }
    options.onAccepted?.(event, { duplicate }, request);
    return new Response(null, { status: 204 });
  }

  /** The refusal the headers alone decide, or the verdict that lets reading the body begin. */
  function checkHeaders(request: Request): ReceiverRefusal | 'TOKEN' | 'needs-body' {
    if (request.method !== 'POST') return 'method';
    if (!isUncompressedJson(request.headers)) return 'content_type';
    const verdict = verifier.checkHeaders(request.headers);
    if (verdict === 'refused') return 'unauthenticated';
    return declaredTooLarge(request.headers, maxBodyBytes) ? 'too_large' : verdict;
  }

  /** The body within the limit and the deadline, or why not; counted among the bodies being read meanwhile. */
  async function readBody(request: Request): Promise<Uint8Array | ReceiverRefusal> {
    bodiesBeingRead += 1;
    try {
      return (await readAtMost(request.body, maxBodyBytes, readTimeoutMs)) ?? 'too_large';
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

  return async function receive(request: Request): Promise<Response> {
    const verdict = checkHeaders(request);
    if (verdict !== 'TOKEN' && verdict !== 'needs-body') return refuse(verdict, request);
    if (bodiesBeingRead >= maxConcurrentBodies) return refuse('busy', request);
    const { headers } = request;
    const receivedAt = new Date(now());
    const body = await readBody(request);
    if (typeof body === 'string') return refuse(body, request);
    const verifiedBy = verdict === 'TOKEN' ? verdict : verifier.checkSignature(headers, body);
    if (verifiedBy === 'refused') return refuse('unauthenticated', request);
    const payload = payloadOf(body);
    if (typeof payload === 'string') return refuse(payload, request);
    return store(eventOfDelivery({ headers, body, payload, verifiedBy, receivedAt }), request);
  };
}
