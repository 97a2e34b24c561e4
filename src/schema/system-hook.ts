import type { HookDto, KeyDto } from '../upstream/types.ts';
import { builder } from './builder.ts';
import { badUserInput } from './errors.ts';
import { resolveSystemHookReference } from './federation.ts';
import { encodeGlobalId, parseSystemHookId } from './global-id.ts';
import { applyLast, encodeCursor, MAX_PAGE_SIZE, planPages, windowRequest } from './page-window.ts';

export const WebhookBranchFilterStrategy = builder.enumType('WebhookBranchFilterStrategy', {
  description: 'How `pushEventsBranchFilter` is matched against branch names.',
  values: {
    WILDCARD: { value: 'wildcard', description: 'Wildcard pattern such as `release/*` (REST: `wildcard`).' },
    REGEX: { value: 'regex', description: 'RE2 regular expression (REST: `regex`).' },
    ALL_BRANCHES: {
      value: 'all_branches',
      description: 'Every branch; the filter is ignored (REST: `all_branches`).',
    },
  } as const,
});

export const WebhookAlertStatus = builder.enumType('WebhookAlertStatus', {
  description: 'Whether GitLab is delivering to the hook. System hooks are never disabled automatically.',
  values: {
    EXECUTABLE: { value: 'executable', description: 'Deliveries are made (REST: `executable`).' },
    TEMPORARILY_DISABLED: {
      value: 'temporarily_disabled',
      description: 'Disabled until `disabledUntil` after failures (REST: `temporarily_disabled`).',
    },
    DISABLED: { value: 'disabled', description: 'Disabled after repeated failures (REST: `disabled`).' },
  } as const,
});

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
      description: 'How `pushEventsBranchFilter` is matched.',
      resolve: (h) => h.branch_filter_strategy ?? 'wildcard',
    }),
    alertStatus: t.field({
      type: WebhookAlertStatus,
      description: 'Whether GitLab is delivering to the hook.',
      resolve: (h) => h.alert_status ?? 'executable',
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
    args: {
      id: t.arg.id({
        required: true,
        description: 'Global ID `gid://gitlab/SystemHook/<id>`, or the REST id.',
      }),
    },
    resolve: (_root, args, ctx) => ctx.loadHook(parseSystemHookId(String(args.id))),
  }),
);

builder.queryField('node', (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: 'Any object by global ID; null when it does not exist. REST: GET /api/v4/hooks/:id',
    args: { id: t.arg.id({ required: true, description: 'A global ID.' }) },
    resolve: (_root, args, ctx) => ctx.loadHook(parseSystemHookId(String(args.id))),
  }),
);

builder.queryField('nodes', (t) =>
  t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description:
      `Objects by global ID, in the order asked, null for each that does not exist; at most ${MAX_PAGE_SIZE} IDs. ` +
      'Batched: the fewest upstream calls cover them all. REST: GET /api/v4/hooks/:id, batched',
    args: { ids: t.arg.idList({ required: true, description: `Global IDs, at most ${MAX_PAGE_SIZE}.` }) },
    resolve: (_root, args, ctx) => {
      if (args.ids.length > MAX_PAGE_SIZE) {
        throw badUserInput(`nodes takes at most ${MAX_PAGE_SIZE} IDs, got ${args.ids.length}`);
      }
      // Every ID is checked before any is loaded, so one bad ID costs no upstream call.
      const ids = args.ids.map((id) => parseSystemHookId(String(id)));
      return ids.map((id) => ctx.loadHook(id));
    },
  }),
);

/** An edge of `systemHooks`; its cursor is encoded only if a query selects it. */
class HookEdge {
  constructor(
    readonly node: HookDto,
    private readonly position: number,
  ) {}

  get cursor(): string {
    return encodeCursor(this.position);
  }
}

/** GitLab's convention for a count it will not compute exactly: the limit plus one. */
const COUNT_LIMIT = 10_000;

builder.queryField('systemHooks', (t) =>
  t.connection(
    {
      type: SystemHook,
      description:
        `System hooks in creation (id) order; pages of at most ${MAX_PAGE_SIZE}, 20 by default. ` +
        'REST: GET /api/v4/hooks',
      resolve: async (_root, args, ctx) => {
        const request = windowRequest(args);
        let total: number | null = null;
        let end = request.end;
        if (end === null) {
          // `last` without `before`: the end of the list has to be known first.
          const probe = await ctx.upstream((api, options) => api.listHooks({ page: 1, perPage: 1 }, options));
          total = probe.pagination.total;
          if (total === null) {
            throw badUserInput(
              `last without before needs the list's length, which GitLab omits above ${COUNT_LIMIT}`,
            );
          }
          end = Math.max(request.start, total);
        }
        const window = applyLast(request.start, end, request.last);
        const pages = planPages(window.start, window.end);
        const listing = Promise.all(
          pages.map((page) => ctx.upstream((api, options) => api.listHooks(page, options))),
        );
        ctx.loaders.hookById.track(listing.then((results) => results.flatMap((result) => result.hooks)));
        const results = await listing;
        const firstPage = pages[0] as { page: number; perPage: number };
        const offset = (firstPage.page - 1) * firstPage.perPage;
        const fetched = results.flatMap((result) => result.hooks);
        const hooks = fetched.slice(window.start - offset, window.end - offset);
        const lastResult = results.at(-1);
        total = lastResult?.pagination.total ?? total;
        const edges = hooks.map((hook, index) => new HookEdge(hook, window.start + index));
        const hasNextPage =
          total !== null
            ? window.end < total
            : fetched.length > window.end - offset || (lastResult?.pagination.nextPage ?? null) !== null;
        return {
          edges,
          pageInfo: {
            hasNextPage,
            hasPreviousPage: window.start > 0,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
          count: total ?? COUNT_LIMIT + 1,
        };
      },
    },
    {
      name: 'SystemHookConnection',
      description: 'A page of system hooks.',
      fields: (c) => ({
        count: c.int({
          description: `Number of system hooks in all (REST: \`X-Total\`); ${COUNT_LIMIT + 1} when GitLab reports more than ${COUNT_LIMIT}.`,
          resolve: (connection) => (connection as unknown as { count: number }).count,
        }),
      }),
    },
    { name: 'SystemHookEdge', description: 'A system hook and its cursor.' },
  ),
);
