/**
 * An embedded, GitLab-compatible hooks server: a real HTTP server on loopback that answers `/api/v4/hooks*`,
 * `/api/v4/projects/:id/hooks*` and `/api/v4/groups/:id/hooks*` as GitLab does, with the users, tokens, groups,
 * projects and members they need (`world.ts`). It stands in for GitLab when no `GITLAB_URL` is configured, runs
 * alone as `npm run gitlab`, and is the upstream of the gateway's tests, which count its requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, findCredential } from './auth.ts';
import { systemClock } from './clock.ts';
import { handleControlRequest, isControlPath } from './control.ts';
import { DeliveryAgents } from './delivery.ts';
import { ApiError } from './errors.ts';
import { isGitLabVersion } from './gitlab-version.ts';
import { declareHookParams, ParamErrors } from './grape-params.ts';
import { GROUP_HOOKS } from './group-hooks.ts';
import { BRANCH_FILTER_STRATEGIES, type HookParams } from './hook-attributes.ts';
import { createFailureMessage } from './hook-errors.ts';
import {
  type DrainLimits,
  declaredLength,
  drainRefusedBody,
  filterQuery,
  type HttpAnswer,
  parseBody,
  readBody,
  splitTarget,
  writeAnswer,
} from './http.ts';
import { PROJECT_HOOKS } from './project-hooks.ts';
import { type ParamHash, paramHash, parseNestedQuery } from './rack-params.ts';
import { HOOK_SCOPES, handleApiRequest, type RouteContext } from './routes.ts';
import { HookStore, IdSequence, type RawColumns } from './store.ts';
import {
  type BranchFilterMode,
  type DeliveryAttempt,
  type EmittedEvent,
  SystemHookEmitter,
  type SystemHookEventRequest,
} from './system-hook-events.ts';
import { SYSTEM_HOOKS } from './system-hooks.ts';
import { createThrottle } from './throttle.ts';
import { WebHookDeliveries, type WebHookEventRequest } from './webhook-deliveries.ts';
import { ADMIN_USER_ID, World } from './world.ts';

export interface EmbeddedGitLabOptions {
  /** Personal access token (scope `api`) of the instance administrator, user 1 (`root`). */
  adminToken: string;
  /**
   * Personal access token (scope `api`) of a regular user, user 2 (`user`), a member of nothing: authenticated,
   * but the system hook endpoints answer 403.
   */
  userToken: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** Base URL GitLab reports in Link headers and `X-Gitlab-Instance`. @default the listening URL */
  externalUrl?: string;
  /** Request body cap; a larger body gets `413 {"message":"413 Request Entity Too Large"}`. @default 1_048_576 */
  maxBodyBytes?: number;
  /** Timeout of each delivery, test or event (GitLab's `webhook_timeout`). @default 10_000 */
  deliveryTimeoutMs?: number;
  /** Application setting `allow_local_requests_from_system_hooks`. @default true */
  allowLocalRequestsFromSystemHooks?: boolean;
  /** Application setting `allow_local_requests_from_web_hooks_and_services` (interpolated URLs). @default false */
  allowLocalRequestsFromWebHooksAndServices?: boolean;
  /**
   * The GitLab version played, sent as `User-Agent: GitLab/<version>`. It decides what exists: from 19.0 the
   * `signing_token` parameter, `token_present` and `signing_token_present` in the hook entity, and the
   * `webhook-id`, `webhook-timestamp` and `webhook-signature` delivery headers; `Idempotency-Key` from 17.4,
   * `X-Gitlab-Webhook-UUID` from 16.2.
   * @default '19.0.0'
   */
  version?: string;
  /**
   * Whether a hook's push branch filter decides which hooks get a `push` event. GitLab documents it for system
   * hooks; the code read skips it for them (docs/gitlab-events-contract.md §2.6), so `'ignore'` plays that code.
   * @default 'apply'
   */
  systemHookBranchFilter?: BranchFilterMode;
  /** A Rack::Attack-like API throttle answering 429 "Retry later\n". @default off */
  throttle?: { limit: number; periodSeconds: number };
  /**
   * GitLab's ops flag `auto_disabling_web_hooks` for project and group hooks (off by default on a self-managed
   * GitLab, on at GitLab.com): the 4th consecutive failure disables a hook for a minute, doubling up to a day,
   * the 40th for good. `EMBEDDED_GITLAB_AUTO_DISABLE_WEBHOOKS`.
   * @default true
   */
  autoDisableWebHooks?: boolean;
  /**
   * The clock, in epoch milliseconds, of what depends on time passing: the delivery log's timestamps and 7-day
   * window, the test and resend rate limits, auto-disabling's `disabled_until`, `webhook-timestamp` of project
   * and group hook deliveries. A test passes its own to move time without sleeping.
   * @default Date.now
   */
  clock?: () => number;
}

/** One request as the server answered it. The query has `private_token` and `job_token` values filtered. */
export interface ServedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
}

export interface EmbeddedGitLab {
  /** For example `http://127.0.0.1:43123` (no `/api/v4`); valid after `listen()`. */
  readonly url: string;
  listen(): Promise<string>;
  /** Closes the server and every socket, idle keep-alive ones included. */
  close(): Promise<void>;
  /** Every request answered, in the order of the answers, since start or the last reset. Live, not a copy. */
  readonly requests: readonly ServedRequest[];
  resetRequestLog(): void;
  /**
   * A test control, not GitLab's: replaces both personal access tokens, as revoking a token or demoting its
   * owner would. Every later request is judged by the new tokens (an old admin token given as `userToken` is
   * demoted: 403; one given as neither is revoked: 401). Throws as `createEmbeddedGitLab` does for tokens that
   * are empty or equal.
   */
  setTokens(tokens: { adminToken: string; userToken: string }): void;
  /**
   * Creates system hooks from REST parameters through the validation of `POST /hooks`, all or none, and returns
   * their ids (project and group hooks, and the groups and projects themselves, are made through the REST calls). An invalid entry throws an `Error` naming its index and GitLab's answer (`400 url is missing`).
   *
   * Two fields emulate rows of a newer GitLab whose enum values this server (and its clients) may not know;
   * they are stored and returned verbatim, bypassing validation:
   * - `alert_status`: any string, returned as the hook's `alert_status` (for example `"paused"`); without it a
   *   hook is `"executable"`, as every system hook is. The REST API never takes this field.
   * - `branch_filter_strategy`: a string other than `wildcard`, `regex` and `all_branches` is stored as it is,
   *   and `push_events_branch_filter` is then not validated (no rule is known for it). A known value is
   *   validated as `POST /hooks` does.
   */
  seed(hooks: Record<string, unknown>[]): Promise<number[]>;
  /**
   * Emits a system hook event as `POST /-/embedded-gitlab/system-hook-events` does: returns the payload and the
   * planned deliveries at once, then delivers to every hook whose settings select the event. Throws an
   * `EventRequestError` for a name outside the catalogue without a payload, or a misplaced `ref`.
   */
  emitSystemHookEvent(event: SystemHookEventRequest): EmittedEvent;
  /** GitLab's "Resend request": a logged delivery again, to its hook, with its `Idempotency-Key`. */
  resendDelivery(idempotencyKey: string): EmittedEvent;
  /**
   * Fires a project or group event as `POST /-/embedded-gitlab/webhook-events` does, acted by the administrator:
   * returns the payload and the planned deliveries at once, then delivers to the project's hooks and those of every
   * group above that select it. Throws an `EventRequestError` for an unknown project, group or kind.
   */
  fireWebHookEvent(event: WebHookEventRequest): EmittedEvent;
  /**
   * Every delivery attempt (events, tests, resends) in the order they finished: the latest 1000, since start or
   * the last reset. Live, not a copy.
   */
  readonly deliveries: readonly DeliveryAttempt[];
  resetDeliveryLog(): void;
  /**
   * Resolves once every delivery emitted so far, of system, project and group hooks, has been attempted and has
   * finished (each within the timeout).
   */
  deliveriesSettled(): Promise<void>;
}

export { SYSTEM_HOOK_EVENTS_PATH, WEBHOOK_EVENTS_PATH } from './control.ts';
export type {
  DeliveryAttempt,
  DeliveryTrigger,
  EmittedEvent,
  PlannedDelivery,
  SystemHookEventRequest,
} from './system-hook-events.ts';
export { EventRequestError } from './system-hook-events.ts';
export type { WebHookEventRequest } from './webhook-deliveries.ts';

const DEFAULT_MAX_BODY_BYTES = 1_048_576;
const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
const DEFAULT_VERSION = '19.0.0';
/**
 * How long and how much of a refused body is read and discarded before the socket is destroyed (nginx's
 * `lingering_time`, much shortened: on loopback a client sends megabytes in milliseconds).
 */
const REFUSED_BODY_DRAIN: DrainLimits = { ms: 2_000, bytes: 64 * 1024 * 1024 };
const TOO_LARGE: HttpAnswer = { status: 413, json: { message: '413 Request Entity Too Large' } };
const CLIENT_CLOSED: HttpAnswer = { status: 499 };
const INTERNAL_ERROR: HttpAnswer = { status: 500, json: { message: '500 Internal Server Error' } };

/** A seed entry's REST parameters, declared as `POST /hooks` declares them, and its verbatim enum values. */
function seedParams(
  entry: Record<string, unknown>,
  index: number,
  gitlabVersion: string,
): { params: HookParams; raw: RawColumns } {
  const { alert_status: alertStatus, ...rest } = entry;
  const raw: RawColumns = {};
  if (alertStatus !== undefined) {
    if (typeof alertStatus !== 'string') throw new Error(`seed hook ${index}: alert_status must be a string`);
    raw.alertStatus = alertStatus;
  }
  const strategy = rest.branch_filter_strategy;
  if (typeof strategy === 'string' && !BRANCH_FILTER_STRATEGIES.some((known) => known === strategy)) {
    raw.branchFilterStrategy = strategy;
    delete rest.branch_filter_strategy;
  }
  const errors = new ParamErrors();
  const params = declareHookParams(
    Object.assign(paramHash(), rest),
    { attributes: SYSTEM_HOOKS.attributes, urlRequired: true, gitlabVersion },
    errors,
  );
  if (errors.messages.length > 0) throw new Error(`seed hook ${index}: 400 ${errors.messages.join(', ')}`);
  return { params, raw };
}

/** GitLab's answer for an error; 499 (nginx's "client closed request", logged only) when the client left. */
function errorAnswer(error: unknown, request: IncomingMessage, response: ServerResponse): HttpAnswer {
  if (error instanceof ApiError) return { status: error.status, headers: error.headers, json: error.body };
  if (response.destroyed || request.destroyed) return CLIENT_CLOSED;
  // Never echo details: the message could quote a request value.
  console.error('embedded GitLab: unexpected error', error instanceof Error ? error.stack : error);
  return INTERNAL_ERROR;
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

const isCount = (value: number): boolean => Number.isSafeInteger(value) && value >= 0;

/** Each problem an option can have, and how to spot it. */
const OPTION_PROBLEMS: readonly [problem: string, applies: (options: EmbeddedGitLabOptions) => boolean][] = [
  ['tokens must not be empty', (o) => o.adminToken === '' || o.userToken === ''],
  ['adminToken and userToken must differ', (o) => o.adminToken === o.userToken],
  [
    'maxBodyBytes must be a non-negative integer',
    (o) => o.maxBodyBytes !== undefined && !isCount(o.maxBodyBytes),
  ],
  ['externalUrl must be a URL', (o) => o.externalUrl !== undefined && !URL.canParse(o.externalUrl)],
  [
    'version must be a GitLab version such as 19.0.0',
    (o) => o.version !== undefined && !isGitLabVersion(o.version),
  ],
  [
    "systemHookBranchFilter must be 'apply' or 'ignore'",
    (o) => o.systemHookBranchFilter !== undefined && !['apply', 'ignore'].includes(o.systemHookBranchFilter),
  ],
  ['clock must be a function', (o) => o.clock !== undefined && typeof o.clock !== 'function'],
  [
    'throttle needs an integer limit of 0 or more and a period of at least 1 second',
    (o) => o.throttle !== undefined && !(isCount(o.throttle.limit) && o.throttle.periodSeconds >= 1),
  ],
];

/** Fails fast on options that would otherwise surface as odd answers much later. */
function checkOptions(options: EmbeddedGitLabOptions): void {
  const problems = OPTION_PROBLEMS.filter(([, applies]) => applies(options)).map(([problem]) => problem);
  if (problems.length > 0) throw new TypeError(`createEmbeddedGitLab: ${problems.join('; ')}`);
}

export function createEmbeddedGitLab(options: EmbeddedGitLabOptions): EmbeddedGitLab {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // GitLab's `base_url` has no trailing slash.
  const externalUrl = options.externalUrl?.replace(/\/+$/, '');
  // One object, which `PUT /application/settings` changes and every store's validations read.
  const settings = {
    allowLocalRequestsFromSystemHooks: options.allowLocalRequestsFromSystemHooks ?? true,
    allowLocalRequestsFromWebHooksAndServices: options.allowLocalRequestsFromWebHooksAndServices ?? false,
  };
  const world = new World(settings);
  const hookIds = new IdSequence();
  const stores = new Map(HOOK_SCOPES.map((scope) => [scope, new HookStore(scope, settings, hookIds)]));
  // System hook events and `seed()` concern system hooks.
  const store = stores.get(SYSTEM_HOOKS) as HookStore;
  const auth = createAuthenticator(options, { isAdmin: (userId) => world.isAdmin(userId) });
  const throttle = options.throttle ? createThrottle(options.throttle) : null;
  const log: ServedRequest[] = [];
  const deliveryAgents = new DeliveryAgents();
  const version = options.version ?? DEFAULT_VERSION;
  let url = '';
  let server: Server | null = null;
  const instanceUrl = () => externalUrl ?? url;
  const emitter = new SystemHookEmitter({
    store,
    agents: deliveryAgents,
    timeoutMs: options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
    instanceUrl,
    gitlabVersion: version,
    branchFilter: options.systemHookBranchFilter ?? 'apply',
  });
  const webhooks = new WebHookDeliveries({
    world,
    projectHooks: stores.get(PROJECT_HOOKS) as HookStore,
    groupHooks: stores.get(GROUP_HOOKS) as HookStore,
    agents: deliveryAgents,
    timeoutMs: options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
    instanceUrl,
    gitlabVersion: version,
    autoDisabling: options.autoDisableWebHooks ?? true,
    clock: options.clock ?? systemClock,
  });
  const settled = async () => {
    await Promise.all([emitter.settled(), webhooks.settled()]);
  };

  const routeContext = (): RouteContext => ({
    stores,
    auth,
    world,
    externalUrl: instanceUrl(),
    version,
    emitter,
    webhooks,
  });

  /** The answer of Rack::Attack's API throttle when this request is over its limit, else null. */
  function throttleAnswer(request: IncomingMessage, pathname: string, query: ParamHash): HttpAnswer | null {
    if (throttle === null || !pathname.startsWith('/api/')) return null;
    const identity = auth.identify(findCredential(request.headers, query));
    const name = identity === null ? 'throttle_unauthenticated_api' : 'throttle_authenticated_api';
    const discriminator =
      identity === null ? (request.socket.remoteAddress ?? 'unknown') : `user:${identity.userId}`;
    const throttled = throttle.hit(name, discriminator);
    if (throttled === null) return null;
    // Node discards an unread body itself before it reuses a keep-alive connection.
    return {
      status: 429,
      headers: { ...throttled.headers, 'content-type': 'text/plain' },
      text: throttled.body,
    };
  }

  function refuseBody(request: IncomingMessage): HttpAnswer {
    drainRefusedBody(request, REFUSED_BODY_DRAIN);
    return TOO_LARGE;
  }

  /** Rack and Grape in front of the endpoints: body limit, throttle, body parsing, merged params. */
  async function answerRequest(
    request: IncomingMessage,
    pathname: string,
    rawQuery: string,
  ): Promise<HttpAnswer> {
    if (declaredLength(request) > maxBodyBytes) return refuseBody(request);
    const query = parseNestedQuery(rawQuery);
    const throttled = throttleAnswer(request, pathname, query);
    if (throttled !== null) return throttled;
    const body = await readBody(request, maxBodyBytes);
    if (body === null) return refuseBody(request);
    const method = request.method ?? 'GET';
    const parsed = parseBody(method, body, request.headers['content-type']);
    if (isControlPath(pathname)) {
      return handleControlRequest(
        { method, pathname, headers: request.headers, query, body: parsed },
        { auth, emitter, webhooks },
      );
    }
    const params: Record<string, unknown> = Object.assign(paramHash(), query, parsed.form, parsed.json);
    return handleApiRequest({ method, pathname, headers: request.headers, query, params }, routeContext());
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { pathname, query } = splitTarget(request.url ?? '/');
    const entry = { method: request.method ?? 'GET', path: pathname, query: filterQuery(query) };
    const reply = await answerRequest(request, pathname, query).catch((error: unknown) =>
      errorAnswer(error, request, response),
    );
    // Logged before the first byte is written, so a client that has its answer always finds it in the log.
    log.push({ ...entry, status: reply.status });
    if (reply !== CLIENT_CLOSED) writeAnswer(request, response, reply);
  }

  async function seed(hooks: Record<string, unknown>[]): Promise<number[]> {
    const accepted = hooks.map((entry, index) => {
      const { params, raw } = seedParams(entry, index, version);
      const prepared = store.prepareCreate(params, raw);
      if (prepared.errors.length > 0) {
        throw new Error(`seed hook ${index}: 422 ${createFailureMessage(prepared.errors)}`);
      }
      return { attributes: prepared.attributes, raw };
    });
    return accepted.map(({ attributes, raw }) => store.insert(attributes, raw).id);
  }

  return {
    get url() {
      return url;
    },
    get requests() {
      return log;
    },
    resetRequestLog() {
      log.length = 0;
    },
    setTokens(tokens) {
      checkOptions({ ...options, ...tokens });
      auth.setTokens(tokens);
    },
    seed,
    emitSystemHookEvent(event) {
      if (instanceUrl() === '') throw new Error('embedded GitLab: listen() before emitting events');
      const { emitted, start } = emitter.plan(event);
      setImmediate(start);
      return emitted;
    },
    fireWebHookEvent(event) {
      if (instanceUrl() === '') throw new Error('embedded GitLab: listen() before firing events');
      const { emitted, start } = webhooks.plan(event, ADMIN_USER_ID);
      setImmediate(start);
      return emitted;
    },
    resendDelivery(idempotencyKey) {
      const { emitted, start } = emitter.planResend(idempotencyKey);
      setImmediate(start);
      return emitted;
    },
    get deliveries() {
      return emitter.log;
    },
    resetDeliveryLog() {
      emitter.log.length = 0;
    },
    deliveriesSettled: settled,
    listen() {
      if (server !== null) return Promise.reject(new Error('embedded GitLab is already listening'));
      const created = createServer((request, response) => {
        void handle(request, response);
      });
      server = created;
      return new Promise((resolve, reject) => {
        created.once('error', (error) => {
          server = null;
          reject(error);
        });
        created.listen(options.port ?? 0, host, () => {
          created.removeAllListeners('error');
          created.on('error', (error) => console.error('embedded GitLab: server error', error.message));
          url = formatUrl(created.address() as AddressInfo);
          resolve(url);
        });
      });
    },
    async close() {
      const current = server;
      if (current === null) return;
      server = null;
      await new Promise<void>((resolve, reject) => {
        current.close((error) => (error ? reject(error) : resolve()));
        current.closeAllConnections();
      });
      await settled();
      await deliveryAgents.close();
    },
  };
}
