/**
 * The receiver of `npm start`'s example project hook: a loopback HTTP server that accepts every webhook delivery
 * with 200. GitLab reports a project or group hook's test as a failure unless the receiver answers 2xx, and the
 * other example hooks point at reserved example domains where nothing answers, so without it no test or resend
 * could succeed on a fresh machine. It keeps nothing, and logs one line per delivery with the event header only:
 * a delivery's token and custom headers are secrets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../observability/logger.ts';

/** The path deliveries are made to. */
const EXAMPLE_RECEIVER_PATH = '/project-events';

/**
 * GitLab's sample payloads are a few KB; a larger body is refused (413) without being kept, since anything on
 * this machine may send one.
 */
const MAX_BODY_BYTES = 1024 * 1024;

/** `X-Gitlab-Event` values are GitLab's fixed names (`Push Hook`); anything else is logged as unknown. */
const EVENT_HEADER = /^[A-Za-z ]{1,60}$/;

export interface ExampleReceiver {
  /** Where a hook delivers to it, such as `http://127.0.0.1:43123/project-events`. */
  readonly url: string;
  close(): Promise<void>;
}

function answer(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function receive(request: IncomingMessage, response: ServerResponse, logger: Logger): void {
  if (request.method !== 'POST' || request.url !== EXAMPLE_RECEIVER_PATH) {
    answer(response, 404, { message: `deliveries go to POST ${EXAMPLE_RECEIVER_PATH}` });
    request.resume();
    return;
  }
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    // The rest is read and dropped rather than the socket cut, so that the sender gets the answer; the
    // server's request timeout bounds a body that never ends.
    if (size > MAX_BODY_BYTES && !response.headersSent) {
      response.setHeader('connection', 'close');
      answer(response, 413, { message: `the body is over ${MAX_BODY_BYTES} bytes` });
    }
  });
  request.on('end', () => {
    if (response.headersSent) return;
    const header = request.headers['x-gitlab-event'];
    const event = typeof header === 'string' && EVENT_HEADER.test(header) ? header : 'unknown';
    logger.info({ event, bytes: size }, `Example receiver accepted a delivery: ${event}`);
    answer(response, 200, { received: true });
  });
}

/** Starts the receiver on a free loopback port. */
export async function startExampleReceiver(logger: Logger): Promise<ExampleReceiver> {
  const server = createServer((request, response) => receive(request, response, logger));
  // GitLab gives a receiver 10 s; a connection that sends nothing for that long is not GitLab's.
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${EXAMPLE_RECEIVER_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
