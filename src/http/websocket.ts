import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, type Context, MessageType, stringifyMessage } from 'graphql-ws';
import { type Extra, useServer } from 'graphql-ws/use/ws';
import type { GraphQLParams } from 'graphql-yoga';
import { WebSocket, WebSocketServer } from 'ws';
import { gatewayError } from '../graphql/errors.ts';
import { type GroupedStream, type SocketSink, setSocketSink } from '../graphql/grouped-stream.ts';
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

/** What the operations of a socket read of its upgrade request. */
type Upgrade = Pick<IncomingMessage, 'url' | 'headers'>;

/**
 * The request the gateway's context reads for one operation: the upgrade request's headers, with a credential
 * from `connection_init` in place of the upgrade's (browsers cannot set headers on a WebSocket), and a signal
 * that aborts when the socket closes.
 */
function operationRequest(upgrade: Upgrade, params: ConnectionParams, signal: AbortSignal): Request {
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

/**
 * What the gateway keeps per socket: a controller whose signal is every operation's request signal, aborted
 * when the socket closes, and the grouped subscriptions it serves itself (`GroupedOperation`).
 */
class SocketState {
  /** Made for the first operation, and dropped when none of graphql-ws's own is left to hold a request. */
  private controller: AbortController | undefined;
  /**
   * The live grouped subscriptions by id, as the prototype of graphql-ws's `ctx.subscriptions`: graphql-ws's
   * `id in`, lookups (a client's `complete`, a second `subscribe` with the same id) find them there, while its
   * own bookkeeping (`delete`, the spread it returns on close) touches only its own operations.
   */
  readonly served: Record<string, GroupedOperation> = Object.create(null);
  readonly upgrade: Upgrade;
  /** Grouped subscriptions between their handing over and graphql-ws's `onComplete` for them; made on use. */
  private handingOver: Map<string, GroupedOperation> | undefined;

  constructor(
    readonly transport: Duplex,
    request: IncomingMessage,
  ) {
    this.upgrade = { url: request.url, headers: request.headers };
  }

  /** Operations of the socket: graphql-ws's own and those the gateway serves. */
  operations(ctx: ServerContext): unknown[] {
    return [...Object.values(ctx.subscriptions), ...Object.values(this.served)];
  }

  /** The signal of the socket's operations' requests: it aborts when the socket closes. */
  signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /**
   * An operation was handed over, and its request let go of: with no operation of graphql-ws's own left, no
   * request follows the signal any more.
   */
  letGo(ctx: ServerContext): void {
    if (Object.keys(ctx.subscriptions).length === 0) this.controller = undefined;
  }

  handOver(id: string, operation: GroupedOperation): void {
    this.handingOver ??= new Map();
    this.handingOver.set(id, operation);
  }

  /** The operation of `id` being handed over, now no more; undefined when there is none. */
  handedOver(id: string): GroupedOperation | undefined {
    const operation = this.handingOver?.get(id);
    if (operation === undefined) return undefined;
    this.handingOver?.delete(id);
    if (this.handingOver?.size === 0) this.handingOver = undefined;
    return operation;
  }

  /** The socket closed: every operation ends (graphql-ws ends its own). */
  closed(): void {
    this.controller?.abort();
    for (const operation of Object.values(this.served)) operation.return().catch(() => {});
  }
}

const socketStates = new WeakMap<object, SocketState>();

const stateOf = (ctx: ServerContext): SocketState => socketStates.get(ctx.extra.socket) as SocketState;

/**
 * A client that does not read: closed rather than buffered without bound (the event store drops a slow
 * subscription the same way). Once closing, graphql-ws drops what its operations send, but they would go on
 * executing every event until the closing handshake, which a client that does not read never completes (ws
 * waits 30 s): they are ended here.
 */
function closeNotReading(ctx: ServerContext): void {
  ctx.extra.socket.close(CLOSE_NOT_READING, 'The client does not read its messages');
  for (const operation of stateOf(ctx).operations(ctx)) {
    if (isAsyncIterator(operation)) operation.return?.(undefined).catch(() => {});
  }
}

const isAsyncIterator = (value: unknown): value is AsyncIterator<unknown> =>
  typeof value === 'object' && value !== null && 'return' in value;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One operation's way to its socket, and, for a grouped subscription (`src/graphql/grouped-stream.ts`), the
 * operation itself once it is live.
 *
 * Its events are written as graphql-ws's `next` messages, framed around the group's payload bytes without
 * parsing, serializing or encoding them again (`nextFrames`). The socket is corked until the end of the turn,
 * so that every operation of the socket that flushes in this turn shares one write. A flush resolves once its
 * last message is written to the socket, so that a client that reads slowly holds its subscriptions back (and the event store drops one that
 * falls behind the retention), as graphql-ws's own sends do.
 *
 * Once the subscribe has run, graphql-ws is handed this object instead of the stream, and its first `next()`
 * ends graphql-ws's handling of the operation (its message's frame, the execution arguments, the context and
 * request they hold) without a `complete`: the operation moves from graphql-ws's `ctx.subscriptions` to the
 * socket's `served`, its prototype, where graphql-ws still finds it. From then on the gateway drives the
 * stream (Yoga's, which masks and counts its error as before) and sends its `complete` or `error` itself, as
 * graphql-ws would; a client's `complete`, or the socket's close, ends it through `return()`.
 */
class GroupedOperation implements SocketSink, AsyncIterableIterator<never> {
  /** What each of its `next` messages starts with, and its length in UTF-8. */
  private readonly head: string;
  private readonly headBytes: number;
  /** The grouped subscription, from the subscribe on. */
  private stream: GroupedStream | undefined;
  private ended = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly id: string,
    private readonly maxBuffered: number,
  ) {
    this.head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    this.headBytes = Buffer.byteLength(this.head);
  }

  claim(stream: GroupedStream): void {
    this.stream = stream;
  }

  send(payloads: readonly Buffer[]): Promise<boolean> {
    const socket = this.ctx.extra.socket;
    if (socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
    const transport = stateOf(this.ctx).transport;
    const frames = nextFrames(this.head, this.headBytes, payloads);
    transport.cork();
    const written = new Promise<boolean>((resolve) => {
      transport.write(frames, (error) => resolve(!error));
    });
    process.nextTick(uncork, transport);
    if (socket.bufferedAmount <= this.maxBuffered) return written;
    closeNotReading(this.ctx);
    return Promise.resolve(false);
  }

  /**
   * What graphql-ws iterates for the operation: the result, or this for a grouped subscription. Its stream is
   * then driven as it is, not through the iterator wrappers of Yoga's result, which would hold the subscribe's
   * hooks and arguments while it lasts: the error that ends it is counted and masked as they would
   * (`GroupedStream.failure`). Its execution arguments let go of what only the subscribe needed: the context
   * (the request, its credential's calls and loaders) is emptied, and the operations of `getEnveloped` go.
   */
  serve(result: unknown, args: ExecutionArgs): unknown {
    if (this.stream === undefined || !isAsyncIterator(result)) return result;
    const context = args.contextValue as Record<string, unknown>;
    for (const key of Object.keys(context)) context[key] = undefined;
    args.rootValue = undefined;
    return this;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** graphql-ws's first and only call: the operation leaves its hands. */
  async next(): Promise<IteratorResult<never>> {
    const state = stateOf(this.ctx);
    if (this.ended || this.ctx.subscriptions[this.id] !== this) return DONE;
    // Not in graphql-ws's operations when it ends the loop, so that it sends no `complete`; in the socket's
    // from its `onComplete` on, which graphql-ws calls next, with no message of the client in between.
    delete this.ctx.subscriptions[this.id];
    state.handOver(this.id, this);
    if (Object.getPrototypeOf(this.ctx.subscriptions) !== state.served)
      Object.setPrototypeOf(this.ctx.subscriptions, state.served);
    this.drive();
    return DONE;
  }

  /** graphql-ws's `onComplete` for this operation, after it let go of it. */
  settled(): void {
    const state = stateOf(this.ctx);
    if (!this.ended) state.served[this.id] = this;
    state.letGo(this.ctx);
  }

  private drive(): void {
    (this.stream as GroupedStream).next().then(this.stepped.bind(this), this.failed.bind(this));
  }

  private stepped(step: IteratorResult<unknown>): void {
    // A grouped stream writes its events through `send` and yields none: its step is its end.
    if (!step.done) this.drive();
    else if (this.leave()) this.message({ id: this.id, type: MessageType.Complete });
  }

  /** As graphql-ws reports an error that ended a stream, once Yoga's result has masked it. */
  private failed(thrown: unknown): void {
    if (!this.leave()) return;
    const error = (this.stream as GroupedStream).failure(thrown);
    const originalError = error instanceof Error ? error : new Error(String(error));
    const errors = [new GraphQLError(originalError.message, { originalError })];
    this.message({ id: this.id, type: MessageType.Error, payload: errors.map((one) => one.toJSON()) });
  }

  private message(message: Parameters<typeof stringifyMessage>[0]): void {
    const socket = this.ctx.extra.socket;
    if (socket.readyState === WebSocket.OPEN) socket.send(stringifyMessage(message));
  }

  /** Out of the socket's operations; true if it was still there, and so is to say why it ended. */
  private leave(): boolean {
    if (this.ended) return false;
    this.ended = true;
    const state = stateOf(this.ctx);
    const handingOver = state.handedOver(this.id) !== undefined;
    if (state.served[this.id] !== this) return handingOver;
    delete state.served[this.id];
    return true;
  }

  /** A client's `complete`, the socket's close, or a client that does not read: the stream ends. */
  async return(): Promise<IteratorResult<never>> {
    const wasLive = !this.ended;
    this.leave();
    if (wasLive) await this.stream?.return?.();
    return DONE;
  }
}

const uncork = (transport: Duplex) => transport.uncork();

/** A WebSocket frame's first byte for a whole text message: FIN, no extension bits, opcode 1 (RFC 6455 §5.2). */
const FIN_TEXT = 0x81;
/** `}`, the end of a `next` message after its payload. */
const MESSAGE_END = 0x7d;

/** The bytes a frame's header takes before a payload of `length` bytes, unmasked as a server's are. */
const frameHeaderBytes = (length: number) => (length < 126 ? 2 : length < 65536 ? 4 : 10);

/**
 * The frames of one `next` message per payload, each `head`, the payload and `}`, in one buffer: the frames
 * ws's sender would write for these messages (a server's: unmasked, unfragmented, uncompressed, as the
 * gateway's WebSocket server makes no extension), without encoding the group's payload again per subscriber.
 * They go straight to the socket, which ws's sender writes to at once as well (it only queues behind a
 * compression or a Blob, neither of which the gateway uses), so that whole frames of both come in order.
 */
function nextFrames(head: string, headBytes: number, payloads: readonly Buffer[]): Buffer {
  let total = 0;
  for (const payload of payloads) {
    const length = headBytes + payload.length + 1;
    total += frameHeaderBytes(length) + length;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const payload of payloads) {
    const length = headBytes + payload.length + 1;
    out[at++] = FIN_TEXT;
    if (length < 126) out[at++] = length;
    else if (length < 65536) {
      out[at++] = 126;
      at = out.writeUInt16BE(length, at);
    } else {
      out[at++] = 127;
      at = out.writeUInt32BE(Math.floor(length / 2 ** 32), at);
      at = out.writeUInt32BE(length >>> 0, at);
    }
    at += out.write(head, at);
    at += payload.copy(out, at);
    out[at++] = MESSAGE_END;
  }
  // Every byte of the unzeroed buffer is written: nothing of the process's memory goes out with it.
  if (at !== total) throw new Error(`The WebSocket frames took ${at} bytes, not ${total}`);
  return out;
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
  // No compression: the grouped subscriptions write their frames themselves (`nextFrames`).
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    perMessageDeflate: false,
  });

  const graphqlWs = useServer<ConnectionParams>(
    {
      execute: (args) => (args.rootValue as Operations).execute(args),
      subscribe: (args) => (args.rootValue as Operations).subscribe(args),
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws records the operation in `ctx.subscriptions` before this hook runs: the count includes it.
        if (stateOf(ctx).operations(ctx).length > maxSubscriptions) {
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
        const request = operationRequest(stateOf(ctx).upgrade, ctx.connectionParams, stateOf(ctx).signal());
        const operation = new GroupedOperation(ctx, id, maxBuffered);
        setSocketSink(request, operation);
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
            rootValue: { execute, subscribe, operation } satisfies Operations,
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
      // The upgrade request (its socket state, raw headers...) is the socket's only for its `upgrade`.
      onConnect: (ctx) => {
        (ctx.extra as { request: IncomingMessage | undefined }).request = undefined;
      },
      onOperation: (_ctx, _id, _payload, args, result) =>
        (args.rootValue as Operations).operation.serve(result, args) as typeof result,
      onComplete: (ctx, id) => stateOf(ctx).handedOver(id)?.settled(),
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
        const state = new SocketState(socket, request);
        socketStates.set(ws, state);
        ws.on('close', state.closed.bind(state));
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
  /** Its way to the socket, and the grouped subscription once live. */
  operation: GroupedOperation;
}
