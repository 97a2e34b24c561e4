/**
 * An embedded, GitLab-compatible System Hooks server: a real HTTP server on loopback that answers
 * `/api/v4/hooks*` as GitLab does. It stands in for GitLab when no `GITLAB_URL` is configured, runs alone as
 * `npm run gitlab`, and is the upstream of the gateway's tests, which count its requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, findCredential } from './auth.ts';
import { DeliveryAgents } from './delivery.ts';
import { ApiError } from './errors.ts';
import { declareHookParams, ParamErrors } from './grape-params.ts';
import { BRANCH_FILTER_STRATEGIES, type HookParams } from './hook-attributes.ts';
import { createFailureMessage } from './hook-model.ts';
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
import { type ParamHash, paramHash, parseNestedQuery } from './rack-params.ts';
import { handleApiRequest, type RouteContext } from './routes.ts';
import { HookStore, type RawColumns } from './store.ts';
import { createThrottle } from './throttle.ts';

export interface EmbeddedGitLabOptions {
  /** Personal access token of the instance administrator. */
  adminToken: string;
  /** Personal access token of a regular user: authenticated, but every endpoint answers 403. */
  userToken: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** Base URL GitLab reports in Link headers and `X-Gitlab-Instance`. @default the listening URL */
  externalUrl?: string;
  /** Request body cap; a larger body gets `413 {"message":"413 Request Entity Too Large"}`. @default 1_048_576 */
  maxBodyBytes?: number;
  /** Timeout of a test delivery (GitLab's `webhook_timeout`). @default 10_000 */
  deliveryTimeoutMs?: number;
  /** Application setting `allow_local_requests_from_system_hooks`. @default true */
  allowLocalRequestsFromSystemHooks?: boolean;
  /** Application setting `allow_local_requests_from_web_hooks_and_services` (interpolated URLs). @default false */
  allowLocalRequestsFromWebHooksAndServices?: boolean;
  /** GitLab version sent in the delivery `User-Agent`. @default '18.6.5' */
  version?: string;
  /** A Rack::Attack-like API throttle answering 429 "Retry later\n". @default off */
  throttle?: { limit: number; periodSeconds: number };
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
   * Creates hooks from REST parameters through the validation of `POST /hooks`, all or none, and returns their
   * ids. An invalid entry throws an `Error` naming its index and GitLab's answer (`400 url is missing`).
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
}

const DEFAULT_MAX_BODY_BYTES = 1_048_576;
const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
const DEFAULT_VERSION = '18.6.5';
/**
 * How long and how much of a refused body is read and discarded before the socket is destroyed (nginx's
 * `lingering_time`, much shortened: on loopback a client sends megabytes in milliseconds).
 */
const REFUSED_BODY_DRAIN: DrainLimits = { ms: 2_000, bytes: 64 * 1024 * 1024 };
const TOO_LARGE: HttpAnswer = { status: 413, json: { message: '413 Request Entity Too Large' } };
const CLIENT_CLOSED: HttpAnswer = { status: 499 };
const INTERNAL_ERROR: HttpAnswer = { status: 500, json: { message: '500 Internal Server Error' } };

/** A seed entry's REST parameters, declared as `POST /hooks` declares them, and its verbatim enum values. */
function seedParams(entry: Record<string, unknown>, index: number): { params: HookParams; raw: RawColumns } {
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
  const params = declareHookParams(Object.assign(paramHash(), rest), { urlRequired: true }, errors);
  if (errors.messages.length > 0) throw new Error(`seed hook ${index}: 400 ${errors.messages.join(', ')}`);
  return { params, raw };
}

/** GitLab's answer for an error; 499 (nginx's "client closed request", logged only) when the client left. */
function errorAnswer(error: unknown, request: IncomingMessage, response: ServerResponse): HttpAnswer {
  if (error instanceof ApiError) return { status: error.status, json: error.body };
  if (response.destroyed || request.destroyed) return CLIENT_CLOSED;
  // Never echo details: the message could quote a request value.
  console.error('embedded GitLab: unexpected error', error instanceof Error ? error.stack : error);
  return INTERNAL_ERROR;
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Fails fast on options that would otherwise surface as odd answers much later. */
function checkOptions(options: EmbeddedGitLabOptions): void {
  const problems: string[] = [];
  if (options.adminToken === '' || options.userToken === '') problems.push('tokens must not be empty');
  if (options.adminToken === options.userToken) problems.push('adminToken and userToken must differ');
  if (
    options.maxBodyBytes !== undefined &&
    !(Number.isSafeInteger(options.maxBodyBytes) && options.maxBodyBytes >= 0)
  ) {
    problems.push('maxBodyBytes must be a non-negative integer');
  }
  if (options.externalUrl !== undefined && !URL.canParse(options.externalUrl))
    problems.push('externalUrl must be a URL');
  const throttle = options.throttle;
  if (
    throttle &&
    !(Number.isSafeInteger(throttle.limit) && throttle.limit >= 0 && throttle.periodSeconds >= 1)
  ) {
    problems.push('throttle needs an integer limit of 0 or more and a period of at least 1 second');
  }
  if (problems.length > 0) throw new TypeError(`createEmbeddedGitLab: ${problems.join('; ')}`);
}

export function createEmbeddedGitLab(options: EmbeddedGitLabOptions): EmbeddedGitLab {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // GitLab's `base_url` has no trailing slash.
  const externalUrl = options.externalUrl?.replace(/\/+$/, '');
  const settings = {
    allowLocalRequestsFromSystemHooks: options.allowLocalRequestsFromSystemHooks ?? true,
    allowLocalRequestsFromWebHooksAndServices: options.allowLocalRequestsFromWebHooksAndServices ?? false,
  };
  const store = new HookStore(settings);
  const auth = createAuthenticator(options);
  const throttle = options.throttle ? createThrottle(options.throttle) : null;
  const log: ServedRequest[] = [];
  const deliveryAgents = new DeliveryAgents();
  let url = '';
  let server: Server | null = null;

  const routeContext = (): RouteContext => ({
    store,
    auth,
    externalUrl: externalUrl ?? url,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
    deliveryAgents,
    version: options.version ?? DEFAULT_VERSION,
  });

  /** The answer of Rack::Attack's API throttle when this request is over its limit, else null. */
  function throttleAnswer(request: IncomingMessage, pathname: string, query: ParamHash): HttpAnswer | null {
    if (throttle === null || !pathname.startsWith('/api/')) return null;
    const role = auth.roleOf(findCredential(request.headers, query));
    const name = role === null ? 'throttle_unauthenticated_api' : 'throttle_authenticated_api';
    const throttled = throttle.hit(name, role ?? request.socket.remoteAddress ?? 'unknown');
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
      const { params, raw } = seedParams(entry, index);
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
    seed,
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
      await deliveryAgents.close();
    },
  };
}
