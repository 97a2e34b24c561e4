/**
 * Reading an answer's body, bounded in size: every body is read to its end or destroyed, and a body over its
 * bound is destroyed (and its connection with it) rather than read on.
 */

import { errorFromResponse, malformedAnswer } from './errors.ts';
import type { ResponseHeaders } from './json.ts';

/** A response body as undici gives it: an async iterable of bytes that can be destroyed. */
export interface ResponseBody extends AsyncIterable<Uint8Array> {
  destroy(): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** What a success carries: a JSON document, or nothing the caller reads (a 204, or a body ignored). */
export type AnswerKind = 'json' | 'no-content';

export interface Answer {
  status: number;
  headers: ResponseHeaders;
  /** The parsed body of a `json` answer; `undefined` for `no-content`. */
  json: unknown;
}

export interface AnswerReading {
  expects: AnswerKind;
  /** The route, for messages: `GET /hooks/:hook_id`. */
  route: string;
  /** The bound of a JSON body. */
  maxResponseBytes: number;
  /** Strings kept out of the error made from an error answer (the caller's token). */
  redact: readonly string[];
}

/** Error bodies and bodies nobody reads are GitLab's short JSON lines; more than this is not one of them. */
const MAX_SHORT_BODY_BYTES = 64 * 1024;

/**
 * The answer to one attempt: the parsed JSON of a 2xx when `expects` is `json`, nothing for `no-content`,
 * and an `UpstreamError` thrown for any other status. The body is destroyed whenever this throws.
 */
export async function readAnswer(
  response: { statusCode: number; headers: ResponseHeaders; body: ResponseBody },
  reading: AnswerReading,
): Promise<Answer> {
  const { statusCode: status, headers, body } = response;
  // Errors the stream emits after it is abandoned have nobody left to hear them.
  body.on('error', () => {});
  try {
    if (status < 200 || status >= 300) {
      const text = await readText(body, headers, Math.min(MAX_SHORT_BODY_BYTES, reading.maxResponseBytes));
      throw errorFromResponse(status, headers, text, { redact: reading.redact });
    }
    if (reading.expects === 'no-content') {
      await readText(body, headers, MAX_SHORT_BODY_BYTES);
      return { status, headers, json: undefined };
    }
    const text = await readText(body, headers, reading.maxResponseBytes);
    if (text === undefined) {
      throw malformedAnswer(status, `at most ${reading.maxResponseBytes} bytes (${reading.route})`);
    }
    return { status, headers, json: parseAnswerJson(text, status, reading.route) };
  } catch (error) {
    body.destroy();
    throw error;
  }
}

/**
 * The body as UTF-8 text, or `undefined` when it is longer than `limit`: declared so in `content-length`, or
 * found so while reading. The body is then destroyed, and with it the connection, rather than read to the end.
 */
export async function readText(
  body: ResponseBody,
  headers: ResponseHeaders,
  limit: number,
): Promise<string | undefined> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    body.destroy();
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** A success answer's body as JSON; a body that is not JSON fails the call as not the API's answer. */
export function parseAnswerJson(text: string, status: number, route: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformedAnswer(status, `JSON (${route})`);
  }
}
