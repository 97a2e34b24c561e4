import { type ASTNode, GraphQLError, type GraphQLErrorExtensions } from 'graphql';
import { type MaskError, maskError } from 'graphql-yoga';
import {
  CredentialUnconfirmedError,
  EventCursorExpiredError,
  EventStoreUnavailableError,
  InvalidEventCursorError,
  SubscriberTooSlowError,
  SubscriptionLimitError,
} from '../events/errors.ts';
import { isUpstreamError, type UpstreamError } from '../upstream/errors.ts';

/**
 * The gateway's public errors: every `extensions.code` a client can receive, and the one factory that makes them.
 * The context, the schema and the plugins all import from here, and nothing here imports from them. The table
 * in docs/errors.md lists exactly these codes (a test holds it to this constant).
 */

/** Each code with when a client gets it. `yoga` codes are raised by graphql-yoga itself, not by gateway code. */
export const GATEWAY_ERROR_CODES = {
  BAD_USER_INPUT:
    'An argument the gateway rejects itself, before any call to GitLab (an ID, a size, a cursor).',
  UNAUTHENTICATED: 'No credential, a malformed one, or one GitLab does not accept (GitLab 401).',
  FORBIDDEN: 'The credential is not an instance administrator’s (GitLab 403).',
  NOT_FOUND: 'The hook (or its URL variable or custom header) a mutation names does not exist (GitLab 404).',
  RATE_LIMITED: 'GitLab is rate limiting (429); `retryAfterSeconds` when GitLab said when to retry.',
  UPSTREAM_TIMEOUT: 'GitLab did not answer within the call’s deadline.',
  UPSTREAM_UNAVAILABLE:
    'GitLab answered 5xx, refused or reset the connection, redirected, sent an answer that is not its API, or the circuit breaker is open.',
  GATEWAY_OVERLOADED:
    'The gateway’s own queue of calls to GitLab is full, or a call waited in it past its deadline; GitLab was not called.',
  EVENTS_DISABLED:
    'A subscription to system hook events, or their list, on a gateway that receives none (no receiver secret).',
  EVENT_CURSOR_EXPIRED:
    'A subscription’s `after` (or a list’s `after` or `before`) names an event that is no longer retained; subscribe again without it.',
  EVENT_SUBSCRIBER_TOO_SLOW:
    'The subscriber fell further behind than the gateway retains events, and its stream was ended; resume with `after`.',
  EVENT_STORE_UNAVAILABLE:
    'The event store cannot serve the subscription now: the gateway is shutting down, or Redis is unreachable and `after` names an event this replica no longer holds (or, for the list of events, Redis is unreachable).',
  EVENT_CREDENTIAL_UNCONFIRMED:
    'No recheck could confirm the subscriber’s credential with GitLab for longer than `EVENT_AUTH_MAX_STALENESS_SECONDS`, and its stream was ended; resume with `after`.',
  SUBSCRIPTION_LIMIT_EXCEEDED:
    'A subscription over `MAX_SUBSCRIPTIONS_PER_CREDENTIAL` or `MAX_SUBSCRIPTIONS` (`extensions.limit`, `max`); nothing was opened.',
  QUERY_LIMIT_EXCEEDED:
    'The document is over a limit (`extensions.limit`: tokens, depth, aliases, directives, complexity), or the request over its calls to GitLab (upstreamCalls).',
  INTROSPECTION_DISABLED: '`__schema` or `__type` was asked while `INTROSPECTION=false`.',
  PERSISTED_QUERY_ID_REQUIRED: 'Trusted-documents mode: the request carries a document’s text, or no hash.',
  PERSISTED_QUERY_NOT_IN_LIST: 'Trusted-documents mode: no trusted document has the hash sent.',
  REQUEST_ENTITY_TOO_LARGE: 'The request body is over `MAX_REQUEST_BODY_BYTES` (HTTP 413).',
  BAD_REQUEST:
    'The HTTP request is malformed: a bad `Content-Length`, or one of graphql-yoga’s request checks.',
  GRAPHQL_PARSE_FAILED: 'graphql-yoga: the document does not parse.',
  GRAPHQL_VALIDATION_FAILED: 'graphql-yoga: the document is not valid against the schema.',
  OPERATION_RESOLUTION_FAILURE:
    'graphql-yoga: a mutation was sent with GET, or the operation to run is ambiguous.',
  INTERNAL_SERVER_ERROR:
    'graphql-yoga: an unexpected fault, masked; its details go to the log, never to the client.',
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

/** GitLab's own wording for 403 and for a missing mutation target, so that neither reveals which it was. */
const NO_ACCESS_MESSAGE =
  "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

/** An error a client is meant to read: never masked, with a stable `extensions.code`. */
export function gatewayError(
  code: GatewayErrorCode,
  message: string,
  extensions: GraphQLErrorExtensions = {},
  nodes?: ASTNode | readonly ASTNode[],
): GraphQLError {
  return new GraphQLError(message, { nodes, extensions: { code, ...extensions } });
}

/** An argument the gateway rejects itself, before any upstream call. */
export function badUserInput(message: string): GraphQLError {
  return gatewayError('BAD_USER_INPUT', message);
}

export function unauthenticated(message: string): GraphQLError {
  return gatewayError('UNAUTHENTICATED', message);
}

/**
 * A request over its budget of GitLab calls (`MAX_UPSTREAM_CALLS`): with `found`, the calls its operations could
 * make, refused before it ran; without, a call refused unsent once the request had made `max`.
 */
export function upstreamCallsExceeded(max: number, found?: number, node?: ASTNode): GraphQLError {
  return found === undefined
    ? gatewayError(
        'QUERY_LIMIT_EXCEEDED',
        `The request has made the ${max} calls to GitLab it may make; no more are sent`,
        { limit: 'upstreamCalls', max },
      )
    : gatewayError(
        'QUERY_LIMIT_EXCEEDED',
        `The request could make ${found} calls to GitLab, which exceeds the limit of ${max}`,
        // Yoga's own marker of a request error (it never reaches the client): HTTP 400 under
        // `application/graphql-response+json`, as for the document limits, and 200 under `application/json`.
        { limit: 'upstreamCalls', max, found, http: { spec: true, status: 400 } },
        node,
      );
}

/** A retry hint as an extension, when there is one. */
function retryAfter(error: UpstreamError): GraphQLErrorExtensions {
  return error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds };
}

/**
 * The client's view of a failed GitLab call: a fixed sentence per code, never GitLab's body or a credential.
 * GitLab's user errors reach here only from a query (a mutation's payload carries them), which has no payload.
 */
function upstreamGraphQLError(error: UpstreamError): GraphQLError {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return gatewayError('UNAUTHENTICATED', 'GitLab did not accept the credential: send a valid token');
    case 'FORBIDDEN':
    case 'NOT_FOUND':
      return gatewayError(error.code, NO_ACCESS_MESSAGE);
    case 'RATE_LIMITED':
      return gatewayError(
        'RATE_LIMITED',
        'GitLab is rate limiting these requests; retry later',
        retryAfter(error),
      );
    case 'UPSTREAM_TIMEOUT':
      return gatewayError('UPSTREAM_TIMEOUT', 'GitLab did not answer in time');
    case 'UPSTREAM_UNAVAILABLE':
      return error.circuitOpen
        ? gatewayError(
            'UPSTREAM_UNAVAILABLE',
            'GitLab is failing, so the gateway is not calling it for a while (circuit breaker open); retry later',
            retryAfter(error),
          )
        : gatewayError('UPSTREAM_UNAVAILABLE', 'GitLab is unavailable or sent an answer that is not its API');
    case 'GATEWAY_OVERLOADED':
      return gatewayError(
        'GATEWAY_OVERLOADED',
        'The gateway has more calls to GitLab waiting than it takes; GitLab was not called, retry later',
      );
    default:
      return badUserInput(error.messages.join('; '));
  }
}

/** What a GraphQL error reports: the error a resolver threw, when graphql-js wrapped it. */
function originalOf(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError !== undefined ? error.originalError : error;
}

/** The event core's failures that a subscriber is told about, by the code each carries. */
const EVENT_ERRORS = new Map<unknown, GatewayErrorCode>([
  [EventCursorExpiredError, 'EVENT_CURSOR_EXPIRED'],
  [SubscriberTooSlowError, 'EVENT_SUBSCRIBER_TOO_SLOW'],
  [EventStoreUnavailableError, 'EVENT_STORE_UNAVAILABLE'],
  [CredentialUnconfirmedError, 'EVENT_CREDENTIAL_UNCONFIRMED'],
  [SubscriptionLimitError, 'SUBSCRIPTION_LIMIT_EXCEEDED'],
  // A cursor that is not one the gateway hands out is a bad argument, like a connection's bad cursor.
  [InvalidEventCursorError, 'BAD_USER_INPUT'],
]);

/** The client's view of a failure of the gateway's own components, or `undefined` to mask it. */
function knownFailure(original: unknown): GraphQLError | undefined {
  if (isUpstreamError(original)) return upstreamGraphQLError(original);
  const code = original instanceof Error ? EVENT_ERRORS.get(original.constructor) : undefined;
  if (code === undefined) return undefined;
  // Which cap, and its value, as `QUERY_LIMIT_EXCEEDED` names its limit.
  const extensions =
    original instanceof SubscriptionLimitError ? { limit: original.limit, max: original.max } : {};
  return gatewayError(code, (original as Error).message, extensions);
}

/**
 * Whether `error` is an expected failure of the gateway's components (a failed GitLab call, the event store's
 * refusals), which `maskGatewayError` turns into its documented error instead of masking it: worth a debug line,
 * not an error line.
 */
export function isExpectedFailure(error: unknown): boolean {
  const original = originalOf(error);
  return isUpstreamError(original) || (original instanceof Error && EVENT_ERRORS.has(original.constructor));
}

/**
 * Yoga's `maskError`, with one seam added: the gateway's components throw their own errors as they are (a failed
 * GitLab call as an `UpstreamError`, the event store's failures), and each becomes its documented GraphQL error
 * here, at its place in the result. Everything else is masked as Yoga masks it, and never as Yoga does in
 * development: with `NODE_ENV=development` Yoga would put the fault's message and stack in the answer, for any
 * caller to read. The log line of the fault has them (docs/operations.md).
 */
export const maskGatewayError: MaskError = (error, message) => {
  const mapped = knownFailure(originalOf(error));
  if (mapped === undefined) return maskError(error, message, false);
  if (!(error instanceof GraphQLError)) return mapped;
  return new GraphQLError(mapped.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: mapped.extensions,
  });
};
