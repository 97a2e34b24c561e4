import type { IncomingMessage } from 'node:http';

/**
 * A request body read whole, or `null` as soon as it grows past `limit` bytes: reading stops there and the
 * stream is cancelled, so an oversized body costs at most `limit` bytes of memory. Used for bodies whose size is
 * only learnt by reading (chunked), by the GraphQL endpoint's body limit and by the webhook receiver's Yoga route. When
 * `timeoutMs` passes first, the stream is cancelled too and this rejects with a `BodyReadTimeoutError`.
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  timeoutMs?: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  if (timeoutMs === undefined) return readAll(reader, limit, () => reader.read());
  // One timer per read, and no AbortController: the receiver reads a body per delivery, and a controller, its
  // signal and its listener cost more than the read of a small body that is already in. A read waiting for a
  // body that stalls is given up when the timer fires, and the stream cancelled (not every stream settles a
  // pending read on cancel).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new BodyReadTimeoutError();
      reject(error);
      reader.cancel(error).catch(() => {});
    }, timeoutMs);
  });
  timedOut.catch(() => {});
  try {
    return await readAll(reader, limit, () => Promise.race([reader.read(), timedOut]));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `readAtMost` for a `node:http` request, read from its events without a web stream (the edge's receiver):
 * `null` as soon as the body grows past `limit` bytes, after which the rest is read and dropped as it comes
 * (Node keeps the connection when it ends); a `BodyReadTimeoutError` when `timeoutMs` passes first; the
 * request's error when the client goes away before the end.
 */
export function readMessageAtMost(
  message: IncomingMessage,
  limit: number,
  timeoutMs: number,
): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      clearTimeout(timer);
      message.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        settle();
        resolve(null);
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      settle();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    const onClose = () => onError(new Error('The request was closed before its body ended.'));
    const timer = setTimeout(() => onError(new BodyReadTimeoutError()), timeoutMs);
    message.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** `readAtMost`'s rejection when the body did not arrive within its `timeoutMs`. */
export class BodyReadTimeoutError extends Error {
  constructor() {
    super('The body did not arrive in time.');
    this.name = 'BodyReadTimeoutError';
  }
}

async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
  read: () => Promise<ReadableStreamReadResult<Uint8Array>>,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}
