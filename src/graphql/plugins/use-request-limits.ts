import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';
import { withDefaults } from './options.ts';
import { DEFAULT_QUERY_LIMITS, type QueryLimits, useQueryLimits } from './use-query-limits.ts';
import { useRequestBodyLimit } from './use-request-body-limit.ts';
import { useUpstreamCallLimit } from './use-upstream-call-limit.ts';

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
   * `0` refuses batches. Each operation of a batch meets every other limit on its own. Yoga enforces it (its
   * `batching` option, which `createGateway` sets from this).
   * @default 10
   */
  maxBatchOperations: number;
  /**
   * Calls to GitLab one HTTP request may make, the operations of a batch together; over WebSocket, one operation
   * (`MAX_UPSTREAM_CALLS`). A request whose operations could make more is refused before it runs, and a call
   * beyond it is refused unsent, both with `QUERY_LIMIT_EXCEEDED`. The largest legitimate request, a `nodes` or
   * `_entities` of 100 hooks each read alone, fits with half as much again to spare (docs/limits.md).
   * @default 150
   */
  maxUpstreamCalls: number;
}

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = Object.freeze({
  ...DEFAULT_QUERY_LIMITS,
  maxRequestBodyBytes: 1_048_576,
  maxBatchOperations: 10,
  maxUpstreamCalls: 150,
});

/** The limits with defaults filled in for any left out. */
export function requestLimits(limits: Partial<RequestLimits> = {}): RequestLimits {
  return withDefaults(DEFAULT_REQUEST_LIMITS, limits);
}

/**
 * Headers that a browser sends cross-site only after a CORS preflight: a caller's credential headers, and
 * Yoga's own marker for clients that send neither. A GET, or a form or `text/plain` POST, that carries none of
 * them could come from any page a user visits, riding on the server-side `GITLAB_TOKEN`: it is refused.
 */
const PREFLIGHT_HEADERS = ['private-token', 'authorization', 'x-graphql-yoga-csrf'];

/**
 * Enforces `limits` on every request: CSRF prevention, the body size (`useRequestBodyLimit`, in place of Yoga's
 * own, which must be off), the document limits of `useQueryLimits` and the calls to GitLab its operations could
 * make (`useUpstreamCallLimit`). None of the gateway's plugins registers a
 * request parser, so the body limit wraps whichever of Yoga's parsers a request gets.
 */
export function useRequestLimits(limits: RequestLimits): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(useCSRFPrevention({ requestHeaders: PREFLIGHT_HEADERS }));
      addPlugin(useRequestBodyLimit(limits.maxRequestBodyBytes));
      addPlugin(useQueryLimits(limits));
      addPlugin(useUpstreamCallLimit(limits.maxUpstreamCalls));
    },
  };
}
