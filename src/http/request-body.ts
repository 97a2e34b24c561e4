/**
 * A request body read whole, or `null` as soon as it grows past `limit` bytes: reading stops there and the
 * stream is cancelled, so an oversized body costs at most `limit` bytes of memory. Used for bodies whose size is
 * only learnt by reading (chunked), by the GraphQL endpoint's body limit and by the webhook receiver. When
 * `signal` aborts first, the stream is cancelled too and this rejects with the signal's reason.
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  signal?: AbortSignal,
): Promise<Uint8Array<ArrayBuffer> | null> {
  signal?.throwIfAborted();
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  if (signal === undefined) return readAll(reader, limit, () => reader.read());
  // A read waiting for a body that stalls is given up when the signal aborts, and the stream cancelled (not
  // every stream settles a pending read on cancel).
  let abort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    abort = () => {
      reject(signal.reason);
      reader.cancel(signal.reason).catch(() => {});
    };
  });
  aborted.catch(() => {});
  signal.addEventListener('abort', abort, { once: true });
  try {
    return await readAll(reader, limit, () => Promise.race([reader.read(), aborted]));
  } finally {
    signal.removeEventListener('abort', abort);
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
