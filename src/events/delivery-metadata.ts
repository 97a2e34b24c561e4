/**
 * What a delivery's headers and body say about it, read defensively: every header value is bounded and checked
 * before it is stored, and one that fails the check is stored as `null` (or, for an id, replaced by its hash).
 * Nothing here reads a credential header.
 */
import { createHash } from 'node:crypto';
import { eventNameOf } from './catalogue.ts';
import type { SystemHookEventInput, WebhookVerification } from './types.ts';

/** Visible ASCII without spaces, as GitLab's UUIDs are; longer or other ids are hashed or dropped. */
const PLAIN_ID = /^[\x21-\x7e]{1,200}$/;
const EVENT_NAME = /^[\x20-\x7e]{1,200}$/;
/** `User-Agent: GitLab/17.1.0-pre`, `GitLab/18.6.5-ee`. */
const GITLAB_USER_AGENT = /^GitLab\/([0-9][0-9A-Za-z.+-]{0,63})(?:\s|$)/;
const MAX_INSTANCE_LENGTH = 1024;

function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * `webhook-id`, else `Idempotency-Key` (GitLab sends the same value in both, stable across retries and resends),
 * else the body's hash (GitLab before 17.4 sends no id). An id longer than 200 characters, or with spaces,
 * control or non-ASCII characters, is replaced by its hash, so that what is stored stays bounded and printable.
 */
function deliveryIdOf(headers: Headers, body: Uint8Array): string {
  for (const name of ['webhook-id', 'idempotency-key']) {
    const value = headers.get(name);
    if (value) return PLAIN_ID.test(value) ? value : sha256(value);
  }
  return sha256(body);
}

/** GitLab's discriminator as the catalogue reads it, when it is printable and bounded; else `unknown`. */
function storedEventName(payload: Record<string, unknown>): string {
  const name = eventNameOf(payload);
  return name !== null && EVENT_NAME.test(name) ? name : 'unknown';
}

function gitlabVersionOf(userAgent: string | null): string | null {
  return (userAgent && GITLAB_USER_AGENT.exec(userAgent)?.[1]) || null;
}

/** `X-Gitlab-Instance` as sent, when it is an absolute http(s) URL of reasonable length. */
function instanceOf(value: string | null): string | null {
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
  headers: Headers;
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
