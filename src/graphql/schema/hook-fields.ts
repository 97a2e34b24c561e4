import type { FieldMap } from '@pothos/core';
import type { HookScopeTypes } from '../../upstream/hook-scope.ts';
import type { HookDto, KeyDto } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import { upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { encodeGlobalId } from './global-id.ts';
import type { HookResource } from './hook-resource.ts';

/**
 * What every scope's hook object type holds, as GitLab's `API::Entities::Hook` renders it: the enums and key
 * types the scopes share, the base fields, and the fields of each event flag a scope lists.
 */

const BRANCH_FILTER_STRATEGIES = {
  WILDCARD: { value: 'wildcard', description: 'Wildcard pattern such as `release/*` (REST: `wildcard`).' },
  REGEX: { value: 'regex', description: 'RE2 regular expression (REST: `regex`).' },
  ALL_BRANCHES: {
    value: 'all_branches',
    description: 'Every branch; the filter is ignored (REST: `all_branches`).',
  },
} as const;

const ALERT_STATUSES = {
  EXECUTABLE: { value: 'executable', description: 'Deliveries are made (REST: `executable`).' },
  TEMPORARILY_DISABLED: {
    value: 'temporarily_disabled',
    description: 'Disabled until `disabledUntil` after failures (REST: `temporarily_disabled`).',
  },
  DISABLED: { value: 'disabled', description: 'Disabled after repeated failures (REST: `disabled`).' },
} as const;

export const WebhookBranchFilterStrategy = builder.enumType('WebhookBranchFilterStrategy', {
  description: 'How `pushEventsBranchFilter` is matched against branch names.',
  values: BRANCH_FILTER_STRATEGIES,
});

const WebhookAlertStatus = builder.enumType('WebhookAlertStatus', {
  description: 'Whether GitLab is delivering to the hook. System hooks are never disabled automatically.',
  values: ALERT_STATUSES,
});

/** The REST values of an enum's table. */
const restValues = (table: Record<string, { value: string }>): ReadonlySet<string> =>
  new Set(Object.values(table).map((entry) => entry.value));
const KNOWN_BRANCH_FILTER_STRATEGIES = restValues(BRANCH_FILTER_STRATEGIES);
const KNOWN_ALERT_STATUSES = restValues(ALERT_STATUSES);

/**
 * `value` when the gateway knows it, GitLab's default when it is absent (a GitLab older than the field), and null
 * for a value only a newer GitLab knows. GitLab's own GraphQL adds such a value to its enum; the gateway cannot
 * name it in advance, and an invented value would also be offered as input. So the field is nullable, and
 * null means "a value this gateway does not know": the hook is still served, and REST shows the value.
 */
function knownOr<T extends string>(value: string | null | undefined, known: ReadonlySet<string>, absent: T) {
  if (value === null || value === undefined) return absent;
  return known.has(value) ? (value as T) : null;
}

const NEWER_VALUE =
  'Null when GitLab holds a value this gateway does not know (a GitLab newer than the gateway).';

const WebhookUrlVariable = builder.objectRef<KeyDto>('WebhookUrlVariable').implement({
  description: 'A URL variable of a hook. Only its key is readable: values are write-only secrets.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Name of the variable, as referenced by `{key}` in the URL.' }),
  }),
});

const WebhookCustomHeader = builder.objectRef<KeyDto>('WebhookCustomHeader').implement({
  description:
    'A custom HTTP header sent with each delivery. Only its name is readable: values are write-only.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Name of the header.' }),
  }),
});

/**
 * What a user calls the events each flag selects, for the fields' and inputs' descriptions. A scope's new flags add
 * theirs here.
 */
const EVENT_NOUNS: Readonly<Record<string, string>> = {
  push_events: 'push',
  tag_push_events: 'tag push',
  merge_requests_events: 'merge request',
  repository_update_events: 'repository update',
  issues_events: 'issue',
  confidential_issues_events: 'confidential issue',
  note_events: 'comment',
  confidential_note_events: 'confidential comment',
  pipeline_events: 'pipeline',
  wiki_page_events: 'wiki page',
  deployment_events: 'deployment',
  feature_flag_events: 'feature flag',
  job_events: 'job',
  releases_events: 'release',
  milestone_events: 'milestone',
  emoji_events: 'emoji',
  resource_access_token_events: 'expiring access token',
  resource_deploy_token_events: 'expiring deploy token',
  vulnerability_events: 'vulnerability',
  member_events: 'group member',
  subgroup_events: 'subgroup',
  project_events: 'project',
};

/** A flag's GraphQL name, its REST name in camelCase: `merge_requests_events` is `mergeRequestsEvents`. */
export function flagFieldName(flag: string): string {
  return flag.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The noun of a flag's events; a flag without one is a mistake in the scope's definition. */
export function eventNoun(flag: string): string {
  const noun = EVENT_NOUNS[flag];
  if (noun === undefined) throw new Error(`No description of the events of the flag ${flag}`);
  return noun;
}

export function isHookDto(value: unknown): value is HookDto {
  return typeof value === 'object' && value !== null && 'created_at' in value && 'url' in value;
}

/** Whether a hook entity is one that lives under `idField`'s parent (`project_id`), or under none. */
export function isHookUnder(value: unknown, idField: string | undefined): boolean {
  if (!isHookDto(value)) return false;
  const under = (field: string) => field in value;
  return idField === undefined ? !under('project_id') && !under('group_id') : under(idField);
}

type Types = typeof builder.$inferSchemaTypes;
export type HookFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<Types, HookDto>;
/** A builder of the fields every hook type has: an object type's, or the `Webhook` interface's. */
type BaseFieldBuilder = PothosSchemaTypes.FieldBuilder<Types, HookDto, 'Object' | 'Interface'>;

/** What the base fields of one type say and do that differs between the scopes and the interface. */
export interface BaseFieldOptions {
  /** The global ID's form, in `id`'s description: `gid://gitlab/SystemHook/<id>`. */
  readonly idForm: string;
  globalId(hook: HookDto): string;
  readonly descriptions: { readonly disabledUntil: string; readonly customWebhookTemplate: string };
  /**
   * The hook's URL variables and custom headers when its entity lacks them (a project's list), read whole.
   * @default none: an entity without them has none
   */
  whole?(hook: HookDto, ctx: GatewayContext): Promise<HookDto | null>;
}

/** A Boolean field for each of the scope's event flags. */
function eventFlagFields(t: BaseFieldBuilder, flags: readonly string[]): FieldMap {
  const fields: FieldMap = {};
  for (const flag of flags) {
    // The scope's types make every flag a Boolean of its hooks, which this builder over `HookDto` cannot see.
    fields[flagFieldName(flag)] = t.exposeBoolean(flag as 'push_events', {
      description: `Whether ${eventNoun(flag)} events trigger the hook.`,
    });
  }
  return fields;
}

/** The fields of a scope's hook object type: the base entity's, its event flags', and its own. */
export function hookFields<T extends HookScopeTypes>(t: HookFieldBuilder, resource: HookResource<T>) {
  const { scope } = resource;
  const idForm = `gid://gitlab/${scope.model}/<id>${idQueryForm(resource.idParams ?? [])}`;
  const options: BaseFieldOptions = {
    idForm,
    globalId: (hook) => encodeGlobalId(scope.model, hook.id, resource.idParamsOf?.(hook as T['hook'])),
    descriptions: resource.descriptions,
    whole: resource.whole,
  };
  return {
    ...baseHookFields(t, options),
    ...eventFlagFields(t, scope.eventFlags),
    ...resource.fields?.(t),
  };
}

/** The query string of a scope's global IDs, as descriptions show it: `?project_id=<project_id>`. */
export function idQueryForm(params: readonly string[]): string {
  return params.length > 0 ? `?${params.map((param) => `${param}=<${param}>`).join('&')}` : '';
}

/** The keys of a hook's URL variables or custom headers, read whole when its entity lacks them. */
function keysOf(
  hook: HookDto,
  ctx: GatewayContext,
  field: 'url_variables' | 'custom_headers',
  whole: BaseFieldOptions['whole'],
): KeyDto[] | Promise<KeyDto[]> {
  const keys = hook[field];
  if (keys !== undefined && keys !== null) return keys;
  if (!whole || keys === null) return [];
  return whole(hook, ctx).then((read) => read?.[field] ?? []);
}

/** The fields every hook has, which the `Webhook` interface declares. */
export function baseHookFields(t: BaseFieldBuilder, options: BaseFieldOptions) {
  const { descriptions, whole } = options;
  return {
    id: t.id({
      description: `Global ID of the hook, \`${options.idForm}\`.`,
      resolve: (hook) => options.globalId(hook),
    }),
    url: t.exposeString('url', {
      description: 'The stored URL template, with `{variable}` placeholders kept, as REST returns it.',
    }),
    name: t.string({
      nullable: true,
      description: 'Name of the hook (GitLab 17.1+).',
      resolve: (h) => h.name ?? null,
    }),
    description: t.string({
      nullable: true,
      description: 'Description of the hook (GitLab 17.1+).',
      resolve: (h) => h.description ?? null,
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When the hook was created.',
      resolve: (h) => h.created_at,
    }),
    ...eventFlagFields(t, ['push_events', 'tag_push_events', 'merge_requests_events']),
    enableSslVerification: t.exposeBoolean('enable_ssl_verification', {
      description: 'Whether TLS certificates are verified on delivery.',
    }),
    pushEventsBranchFilter: t.string({
      nullable: true,
      description: 'Branches whose pushes trigger the hook, matched as `branchFilterStrategy` says.',
      resolve: (h) => h.push_events_branch_filter ?? null,
    }),
    branchFilterStrategy: t.field({
      type: WebhookBranchFilterStrategy,
      nullable: true,
      description: `How \`pushEventsBranchFilter\` is matched. ${NEWER_VALUE}`,
      resolve: (h) => knownOr(h.branch_filter_strategy, KNOWN_BRANCH_FILTER_STRATEGIES, 'wildcard'),
    }),
    alertStatus: t.field({
      type: WebhookAlertStatus,
      nullable: true,
      description: `Whether GitLab is delivering to the hook. ${NEWER_VALUE}`,
      resolve: (h) => knownOr(h.alert_status, KNOWN_ALERT_STATUSES, 'executable'),
    }),
    disabledUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: descriptions.disabledUntil,
      resolve: (h) => h.disabled_until ?? null,
    }),
    urlVariables: t.field({
      type: [WebhookUrlVariable],
      description: 'URL variables of the hook, keys only (GitLab 15.2+).',
      ...(whole ? { extensions: upstreamCalls(1) } : {}),
      resolve: (h, _args, ctx) => keysOf(h, ctx, 'url_variables', whole),
    }),
    customHeaders: t.field({
      type: [WebhookCustomHeader],
      description: 'Custom headers sent with each delivery, names only (GitLab 17+).',
      ...(whole ? { extensions: upstreamCalls(1) } : {}),
      resolve: (h, _args, ctx) => keysOf(h, ctx, 'custom_headers', whole),
    }),
    customWebhookTemplate: t.string({
      nullable: true,
      description: descriptions.customWebhookTemplate,
      resolve: (h) => h.custom_webhook_template ?? null,
    }),
    tokenPresent: t.boolean({
      nullable: true,
      description:
        'Whether the hook has a secret token (`X-Gitlab-Token`); null when GitLab does not say (before 19.0).',
      resolve: (h) => h.token_present ?? null,
    }),
    signingTokenPresent: t.boolean({
      nullable: true,
      description:
        'Whether the hook has a signing token, so that deliveries carry `webhook-signature`; null when GitLab does ' +
        'not say (before 19.0).',
      resolve: (h) => h.signing_token_present ?? null,
    }),
  };
}
