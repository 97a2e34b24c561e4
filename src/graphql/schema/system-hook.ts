import { SYSTEM_HOOKS } from '../../upstream/hook-scope.ts';
import { GITLAB_MAX_PER_PAGE, type HookDto, type KeyDto } from '../../upstream/types.ts';
import { badUserInput } from '../errors.ts';
import { upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { resolveSystemHookReference } from './federation.ts';
import { encodeGlobalId, parseSystemHookId } from './global-id.ts';
import { DEFAULT_PAGE_SIZE } from './page-window.ts';
import { COUNT_LIMIT, resolveSystemHookPage } from './system-hook-connection.ts';

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

function isHookDto(value: unknown): value is HookDto {
  return typeof value === 'object' && value !== null && 'created_at' in value && 'url' in value;
}

export const SystemHook = builder.objectRef<HookDto>('SystemHook');

// A Relay node declared as an object implementing `Node`, not with `builder.node`: that one resolves `id`
// asynchronously, which makes graphql-js await every hook of a list (a promise per object); encoding the global ID
// needs no await.
builder.objectType(SystemHook, {
  description:
    'An instance-wide webhook (system hook) that GitLab calls on system events. Secrets (the token, URL-variable ' +
    'values and custom-header values) can be written but are never returned.',
  interfaces: [builder.nodeInterfaceRef()],
  isTypeOf: isHookDto,
  fields: (t) => ({
    id: t.id({
      description: 'Global ID of the hook, `gid://gitlab/SystemHook/<id>`.',
      resolve: (hook) => encodeGlobalId('SystemHook', hook.id),
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
    pushEvents: t.exposeBoolean('push_events', { description: 'Whether push events trigger the hook.' }),
    tagPushEvents: t.exposeBoolean('tag_push_events', {
      description: 'Whether tag push events trigger the hook.',
    }),
    mergeRequestsEvents: t.exposeBoolean('merge_requests_events', {
      description: 'Whether merge request events trigger the hook.',
    }),
    repositoryUpdateEvents: t.exposeBoolean('repository_update_events', {
      description: 'Whether repository update events trigger the hook.',
    }),
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
      description: 'End of a temporary disablement; null for system hooks, which are never disabled.',
      resolve: (h) => h.disabled_until ?? null,
    }),
    urlVariables: t.field({
      type: [WebhookUrlVariable],
      description: 'URL variables of the hook, keys only (GitLab 15.2+).',
      resolve: (h) => h.url_variables ?? [],
    }),
    customHeaders: t.field({
      type: [WebhookCustomHeader],
      description: 'Custom headers sent with each delivery, names only (GitLab 17+).',
      resolve: (h) => h.custom_headers ?? [],
    }),
    customWebhookTemplate: t.string({
      nullable: true,
      description: 'Custom payload template; not settable through the system hooks API.',
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
    organizationId: t.int({
      nullable: true,
      description: 'Organization the hook was created in (GitLab 18+).',
      resolve: (h) => h.organization_id ?? null,
    }),
  }),
});

// A Federation entity keyed by its global ID; other subgraphs extend it, and `_entities` reads it like `nodes`.
builder.asEntity(SystemHook, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: resolveSystemHookReference,
});

builder.queryField('systemHook', (t) =>
  t.field({
    type: SystemHook,
    nullable: true,
    description:
      'One system hook by global ID (or REST id); null when it does not exist. REST: GET /api/v4/hooks/:id',
    extensions: upstreamCalls(1),
    args: {
      id: t.arg.id({
        required: true,
        description: 'Global ID `gid://gitlab/SystemHook/<id>`, or the REST id.',
      }),
    },
    resolve: (_root, args, ctx) => ctx.hooks(SYSTEM_HOOKS).loader.load(parseSystemHookId(String(args.id))),
  }),
);

builder.queryField('node', (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: 'Any object by global ID; null when it does not exist. REST: GET /api/v4/hooks/:id',
    extensions: upstreamCalls(1),
    args: { id: t.arg.id({ required: true, description: 'A global ID.' }) },
    resolve: (_root, args, ctx) => ctx.hooks(SYSTEM_HOOKS).loader.load(parseSystemHookId(String(args.id))),
  }),
);

builder.queryField('nodes', (t) =>
  t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description:
      `Objects by global ID, in the order asked, null for each that does not exist; at most ${GITLAB_MAX_PER_PAGE} IDs. ` +
      'Batched: the fewest upstream calls cover them all. REST: GET /api/v4/hooks/:id, batched',
    // Ids above 10,000 are read one call each: the walk of the list would need more pages than ids.
    extensions: upstreamCalls({ perItemOf: 'ids', max: GITLAB_MAX_PER_PAGE }),
    args: {
      ids: t.arg.idList({ required: true, description: `Global IDs, at most ${GITLAB_MAX_PER_PAGE}.` }),
    },
    resolve: (_root, args, ctx) => {
      if (args.ids.length > GITLAB_MAX_PER_PAGE) {
        throw badUserInput(`nodes takes at most ${GITLAB_MAX_PER_PAGE} IDs, got ${args.ids.length}`);
      }
      // Every ID is checked before any is loaded, so one bad ID costs no upstream call.
      const ids = args.ids.map((id) => parseSystemHookId(String(id)));
      return ids.map((id) => ctx.hooks(SYSTEM_HOOKS).loader.load(id));
    },
  }),
);

builder.queryField('systemHooks', (t) =>
  t.connection(
    {
      type: SystemHook,
      description:
        `System hooks in creation (id) order; pages of at most ${GITLAB_MAX_PER_PAGE}, ${DEFAULT_PAGE_SIZE} by default. ` +
        'REST: GET /api/v4/hooks',
      // Two pages, and one more to learn the list's length for `last` without `before`.
      extensions: upstreamCalls(3),
      resolve: (_root, args, ctx) => resolveSystemHookPage(ctx, args),
    },
    {
      name: 'SystemHookConnection',
      description: 'A page of system hooks.',
      fields: (c) => ({
        count: c.int({
          description: `Number of system hooks in all (REST: \`X-Total\`); ${COUNT_LIMIT + 1} when GitLab reports more than ${COUNT_LIMIT}.`,
          resolve: (connection) => connection.count,
        }),
      }),
    },
    { name: 'SystemHookEdge', description: 'A system hook and its cursor.' },
  ),
);
