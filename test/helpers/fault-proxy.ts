import { Agent, request as httpRequest } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmbeddedGitLab, type EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { ADMIN_TOKEN, USER_TOKEN } from './credentials.ts';
import { seedHooks } from './stack.ts';

/**
 * A real TCP proxy on 127.0.0.1 between the gateway and a GitLab, which injects one fault per request as the
 * test switches modes. The gateway-facing side is raw TCP, so that it can do what a broken network or
 * server does (reset a connection, stall, never answer); requests that go through are forwarded to GitLab
 * over HTTP and their answers written back byte for byte, or spoiled as the mode says.
 *
 * ```ts
 * const proxy = await startFaultProxy(gitlab.url);
 * const gateway = await startGateway(proxy.url, { upstream: { timeoutMs: 400 } });
 * proxy.setMode({ kind: 'reset-before-headers' });
 * // ... a GraphQL request, then:
 * await waitUntil('every socket closed', () => proxy.openConnections === 0);
 * ```
 */

export type FaultMode =
  /** Forward the request and its answer unchanged. */
  | { kind: 'pass' }
  /** Hold the request this long before forwarding it (a request cancelled meanwhile never reaches GitLab). */
  | { kind: 'latency'; ms: number }
  /** Answer this status without asking GitLab: 500, 502, 503, 429 with `Retry-After`, 302 with `Location`. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Reset the connection (TCP RST) once the request is read, before any answer. */
  | { kind: 'reset-before-headers' }
  /** Forward, then send GitLab's headers and half its body, then reset the connection. */
  | { kind: 'reset-mid-body' }
  /** Forward, then send GitLab's answer cut in half, framed as complete (`Content-Length` of the half). */
  | { kind: 'truncated-json' }
  /** Answer 200 `application/json` with a body that is not JSON. */
  | { kind: 'malformed-json' }
  /** Send 200 headers promising a body, a first byte of it, then nothing. */
  | { kind: 'stall-after-headers' }
  /** Read the request and never answer. */
  | { kind: 'no-answer' };

/** The mode for each request; a function can fail the first requests and pass the rest. */
export type FaultScript = FaultMode | ((request: ProxiedRequest) => FaultMode);

export type Outcome =
  /** Still being handled. */
  | 'pending'
  /** Answered completely (forwarded or synthesized). */
  | 'answered'
  /** The fault was applied (reset, stall, no answer, cut body). */
  | 'faulted'
  /** The gateway closed the connection before the answer was complete. */
  | 'aborted';

/** A request as the proxy received it from the gateway. */
export interface ProxiedRequest {
  /** Which gateway-side connection it came on, counting from 1. */
  connection: number;
  /** Its position in `requests` when it arrived, counting from 0. */
  index: number;
  method: string;
  /** Path and query: `/api/v4/hooks/1`. */
  target: string;
  /** The request line and headers exactly as sent. */
  head: string;
  /** Lower-cased names; the last value wins. */
  headers: Record<string, string>;
  body: string;
  mode: FaultMode['kind'];
  outcome: Outcome;
  /** Whether it was forwarded to GitLab. */
  forwarded: boolean;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give it to the gateway as its GitLab URL. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: ProxiedRequest[];
  /** Gateway-side connections open now. */
  readonly openConnections: number;
  /** Gateway-side connections accepted since start. */
  readonly acceptedConnections: number;
  /** Proxy-to-GitLab connections open now. */
  readonly upstreamConnections: number;
  /** Whether a gateway-side connection (`ProxiedRequest.connection`) is still open. */
  isConnectionOpen(connection: number): boolean;
  /** The mode of the requests that follow. */
  setMode(script: FaultScript): void;
  /** Stops listening and destroys every connection, stalled ones included. */
  close(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** A request head larger than this is not the gateway's; the connection is dropped. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Headers that describe one hop, rewritten rather than forwarded. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

export async function startFaultProxy(gitlabUrl: string): Promise<FaultProxy> {
  const target = new URL(gitlabUrl);
  // One socket per request towards GitLab: the faults live on the gateway side, and an upstream socket per
  // request makes "no proxy-to-GitLab socket left open" a plain count.
  const agent = new Agent({ keepAlive: false });
  let script: FaultScript = { kind: 'pass' };
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const open = new Set<number>();
  const upstream = new Set<Socket>();
  let accepted = 0;

  const server = createServer((socket) => {
    const number = ++accepted;
    sockets.add(socket);
    open.add(number);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      open.delete(number);
    });
    void serve(socket, number);
  });

  async function serve(socket: Socket, connection: number): Promise<void> {
    const reader = createReader(socket);
    for (;;) {
      const head = await reader.readUntil(HEAD_END, MAX_HEAD_BYTES);
      if (head === undefined) {
        socket.destroy();
        return;
      }
      const parsed = parseHead(head.toString('latin1'));
      const length = Number(parsed.headers['content-length'] ?? 0);
      const body = length > 0 ? await reader.read(length) : Buffer.alloc(0);
      if (body === undefined || parsed.headers['transfer-encoding'] !== undefined) {
        // A chunked request body is not something the gateway's client sends.
        socket.destroy();
        return;
      }
      const request: ProxiedRequest = {
        connection,
        index: requests.length,
        method: parsed.method,
        target: parsed.target,
        head: head.toString('latin1'),
        headers: parsed.headers,
        body: body.toString('utf8'),
        mode: 'pass',
        outcome: 'pending',
        forwarded: false,
      };
      requests.push(request);
      const mode = typeof script === 'function' ? script(request) : script;
      request.mode = mode.kind;
      let reusable: boolean;
      try {
        reusable = await apply(mode, request, socket, body);
      } catch {
        // GitLab failed, or the gateway went away while GitLab was answering.
        reusable = false;
        if (request.outcome === 'pending' && !socket.destroyed) request.outcome = 'faulted';
        socket.destroy();
      }
      if (request.outcome === 'pending') request.outcome = socket.destroyed ? 'aborted' : 'answered';
      if (!reusable || socket.destroyed) return;
    }
  }

  /** Applies `mode`; resolves `true` when the connection may carry another request. */
  async function apply(
    mode: FaultMode,
    request: ProxiedRequest,
    socket: Socket,
    body: Buffer,
  ): Promise<boolean> {
    switch (mode.kind) {
      case 'pass':
        return write(socket, serialize(await forward(request, body, socket)));
      case 'latency': {
        await holdUnlessClosed(socket, mode.ms);
        if (socket.destroyed) return false;
        return write(socket, serialize(await forward(request, body, socket)));
      }
      case 'status': {
        const text = mode.body ?? JSON.stringify({ message: `${mode.status} Injected fault` });
        return write(socket, serialize({ status: mode.status, headers: mode.headers ?? {}, body: text }));
      }
      case 'malformed-json':
        return write(socket, serialize({ status: 200, headers: {}, body: '{"id": 1,, "url": }' }));
      case 'truncated-json': {
        const answer = await forward(request, body, socket);
        const cut = answer.body.subarray(0, Math.floor(answer.body.length / 2));
        return write(socket, serialize({ ...answer, body: cut }));
      }
      case 'reset-mid-body': {
        const answer = await forward(request, body, socket);
        const bytes = serialize(answer);
        const headLength = bytes.indexOf(HEAD_END) + HEAD_END.length;
        await write(socket, bytes.subarray(0, headLength + Math.floor(answer.body.length / 2)));
        // Bytes still unsent when the reset goes out would be discarded with it.
        await sleep(30);
        request.outcome = 'faulted';
        socket.resetAndDestroy();
        return false;
      }
      case 'reset-before-headers':
        request.outcome = 'faulted';
        socket.resetAndDestroy();
        return false;
      case 'stall-after-headers':
        request.outcome = 'faulted';
        await write(
          socket,
          Buffer.from(
            'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"id":',
          ),
        );
        await once(socket, 'close');
        return false;
      case 'no-answer':
        request.outcome = 'faulted';
        await once(socket, 'close');
        return false;
    }
  }

  /** GitLab's answer to `request`; the upstream request is abandoned if the gateway goes away first. */
  function forward(
    request: ProxiedRequest,
    body: Buffer,
    socket: Socket,
  ): Promise<Answer & { body: Buffer }> {
    request.forwarded = true;
    return new Promise((resolve, reject) => {
      const headers: [string, string][] = [];
      for (const [name, value] of Object.entries(request.headers)) {
        if (!HOP_HEADERS.has(name)) headers.push([name, value]);
      }
      if (body.length > 0) headers.push(['content-length', String(body.length)]);
      const outgoing = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.target,
          headers: Object.fromEntries(headers),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 502,
              headers: pairs(response.rawHeaders),
              body: Buffer.concat(chunks),
            }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('socket', (upstreamSocket) => {
        upstream.add(upstreamSocket);
        upstreamSocket.once('close', () => upstream.delete(upstreamSocket));
      });
      outgoing.on('error', reject);
      const abandon = () => outgoing.destroy();
      socket.once('close', abandon);
      outgoing.once('close', () => socket.off('close', abandon));
      outgoing.end(body);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get openConnections() {
      return sockets.size;
    },
    get acceptedConnections() {
      return accepted;
    },
    get upstreamConnections() {
      return upstream.size;
    },
    isConnectionOpen: (connection) => open.has(connection),
    setMode(next) {
      script = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return closing;
    },
  };
}

interface Answer {
  status: number;
  headers: [string, string][] | Record<string, string>;
  body: Buffer | string;
}

function serialize(answer: Answer): Buffer {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  const entries = Array.isArray(answer.headers) ? answer.headers : Object.entries(answer.headers);
  const lines = [`HTTP/1.1 ${answer.status} ${reasonPhrase(answer.status)}`];
  let typed = false;
  for (const [name, value] of entries) {
    if (HOP_HEADERS.has(name.toLowerCase())) continue;
    if (name.toLowerCase() === 'content-type') typed = true;
    lines.push(`${name}: ${value}`);
  }
  if (!typed && body.length > 0) lines.push('content-type: application/json');
  lines.push(`content-length: ${body.length}`, 'connection: keep-alive');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

function reasonPhrase(status: number): string {
  const phrases: Record<number, string> = {
    200: 'OK',
    201: 'Created',
    204: 'No Content',
    302: 'Found',
    404: 'Not Found',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return phrases[status] ?? 'Status';
}

function pairs(raw: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) result.push([raw[i] as string, raw[i + 1] as string]);
  return result;
}

function parseHead(text: string): { method: string; target: string; headers: Record<string, string> } {
  const [requestLine = '', ...lines] = text.split('\r\n');
  const [method = '', target = ''] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, target, headers };
}

function write(socket: Socket, bytes: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve(false);
      return;
    }
    socket.write(bytes, (error) => resolve(!error));
  });
}

/** Waits `ms`, or less if the socket closes meanwhile. */
function holdUnlessClosed(socket: Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('close', done);
  });
}

function once(socket: Socket, event: 'close'): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once(event, () => resolve());
  });
}

/** Buffered reads from a socket; `undefined` once it closes before the bytes came. */
function createReader(socket: Socket) {
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  });
  const end = () => {
    ended = true;
    wake?.();
  };
  socket.on('end', end);
  socket.on('close', end);
  const more = () =>
    new Promise<void>((resolve) => {
      wake = () => {
        wake = undefined;
        resolve();
      };
    });
  return {
    async readUntil(marker: Buffer, limit: number): Promise<Buffer | undefined> {
      for (;;) {
        const at = buffered.indexOf(marker);
        if (at >= 0) {
          const head = buffered.subarray(0, at + marker.length);
          buffered = buffered.subarray(at + marker.length);
          return head;
        }
        if (ended || buffered.length > limit) return undefined;
        await more();
      }
    },
    async read(length: number): Promise<Buffer | undefined> {
      while (buffered.length < length) {
        if (ended) return undefined;
        await more();
      }
      const bytes = buffered.subarray(0, length);
      buffered = buffered.subarray(length);
      return bytes;
    },
  };
}

/** The embedded GitLab, seeded, behind a fault proxy: most resilience and telemetry tests start here. */
export interface ProxiedGitLab {
  gitlab: EmbeddedGitLab;
  /** Give `proxy.url` to the gateway as its GitLab URL. */
  proxy: FaultProxy;
  /** The REST ids of the seeded hooks. */
  hookIds: number[];
}

export async function startProxiedGitLab(options: {
  hooks: number;
  adminToken?: string;
  userToken?: string;
}): Promise<ProxiedGitLab> {
  const gitlab = createEmbeddedGitLab({
    adminToken: options.adminToken ?? ADMIN_TOKEN,
    userToken: options.userToken ?? USER_TOKEN,
  });
  await gitlab.listen();
  const hookIds = await seedHooks(gitlab, options.hooks);
  const proxy = await startFaultProxy(gitlab.url);
  return { gitlab, proxy, hookIds };
}
