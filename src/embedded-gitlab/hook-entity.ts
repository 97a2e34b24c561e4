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

/** The scope's flags beyond the base entity's that exist in the version played, in the entity's order. */
function entityFlags(scope: HookScope, gitlabVersion: string): { param: string; attr: string }[] {
  const flags = scope.attributes.filter(
    ({ param, trigger, since }) =>
      trigger !== undefined &&
      !BASE_FLAG_PARAMS.has(param) &&
      (since === undefined || atLeast(gitlabVersion, since)),
  );
  const order = scope.entityFlags;
  if (order === undefined) return flags;
  return order.flatMap((param) => flags.filter((flag) => flag.param === param));
}

/** How the entity is presented: a list of project hooks omits the key-value lists (`with_url_variables: false`). */
export interface EntityOptions {
  list?: boolean;
  /**
   * The hook's auto-disabling state (project and group hooks): `alert_status` and `disabled_until` (ISO 8601).
   * Without it, the stored `alert_status` and no `disabled_until`.
   */
  alert?: { status: string; disabledUntil: string | null };
}

/**
 * A hook of `scope` as its entity, in the newest field order. GitLab 19.0 adds `token_present` and
 * `signing_token_present` (their place in the order is UNCONFIRMED).
 */
export function toEntity(
  scope: HookScope,
  hook: StoredHook,
  gitlabVersion: string,
  options: EntityOptions = {},
): Record<string, unknown> {
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
  const keyValues = !(options.list === true && scope.listOmitsKeyValues === true);
  entity.alert_status = options.alert?.status ?? hook.alertStatus;
  entity.disabled_until = options.alert?.disabledUntil ?? null;
  if (keyValues) entity.url_variables = Object.keys(hook.urlVariables).map((key) => ({ key }));
  entity.push_events_branch_filter = hook.pushEventsBranchFilter;
  entity.branch_filter_strategy = hook.branchFilterStrategy;
  entity.custom_webhook_template = null;
  if (keyValues) entity.custom_headers = Object.keys(hook.customHeaders).map((key) => ({ key }));
  if (scope.parentField !== undefined) entity[scope.parentField] = hook.parentId;
  const values = byName(hook);
  for (const { param, attr } of entityFlags(scope, gitlabVersion)) entity[param] = values[attr] ?? null;
  if (atLeast(gitlabVersion, SINCE.standardWebhooks)) {
    entity.token_present = isPresent(hook.token);
    entity.signing_token_present = isPresent(hook.signingToken);
  }
  return entity;
}
