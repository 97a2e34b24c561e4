/**
 * Webhook receivers for tests: real HTTP(S) servers on 127.0.0.1 with an OS-chosen port that record what they
 * were sent and answer as the test says. Each test that starts one closes it.
 *
 * ```ts
 * const receiver = await startReceiver({ status: 500 });
 * // ... a hook that delivers to `${receiver.origin}/hook` ...
 * assert.equal(receiver.received[0]?.target, '/hook');
 * await receiver.close();
 * ```
 */
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** The request target as sent on the request line. */
  target: string;
  /** Lower-cased names, as Node parses them. */
  headers: http.IncomingHttpHeaders;
  /** Names as they were written on the wire, to check spelling. */
  headerNames: string[];
  body: string;
}

/** Answers a request whose body has already been read. */
export type ReceiverHandler = (request: ReceivedRequest, res: http.ServerResponse) => void;

export interface ReceiverOptions {
  /** Answers each request. @default `status`, `text/plain` `ok` */
  answer?: ReceiverHandler;
  /** The status of the default answer. @default 200 */
  status?: number;
  /** Serves HTTPS with a self-signed certificate that no default CA trusts. @default false */
  tls?: boolean;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>` (or `https://`), without a trailing slash. */
  origin: string;
  port: number;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/** A self-signed P-256 certificate for 127.0.0.1 and localhost, valid until 2126; for tests only. */
const TEST_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPeasP766p48LZyl9
EzP2lRrulSznRhP5lNIvOpboxwqhRANCAAQNcIbNwNA1lAZQWmTayie+Ikcb/Cuv
SbuEhSgCPimm/Bz6BF7pBdRKcu/47jPTFiyzG0tFpdHGO/PquaAkFOy9
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUec6jAeHn5LMQowd1EC8pdU7opHAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjAzNTUyOFoYDzIxMjYxMDI5
MDM1NTI4WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQNcIbNwNA1lAZQWmTayie+Ikcb/CuvSbuEhSgCPimm/Bz6BF7pBdRK
cu/47jPTFiyzG0tFpdHGO/PquaAkFOy9o28wbTAdBgNVHQ4EFgQU7RJ/eVoJVpSD
bqtKbTe5MNZt5KgwHwYDVR0jBBgwFoAU7RJ/eVoJVpSDbqtKbTe5MNZt5KgwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIga95jDa6tgraITT3/RM7hFFIN+IWJuSnIWzucEGSxZzUCIQDt
syv8iV/hcixXV06htuW1VVKXMQ4XLMuWXI1Z7ABflA==
-----END CERTIFICATE-----
`,
};

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const { status = 200, tls = false } = options;
  const handler: ReceiverHandler =
    options.answer ?? ((_request, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end('ok'));
  const received: ReceivedRequest[] = [];
  const onRequest: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        target: req.url ?? '',
        headers: req.headers,
        headerNames: req.rawHeaders.filter((_, index) => index % 2 === 0),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      handler(request, res);
    });
  };
  const server = tls ? https.createServer(TEST_TLS, onRequest) : http.createServer(onRequest);
  // A failed handshake is the point of the TLS tests, not an error in them.
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    received,
    async close() {
      const closed = once(server, 'close');
      server.close();
      // Receivers that never answer keep their sockets open; close() alone would wait for them.
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A port on 127.0.0.1 that was just free and is closed now, so connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
