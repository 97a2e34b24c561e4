/**
 * A request body read whole, or `null` as soon as it grows past `limit` bytes: reading stops there and the
 * stream is cancelled, so an oversized body costs at most `limit` bytes of memory. Used for bodies whose size is
 * only learnt by reading (chunked), by the GraphQL endpoint's body limit and by the webhook receiver. When
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
