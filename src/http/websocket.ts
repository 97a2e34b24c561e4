import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, type Context } from 'graphql-ws';
import { type Extra, useServer } from 'graphql-ws/use/ws';
import type { GraphQLParams } from 'graphql-yoga';
import { WebSocket, WebSocketServer } from 'ws';
import { gatewayError } from '../graphql/errors.ts';
import { type SocketSink, setSocketSink } from '../graphql/grouped-stream.ts';
import {
  DOCUMENT_ID_PARAM,
  type TrustedDocuments,
  trustedDocumentOf,
} from '../graphql/plugins/use-trusted-documents.ts';
import { describeError, type Logger } from '../observability/logger.ts';
import type { Gateway } from './gateway.ts';

/**
 * GraphQL over WebSocket (the `graphql-transport-ws` protocol of the graphql-ws library) on the gateway's own
 * GraphQL path, for Apollo Client's `GraphQLWsLink`, urql's and Apollo Router's subscription passthrough. SSE, on
 * the same path, is Yoga's own. Operations run through the same Yoga instance (`getEnveloped`): the same schema,
 * context, document limits, introspection switch and error masking as over HTTP. Which upgrades get here (the
 * path, `Host`, `Origin`, draining) is the HTTP edge's to decide (`src/http/server.ts`).
 */

export interface GraphQLWebSocketOptions {
  /** The largest message accepted, in bytes (`MAX_REQUEST_BODY_BYTES`). */
  maxMessageBytes: number;
  /** Trusted-documents mode: only these documents run, named by hash. @default any valid document runs */
  trustedDocuments?: TrustedDocuments | undefined;
  /**
   * Subscriptions one socket may hold at once.
   * @default 100
   */
  maxSubscriptionsPerSocket?: number | undefined;
  /**
   * Bytes a socket may have waiting to be sent before its client counts as not reading: it is then closed
   * instead of buffering more.
   * @default 8388608 (8 MiB)
   */
  maxBufferedBytes?: number | undefined;
  /**
   * Where a socket's errors are written, as JSON lines like every other: graphql-ws would print them to the
   * console with their stack. @default none: not written
   */
  logger?: Logger | undefined;
  /**
   * Given, once, how to read the number of sockets open now; the metrics' `gateway_websocket_connections` reads
   * it at each scrape. @default none
   */
  watchConnections?: ((connections: () => number) => void) | undefined;
}

/** Headers that carry a credential, as GitLab takes them, also accepted in `connection_init`'s payload. */
const CREDENTIAL_HEADERS = ['authorization', 'private-token'] as const;
/** A socket that does not read: graphql-ws has no code for it; 4xxx codes are the application's. */
const CLOSE_NOT_READING = 4408;

type ConnectionParams = Record<string, unknown> | undefined;

/**
 * The request the gateway's context reads for one operation: the upgrade request's headers, with a credential
 * from `connection_init` in place of the upgrade's (browsers cannot set headers on a WebSocket), and a signal
 * that aborts when the socket closes.
 */
function operationRequest(upgrade: IncomingMessage, params: ConnectionParams, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(upgrade.headers)) {
    if (typeof value === 'string') headers.set(name, value);
  }
  const given = Object.entries(params ?? {}).filter(
    ([name, value]) =>
      typeof value === 'string' && CREDENTIAL_HEADERS.some((header) => header === name.toLowerCase()),
  );
  if (given.length > 0) for (const header of CREDENTIAL_HEADERS) headers.delete(header);
  for (const [name, value] of given) headers.set(name.toLowerCase(), value as string);
  // POST, not the upgrade's GET: a message on an open socket is no link or image a page could make a browser
  // follow, so Yoga's refusal of mutations over GET does not apply (the upgrade's Origin check stands in for it).
  return new Request(`http://gateway${upgrade.url ?? '/'}`, { method: 'POST', headers, signal });
}

type ServerContext = Context<ConnectionParams, Extra & Partial<Record<PropertyKey, never>>>;

/** One controller per socket: its signal is every operation's request signal, aborted when the socket closes. */
const socketSignals = new WeakMap<object, AbortController>();

function signalOf(ctx: ServerContext): AbortSignal {
  let controller = socketSignals.get(ctx.extra.socket);
  if (!controller) {
    const created = new AbortController();
    ctx.extra.socket.once('close', () => created.abort());
    socketSignals.set(ctx.extra.socket, created);
    controller = created;
  }
  return controller.signal;
}

/** The TCP socket under each WebSocket, corked around a flush so that its messages leave in one write. */
const transports = new WeakMap<WebSocket, Duplex>();

/**
 * A client that does not read: closed rather than buffered without bound (the event store drops a slow
 * subscription the same way). Once closing, graphql-ws drops what its operations send, but they would go on
 * executing every event until the closing handshake, which a client that does not read never completes (ws
 * waits 30 s): they are ended here.
 */
function closeNotReading(ctx: ServerContext): void {
  ctx.extra.socket.close(CLOSE_NOT_READING, 'The client does not read its messages');
  for (const operation of Object.values(ctx.subscriptions)) {
    if (operation && 'return' in operation) operation.return(undefined).catch(() => {});
  }
}

/**
 * Where a grouped subscription (`src/graphql/grouped-stream.ts`) writes its events: graphql-ws's `next`
 * messages, built around the group's payload JSON without parsing or serializing it again. The socket is
 * corked until the end of the turn, so that every operation of the socket that flushes in this turn shares one
 * write. A flush resolves once its last message is written to the socket, so that a client that reads slowly
 * holds its subscriptions back (and the event store drops one that falls behind the retention), as graphql-ws's
 * own sends do.
 */
function socketSink(ctx: ServerContext, id: string, maxBuffered: number): SocketSink {
  const socket = ctx.extra.socket;
  const head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  return {
    send(payloads) {
      if (socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
      const transport = transports.get(socket);
      transport?.cork();
      const written = new Promise<boolean>((resolve) => {
        const last = payloads.length - 1;
        payloads.forEach((payload, index) => {
          socket.send(`${head}${payload}}`, index === last ? (error) => resolve(!error) : undefined);
        });
      });
      if (transport) process.nextTick(() => transport.uncork());
      if (socket.bufferedAmount <= maxBuffered) return written;
      closeNotReading(ctx);
      return Promise.resolve(false);
    },
  };
}

/** GraphQL over WebSocket: takes the upgrades it is given, counts its sockets, and ends them all. */
export interface GraphQLWebSocketServer {
  /** Completes the handshake of an upgrade the HTTP edge accepted, and serves the socket. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sockets open now; read by the metrics at each scrape. */
  readonly connections: number;
  close(): Promise<void>;
}

/** GraphQL over WebSocket for `gateway`; the returned `close` ends every socket. */
export function createGraphQLWebSocket(
  gateway: Gateway,
  options: GraphQLWebSocketOptions,
): GraphQLWebSocketServer {
  const maxSubscriptions = options.maxSubscriptionsPerSocket ?? 100;
  const maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });

  const graphqlWs = useServer<ConnectionParams>(
    {
      execute: (args) => (args.rootValue as Operations).execute(args),
      subscribe: (args) => (args.rootValue as Operations).subscribe(args),
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws records the operation in `ctx.subscriptions` before this hook runs: the count includes it.
        if (Object.keys(ctx.subscriptions).length > maxSubscriptions) {
          return [
            gatewayError('BAD_REQUEST', `A socket holds at most ${maxSubscriptions} operations at once`),
          ];
        }
        const params = {
          query: payload.query,
          operationName: payload.operationName ?? undefined,
          variables: payload.variables ?? undefined,
          extensions: payload.extensions ?? undefined,
          // The GraphQL-over-HTTP name of a trusted document's hash, as HTTP clients may send it here too.
          [DOCUMENT_ID_PARAM]: Reflect.get(payload, DOCUMENT_ID_PARAM),
        } as GraphQLParams;
        const request = operationRequest(ctx.extra.request, ctx.connectionParams, signalOf(ctx));
        setSocketSink(request, socketSink(ctx, id, maxBuffered));
        const { schema, execute, subscribe, contextFactory, parse, validate } = gateway.getEnveloped({
          request,
          params,
        });
        let args: ExecutionArgs;
        try {
          const source = options.trustedDocuments
            ? trustedDocumentOf(params, options.trustedDocuments)
            : payload.query;
          args = {
            schema,
            document: parse(source),
            operationName: payload.operationName,
            variableValues: payload.variables,
            rootValue: { execute, subscribe } satisfies Operations,
            contextValue: await contextFactory(),
          };
        } catch (error) {
          // A syntax error, a document over the token limit, or a refused trusted document: said to the client.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
      onNext: (ctx) => {
        // Each operation waits for its previous message to be written, but the operations of one socket add up.
        // (Grouped subscriptions write through their sink, which checks the same.)
        if (ctx.extra.socket.bufferedAmount > maxBuffered) closeNotReading(ctx);
      },
    },
    sockets,
  );
  // After graphql-ws's own listener, which gave each socket an error listener that prints to the console.
  sockets.on('connection', (socket: WebSocket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => onSocketError(socket, error, options.logger));
  });
  options.watchConnections?.(() => sockets.clients.size);

  return {
    handleUpgrade(request, socket, head) {
      sockets.handleUpgrade(request, socket, head, (ws) => {
        transports.set(ws, socket);
        sockets.emit('connection', ws, request);
      });
    },
    get connections() {
      return sockets.clients.size;
    },
    async close() {
      for (const ws of sockets.clients)
        ws.close(CloseCode.InternalServerError, 'The server is shutting down');
      await graphqlWs.dispose();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    },
  };
}

/**
 * A socket's error. One of `ws`'s protocol errors (a message over the size limit, a bad frame) is the client's:
 * `ws` has already closed the socket with the code that says why (1009, 1002, ...), and it is a debug line. Any
 * other is the gateway's: the socket is closed with 1011, as graphql-ws would, and it is an error line.
 */
function onSocketError(
  socket: WebSocket,
  error: Error & { code?: string },
  logger: Logger | undefined,
): void {
  if (typeof error.code === 'string' && error.code.startsWith('WS_ERR_')) {
    logger?.debug({ reason: error.code }, 'WebSocket closed: the client broke the protocol');
    return;
  }
  logger?.error({ error: describeError(error) }, 'WebSocket closed: unexpected error on the socket');
  socket.close(CloseCode.InternalServerError, 'Internal server error');
}

/** What Yoga's `getEnveloped` gives to run an operation, carried in `rootValue` as graphql-ws's recipe does. */
interface Operations {
  execute: (args: ExecutionArgs) => ReturnType<ReturnType<Gateway['getEnveloped']>['execute']>;
  subscribe: (args: ExecutionArgs) => ReturnType<ReturnType<Gateway['getEnveloped']>['subscribe']>;
}
