/**
 * Webhook delivery: the HTTP POST GitLab makes to a hook's receiver (`WebHookService#execute`), for the test
 * endpoint and for emitted events. Delivery never rejects; every failure becomes a `DeliveryResult` with an
 * `error`.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { atLeast, SINCE } from './gitlab-version.ts';
import { interpolateUrl } from './url-template.ts';

/** What delivery needs to know about a hook; values are the stored (unmasked) ones. */
export interface DeliverableHook {
  /** The URL template as stored, `{name}` placeholders included. */
  url: string;
  token: string | null;
  urlVariables: Readonly<Record<string, string>>;
  customHeaders: Readonly<Record<string, string>>;
  enableSslVerification: boolean;
  /** GitLab 19.0's `whsec_` signing token; with one, the delivery carries `webhook-signature`. */
  signingToken?: string | null;
}

export interface DeliveryOptions {
  /**
   * Deadline for the whole exchange: queueing, connecting, sending, the response head and the part of the
   * body that is read. GitLab's `webhook_timeout`, whose default is 10 s; a value that is not a positive
   * number means that default.
   */
  timeoutMs: number;
  /** Sent as `X-Gitlab-Instance`, for example `https://gitlab.example.com`. */
  instanceUrl: string;
  /**
   * Sent as `User-Agent: GitLab/<gitlabVersion>`; also decides which headers exist (`X-Gitlab-Webhook-UUID`
   * from 16.2, `Idempotency-Key` from 17.4, `webhook-id`, `webhook-timestamp` and `webhook-signature` from 19.0).
   */
  gitlabVersion: string;
  /** The pools the delivery's connection comes from. */
  agents: DeliveryAgents;
  /**
   * `Idempotency-Key` and `webhook-id`: one per hook and event, the same when the delivery is sent again.
   * @default a new UUID
   */
  idempotencyKey?: string;
  /**
   * `X-Gitlab-Event-UUID`: one per hook and triggering request, or the one the triggering request carried.
   * @default a new UUID
   */
  eventUuid?: string;
  /**
   * `X-Gitlab-Event`: `hook_name.to_s.singularize.titleize` of the delivery's trigger (`Push Hook`).
   * @default 'System Hook'
   */
  eventHeader?: string;
  /**
   * The clock of `webhook-timestamp`, in epoch milliseconds, so that a test can move it.
   * @default Date.now
   */
  now?: () => number;
}

export interface DeliveryResult {
  /** The receiver's HTTP status (any status, 3xx and 5xx included); `null` when no complete answer arrived. */
  status: number | null;
  /** A short reason when the delivery failed (no secrets, no URL); `null` when the receiver answered. */
  error: string | null;
  durationMs: number;
  /**
   * The headers sent, with the values of `X-Gitlab-Token`, `Authorization` and every custom header replaced by
   * `[REDACTED]` (GitLab's hook log masks them too); null when no request was made.
   */
  requestHeaders: Record<string, string> | null;
  /** The receiver's headers (lower-case names, repeated ones joined with `, `); empty without an answer. */
  responseHeaders: Record<string, string>;
  /** The first 8 KB of the receiver's body, decoded as UTF-8; `''` without an answer. */
  responseBody: string;
}

/** GitLab keeps 8 KB of the response for its logs; we read that much and no more. */
const RESPONSE_BODY_LIMIT_BYTES = 8 * 1024;
/** `WebHookService::REQUEST_BODY_SIZE_LIMIT` (25.megabytes): larger payloads fail without a request. */
const REQUEST_BODY_LIMIT_BYTES = 25 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Headers that describe the connection or the message framing. undici refuses most of them outright, and GitLab's
 * HTTP client recomputes the framing anyway, so a custom header of that name would only make delivery fail.
 */
const CONNECTION_HEADERS = new Set([
  'connection',
  'content-length',
  'expect',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Receivers are arbitrary origins, so the limits are per origin and deliberately small: a test delivery is one
 * request, and an idle connection is worth keeping only for a burst of deliveries to the same receiver.
 */
function createDeliveryAgent(tls: { rejectUnauthorized: boolean }): Agent {
  return new Agent({
    connections: 4,
    maxOrigins: 1024,
    // Bounds a connect attempt that outlives an aborted delivery; equals GitLab's default webhook timeout.
    connectTimeout: 10_000,
    // Backstops only: each request sets both to its own `timeoutMs`.
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
    // Below Node's 5 s server default, so we close an idle socket before a typical receiver does.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    maxHeaderSize: 16 * 1024,
    connect: tls,
  });
}

/**
 * The connection pools of one embedded GitLab's deliveries, one per TLS-verification setting, created on first
 * use. Each server owns its own, so closing one server never touches another's deliveries.
 */
export class DeliveryAgents {
  #verifying: Agent | null = null;
  #nonVerifying: Agent | null = null;

  /** The pool for this hook's `enable_ssl_verification`. */
  for(hook: Pick<DeliverableHook, 'enableSslVerification'>): Agent {
    if (hook.enableSslVerification) {
      this.#verifying ??= createDeliveryAgent({ rejectUnauthorized: true });
      return this.#verifying;
    }
    this.#nonVerifying ??= createDeliveryAgent({ rejectUnauthorized: false });
    return this.#nonVerifying;
  }

  /** Waits for deliveries in flight (each bounded by its `timeoutMs`), then closes every socket. */
  async close(): Promise<void> {
    const open = [this.#verifying, this.#nonVerifying].filter((agent): agent is Agent => agent !== null);
    this.#verifying = null;
    this.#nonVerifying = null;
    await Promise.all(open.map((agent) => agent.close()));
  }
}

/** Thrown for problems found before any request is made; its message is the result's `error`. */
class DeliveryRefused extends Error {}

/** Ruby's `CGI.unescape`: `+` is a space, valid `%XX` escapes are bytes, anything else is kept as it is. */
function cgiUnescape(value: string): string {
  const bytes: number[] = [];
  const text = value.replaceAll('+', ' ');
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
      continue;
    }
    const codePoint = text.codePointAt(i) as number;
    const char = String.fromCodePoint(codePoint);
    bytes.push(...Buffer.from(char, 'utf8'));
    i += char.length - 1;
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * What Ruby's `URI.parse` (RFC 3986) accepts character by character. The WHATWG parser would quietly
 * percent-encode spaces, braces or non-ASCII text, and so send requests GitLab never makes.
 */
const RFC3986_CHARACTERS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

interface Target {
  url: URL;
  /** From userinfo in the URL, which GitLab turns into HTTP Basic auth instead of sending it in the URL. */
  authorization: string | null;
}

function resolveTarget(hook: DeliverableHook): Target {
  // GitLab rescues the interpolation error and falls back to the raw template. That template still holds a
  // `{name}`, which its `URI.parse` rejects, so the fallback ends as an "Invalid URL" error with no request.
  const raw = interpolateUrl(hook.url, hook.urlVariables) ?? hook.url;
  if (!RFC3986_CHARACTERS.test(raw) || !URL.canParse(raw)) throw new DeliveryRefused('Invalid URL');
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DeliveryRefused('Only allowed schemes are http, https');
  }
  let authorization: string | null = null;
  if (url.username !== '' || url.password !== '') {
    const credentials = `${cgiUnescape(url.username)}:${cgiUnescape(url.password)}`;
    authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url, authorization };
}

/**
 * The Standard Webhooks signature GitLab 19.0 sends: `v1,` and the base64 HMAC-SHA256, keyed with the base64
 * key after `whsec_`, of `<webhook-id>.<webhook-timestamp>.<body>`.
 */
export function signWebhook(signingToken: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(signingToken.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body, 'utf8').digest('base64');
  return `v1,${mac}`;
}

const REDACTED = '[REDACTED]';

/** The delivery's headers: each name once, in the case it is sent, and whether its value is a secret. */
class HeaderSet {
  readonly #byName = new Map<string, { name: string; value: string; secret: boolean }>();

  /** A later header replaces an earlier one of the same name whatever its case, as a Ruby hash merge does. */
  set(name: string, value: string): void {
    this.#byName.set(name.toLowerCase(), { name, value, secret: false });
  }

  /** Like `set`, for a value the log must not show. */
  setSecret(name: string, value: string): void {
    this.#byName.set(name.toLowerCase(), { name, value, secret: true });
  }

  sent(): Record<string, string> {
    return Object.fromEntries([...this.#byName.values()].map(({ name, value }) => [name, value]));
  }

  redacted(): Record<string, string> {
    const entries = [...this.#byName.values()];
    return Object.fromEntries(entries.map(({ name, value, secret }) => [name, secret ? REDACTED : value]));
  }
}

/** What the headers depend on beyond the hook and the options. */
interface HeaderInputs {
  authorization: string | null;
  body: string;
}

/**
 * `build_custom_headers.merge(build_headers)`: custom headers go first and GitLab's own replace same-named ones.
 * Header names are case-insensitive on the wire, so the merge is too.
 */
function buildHeaders(hook: DeliverableHook, options: DeliveryOptions, inputs: HeaderInputs): HeaderSet {
  const headers = new HeaderSet();
  const version = options.gitlabVersion;
  const idempotencyKey = options.idempotencyKey ?? randomUUID();

  for (const [name, value] of Object.entries(hook.customHeaders)) {
    if (!CONNECTION_HEADERS.has(name.toLowerCase())) headers.setSecret(name, value);
  }
  headers.set('Content-Type', 'application/json');
  headers.set('User-Agent', `GitLab/${version}`);
  if (atLeast(version, SINCE.idempotencyKeyHeader)) headers.set('Idempotency-Key', idempotencyKey);
  headers.set('X-Gitlab-Event', options.eventHeader ?? 'System Hook');
  if (atLeast(version, SINCE.webhookUuidHeader)) headers.set('X-Gitlab-Webhook-UUID', randomUUID());
  headers.set('X-Gitlab-Instance', options.instanceUrl);
  headers.set('X-Gitlab-Event-UUID', options.eventUuid ?? randomUUID());
  // Ruby's `token.present?`: a blank token sends no header, and a custom X-Gitlab-Token then survives the merge.
  if (hook.token !== null && hook.token.trim() !== '') {
    // GitLab strips `\r?\n`; a lone `\r` would make the header invalid, so it goes too.
    headers.setSecret('X-Gitlab-Token', hook.token.replace(/[\r\n]/g, ''));
  }
  if (atLeast(version, SINCE.standardWebhooks)) {
    const timestamp = String(Math.floor((options.now ?? Date.now)() / 1000));
    headers.set('webhook-id', idempotencyKey);
    headers.set('webhook-timestamp', timestamp);
    const signingToken = hook.signingToken ?? '';
    if (signingToken.trim() !== '') {
      headers.set('webhook-signature', signWebhook(signingToken, idempotencyKey, timestamp, inputs.body));
    }
  }
  // Net::HTTP applies basic_auth after the headers, so it wins over a custom Authorization header.
  if (inputs.authorization !== null) headers.setSecret('Authorization', inputs.authorization);
  return headers;
}

function serialise(data: Record<string, unknown>): string {
  let body: string | undefined;
  try {
    body = JSON.stringify(data);
  } catch {
    throw new DeliveryRefused('Payload is not serialisable as JSON');
  }
  if (body === undefined) throw new DeliveryRefused('Payload is not serialisable as JSON');
  if (Buffer.byteLength(body, 'utf8') > REQUEST_BODY_LIMIT_BYTES) {
    throw new DeliveryRefused('Payload exceeds the 25 MB request size limit');
  }
  return body;
}

const TLS_ERROR_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  // OpenSSL's handshake failures, such as an https URL pointing at a plain-HTTP port.
  'EPROTO',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** A short, secret-free reason, chosen by error code (undici's `UND_ERR_*` or Node's system codes). */
function describeFailure(error: unknown, timeoutMs: number): string {
  const code =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? error.code
      : null;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `Timed out after ${timeoutMs} ms`;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'Connection timed out';
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return 'Host name could not be resolved';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'Host unreachable';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'Connection reset by the receiver';
    case 'UND_ERR_SOCKET':
      return 'Connection closed by the receiver';
    case 'HPE_INVALID_CONSTANT':
    case 'UND_ERR_INFO':
      return 'Invalid HTTP response';
    case 'UND_ERR_HEADERS_OVERFLOW':
      return 'Response headers too large';
    case 'UND_ERR_INVALID_ARG':
      return 'Invalid request header';
    case 'UND_ERR_MAX_ORIGINS_REACHED':
      return 'Too many receivers in use';
    case null:
      return 'Delivery failed';
  }
  if (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    return `TLS error (${code})`;
  }
  if (code.startsWith('HPE_')) return 'Invalid HTTP response';
  return `Delivery failed (${code})`;
}

/** Node fires a timer longer than this after 1 ms, so longer deadlines are clamped to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function deadlineMs(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.min(value, MAX_TIMER_MS) : DEFAULT_TIMEOUT_MS;
}

const NO_ANSWER = { status: null, responseHeaders: {}, responseBody: '' } as const;

/** Net::HTTP's `each_header`: one value per name, repeated headers joined with `, `. */
function joinHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const joined: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) joined[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return joined;
}

/**
 * POSTs `data` as JSON to the hook's interpolated URL with GitLab's headers. Redirects are not followed (the 3xx
 * is the result), the response body is read up to 8 KB, and the call never rejects.
 */
export async function deliverHook(
  hook: DeliverableHook,
  data: Record<string, unknown>,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const timeoutMs = deadlineMs(options.timeoutMs);

  let target: Target;
  let body: string;
  let headers: HeaderSet;
  try {
    target = resolveTarget(hook);
    body = serialise(data);
    headers = buildHeaders(hook, options, { authorization: target.authorization, body });
  } catch (error) {
    const reason = error instanceof DeliveryRefused ? error.message : 'Delivery failed';
    return { ...NO_ANSWER, error: reason, durationMs: elapsed(), requestHeaders: null };
  }
  const requestHeaders = headers.redacted();

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    // A plain Agent has no redirect interceptor, so a 3xx answer is returned as it is: the token and any Basic
    // credentials never reach the Location.
    const response = await options.agents.for(hook).request({
      origin: target.url.origin,
      path: `${target.url.pathname}${target.url.search}`,
      method: 'POST',
      headers: headers.sent(),
      body,
      signal: deadline.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      received += chunk.length;
      // Leaving the loop destroys the body, which closes the connection instead of draining a body of any size.
      if (received >= RESPONSE_BODY_LIMIT_BYTES) break;
    }
    return {
      status: response.statusCode,
      error: null,
      durationMs: elapsed(),
      requestHeaders,
      responseHeaders: joinHeaders(response.headers),
      responseBody: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT_BYTES).toString('utf8'),
    };
  } catch (error) {
    const reason = deadline.signal.aborted
      ? `Timed out after ${timeoutMs} ms`
      : describeFailure(error, timeoutMs);
    return { ...NO_ANSWER, error: reason, durationMs: elapsed(), requestHeaders };
  } finally {
    clearTimeout(timer);
  }
}
