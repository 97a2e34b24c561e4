// Small readers of untrusted JSON and headers, shared by the wire checks and the error mapping.

export type HeaderValue = string | string[] | undefined;

/** Response headers as undici gives them: lower-case names, repeated ones as arrays. */
export type ResponseHeaders = Record<string, HeaderValue>;

/** A JSON object (not an array, not `null`). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first of repeated headers, as Node's own parser keeps for most fields. */
export function firstHeader(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `text` parsed as JSON, or `undefined` when it is absent, empty or not JSON: for bodies that may hold
 * something useful (an error answer) and are no fault when they do not. A success answer that must be JSON
 * is read with `parseAnswerJson` instead, which fails the call.
 */
export function tryParseJson(text: string | undefined): unknown {
  if (text === undefined || text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `value`'s items, each read by `read`, or `undefined` when it is not an array or any item reads as `undefined`. */
export function everyItem<T>(value: unknown, read: (item: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const items: T[] = [];
  for (const item of value) {
    const done = read(item);
    if (done === undefined) return undefined;
    items.push(done);
  }
  return items;
}
