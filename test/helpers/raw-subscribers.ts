/**
 * Subscribers that keep the bytes: an SSE client on a bare TCP connection that records each HTTP chunk the
 * gateway wrote, and a WebSocket client that records each message's text. For tests that compare what
 * subscribers receive byte for byte, and count how many events one write carried.
 *
 * ```ts
 * const sse = await RawSseSubscriber.open(stack.url, { query }, ADMIN_TOKEN);
 * const ws = await RawWsSubscriber.open(stack.wsUrl, { query }, ADMIN_TOKEN);
 * // ... events ...
 * sse.nextData(); // the `data:` of every `event: next` frame, in order
 * ws.nextPayloads(); // the text of every `next` message, in order
 * ```
 */
import { createConnection, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { OperationPayload } from './subscribers.ts';

const NEXT_FRAME = 'event: next\ndata: ';

/** Over SSE, on a TCP connection of its own, reading the chunked body as the gateway wrote it. */
export class RawSseSubscriber {
  /** The body's chunks (chunked transfer coding), decoded, in order. */
  readonly chunks: string[] = [];
  /** `data` events of the socket: reads of what the gateway wrote. */
  reads = 0;
  private pending = Buffer.alloc(0);
  private headersDone = false;
  status = 0;
  /** The response's status line and headers, as sent (without the blank line after them). */
  head = '';

  private constructor(readonly socket: Socket) {}

  static async open(origin: string, payload: OperationPayload, token: string): Promise<RawSseSubscriber> {
    const { hostname, port } = new URL(origin);
    const socket = createConnection({ host: hostname, port: Number(port) });
    const subscriber = new RawSseSubscriber(socket);
    socket.on('data', (data: Buffer) => subscriber.take(data));
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const body = JSON.stringify(payload);
    socket.write(
      `POST /graphql HTTP/1.1\r\nhost: ${hostname}:${port}\r\naccept: text/event-stream\r\n` +
        `content-type: application/json\r\nprivate-token: ${token}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    return subscriber;
  }

  private take(data: Buffer): void {
    this.reads += 1;
    this.pending = Buffer.concat([this.pending, data]);
    if (!this.headersDone) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.status = Number(this.pending.subarray(9, 12).toString());
      this.head = this.pending.subarray(0, end).toString();
      this.pending = this.pending.subarray(end + 4);
      this.headersDone = true;
    }
    for (;;) {
      const line = this.pending.indexOf('\r\n');
      if (line < 0) return;
      const size = Number.parseInt(this.pending.subarray(0, line).toString(), 16);
      if (this.pending.length < line + 2 + size + 2) return;
      this.chunks.push(this.pending.subarray(line + 2, line + 2 + size).toString());
      this.pending = this.pending.subarray(line + 2 + size + 2);
    }
  }

  /** The text of the body so far. */
  body(): string {
    return this.chunks.join('');
  }

  /** The `data` of each `event: next` frame, in order. */
  nextData(): string[] {
    return this.body()
      .split('\n\n')
      .flatMap((frame) => (frame.startsWith(NEXT_FRAME) ? [frame.slice(NEXT_FRAME.length)] : []));
  }

  /** How many `event: next` frames each chunk that carries any holds. */
  framesPerChunk(): number[] {
    return this.chunks.flatMap((chunk) => {
      const frames = chunk.split(NEXT_FRAME).length - 1;
      return frames > 0 ? [frames] : [];
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Over WebSocket (`graphql-transport-ws`), one operation named `1`, recording every message's text. */
export class RawWsSubscriber {
  readonly messages: string[] = [];

  private constructor(readonly socket: WebSocket) {}

  static async open(wsUrl: string, payload: OperationPayload, token: string): Promise<RawWsSubscriber> {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    const subscriber = new RawWsSubscriber(socket);
    const acknowledged = new Promise<void>((resolve, reject) => {
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        const text = data.toString();
        if (text.includes('"connection_ack"')) resolve();
        // graphql-ws speaks in text messages: a binary one is kept marked, so that no comparison passes it.
        else subscriber.messages.push(isBinary ? `(a binary message) ${text}` : text);
      });
      socket.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init', payload: { 'private-token': token } }));
    await acknowledged;
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload }));
    return subscriber;
  }

  /** The text of each `next` message, in order. */
  nextMessages(): string[] {
    return this.messages.filter((text) => (JSON.parse(text) as { type: string }).type === 'next');
  }

  close(): void {
    this.socket.terminate();
  }
}
