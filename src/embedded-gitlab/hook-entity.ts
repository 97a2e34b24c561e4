/**
 * `API::Entities::Hook` (docs/gitlab-contract.md §3), written once over a scope: the base entity, the
 * `organization_id` of a scope in an organization, then the event flags the scope adds. Never a token, a signing
 * token or any value.
 */
import { atLeast, SINCE } from './gitlab-version.ts';
import type { StoredHook } from './hook-model.ts';
import { byName } from './hook-model.ts';
import type { HookScope } from './hook-scope.ts';

/** The flags `API::Entities::Hook` itself exposes, for every scope (false where a scope has no such column). */
const BASE_FLAGS = [
  ['push_events', 'pushEvents'],
  ['tag_push_events', 'tagPushEvents'],
  ['merge_requests_events', 'mergeRequestsEvents'],
  ['repository_update_events', 'repositoryUpdateEvents'],
] as const;
const BASE_FLAG_PARAMS: ReadonlySet<string> = new Set(BASE_FLAGS.map(([param]) => param));

/** Ruby's `present?` for a string: not nil and not only whitespace. */
const isPresent = (value: string | null): boolean => value !== null && value.trim() !== '';

/**
 * A hook of `scope` as its entity, in the newest field order. GitLab 19.0 adds `token_present` and
 * `signing_token_present` (their place in the order is UNCONFIRMED).
 */
export function toEntity(scope: HookScope, hook: StoredHook, gitlabVersion: string): Record<string, unknown> {
  const entity: Record<string, unknown> = {
    id: hook.id,
    url: hook.url,
    name: hook.name,
    description: hook.description,
    created_at: hook.createdAt.toISOString(),
  };
  for (const [param, attr] of BASE_FLAGS) entity[param] = hook[attr] ?? false;
  entity.enable_ssl_verification = hook.enableSslVerification;
  if (scope.inOrganization) entity.organization_id = hook.organizationId;
  Object.assign(entity, {
    alert_status: hook.alertStatus,
    disabled_until: null,
    url_variables: Object.keys(hook.urlVariables).map((key) => ({ key })),
    push_events_branch_filter: hook.pushEventsBranchFilter,
    branch_filter_strategy: hook.branchFilterStrategy,
    custom_webhook_template: null,
    custom_headers: Object.keys(hook.customHeaders).map((key) => ({ key })),
  });
  const values = byName(hook);
  for (const { param, attr, trigger } of scope.attributes) {
    if (trigger !== undefined && !BASE_FLAG_PARAMS.has(param)) entity[param] = values[attr];
  }
  if (atLeast(gitlabVersion, SINCE.standardWebhooks)) {
    entity.token_present = isPresent(hook.token);
    entity.signing_token_present = isPresent(hook.signingToken);
  }
  return entity;
}
