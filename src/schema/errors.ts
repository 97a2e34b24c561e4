import { GraphQLError } from 'graphql';
import { isUpstreamError, type UpstreamError } from '../upstream/errors.ts';

/**
 * The one place where failures become GraphQL errors. Codes are those of the gateway's contract; anything
 * that is not an `UpstreamError` or a `GraphQLError` is rethrown as it is, and Yoga masks it.
 */

export type GatewayErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE';

/** GitLab's own wording for 403 and for a missing mutation target, so that neither reveals which it was. */
export const NO_ACCESS_MESSAGE =
  "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

function gatewayError(code: GatewayErrorCode, message: string, extensions: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/** An argument the gateway rejects itself, before any upstream call. */
export function badUserInput(message: string): GraphQLError {
  return gatewayError('BAD_USER_INPUT', message);
}

export function unauthenticated(message: string): GraphQLError {
  return gatewayError('UNAUTHENTICATED', message);
}

/** The top-level GraphQL error for an upstream failure that is not a user error. */
export function upstreamGraphQLError(error: UpstreamError): GraphQLError {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return gatewayError('UNAUTHENTICATED', 'GitLab did not accept the credential: send a valid token');
    case 'FORBIDDEN':
      return gatewayError('FORBIDDEN', NO_ACCESS_MESSAGE);
    case 'NOT_FOUND':
      return gatewayError('NOT_FOUND', NO_ACCESS_MESSAGE);
    case 'RATE_LIMITED':
      return gatewayError(
        'RATE_LIMITED',
        'GitLab is rate limiting these requests; retry later',
        error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds },
      );
    case 'UPSTREAM_TIMEOUT':
      return gatewayError('UPSTREAM_TIMEOUT', 'GitLab did not answer in time');
    case 'UPSTREAM_UNAVAILABLE':
      if (error.circuitOpen) {
        return gatewayError(
          'UPSTREAM_UNAVAILABLE',
          'GitLab is failing, so the gateway is not calling it for a while (circuit breaker open); retry later',
          error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds },
        );
      }
      return gatewayError(
        'UPSTREAM_UNAVAILABLE',
        'GitLab is unavailable or sent an answer that is not its API',
      );
    default:
      // User errors reach here only from a query, which has no payload to carry them.
      return gatewayError('BAD_USER_INPUT', error.messages.join('; '));
  }
}

/** Rethrows `error` in its GraphQL form: upstream failures mapped, everything else unchanged (and masked). */
export function rethrowAsGraphQL(error: unknown): never {
  if (isUpstreamError(error)) throw upstreamGraphQLError(error);
  throw error;
}
