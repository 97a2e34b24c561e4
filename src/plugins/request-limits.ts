import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin, YogaServerOptions } from 'graphql-yoga';
import { DEFAULT_QUERY_LIMITS, type QueryLimits, useQueryLimits } from './use-query-limits.ts';
import { useRequestBodyLimit } from './use-request-body-limit.ts';

/** Every bound the gateway puts on an incoming request, before anything reaches GitLab. */
export interface RequestLimits extends QueryLimits {
  /**
   * Bytes of a request body (`MAX_REQUEST_BODY_BYTES`); a larger one is refused with 413 before it is parsed,
   * whether it announces its size in `Content-Length` or streams it chunked.
   * @default 1048576 (1 MiB)
   */
  maxRequestBodyBytes: number;
  /**
   * Operations in one batched HTTP request, a JSON array of GraphQL requests (`MAX_BATCH_OPERATIONS`);
   * `0` refuses batches. Each operation of a batch meets every other limit on its own.
   * @default 10
   */
  maxBatchOperations: number;
}

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = Object.freeze({
  ...DEFAULT_QUERY_LIMITS,
  maxRequestBodyBytes: 1_048_576,
  maxBatchOperations: 10,
});

/**
 * Headers that a browser sends cross-site only after a CORS preflight: a caller's credential headers, and
 * Yoga's own marker for clients that send neither. A GET, or a form or `text/plain` POST, that carries none of
 * them could come from any page a user visits, riding on the server-side `GITLAB_TOKEN`: it is refused.
 */
const PREFLIGHT_HEADERS = ['private-token', 'authorization', 'x-graphql-yoga-csrf'];

type LimitOptions = Required<Pick<YogaServerOptions<object, object>, 'batching' | 'maxRequestBodySize'>> & {
  plugins: Plugin[];
};

/**
 * The Yoga options that enforce `limits`: body size (`useRequestBodyLimit`, in place of Yoga's own), batching
 * (Yoga's), CSRF prevention, and the document limits of `useQueryLimits`. Which other origins may call is
 * `corsForOrigins`'s (`CORS_ORIGINS`). None of the gateway's plugins registers a request parser, so the body
 * limit wraps whichever of Yoga's parsers a request gets.
 */
export function requestLimitOptions(limits: Partial<RequestLimits> = {}): LimitOptions {
  const defined = Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
  const resolved: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...defined };
  return {
    maxRequestBodySize: false,
    batching: resolved.maxBatchOperations > 0 ? { limit: resolved.maxBatchOperations } : false,
    plugins: [
      useCSRFPrevention({ requestHeaders: PREFLIGHT_HEADERS }),
      useRequestBodyLimit(resolved.maxRequestBodyBytes),
      useQueryLimits(resolved),
    ],
  };
}
