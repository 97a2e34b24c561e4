import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import { parseBaseUrl } from './base-url.ts';
import { type CircuitBreakerOptions, createCircuitBreaker } from './circuit-breaker.ts';
import { errorFromResponse, errorFromTransport, malformedAnswer, UpstreamError } from './errors.ts';
import { type Method, type RetryOptions, retryDelay, retryPolicy } from './retry.ts';
import {
  type CallOptions,
  type Credential,
  type HookDto,
  type HookPageDto,
  type HookParamsDto,
  isWellFormedToken,
  type MockDataDto,
  type SystemHooksApi,
} from './types.ts';
import { toHook, toHookList, toMockData, toPagination } from './wire.ts';

export interface GitLabClientOptions {
  /**
   * The GitLab's base URL (`GITLAB_URL`), for example `https://gitlab.example.com`, or with a relative root
   * `https://x.example/gitlab`. http or https, no user info, no query, no fragment. REST lives at
   * `${baseUrl}/api/v4`.
   */
  baseUrl: string;
  /**
   * Deadline of one call, from before connecting to the last byte of the answer, in milliseconds.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * Most connections open to GitLab at once; further calls queue.
   * @default 16
   */
  connections?: number;
  /**
   * Deadline of establishing a connection (TCP and TLS), in milliseconds.
   * @default 5_000
   */
  connectTimeoutMs?: number;
  /**
   * How long an idle connection is kept for reuse, in milliseconds. Below the 5 s that common servers keep
   * idle connections, so the client never sends on a socket the server is closing.
   * @default 4_000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Largest answer body accepted, in bytes. A larger one fails the call with `UPSTREAM_UNAVAILABLE` and its
   * connection is destroyed.
   * @default 8_388_608 (8 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Deadline of one attempt's response headers, in milliseconds: an attempt that gets none by then is given
   * up and, where the retry policy allows, tried again within what is left of `timeoutMs`. Equal to
   * `timeoutMs`, a silent GitLab is waited for until the call's deadline and never retried.
   * @default timeoutMs
   */
  attemptTimeoutMs?: number;
  /**
   * Which failed calls are tried again, and how (see `retry.ts`: GETs and PUTs on transient faults, DELETEs
   * only when GitLab never got them, POSTs never).
   * @default { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 2_000 }
   */
  retry?: RetryOptions;
  /**
   * A circuit breaker for this origin: after consecutive failures, calls fail fast with
   * `UPSTREAM_UNAVAILABLE` for a cool-down, then one probe decides. `false` for none. The gateway's
   * configuration turns it on (`UPSTREAM_BREAKER_FAILURES`); a bare client has none, so that it reports
   * every fault as GitLab gave it.
   * @default false
   */
  circuitBreaker?: CircuitBreakerOptions | false;
}

/** The System Hooks API of one GitLab, over one connection pool. */
export interface GitLabClient extends SystemHooksApi {
  /** The GitLab origin every call (and every credential) goes to, e.g. `https://gitlab.example.com`. */
  readonly origin: string;
  /** Closes the pool once calls in flight have finished. */
  close(): Promise<void>;
}

const DEFAULTS = {
  timeoutMs: 10_000,
  connections: 16,
  connectTimeoutMs: 5_000,
  keepAliveTimeoutMs: 4_000,
  maxResponseBytes: 8 * 1024 * 1024,
} as const;

/** A server's keep-alive hint is honoured up to this. */
const KEEP_ALIVE_MAX_TIMEOUT_MS = 60_000;
/** Subtracted from a server's keep-alive hint, for the time a request spends in transit. */
const KEEP_ALIVE_THRESHOLD_MS = 1_000;
const MAX_HEADER_BYTES = 16 * 1024;
/** GitLab's error bodies are a line of JSON; more than this is not one of them and is not read. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const USER_AGENT = 'gitlab-system-hooks-gateway';

interface Call {
  method: Method;
  /** Below `/api/v4`, already encoded. */
  path: string;
  /** The route, for messages: `GET /hooks/:hook_id`. */
  route: string;
  body?: unknown;
}

interface Attempt {
  headers: Record<string, string>;
  /** The caller's token, kept out of every error. */
  redact: string[];
  signal: AbortSignal;
  expectBody: boolean;
  /** Called once the response headers are in: the attempt timeout no longer applies. */
  onHeaders: () => void;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
}

/**
 * A client of one GitLab's System Hooks API. Each call carries the caller's credential to this GitLab only,
 * is bounded by `timeoutMs` and `maxResponseBytes`, and fails with an `UpstreamError`, except when the
 * caller's own signal aborts it: that rejects with the signal's reason. Invalid ids, page numbers or keys
 * reject with a `RangeError` before any request. Throws a `TypeError` (a `BaseUrlError`) for a base URL it
 * will not use.
 */
export function createGitLabClient(options: GitLabClientOptions): GitLabClient {
  const base = parseBaseUrl(options.baseUrl);
  const timeoutMs = positiveInteger(options.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs');
  const connections = positiveInteger(options.connections, DEFAULTS.connections, 'connections');
  const connectTimeoutMs = positiveInteger(
    options.connectTimeoutMs,
    DEFAULTS.connectTimeoutMs,
    'connectTimeoutMs',
  );
  const keepAliveTimeoutMs = positiveInteger(
    options.keepAliveTimeoutMs,
    DEFAULTS.keepAliveTimeoutMs,
    'keepAliveTimeoutMs',
  );
  const maxResponseBytes = positiveInteger(
    options.maxResponseBytes,
    DEFAULTS.maxResponseBytes,
    'maxResponseBytes',
  );
  const attemptTimeoutMs = Math.min(
    timeoutMs,
    positiveInteger(options.attemptTimeoutMs, timeoutMs, 'attemptTimeoutMs'),
  );
  const policy = retryPolicy(options.retry);
  const breaker = options.circuitBreaker
    ? createCircuitBreaker(base.origin, options.circuitBreaker)
    : undefined;

  // No redirect interceptor is composed in, so a 3xx comes back as an answer and is never followed.
  const pool = new Pool(base.origin, {
    connections,
    pipelining: 1,
    connectTimeout: connectTimeoutMs,
    // The per-call deadline normally fires first; these bound a call even if a signal were lost.
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(KEEP_ALIVE_MAX_TIMEOUT_MS, keepAliveTimeoutMs),
    keepAliveTimeoutThreshold: KEEP_ALIVE_THRESHOLD_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
    maxResponseSize: maxResponseBytes,
  });

  /**
   * One call: attempts under the retry policy and the breaker, all within one deadline. The caller's abort
   * ends it at once, also between attempts.
   */
  async function send(call: Call, callOptions: CallOptions, expectBody: boolean): Promise<Answer> {
    const credential = callOptions.credential;
    const headers = requestHeaders(credential, call.body !== undefined);
    const redact = credential ? [credential.token] : [];
    const caller = callOptions.signal ?? undefined;
    const started = performance.now();
    // One controller for the whole call, aborted by one timer (the deadline) or one listener (the caller),
    // both released when the call ends: cheaper per call than `AbortSignal.timeout` + `AbortSignal.any`,
    // which showed in the profile.
    const controller = new AbortController();
    const signal = controller.signal;
    let deadlineReason: DOMException | undefined;
    const deadline = setTimeout(() => {
      deadlineReason = new DOMException(`The call's deadline of ${timeoutMs} ms passed`, 'TimeoutError');
      controller.abort(deadlineReason);
    }, timeoutMs);
    // Like `AbortSignal.timeout`'s timer, the deadline alone does not keep the process alive.
    deadline.unref();
    const onCallerAbort = () => controller.abort(caller?.reason);
    if (caller?.aborted) controller.abort(caller.reason);
    else caller?.addEventListener('abort', onCallerAbort, { once: true });
    /** The failure being retried, if any. */
    let retrying: UpstreamError | undefined;

    const failure = (error: unknown): unknown => {
      if (error instanceof UpstreamError) return error;
      if (signal.aborted) {
        // Whichever fired first is the signal's reason: the client going away is not GitLab's fault.
        if (signal.reason !== deadlineReason && caller?.aborted) return caller.reason;
        // A retry that the deadline cut short reports the failure that called for it, not a timeout.
        return (
          retrying ?? new UpstreamError('UPSTREAM_TIMEOUT', `GitLab did not answer within ${timeoutMs} ms`)
        );
      }
      return errorFromTransport(error, { redact });
    };

    try {
      for (let attempt = 0; ; attempt++) {
        if (signal.aborted) throw failure(signal.reason);
        const permit = breaker?.enter();
        // undici's own headersTimeout runs on a timer wheel of about half a second, too coarse for an attempt
        // of a few hundred milliseconds; so the attempt gets its own timer, cleared when the headers arrive,
        // and follows the call's signal until it ends. When the attempt has all the time left, the call's
        // deadline is its timeout and the call's signal is its own.
        const remainingMs = timeoutMs - (performance.now() - started);
        const limited = attemptTimeoutMs < remainingMs ? new AbortController() : undefined;
        const timer = limited
          ? setTimeout(() => limited.abort(attemptTimedOut(attemptTimeoutMs)), attemptTimeoutMs)
          : undefined;
        const onHeaders = () => clearTimeout(timer);
        const onCallAbort = () => limited?.abort(signal.reason);
        if (limited) signal.addEventListener('abort', onCallAbort, { once: true });
        try {
          const answer = await sendOnce(call, {
            headers,
            redact,
            signal: limited ? limited.signal : signal,
            expectBody,
            onHeaders,
          });
          permit?.success();
          return answer;
        } catch (thrown) {
          onHeaders();
          const error = failure(thrown);
          permit?.settleWith(error);
          if (!(error instanceof UpstreamError)) throw error;
          const remainingMs = timeoutMs - (performance.now() - started);
          const delay = retryDelay(policy, call.method, error, attempt, remainingMs);
          if (delay === undefined) throw error;
          retrying = error;
          try {
            await sleep(delay, undefined, { signal });
          } catch {
            throw failure(signal.reason);
          }
        } finally {
          if (limited) signal.removeEventListener('abort', onCallAbort);
        }
      }
    } finally {
      clearTimeout(deadline);
      caller?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** One request and its answer; fails with a transport error or an `UpstreamError`. */
  async function sendOnce(call: Call, attempt: Attempt): Promise<Answer> {
    const { headers, redact, signal, expectBody, onHeaders } = attempt;
    const response = await pool.request({
      method: call.method,
      path: `${base.prefix}${call.path}`,
      headers,
      body: call.body === undefined ? null : JSON.stringify(call.body),
      signal,
    });
    onHeaders();

    const { statusCode: status, headers: responseHeaders, body } = response;
    // Errors the stream emits after it is abandoned have nobody left to hear them.
    body.on('error', () => {});
    try {
      if (status >= 200 && status < 300) {
        const text = await readText(
          body,
          responseHeaders,
          expectBody ? maxResponseBytes : MAX_ERROR_BODY_BYTES,
        );
        if (!expectBody) return { status, headers: responseHeaders, json: undefined };
        if (text === undefined)
          throw malformedAnswer(status, `at most ${maxResponseBytes} bytes (${call.route})`);
        return { status, headers: responseHeaders, json: parseJson(text, status, call.route) };
      }
      const text = await readText(body, responseHeaders, Math.min(MAX_ERROR_BODY_BYTES, maxResponseBytes));
      throw errorFromResponse(status, responseHeaders, text, { redact });
    } catch (error) {
      body.destroy();
      throw error;
    }
  }

  async function read<T>(
    call: Call,
    callOptions: CallOptions,
    check: (json: unknown) => T | undefined,
    expected: string,
  ): Promise<{ value: T; headers: Answer['headers'] }> {
    const answer = await send(call, callOptions, true);
    const value = check(answer.json);
    if (value === undefined) throw malformedAnswer(answer.status, `${expected} (${call.route})`);
    return { value, headers: answer.headers };
  }

  async function readHook(call: Call, callOptions: CallOptions): Promise<HookDto> {
    return (await read(call, callOptions, toHook, 'a system hook')).value;
  }

  async function act(call: Call, callOptions: CallOptions): Promise<void> {
    await send(call, callOptions, false);
  }

  let closing: Promise<void> | undefined;

  return {
    origin: base.origin,

    close() {
      closing ??= pool.close();
      return closing;
    },

    async listHooks(query, callOptions): Promise<HookPageDto> {
      const page = positiveId(query.page, 'page');
      const perPage = positiveId(query.perPage, 'perPage');
      const { value: hooks, headers } = await read(
        { method: 'GET', path: `/hooks?page=${page}&per_page=${perPage}`, route: 'GET /hooks' },
        callOptions,
        toHookList,
        'a list of system hooks',
      );
      return { hooks, pagination: toPagination(headers, { page, perPage }, hooks.length) };
    },

    async getHook(id, callOptions) {
      return readHook({ method: 'GET', path: hookPath(id), route: 'GET /hooks/:hook_id' }, callOptions);
    },

    async createHook(params, callOptions) {
      return readHook(
        { method: 'POST', path: '/hooks', route: 'POST /hooks', body: hookParams(params) },
        callOptions,
      );
    },

    async updateHook(id, params, callOptions) {
      const call: Call = {
        method: 'PUT',
        path: hookPath(id),
        route: 'PUT /hooks/:hook_id',
        body: hookParams(params),
      };
      return readHook(call, callOptions);
    },

    async deleteHook(id, callOptions) {
      await act({ method: 'DELETE', path: hookPath(id), route: 'DELETE /hooks/:hook_id' }, callOptions);
    },

    async testHook(id, callOptions): Promise<MockDataDto> {
      const call: Call = { method: 'POST', path: hookPath(id), route: 'POST /hooks/:hook_id' };
      return (await read(call, callOptions, toMockData, 'the sample event')).value;
    },

    async setUrlVariable(id, key, value, callOptions) {
      const call = keyCall('PUT', id, 'url_variables', key, { value: stringValue(value) });
      await act(call, callOptions);
    },

    async deleteUrlVariable(id, key, callOptions) {
      await act(keyCall('DELETE', id, 'url_variables', key), callOptions);
    },

    async setCustomHeader(id, key, value, callOptions) {
      const call = keyCall('PUT', id, 'custom_headers', key, { value: stringValue(value) });
      await act(call, callOptions);
    },

    async deleteCustomHeader(id, key, callOptions) {
      await act(keyCall('DELETE', id, 'custom_headers', key), callOptions);
    },
  };
}

/**
 * The reason an attempt is aborted when its headers are late: undici's code for the same condition, so that
 * the error maps to `UPSTREAM_TIMEOUT` and the retry policy knows it for a timeout before the headers.
 */
function attemptTimedOut(ms: number): Error {
  const error = new Error(`GitLab sent no response headers within ${ms} ms`);
  error.name = 'TimeoutError';
  return Object.assign(error, { code: 'UND_ERR_HEADERS_TIMEOUT' });
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`GitLab client option ${name} must be a positive integer`);
  }
  return value;
}

/** Ids and page numbers are checked before any request: a bad one is the caller's bug, not GitLab's verdict. */
function positiveId(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive safe integer, got ${String(value)}`);
  }
  return value;
}

function hookPath(id: number): string {
  return `/hooks/${encodeURIComponent(positiveId(id, 'hook id'))}`;
}

function keyCall(
  method: Method,
  id: number,
  collection: 'url_variables' | 'custom_headers',
  key: string,
  body?: { value: string },
): Call {
  // An empty or dot-only key would name another route once a server normalizes the path.
  if (typeof key !== 'string' || /^\.*$/.test(key)) {
    throw new RangeError(
      `A ${collection === 'url_variables' ? 'URL variable' : 'custom header'} key must not be empty or only dots`,
    );
  }
  return {
    method,
    path: `${hookPath(id)}/${collection}/${encodeURIComponent(key)}`,
    route: `${method} /hooks/:hook_id/${collection}/:key`,
    body,
  };
}

function stringValue(value: string): string {
  if (typeof value !== 'string') throw new TypeError('A value must be a string');
  return value;
}

function hookParams(params: HookParamsDto): HookParamsDto {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError('Hook parameters must be an object');
  }
  return params;
}

function requestHeaders(credential: Credential | undefined, hasBody: boolean): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
  if (hasBody) headers['content-type'] = 'application/json';
  if (credential) {
    // Anything else would be rejected by the header writer with an error better raised before the request exists.
    if (!isWellFormedToken(credential.token)) {
      throw new TypeError('The credential token must be visible ASCII characters');
    }
    if (credential.scheme === 'bearer') headers.authorization = `Bearer ${credential.token}`;
    else if (credential.scheme === 'private-token') headers['private-token'] = credential.token;
    else throw new TypeError('The credential scheme must be "bearer" or "private-token"');
  }
  return headers;
}

/**
 * The body as text, or `undefined` when it is longer than `limit` (the stream is then destroyed, and with
 * it the connection, rather than read to the end).
 */
async function readText(
  body: Dispatcher.ResponseData['body'],
  headers: Answer['headers'],
  limit: number,
): Promise<string | undefined> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function parseJson(text: string, status: number, route: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformedAnswer(status, `JSON (${route})`);
  }
}
