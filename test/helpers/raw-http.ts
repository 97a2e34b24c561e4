import { type IncomingMessage, request } from 'node:http';
import { createConnection, type Socket } from 'node:net';

/** An HTTP answer, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Sends `parts` chunked (no Content-Length), ending the request only if `end`; resolves on the answer, which a
 * server may give before the body ends (a 413 or 401 does).
 */
export function postChunked(
  url: string,
  headers: Record<string, string>,
  parts: string[],
  end = true,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) =>
      readAnswer(res, (answer) => {
        resolve(answer);
        req.destroy();
      }),
    );
    req.on('error', reject);
    for (const part of parts) req.write(part);
    if (end) req.end();
  });
}

function readAnswer(res: IncomingMessage, done: (answer: Answer) => void): void {
  let text = '';
  res.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  res.on('end', () =>
    done({ status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), text }),
  );
}

/**
 * One request with exactly these headers, `host` included (which `fetch` does not let a caller set), on a
 * connection of its own; resolves on the whole answer.
 */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => readAnswer(res, resolve),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A TCP connection spoken to in raw bytes, and what the server sent on it. */
export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with everything received once the server has closed the connection. */
  closed: Promise<string>;
}

/** Opens a TCP connection to `url`'s host and port and writes `bytes` on it, once connected. */
export async function connectRaw(url: string, bytes = ''): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = createConnection({ host: hostname, port: Number(port) });
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  // A reset after the answer (the server destroyed the socket) counts as closed, like an orderly end.
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (bytes !== '') socket.write(bytes);
  return { socket, received: () => text, closed };
}

/** A WebSocket upgrade request for `path` as a browser sends it, with `headers` added (`Host` among them). */
export function upgradeRequest(path: string, headers: Record<string, string>): string {
  const lines = Object.entries({
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-protocol': 'graphql-transport-ws',
    ...headers,
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}
