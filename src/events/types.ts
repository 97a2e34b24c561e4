/**
 * The shapes the event core hands around: a delivery the receiver accepted, and the same event once a store has
 * given it a cursor. No GraphQL here; the schema reads `SystemHookEventSource`.
 */

/** How a delivery proved that it came from GitLab: its `X-Gitlab-Token`, or its Standard Webhooks signature. */
export type WebhookVerification = 'TOKEN' | 'SIGNATURE';

/** A delivery the receiver accepted, before a store gives it a cursor. */
export interface SystemHookEventInput {
  /**
   * `webhook-id`, else `Idempotency-Key` (`sha256:<hex>` of it when it is not a plain id); without either,
   * `attempt-sha256:<hex>` of `X-Gitlab-Webhook-UUID` and the body, else `unidentified:<random UUID>`.
   */
  deliveryId: string;
  /** The payload's `event_name`, else its `object_kind`, else `unknown`. */
  eventName: string;
  /** When the receiver accepted the delivery, ISO 8601 in UTC. */
  receivedAt: string;
  verifiedBy: WebhookVerification;
  /** `X-Gitlab-Instance`, GitLab's base URL, when sent and well formed. */
  instance: string | null;
  /** From `User-Agent: GitLab/<version>`, when sent that way. */
  gitlabVersion: string | null;
  /** `X-Gitlab-Event-UUID`: shared by every delivery of one webhook chain; not a delivery id. */
  eventUuid: string | null;
  /** `X-Gitlab-Webhook-UUID`: new on every HTTP attempt, for matching GitLab's hook log. */
  attemptId: string | null;
  /** Size of the request body in bytes; what backlogs and retention are measured in. */
  bodyBytes: number;
  /** The body exactly as GitLab sent it, parsed. */
  payload: Record<string, unknown>;
}

/** A stored event, as subscribers receive it. */
export interface SystemHookEventSource extends SystemHookEventInput {
  /** Opaque position in the store's order; pass it as `after` to resume after this event. */
  cursor: string;
}
