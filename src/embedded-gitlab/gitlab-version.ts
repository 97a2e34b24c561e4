/**
 * The GitLab version this server plays, and the features that depend on it, so that a client can be tested
 * against a GitLab older or newer than the one it was written for.
 */

/** The first version with each feature this server emulates. */
export const SINCE = {
  /** `X-Gitlab-Webhook-UUID`, a new UUID per delivery attempt (MR !125338). */
  webhookUuidHeader: '16.2',
  /** `Idempotency-Key`, one per hook and event, the same on a retry or resend (gitlab-org/gitlab#388692). */
  idempotencyKeyHeader: '17.4',
  /**
   * Standard Webhooks: the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, the write-only
   * `signing_token` parameter, and `token_present` / `signing_token_present` in the hook entity.
   */
  standardWebhooks: '19.0',
} as const;

/** `major.minor` or `major.minor.patch`, with an optional suffix (`-pre`, `-ee`). */
const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]+)?$/;

export function isGitLabVersion(version: string): boolean {
  return VERSION.test(version);
}

function parts(version: string): number[] {
  const match = VERSION.exec(version);
  return match === null ? [0, 0, 0] : [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** Whether `version` is `minimum` or newer; a suffix does not count (`19.0.0-pre` is 19.0). */
export function atLeast(version: string, minimum: string): boolean {
  const have = parts(version);
  const need = parts(minimum);
  for (let i = 0; i < 3; i++) {
    const difference = (have[i] as number) - (need[i] as number);
    if (difference !== 0) return difference > 0;
  }
  return true;
}
