/**
 * An embedded, GitLab-compatible System Hooks server: a real HTTP server on loopback that answers
 * `/api/v4/hooks*` as GitLab does. It stands in for GitLab when no `GITLAB_URL` is configured, runs alone as
 * `npm run gitlab`, and is the upstream of the gateway's tests, which count its requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, findCredential } from './auth.ts';
import { DeliveryAgents } from './delivery.ts';
import { ApiError, grapeError, messageError } from './errors.ts';
import { declareHookParams, ParamErrors } from './grape-params.ts';
import { createFailureMessage, type HookAttributes } from './hook-model.ts';
import { isParamHash, type ParamHash, paramHash, parseNestedQuery } from './rack-params.ts';
import { type ApiRequest, type ApiResponse, handleApiRequest, type RouteContext } from './routes.ts';
import { HookStore } from './store.ts';
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
  /** Creates hooks from REST parameters through the validation of `POST /hooks`; all or none. */
  seed(hooks: Record<string, unknown>[]): Promise<number[]>;
}

const DEFAULT_MAX_BODY_BYTES = 1_048_576;
const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
const DEFAULT_VERSION = '18.6.5';
/**
 * After refusing a body, the rest of it is read and discarded for this long before the socket is destroyed:
 * closing with unread data makes the kernel send a reset that can destroy the 413 before the client reads it.
 */
const REFUSED_BODY_DRAIN_MS = 2_000;
const FILTERED_PARAMS = new Set(['private_token', 'job_token']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

class PayloadTooLarge extends Error {}

/** The query string as logged: credentials replaced by `[FILTERED]`, as GitLab's parameter filter does. */
function filterQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      let name: string;
      try {
        name = decodeURIComponent(pair.slice(0, eq).replaceAll('+', ' '));
      } catch {
        name = pair.slice(0, eq);
      }
      return FILTERED_PARAMS.has(name) ? `${pair.slice(0, eq)}=[FILTERED]` : pair;
    })
    .join('&');
}

function splitTarget(target: string): { pathname: string; query: string } {
  let pathAndQuery = target;
  if (!target.startsWith('/')) {
    try {
      const absolute = new URL(target);
      pathAndQuery = `${absolute.pathname}${absolute.search}`;
    } catch {
      pathAndQuery = '/';
    }
  }
  const mark = pathAndQuery.indexOf('?');
  return mark === -1
    ? { pathname: pathAndQuery, query: '' }
    : { pathname: pathAndQuery.slice(0, mark), query: pathAndQuery.slice(mark + 1) };
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    request.on('data', (chunk: Buffer) => {
      if (settled) return; // refused: discarded while draining
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        settle(() => reject(new PayloadTooLarge()));
      } else chunks.push(chunk);
    });
    request.on('end', () => settle(() => resolve(Buffer.concat(chunks))));
    request.on('error', (error) => settle(() => reject(error)));
    request.on('close', () => settle(() => reject(new Error('request closed before its body was read'))));
  });
}

/**
 * What Grape's formatter does with a request body: JSON for `application/json` or no content type, Rack for
 * url-encoded forms, ignored for `text/plain` (GitLab's `content_type :txt` has no parser), 415 otherwise.
 */
function parseBody(
  body: Buffer,
  contentType: string | undefined,
): { json: Record<string, unknown> | null; form: ParamHash | null } {
  if (body.length === 0) return { json: null, form: null };
  const media = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  if (media === 'application/x-www-form-urlencoded')
    return { json: null, form: parseNestedQuery(body.toString('utf8')) };
  if (media === 'text/plain') return { json: null, form: null };
  if (media !== undefined && media !== 'application/json') {
    throw grapeError(415, `The provided content-type '${media}' is not supported.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    // Grape's `InvalidMessageBody`, whose en.yml text is "message body does not match declared format"; the
    // exact rendering GitLab sends is derived from Grape, not observed.
    throw grapeError(400, 'message body does not match declared format');
  }
  // Grape merges only a JSON object into params; an array or scalar body adds nothing.
  return { json: isParamHash(parsed) ? (parsed as Record<string, unknown>) : null, form: null };
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

  const context = (): RouteContext => ({
    store,
    auth,
    externalUrl: externalUrl ?? url,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
    deliveryAgents,
    version: options.version ?? DEFAULT_VERSION,
  });

  function respond(
    request: IncomingMessage,
    response: ServerResponse,
    entry: Omit<ServedRequest, 'status'>,
    status: number,
    headers: Record<string, string>,
    body: string | null,
  ): void {
    // Logged before the first byte is written, so a client that has its answer always finds it in the log.
    log.push({ ...entry, status });
    if (response.headersSent || response.destroyed) return;
    const allHeaders: Record<string, string | number> = { ...headers };
    if (body !== null) allHeaders['content-length'] = Buffer.byteLength(body);
    response.writeHead(status, allHeaders);
    response.end(request.method === 'HEAD' ? undefined : (body ?? undefined));
  }

  function respondJson(
    request: IncomingMessage,
    response: ServerResponse,
    entry: Omit<ServedRequest, 'status'>,
    answer: ApiResponse,
  ): void {
    const headers = { ...answer.headers };
    if (answer.json === undefined) {
      respond(request, response, entry, answer.status, headers, null);
      return;
    }
    headers['content-type'] = 'application/json';
    respond(request, response, entry, answer.status, headers, JSON.stringify(answer.json));
  }

  /** Answers without reading the rest of the body, then discards what still arrives for a bounded time. */
  function refuseBody(request: IncomingMessage, response: ServerResponse): void {
    response.setHeader('connection', 'close');
    request.on('data', () => {});
    request.resume();
    const timer = setTimeout(() => request.socket.destroy(), REFUSED_BODY_DRAIN_MS);
    timer.unref();
    request.socket.once('close', () => clearTimeout(timer));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const { pathname, query: rawQuery } = splitTarget(request.url ?? '/');
    const entry = { method, path: pathname, query: filterQuery(rawQuery) };
    const tooLarge = messageError(413, '413 Request Entity Too Large');
    try {
      const declaredLength = Number(request.headers['content-length'] ?? 0);
      if (declaredLength > maxBodyBytes) {
        refuseBody(request, response);
        throw tooLarge;
      }
      const query = parseNestedQuery(rawQuery);
      if (throttle !== null && pathname.startsWith('/api/')) {
        const role = auth.roleOf(findCredential(request.headers, query));
        const name = role === null ? 'throttle_unauthenticated_api' : 'throttle_authenticated_api';
        const throttled = throttle.hit(name, role ?? request.socket.remoteAddress ?? 'unknown');
        if (throttled !== null) {
          // Node discards an unread body itself before it reuses a keep-alive connection.
          respond(
            request,
            response,
            entry,
            429,
            { ...throttled.headers, 'content-type': 'text/plain' },
            throttled.body,
          );
          return;
        }
      }
      let body: Buffer;
      try {
        body = await readBody(request, maxBodyBytes);
      } catch (error) {
        if (!(error instanceof PayloadTooLarge)) throw error;
        refuseBody(request, response);
        throw tooLarge;
      }
      const parsed = BODY_METHODS.has(method)
        ? parseBody(body, request.headers['content-type'])
        : { json: null, form: null };
      const params: Record<string, unknown> = Object.assign(paramHash(), query, parsed.form, parsed.json);
      const apiRequest: ApiRequest = {
        method,
        pathname,
        headers: request.headers,
        query,
        params,
      };
      respondJson(request, response, entry, await handleApiRequest(apiRequest, context()));
    } catch (error) {
      if (error instanceof ApiError) {
        respondJson(request, response, entry, { status: error.status, json: error.body });
        return;
      }
      if (response.destroyed || request.destroyed) {
        log.push({ ...entry, status: 499 });
        return;
      }
      // Never echo details: the message could quote a request value.
      console.error('embedded GitLab: unexpected error', error instanceof Error ? error.stack : error);
      respondJson(request, response, entry, { status: 500, json: { message: '500 Internal Server Error' } });
    }
  }

  async function seed(hooks: Record<string, unknown>[]): Promise<number[]> {
    const accepted: HookAttributes[] = [];
    hooks.forEach((raw, index) => {
      const errors = new ParamErrors();
      const params = declareHookParams(Object.assign(paramHash(), raw), { urlRequired: true }, errors);
      if (errors.messages.length > 0)
        throw new Error(`seed hook ${index}: 400 ${errors.messages.join(', ')}`);
      const prepared = store.prepareCreate(params);
      if (prepared.errors.length > 0) {
        throw new Error(`seed hook ${index}: 422 ${createFailureMessage(prepared.errors)}`);
      }
      accepted.push(prepared.attributes);
    });
    return accepted.map((attributes) => store.insert(attributes).id);
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
