/**
 * What a delivery's headers and body say about it, read defensively: every header value is bounded and checked
 * before it is stored, and one that fails the check is stored as `null` (or, for an id, replaced by its hash).
 * Nothing here reads a credential header.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { HeaderReader } from '../http/request-headers.ts';
import { eventNameOf } from './catalogue.ts';
import type { SystemHookEventInput, WebhookVerification } from './types.ts';

/** Visible ASCII without spaces, as GitLab's UUIDs are; longer or other ids are hashed or dropped. */
const PLAIN_ID = /^[\x21-\x7e]{1,200}$/;
const EVENT_NAME = /^[\x20-\x7e]{1,200}$/;
/** `User-Agent: GitLab/17.1.0-pre`, `GitLab/18.6.5-ee`. */
const GITLAB_USER_AGENT = /^GitLab\/([0-9][0-9A-Za-z.+-]{0,63})(?:\s|$)/;
const MAX_INSTANCE_LENGTH = 1024;

/**
 * The prefixes of the ids the receiver makes itself for deliveries that carry none. A sender's id never keeps
 * one (it is hashed, as an odd id is), so that no sender can claim in advance the id of a delivery it did not
 * send, such as a predictable body's.
 */
const ATTEMPT_PREFIX = 'attempt-sha256:';
const UNIDENTIFIED_PREFIX = 'unidentified:';

function sha256Hex(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** A sender's id as it is stored: as sent when plain, else (too long, odd characters, a reserved prefix) hashed. */
function senderId(value: string): string {
  const plain =
    PLAIN_ID.test(value) && !value.startsWith(ATTEMPT_PREFIX) && !value.startsWith(UNIDENTIFIED_PREFIX);
  return plain ? value : `sha256:${sha256Hex(value)}`;
}

/**
 * `webhook-id`, else `Idempotency-Key` (GitLab sends the same value in both, stable across retries and resends).
 * GitLab before 17.4 sends neither, and nothing of such a delivery tells a repeat from a new event with the same
 * bytes (a blocked user failing to sign in twice is two identical bodies), so its id names the HTTP attempt
 * instead: the hash of `X-Gitlab-Webhook-UUID` (new on every attempt, from GitLab 16.2) and the body, which only
 * the very same request sent again repeats. Without that either (GitLab before 16.2), every delivery is new.
 */
function deliveryIdOf(headers: HeaderReader, body: Uint8Array): string {
  for (const name of ['webhook-id', 'idempotency-key']) {
    const value = headers.get(name);
    if (value) return senderId(value);
  }
  const attempt = plainIdOf(headers.get('x-gitlab-webhook-uuid'));
  if (attempt !== null) return `${ATTEMPT_PREFIX}${sha256Hex(attempt, '\n', body)}`;
  return `${UNIDENTIFIED_PREFIX}${randomUUID()}`;
}

/** GitLab's discriminator as the catalogue reads it, when it is printable and bounded; else `unknown`. */
function storedEventName(payload: Record<string, unknown>): string {
  const name = eventNameOf(payload);
  return name !== null && EVENT_NAME.test(name) ? name : 'unknown';
}

function gitlabVersionOf(userAgent: string | null): string | null {
  return (userAgent && GITLAB_USER_AGENT.exec(userAgent)?.[1]) || null;
}

/**
 * The last `X-Gitlab-Instance` checked and its answer. A gateway hears from one GitLab, or a few, so the header
 * repeats from one delivery to the next, and parsing it as a URL on each was a measurable part of a delivery.
 */
let lastInstance: { value: string | null; stored: string | null } = { value: null, stored: null };

/** `X-Gitlab-Instance` as sent, when it is an absolute http(s) URL of reasonable length. */
function instanceOf(value: string | null): string | null {
  if (value !== lastInstance.value) lastInstance = { value, stored: checkedInstance(value) };
  return lastInstance.stored;
}

function checkedInstance(value: string | null): string | null {
  if (!value || value.length > MAX_INSTANCE_LENGTH || !/^[\x21-\x7e]+$/.test(value)) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
}

function plainIdOf(value: string | null): string | null {
  return value !== null && PLAIN_ID.test(value) ? value : null;
}

export interface AcceptedDelivery {
  headers: HeaderReader;
  body: Uint8Array;
  payload: Record<string, unknown>;
  verifiedBy: WebhookVerification;
  receivedAt: Date;
}

/** The event a verified delivery becomes. */
export function eventOfDelivery({
  headers,
  body,
  payload,
  verifiedBy,
  receivedAt,
}: AcceptedDelivery): SystemHookEventInput {
  return {
    deliveryId: deliveryIdOf(headers, body),
    eventName: storedEventName(payload),
    receivedAt: receivedAt.toISOString(),
    verifiedBy,
    instance: instanceOf(headers.get('x-gitlab-instance')),
    gitlabVersion: gitlabVersionOf(headers.get('user-agent')),
    eventUuid: plainIdOf(headers.get('x-gitlab-event-uuid')),
    attemptId: plainIdOf(headers.get('x-gitlab-webhook-uuid')),
    bodyBytes: body.byteLength,
    payload,
  };
}
