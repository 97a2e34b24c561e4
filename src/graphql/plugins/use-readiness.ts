import type { Plugin } from 'graphql-yoga';
import { useRoute } from './use-route.ts';

/** What a readiness probe learnt: whether to take traffic, and the state of each dependency, in words. */
export interface ReadinessReport {
  ready: boolean;
  /** One short state per dependency, such as `{ "gitlab": "up" }`; never a URL or a secret. */
  checks: Record<string, string>;
}

export interface ReadinessOptions {
  /**
   * The path answered (the gateway's `ROUTES.ready`): 200 when `check` reports ready, 503 when it reports not
   * ready or fails; the report is the JSON body.
   */
  endpoint: string;
  /** Whether the gateway can serve now, and why. */
  check: (request: Request) => Promise<ReadinessReport>;
}

/**
 * A readiness endpoint. Replaces Yoga's `useReadinessCheck`, which tests a `URLPattern` against a freshly parsed
 * URL for every request, not only for readiness probes (see docs/performance.md), and answers without a body.
 * It can go when Yoga's plugin matches its endpoint without parsing each URL and can say what is degraded.
 */
export function useReadiness({ endpoint, check }: ReadinessOptions): Plugin {
  return useRoute(endpoint, (request) =>
    check(request).then(
      (report) => Response.json(report, { status: report.ready ? 200 : 503 }),
      () => Response.json({ ready: false, checks: {} }, { status: 503 }),
    ),
  );
}

/**
 * `probe`, with its answer kept for `ttlMs` after it settles; callers meanwhile share the probe in flight. Many
 * load balancers (and replicas' probes) asking every second then cost the upstream one call every `ttlMs`.
 */
export function cachedProbe<T>(probe: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let current: Promise<T> | undefined;
  let settledAt = Number.NEGATIVE_INFINITY;
  let inFlight = false;
  return () => {
    if (current === undefined || (!inFlight && performance.now() - settledAt >= ttlMs)) {
      inFlight = true;
      const started = probe();
      current = started;
      const settle = () => {
        if (current !== started) return;
        inFlight = false;
        settledAt = performance.now();
      };
      started.then(settle, settle);
    }
    return current;
  };
}
