import { randomUUID } from 'node:crypto';

/** The header a request id travels in, from the client, back to it, and on to GitLab. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id may be to be kept: short, and of characters that can break neither a header nor a log
 * line (a load balancer's or a client's UUID, `req-123`, `01HV...:1`).
 */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: its own `x-request-id` when well formed, otherwise a new UUID. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get(REQUEST_ID_HEADER);
  return given !== null && WELL_FORMED_REQUEST_ID.test(given) ? given : randomUUID();
}

/** `value` if it could be a request id (GitLab's correlation id in its answer), else `undefined`. */
export function wellFormedRequestId(value: string | undefined): string | undefined {
  return value !== undefined && WELL_FORMED_REQUEST_ID.test(value) ? value : undefined;
}
