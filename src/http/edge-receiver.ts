/**
 * The receiver as the edge serves it: in the `node:http` listener, after the `Host` allow-list, without making a
 * fetch `Request` or entering Yoga. Deliveries are most of what the gateway is asked, and whatwg-node, Envelop
 * and Yoga cost more around the route than the receiver does itself (docs/performance.md).
 *
 * The answers are the Yoga route's, header for header: the receiver core's (`RECEIVER_ANSWERS`), with the
 * `Cache-Control` and `Vary` of `useNoStore`, the `x-request-id` of the request's record, and the same access
 * line, duration metric and span (`EdgeInstrumentation`). Requests CORS answers (any `OPTIONS` and any request
 * from an allowed origin, once `CORS_ORIGINS` lists one) are left to Yoga, whose CORS plugin answers them.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { NO_STORE_HEADERS } from '../graphql/plugins/use-no-store.ts';
import type { EdgeInstrumentation } from '../observability/instrument-gateway.ts';
import { describeError, type Logger } from '../observability/logger.ts';
import { REQUEST_ID_HEADER } from '../observability/request-id.ts';
import type { OriginPolicy } from './origin-policy.ts';
import { type Delivery, nodeDelivery, RECEIVER_ANSWERS, type ReceiverAnswer } from './receiver.ts';
import { ROUTES } from './routes.ts';

/** Serves a request in the edge's listener, or answers `false` and leaves it to Yoga. */
export type EdgeRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface EdgeReceiverOptions {
  /** The receiver core (`createReceiverCore`), the same one the Yoga route serves. */
  receive: (delivery: Delivery) => Promise<ReceiverAnswer>;
  instrumentation: EdgeInstrumentation;
  /** The gateway's CORS policy: what it would answer is Yoga's to answer. */
  origins: OriginPolicy;
  /** Where a delivery the receiver failed on is logged (the error's type and message, never a header). */
  logger?: Logger | undefined;
}

/** What a failure of the receiver itself (not a refusal: the store threw what it never should) answers. */
const FAILED: ReceiverAnswer = {
  status: 500,
  text: 'The delivery could not be received.',
  headers: RECEIVER_ANSWERS.malformed.headers,
};

/** An answer's headers as the edge writes them, made once per answer. */
function edgeHeadersOf({ status, text, headers }: ReceiverAnswer): Record<string, string | number> {
  // No length on a 204, which has no body by definition (RFC 9110); Node would otherwise chunk an empty one.
  const length = status === 204 ? undefined : Buffer.byteLength(text ?? '');
  return { ...headers, ...NO_STORE_HEADERS, ...(length !== undefined && { 'content-length': length }) };
}

/** The edge's route for `ROUTES.receiver`. */
export function createEdgeReceiver(options: EdgeReceiverOptions): EdgeRoute {
  const { receive, instrumentation, origins, logger } = options;
  const headersOf = new Map<ReceiverAnswer, Record<string, string | number>>(
    [...Object.values(RECEIVER_ANSWERS), FAILED].map((answer) => [answer, edgeHeadersOf(answer)]),
  );
  const corsAnswers = origins.cors !== false;

  return (request, response) => {
    if (corsAnswers && (request.method === 'OPTIONS' || origins.allowsCors(request.headers.origin ?? null))) {
      return false;
    }
    const delivery = nodeDelivery(request);
    const record = instrumentation.open(request, delivery.headers, ROUTES.receiver);
    const answer = (given: ReceiverAnswer) => {
      response
        .writeHead(given.status, { ...headersOf.get(given), [REQUEST_ID_HEADER]: record.requestId })
        .end(given.text ?? undefined);
      instrumentation.close(record, given.status);
    };
    const logFailure = (error: unknown, message: string) =>
      logger?.error({ request_id: record.requestId, error: describeError(error) }, message);
    receive(delivery)
      .catch((error: unknown) => {
        logFailure(error, 'The receiver failed on a delivery');
        return FAILED;
      })
      .then(answer)
      // What Yoga would have caught: never an unhandled rejection, and never a request left without an end.
      .catch((error: unknown) => {
        logFailure(error, 'The edge could not answer a delivery');
        response.destroy();
      });
    return true;
  };
}
