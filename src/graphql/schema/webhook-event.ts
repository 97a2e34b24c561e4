import { type FieldNode, Kind } from 'graphql';
import type { HookScopeTypes } from '../../upstream/hook-scope.ts';
import {
  GITLAB_MAX_EVENTS_PER_PAGE,
  type HookDto,
  type WebhookEventDto,
  type WebhookEventPageDto,
} from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import { badUserInput } from '../errors.ts';
import type { RequestHooks } from '../loaders/hook-collections.ts';
import { upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { encodeGlobalId, type ParsedGlobalId, parseGlobalId } from './global-id.ts';
import { COUNT_LIMIT, resolveOffsetWindow } from './hook-connection.ts';
import type { HookRef, HookResource } from './hook-resource.ts';
import { clientMutationIdField, payloadType, relayClassicMutation, runMutation } from './mutation-helpers.ts';
import { registerNodeType } from './node.ts';

/**
 * A hook's delivery log (GitLab's `WebhookEvent`, REST's `WebHookLog`, §1.4, §6.4) and resend (§1.5): the
 * `webhookEvents` connection of project and group hooks, the entry type, and `resendWebhookEvent`. An entry's
 * global ID names its hook and the hook's parent, `gid://gitlab/WebHookLog/<id>?project_id=<id>&hook_id=<id>`,
 * since REST reads a log only under both.
 */

const LOG_MODEL = 'WebHookLog';
/** How many pages of a hook's log `node` reads at most to find one entry: the 100 newest deliveries. */
const MAX_SCANNED_PAGES = 5;

/** A log entry with where it was read: the hook's scope, parent and id, which its global ID carries. */
export interface WebhookEventSource {
  readonly event: WebhookEventDto;
  readonly params: Readonly<Record<string, number>>;
}

const STATUSES = {
  SUCCESSFUL: { value: 'successful', description: 'The receiver answered 2xx (REST: `successful`).' },
  CLIENT_FAILURE: {
    value: 'client_failure',
    description: 'The receiver answered 4xx (REST: `client_failure`).',
  },
  SERVER_FAILURE: {
    value: 'server_failure',
    description: 'The receiver answered 5xx, or could not be reached (REST: `server_failure`).',
  },
} as const;

const WebhookEventStatus = builder.enumType('WebhookEventStatus', {
  description: "Classes of a delivery's outcome, GitLab's status filter of the delivery log.",
  values: STATUSES,
});

const WebhookEventHeaderType = builder
  .objectRef<{ name: string; value: string }>('WebhookEventHeaderType')
  .implement({
    description:
      'An HTTP header of a delivery, as GitLab logged it; secrets GitLab redacts read `[REDACTED]`.',
    fields: (t) => ({
      name: t.exposeString('name', { description: 'Name of the header.' }),
      value: t.exposeString('value', { description: 'Value of the header, as logged.' }),
    }),
  });

/** A logged header map as name/value pairs; a value GitLab logged as a list is joined, as HTTP would. */
function headerPairs(headers: Readonly<Record<string, unknown>>): { name: string; value: string }[] {
  return Object.entries(headers).map(([name, value]) => ({
    name,
    value: Array.isArray(value) ? value.map(String).join(', ') : String(value),
  }));
}

const WebhookEvent = builder.objectRef<WebhookEventSource>('WebhookEvent');
builder.objectType(WebhookEvent, {
  description:
    "One delivery of a hook, from GitLab's delivery log (the last 7 days, newest first): what GitLab sent and " +
    'what the receiver answered. Secrets GitLab redacts (the token, custom-header values, emails) stay redacted.',
  interfaces: [builder.nodeInterfaceRef()],
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'event' in value && 'params' in value,
  fields: (t) => ({
    id: t.id({
      description: `Global ID of the entry, \`gid://gitlab/${LOG_MODEL}/<id>?project_id=<id>&hook_id=<id>\` (or \`group_id\`).`,
      resolve: ({ event, params }) => encodeGlobalId(LOG_MODEL, event.id, params),
    }),
    trigger: t.string({
      description: 'The event scope that triggered the delivery, as GitLab logs it (`push_hooks`).',
      resolve: ({ event }) => event.trigger,
    }),
    url: t.string({
      description: "The hook's URL template at the time, with any user info masked.",
      resolve: ({ event }) => event.url,
    }),
    requestHeaders: t.field({
      type: [WebhookEventHeaderType],
      description: 'The request headers GitLab sent.',
      resolve: ({ event }) => headerPairs(event.request_headers),
    }),
    requestData: t.field({
      type: 'JSONObject',
      nullable: true,
      description: 'The body GitLab sent, as logged (`{"oversize": true}` for one too large to keep).',
      resolve: ({ event }) =>
        typeof event.request_data === 'object' &&
        event.request_data !== null &&
        !Array.isArray(event.request_data)
          ? (event.request_data as Record<string, unknown>)
          : null,
    }),
    responseHeaders: t.field({
      type: [WebhookEventHeaderType],
      description: 'The response headers of the receiver (the first 50, as GitLab keeps them).',
      resolve: ({ event }) => headerPairs(event.response_headers),
    }),
    responseBody: t.string({
      nullable: true,
      description: "The receiver's response body (up to 8 KB, as GitLab keeps it).",
      resolve: ({ event }) => event.response_body,
    }),
    responseStatus: t.string({
      nullable: true,
      description:
        'The HTTP status the receiver answered, as GitLab logs it: `"200"`, or `"internal error"`.',
      resolve: ({ event }) => event.response_status,
    }),
    executionDuration: t.float({
      nullable: true,
      description: 'How long the delivery took, in seconds.',
      resolve: ({ event }) => event.execution_duration,
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When the delivery was made.',
      resolve: ({ event }) => event.created_at,
    }),
  }),
});

/** The connection both scopes' `webhookEvents` return. */
const WebhookEventConnection = builder.connectionObject(
  {
    type: WebhookEvent,
    name: 'WebhookEventConnection',
    description: "A page of a hook's deliveries.",
    fields: (c) => ({
      count: c.int({
        description: `Number of deliveries that match, in all (REST: \`X-Total\`); ${COUNT_LIMIT + 1} when GitLab reports more than ${COUNT_LIMIT}.`,
        resolve: (connection) => connection.count,
      }),
    }),
  },
  { name: 'WebhookEventEdge', description: 'A delivery and its cursor.' },
);

/** GitLab's `status` values for a filter: the classes, then the exact codes (Rack's three-digit ones). */
function statusFilter(
  status: readonly string[] | null | undefined,
  codes: readonly number[] | null | undefined,
): string[] {
  for (const code of codes ?? []) {
    if (!Number.isInteger(code) || code < 100 || code > 599) {
      throw badUserInput(`statusCodes takes HTTP status codes (100 to 599), got ${code}`);
    }
  }
  return [...new Set([...(status ?? []), ...(codes ?? []).map(String)])];
}

/** The calls a window of the log costs: one page, two when it may straddle pages, one more to learn the length. */
function eventWindowCalls(field: FieldNode): number {
  const has = (name: string) => field.arguments?.some((arg) => arg.name.value === name) ?? false;
  const first = field.arguments?.find((arg) => arg.name.value === 'first')?.value;
  const onePage =
    !has('after') && !has('before') && !has('last') && (first === undefined || first.kind === Kind.INT);
  if (onePage) return 1;
  return 2 + (has('last') && !has('before') ? 1 : 0);
}

/** What a hook's log is read through: its collection, REST id, and the parameters its entries' IDs carry. */
interface HookLog {
  readonly hooks: RequestHooks;
  readonly hookId: number;
  readonly params: Readonly<Record<string, number>>;
}

function readLogPage(log: HookLog, status: readonly string[], page: { page: number; perPage: number }) {
  return log.hooks.api.listHookEvents(log.hookId, { ...page, status });
}

/** Adds `webhookEvents` to a scope's hook type. */
export function defineWebhookEvents<T extends HookScopeTypes>(resource: HookResource<T>, ref: HookRef): void {
  const { scope } = resource;
  const logOf = (ctx: GatewayContext, hook: HookDto): HookLog => {
    const params = resource.idParamsOf?.(hook as T['hook']) ?? {};
    return {
      hooks: resource.collectionOf(ctx, params) as unknown as RequestHooks,
      hookId: hook.id,
      params: { ...params, hook_id: hook.id },
    };
  };
  builder.objectField(ref, 'webhookEvents', (t) =>
    t.field({
      // A plain field over the connection type, so that `first` and `last` can state the log's page bound.
      type: WebhookEventConnection,
      description:
        `The hook's deliveries of the last 7 days, newest first, in pages of at most ${GITLAB_MAX_EVENTS_PER_PAGE} ` +
        `(GitLab's limit); \`status\` and \`statusCodes\` filter them (either matching). Batched: a log call per hook, ` +
        `concurrently. REST: GET /api/v4${scope.route}/:hook_id/events`,
      extensions: upstreamCalls(eventWindowCalls),
      args: {
        first: t.arg.int({
          description: `Return the first n deliveries (0 to ${GITLAB_MAX_EVENTS_PER_PAGE}).`,
        }),
        after: t.arg.string({ description: 'Return deliveries after this cursor.' }),
        last: t.arg.int({
          description: `Return the last n deliveries (0 to ${GITLAB_MAX_EVENTS_PER_PAGE}).`,
        }),
        before: t.arg.string({ description: 'Return deliveries before this cursor.' }),
        status: t.arg({
          type: [WebhookEventStatus],
          description: 'Only deliveries of these outcome classes.',
        }),
        statusCodes: t.arg.intList({
          description: 'Only deliveries the receiver answered with these HTTP statuses.',
        }),
      },
      resolve: (hook, args, ctx) => {
        const log = logOf(ctx, hook);
        const status = statusFilter(args.status, args.statusCodes);
        return resolveOffsetWindow(
          async (page) => {
            const { events, pagination } = await readLogPage(log, status, page);
            return { items: events.map((event) => ({ event, params: log.params })), pagination };
          },
          args,
          GITLAB_MAX_EVENTS_PER_PAGE,
        );
      },
    }),
  );
}

/** The hook log a `WebHookLog` global ID names, and the entry's id, for `resources`' scopes. */
function locateEntry(
  resources: readonly HookResource[],
  ctx: GatewayContext,
  id: ParsedGlobalId,
): { log: HookLog; entryId: number } {
  const hookId = id.params.hook_id;
  const named = resources.filter((candidate) =>
    (candidate.idParams ?? []).some((param) => id.params[param] !== undefined),
  );
  const [resource] = named;
  if (hookId === undefined || resource === undefined || named.length > 1) {
    throw badUserInput(
      `A ${LOG_MODEL} ID must name its hook and the hook's project or group: ` +
        `gid://gitlab/${LOG_MODEL}/<id>?project_id=<project_id>&hook_id=<hook_id> (or group_id)`,
    );
  }
  const parentParams = Object.fromEntries(
    (resource.idParams ?? []).map((param) => [param, id.params[param] as number]),
  );
  return {
    log: {
      hooks: resource.collectionOf(ctx, parentParams),
      hookId,
      params: { ...parentParams, hook_id: hookId },
    },
    entryId: id.id,
  };
}

/** Every parameter a `WebHookLog` ID may carry; one parent and the hook. */
const LOG_PARAMS = ['project_id', 'group_id', 'hook_id'];

/**
 * An entry of a hook's log by id. REST reads no single entry, so the newest pages are read until the entry, or
 * one older than it, is seen (ids grow with time, and the log is newest first), at most `MAX_SCANNED_PAGES`.
 */
async function findEntry(log: HookLog, entryId: number): Promise<WebhookEventSource | null> {
  for (let page = 1; page <= MAX_SCANNED_PAGES; page++) {
    const answer: WebhookEventPageDto = await readLogPage(log, [], {
      page,
      perPage: GITLAB_MAX_EVENTS_PER_PAGE,
    });
    const event = answer.events.find((candidate) => candidate.id === entryId);
    if (event) return { event, params: log.params };
    const passed = answer.events.some((candidate) => candidate.id < entryId);
    if (passed || answer.pagination.nextPage === null || answer.events.length < GITLAB_MAX_EVENTS_PER_PAGE)
      break;
  }
  return null;
}

/** `node` for log entries, and `resendWebhookEvent`, over the scopes with a delivery log. */
export function defineWebhookEventRoots(resources: readonly HookResource[]): void {
  const routes = resources.map((resource) => `/api/v4${resource.scope.route}/:hook_id/events`);
  const load = (ctx: GatewayContext, id: ParsedGlobalId) => {
    const { log, entryId } = locateEntry(resources, ctx, id);
    return findEntry(log, entryId);
  };
  registerNodeType({
    typename: LOG_MODEL,
    route: routes.map((route) => `GET ${route}`).join(', '),
    params: LOG_PARAMS,
    load,
  });
  // A Federation entity keyed by its global ID, read like `node`.
  builder.asEntity(WebhookEvent, {
    key: builder.selection<{ id: string }>('id'),
    resolveReference: async ({ id }, ctx) => {
      if (typeof id !== 'string')
        throw badUserInput('A WebhookEvent representation needs its key field "id"');
      return load(
        ctx,
        parseGlobalId(id, [LOG_MODEL], () => LOG_PARAMS),
      );
    },
  });

  const Input = builder.inputType('ResendWebhookEventInput', {
    description: 'The delivery to send again.',
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      id: t.id({
        required: true,
        description: `Global ID of the delivery log entry, \`gid://gitlab/${LOG_MODEL}/<id>?project_id=<id>&hook_id=<id>\` (or \`group_id\`).`,
      }),
    }),
  });
  const Payload = payloadType('ResendWebhookEvent', (t) => ({
    responseStatus: t.int({
      nullable: true,
      description:
        'The HTTP status the receiver answered the resent delivery with, whatever it was; null when GitLab refused ' +
        'to resend (see `errors`).',
      resolve: (result) => (typeof result.testAnswer === 'number' ? result.testAnswer : null),
    }),
  }));
  relayClassicMutation('resendWebhookEvent', {
    description:
      'Sends a logged delivery again, with its original body and `Idempotency-Key`. GitLab refuses when the ' +
      "hook's URL has changed since (a payload error), and allows 5 a minute per project or group and user " +
      `(\`RATE_LIMITED\`). REST: ${routes.map((route) => `POST ${route}/:hook_log_id/resend`).join(', ')}`,
    input: Input,
    payload: Payload,
    resolve: (input, ctx) => {
      // A plain REST id names no hook, which `locateEntry` refuses.
      const id = parseGlobalId(String(input.id), [LOG_MODEL], () => LOG_PARAMS);
      const { log, entryId } = locateEntry(resources, ctx, id);
      return runMutation(
        input.clientMutationId,
        () => log.hooks.api.resendHookEvent(log.hookId, entryId),
        (answer) => ({ testAnswer: answer.response_status }),
      );
    },
  });
}
