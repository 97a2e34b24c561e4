/**
 * The HTTP side of the embedded GitLab, below the API: the request target, the body (read under a cap and
 * parsed as Grape's formatter does), a refused body drained as nginx's lingering close does, and writing an
 * answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { grapeError } from './errors.ts';
import { isParamHash, type ParamHash, parseNestedQuery } from './rack-params.ts';

/** An answer to write: a status, headers, and a JSON body, a plain-text body, or none. */
export interface HttpAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as it is, with the content type `headers` give. */
  text?: string;
  /** Runs once the answer has been written, or the client has gone: work that must not delay the answer. */
  afterAnswer?: () => void;
}

/** What a refused body may still cost: nginx's lingering close reads for a while, then closes. */
export interface DrainLimits {
  /** How long the rest of the body is read and discarded before the socket is destroyed. */
  ms: number;
  /** How much of it is read before the socket is destroyed. */
  bytes: number;
}

const FILTERED_PARAMS = new Set(['private_token', 'job_token']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The path and raw query of a request target; an absolute-form target is reduced to its path. */
export function splitTarget(target: string): { pathname: string; query: string } {
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

function decodedName(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replaceAll('+', ' '));
  } catch {
    return encoded;
  }
}

/** The query string as logged: credentials replaced by `[FILTERED]`, as GitLab's parameter filter does. */
export function filterQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const name = pair.slice(0, eq);
      return FILTERED_PARAMS.has(decodedName(name)) ? `${name}=[FILTERED]` : pair;
    })
    .join('&');
}

/** The `Content-Length` the client declared; 0 for a chunked body or none. */
export function declaredLength(request: IncomingMessage): number {
  return Number(request.headers['content-length'] ?? 0);
}

/** The whole body, or null as soon as it grows over `maxBytes`; rejects if the request ends early. */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (outcome: () => void) => {
      if (finished) return;
      finished = true;
      outcome();
    };
    request.on('data', (chunk: Buffer) => {
      if (finished) return; // refused: the drain discards the rest
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        finish(() => resolve(null));
      } else chunks.push(chunk);
    });
    request.on('end', () => finish(() => resolve(Buffer.concat(chunks))));
    request.on('error', (error) => finish(() => reject(error)));
    request.on('close', () => finish(() => reject(new Error('request closed before its body was read'))));
  });
}

export interface ParsedBody {
  json: Record<string, unknown> | null;
  form: ParamHash | null;
}

const NO_BODY: ParsedBody = { json: null, form: null };

/**
 * What Grape's formatter does with a request body: JSON for `application/json` or no content type, Rack for
 * url-encoded forms, ignored for `text/plain` (GitLab's `content_type :txt` has no parser), 415 otherwise.
 * Only the methods that carry a body are parsed.
 */
export function parseBody(method: string, body: Buffer, contentType: string | undefined): ParsedBody {
  if (!BODY_METHODS.has(method) || body.length === 0) return NO_BODY;
  const media = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  if (media === 'application/x-www-form-urlencoded')
    return { json: null, form: parseNestedQuery(body.toString('utf8')) };
  if (media === 'text/plain') return NO_BODY;
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

/**
 * Keeps reading and discarding a body that was refused, as nginx's lingering close does, so that a client
 * still sending it can read the answer: destroying the socket with unread data makes the kernel send a reset,
 * and a client that is still writing then fails with EPIPE or ECONNRESET before it reads the 413. The answer
 * leaves the connection open (no `Connection: close`, which would make Node destroy the socket as soon as the
 * answer is written); the drain ends when the body does, or the socket is destroyed once the body has gone on
 * for `limits.ms` or `limits.bytes`. Most clients close the connection themselves once they have the answer.
 */
export function drainRefusedBody(request: IncomingMessage, limits: DrainLimits): void {
  const { socket } = request;
  let drained = 0;
  const done = () => {
    clearTimeout(timer);
    socket.off('close', done);
  };
  const stop = () => {
    done();
    socket.destroy();
  };
  const timer = setTimeout(stop, limits.ms);
  timer.unref();
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > limits.bytes) stop();
  });
  // A keep-alive socket outlives the request: its listener goes when the body ends.
  request.once('end', done);
  socket.once('close', done);
  request.resume();
}

/** Writes the answer unless the client has gone; a HEAD answer has the headers of its GET and no body. */
export function writeAnswer(request: IncomingMessage, response: ServerResponse, answer: HttpAnswer): void {
  if (answer.afterAnswer !== undefined) {
    if (response.destroyed) setImmediate(answer.afterAnswer);
    else response.once('close', answer.afterAnswer);
  }
  if (response.headersSent || response.destroyed) return;
  const headers: Record<string, string | number> = { ...answer.headers };
  let body: string | undefined = answer.text;
  if (answer.json !== undefined) {
    body = JSON.stringify(answer.json);
    headers['content-type'] = 'application/json';
  }
  if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
  response.writeHead(answer.status, headers);
  response.end(request.method === 'HEAD' ? undefined : body);
}
