import { randomUUID } from 'node:crypto';
import type { HeaderReader } from '../http/request-headers.ts';

/** The header a request id travels in, from the client, back to it, and on to GitLab. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id may be to be kept: short, and of characters that can break neither a header nor a log
 * line (a load balancer's or a client's UUID, `req-123`, `01HV...:1`).
 */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The ids of one request. `requestId` is always the gateway's own: it is echoed, logged and sent to GitLab as its
 * correlation id, so that a client cannot choose what GitLab's logs file its calls under. A well-formed
 * `x-request-id` the client sent is `clientRequestId`, logged beside it (a load balancer's id stays findable).
 */
export function requestIdsOf(headers: HeaderReader): {
  requestId: string;
  clientRequestId: string | undefined;
} {
  const given = headers.get(REQUEST_ID_HEADER);
  return {
    requestId: randomUUID(),
    clientRequestId: given !== null && WELL_FORMED_REQUEST_ID.test(given) ? given : undefined,
  };
}

/** `value` if it could be a request id (GitLab's correlation id in its answer), else `undefined`. */
export function wellFormedRequestId(value: string | undefined): string | undefined {
  return value !== undefined && WELL_FORMED_REQUEST_ID.test(value) ? value : undefined;
}
