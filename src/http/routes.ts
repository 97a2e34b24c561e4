/**
 * The paths the gateway serves, written once: the Yoga instance and the receiver route are mounted on them, the
 * edge takes WebSocket upgrades on `graphql` only, and the metrics' `http_route` label is one of them or `other`,
 * so a path changed here cannot leave its requests counted as `other`.
 */
export const ROUTES = {
  /** GraphQL over HTTP and SSE, GraphiQL for a browser, and GraphQL over WebSocket. */
  graphql: '/graphql',
  /** Liveness: 200 while the process serves, whatever GitLab does. */
  health: '/health',
  /** Readiness: GitLab and the event store, and 503 while the gateway drains. */
  ready: '/ready',
  /** Where GitLab delivers system hook events (`POST`). */
  receiver: '/webhooks/system-hooks',
} as const;

export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/**
 * Whether `route` is a load balancer's probe. Probes come every few seconds from every balancer, so they are
 * logged at debug and never traced.
 */
export function isProbe(route: string): boolean {
  return route === ROUTES.health || route === ROUTES.ready;
}
