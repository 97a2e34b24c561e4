import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 whose answers each test scripts, for exercising a client against
 * status codes, headers, malformed bodies, delays, stalls and dropped connections. Every request is recorded
 * with its body before the script runs.
 *
 * ```ts
 * const server = await startScriptedServer(() => json(429, { message: 'Retry later' }, { 'retry-after': '7' }));
 * // ... call something that talks to server.url ...
 * assert.equal(server.requests[0]?.headers['private-token'], 'secret');
 * await server.close();
 * ```
 */

/** A request as the server received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent: `/api/v4/hooks?page=1&per_page=20`. */
  url: string;
  /** Lower-cased names, as Node parses them. */
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text; `''` when there was none. */
  body: string;
  /** Which connection it came on, counting from 1 in the order connections were accepted. */
  connection: number;
}

/** A declarative answer; a script may instead write to `res` itself and return nothing. */
export interface ScriptedResponse {
  /** @default 200 */
  status?: number;
  headers?: Record<string, string | number | string[]>;
  /**
   * A string or bytes are sent as they are; anything else is sent as JSON with `Content-Type:
   * application/json` (unless `headers` names one).
   */
  body?: unknown;
  /**
   * Wait this long before answering (or before stalling or destroying).
   * @default 0
   */
  delayMs?: number;
  /**
   * `'before-headers'`: accept the request and never answer. `'after-headers'`: send the status, the headers
   * and `body` (as a first part), then never finish. The socket stays open until the client gives up or the
   * server closes.
   */
  stall?: 'before-headers' | 'after-headers';
  /**
   * Destroy the connection instead of answering (after `delayMs`).
   * @default false
   */
  destroy?: boolean;
}

export type Script = (
  request: RecordedRequest,
  res: ServerResponse,
  // biome-ignore lint/suspicious/noConfusingVoidType: a script that writes to `res` itself returns nothing
) => ScriptedResponse | undefined | void | Promise<ScriptedResponse | undefined | void>;

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Connections currently open. */
  readonly openConnections: number;
  /** Whether the connection a request came on (`RecordedRequest.connection`) is still open. */
  isConnectionOpen(connection: number): boolean;
  /** Replaces the script for the requests that follow. */
  setScript(script: Script): void;
  /** Stops listening and destroys every open connection, stalled ones included. */
  close(): Promise<void>;
}

/** An answer with a JSON body. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string | number | string[]> = {},
): ScriptedResponse {
  return { status, body, headers };
}

export async function startScriptedServer(
  script: Script = () => json(404, { error: '404 Not Found' }),
): Promise<ScriptedServer> {
  let current = script;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const numbers = new WeakMap<Socket, number>();
  const open = new Set<number>();
  let accepted = 0;

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      connection: numbers.get(req.socket) ?? 0,
    };
    requests.push(recorded);
    try {
      const answer = await current(recorded, res);
      if (answer) await respond(answer, res);
    } catch {
      if (!res.headersSent) res.writeHead(500).end('script failed');
      else res.destroy();
    }
  });
  server.on('connection', (socket) => {
    const number = ++accepted;
    numbers.set(socket, number);
    sockets.add(socket);
    open.add(number);
    socket.on('close', () => {
      sockets.delete(socket);
      open.delete(number);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  const handle: ScriptedServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get openConnections() {
      return sockets.size;
    },
    isConnectionOpen(connection) {
      return open.has(connection);
    },
    setScript(next) {
      current = next;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
  return handle;
}

async function respond(answer: ScriptedResponse, res: ServerResponse): Promise<void> {
  if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
  if (answer.destroy) {
    res.socket?.destroy();
    return;
  }
  if (answer.stall === 'before-headers') return;
  const headers = { ...answer.headers };
  let body: string | Buffer | undefined;
  if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body)) body = answer.body;
  else if (answer.body !== undefined) {
    body = JSON.stringify(answer.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  }
  res.writeHead(answer.status ?? 200, headers);
  if (answer.stall === 'after-headers') {
    res.flushHeaders();
    if (body !== undefined) res.write(body);
    return;
  }
  res.end(body);
}
