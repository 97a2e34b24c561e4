/**
 * Wire types of GitLab's hooks REST APIs, as GitLab's `API::Entities::Hook` renders them, and the calls of one
 * hook collection (`HooksApi`, over a scope of `hook-scope.ts`). Fields newer than GitLab 14 are optional: an
 * older GitLab simply does not send them.
 */

import type { HookScope, HookScopeTypes, ParentArgs, SystemHookTypes } from './hook-scope.ts';

export type AlertStatusDto = 'executable' | 'temporarily_disabled' | 'disabled';
export type BranchFilterStrategyDto = 'wildcard' | 'regex' | 'all_branches';

export interface KeyDto {
  key: string;
}

/** `API::Entities::Hook`: a system hook's entity whole, and the base of every other scope's. */
export interface HookDto {
  id: number;
  url: string;
  name?: string | null;
  description?: string | null;
  created_at: string;
  push_events: boolean;
  tag_push_events: boolean;
  merge_requests_events: boolean;
  repository_update_events: boolean;
  enable_ssl_verification: boolean;
  organization_id?: number | null;
  alert_status?: AlertStatusDto | null;
  disabled_until?: string | null;
  url_variables?: KeyDto[] | null;
  push_events_branch_filter?: string | null;
  branch_filter_strategy?: BranchFilterStrategyDto | null;
  custom_webhook_template?: string | null;
  custom_headers?: KeyDto[] | null;
  /** GitLab 19.0+: whether the hook has a secret token. */
  token_present?: boolean | null;
  /** GitLab 19.0+: whether the hook has a signing token (Standard Webhooks `webhook-signature`). */
  signing_token_present?: boolean | null;
}

export interface KeyValueDto {
  key: string;
  value: string;
}

/** Parameters of `POST /hooks` and `PUT /hooks/:id` (system hooks); absent keys are not sent. */
export interface HookParamsDto {
  url?: string;
  name?: string;
  description?: string;
  token?: string;
  /** GitLab 19.0+: `whsec_` and the base64 of a 32-byte key. */
  signing_token?: string;
  push_events?: boolean;
  tag_push_events?: boolean;
  merge_requests_events?: boolean;
  repository_update_events?: boolean;
  enable_ssl_verification?: boolean;
  push_events_branch_filter?: string;
  branch_filter_strategy?: BranchFilterStrategyDto;
  url_variables?: KeyValueDto[];
  custom_headers?: KeyValueDto[];
}

/** The event flags project and group hooks both add to the base entity. */
export interface SharedHookFlagsDto {
  issues_events: boolean;
  confidential_issues_events: boolean;
  note_events: boolean;
  confidential_note_events: boolean;
  pipeline_events: boolean;
  wiki_page_events: boolean;
  deployment_events: boolean;
  feature_flag_events: boolean;
  job_events: boolean;
  releases_events: boolean;
  milestone_events: boolean;
  emoji_events: boolean;
  resource_access_token_events: boolean;
  vulnerability_events: boolean;
}

/** The event flags of project hooks (`API::Entities::ProjectHook`). */
export interface ProjectHookFlagsDto extends SharedHookFlagsDto {
  resource_deploy_token_events: boolean;
}

/** `API::Entities::ProjectHook`. The project's list leaves out `url_variables` and `custom_headers` (19.x). */
export interface ProjectHookDto extends HookDto, ProjectHookFlagsDto {
  project_id: number;
}

/** The event flags of group hooks (`API::Entities::GroupHook`, EE). */
export interface GroupHookFlagsDto extends SharedHookFlagsDto {
  subgroup_events: boolean;
  member_events: boolean;
  project_events: boolean;
}

/** `API::Entities::GroupHook`; the group's list carries `url_variables` and `custom_headers`. */
export interface GroupHookDto extends HookDto, GroupHookFlagsDto {
  group_id: number;
}

/** Parameters of `POST /projects/:id/hooks` and `PUT …/hooks/:hook_id`. */
export type ProjectHookParamsDto = HookParamsDto & Partial<ProjectHookFlagsDto>;
/** Parameters of `POST /groups/:id/hooks` and `PUT …/hooks/:hook_id`. */
export type GroupHookParamsDto = HookParamsDto & Partial<GroupHookFlagsDto>;

/** What a project's or group's test endpoint answers when the receiver accepted the delivery: `201 Created`. */
export interface TriggerTestDto {
  message: string;
}

/**
 * `API::Entities::WebHookLog`, one delivery of a hook's log (`GET …/hooks/:hook_id/events`). Header values and
 * the request data are as GitLab stored them: secrets it redacts read `[REDACTED]`.
 */
export interface WebhookEventDto {
  id: number;
  url: string;
  trigger: string;
  request_headers: Record<string, unknown>;
  request_data: unknown;
  response_headers: Record<string, unknown>;
  response_body: string | null;
  execution_duration: number | null;
  /** A string: `"200"`, or `"internal error"` for a transport failure. */
  response_status: string | null;
  created_at: string;
}

export interface WebhookEventPageDto {
  events: WebhookEventDto[];
  pagination: PaginationDto;
}

/** `GET …/hooks/:hook_id/events`: GitLab's status filter and page; `per_page` is at most 20. */
export interface WebhookEventQuery {
  page: number;
  perPage: number;
  /** `successful`, `client_failure`, `server_failure`, or HTTP status codes, OR-ed. @default none: every status */
  status?: readonly string[] | undefined;
}

/** The largest page of a hook's delivery log GitLab serves (`per_page` 1..20). */
export const GITLAB_MAX_EVENTS_PER_PAGE = 20;

/** `POST …/events/:hook_log_id/resend` (`API::Entities::RetryWebhookEvent`): what the receiver answered. */
export interface ResendDto {
  response_status: number;
}

/** The fields of `GET /projects/:id` and `GET /groups/:id` the gateway reads. */
export interface ContainerDto {
  id: number;
  name: string;
  /** `path_with_namespace` of a project, `full_path` of a group. */
  full_path: string;
  web_url: string;
}

/** GitLab's `max_per_page`: the largest page `GET /hooks` returns, and so the largest list the gateway serves. */
export const GITLAB_MAX_PER_PAGE = 100;

/** GitLab's offset pagination headers, parsed. `null` where GitLab sent an empty or no header. */
export interface PaginationDto {
  page: number;
  perPage: number;
  nextPage: number | null;
  prevPage: number | null;
  /** `X-Total`; GitLab omits it above 10,000 rows. */
  total: number | null;
  totalPages: number | null;
}

export interface HookPageDto<Hook extends HookDto = HookDto> {
  hooks: Hook[];
  pagination: PaginationDto;
}

/** The sample event `POST /hooks/:id` delivered and echoed back. */
export type MockDataDto = Record<string, unknown>;

/** A token as GitLab issues them: visible ASCII (which is also what an HTTP header can carry), bounded. */
const WELL_FORMED_TOKEN = /^[\x21-\x7e]{1,1024}$/;

/** Whether `token` can be a GitLab token; the one check the caller's header, `GITLAB_TOKEN` and the client share. */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && WELL_FORMED_TOKEN.test(token);
}

/** How the caller authenticated; forwarded the same way, to the configured GitLab origin only. */
export interface Credential {
  scheme: 'private-token' | 'bearer';
  token: string;
}

export interface CallOptions {
  /** The caller's credential; without one the request is sent unauthenticated (GitLab answers 401). */
  credential?: Credential | undefined;
  /**
   * The GraphQL request's signal; the call ends when it aborts or the client's per-call deadline passes. The
   * client only listens to it and never hands it to `AbortSignal.any` or undici, so Yoga's lazy signal
   * (see `createContextFactory`) stays correct.
   */
  signal?: AbortSignal | undefined;
  /**
   * Extra request headers, such as `x-request-id`: lower-case `x-` names only (so they can never replace
   * `accept`, `content-type`, `user-agent`, `authorization` or `private-token`), values of 1 to 256 visible
   * ASCII characters. A bad one rejects the call with a `TypeError` before any request.
   */
  headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Where the caller counts its calls to GitLab (the access log's `upstream_calls` and `upstream_ms`): each
   * call adds itself once it has ended, retries and waits included. @default none
   */
  tally?: UpstreamTally | undefined;
  /**
   * Waits ahead of every other call for a connection to GitLab: for the gateway's readiness probe, of which one
   * runs at a time, so that the gateway's own load cannot keep it from learning GitLab's state. @default false
   */
  priority?: boolean | undefined;
}

/** A caller's count of its calls to GitLab and of the milliseconds they took in all. */
export interface UpstreamTally {
  upstreamCalls: number;
  upstreamMs: number;
  /**
   * Where the caller's tracing places the spans of a call, read by the instrumentation when the call starts;
   * opaque to the client. @default none: the call makes no span
   */
  readonly traceParent?: unknown;
}

/**
 * The ten REST calls of one hook collection: a scope's hooks under one parent. Every method rejects with an
 * `UpstreamError` on failure. Paths are below the collection (`GET /hooks/:id` for system hooks).
 */
export interface HooksApi<T extends HookScopeTypes = HookScopeTypes> {
  /** `GET …/hooks?page&per_page` */
  listHooks(query: { page: number; perPage: number }, options: CallOptions): Promise<HookPageDto<T['hook']>>;
  /** `GET …/hooks/:id` */
  getHook(id: number, options: CallOptions): Promise<T['hook']>;
  /** `POST …/hooks` */
  createHook(params: T['params'], options: CallOptions): Promise<T['hook']>;
  /** `PUT …/hooks/:id` */
  updateHook(id: number, params: T['params'], options: CallOptions): Promise<T['hook']>;
  /** `DELETE …/hooks/:id` */
  deleteHook(id: number, options: CallOptions): Promise<void>;
  /** The scope's test endpoint: `POST /hooks/:id` for system hooks. */
  testHook(id: number, ...args: [...T['testArgs'], CallOptions]): Promise<T['testAnswer']>;
  /** `PUT …/hooks/:id/url_variables/:key` */
  setUrlVariable(id: number, key: string, value: string, options: CallOptions): Promise<void>;
  /** `DELETE …/hooks/:id/url_variables/:key` */
  deleteUrlVariable(id: number, key: string, options: CallOptions): Promise<void>;
  /** `PUT …/hooks/:id/custom_headers/:key` */
  setCustomHeader(id: number, key: string, value: string, options: CallOptions): Promise<void>;
  /** `DELETE …/hooks/:id/custom_headers/:key` */
  deleteCustomHeader(id: number, key: string, options: CallOptions): Promise<void>;
  /** `GET …/hooks/:id/events?status&page&per_page`; a `RangeError` for a scope without a delivery log. */
  listHookEvents(id: number, query: WebhookEventQuery, options: CallOptions): Promise<WebhookEventPageDto>;
  /** `POST …/hooks/:id/events/:hook_log_id/resend`; a `RangeError` for a scope without a delivery log. */
  resendHookEvent(id: number, logId: number, options: CallOptions): Promise<ResendDto>;
  /** `GET /projects/:id` or `GET /groups/:id`: the parent; a `RangeError` for a scope without one. */
  getParent(options: CallOptions): Promise<ContainerDto>;
}

/** The ten REST calls of the System Hooks API (`/api/v4/hooks*`). */
export type SystemHooksApi = HooksApi<SystemHookTypes>;

/**
 * The hooks of one GitLab: every collection's calls through `hooks`, and the system hooks' as methods of their
 * own, which the readiness probe and the subscriptions' administrator check call.
 */
export interface GitLabHooksApi extends SystemHooksApi {
  /** The calls of `scope`'s hooks under `parent` (none for system hooks, whose calls are this object's own). */
  hooks<T extends HookScopeTypes>(scope: HookScope<T>, ...parent: ParentArgs<T>): HooksApi<T>;
}
