/**
 * The gateway's own Prometheus families, in one prom-client `Registry` per gateway: incoming requests, GraphQL
 * errors, GitLab calls and attempts, retries, the circuit breaker, DataLoader batches, system hook deliveries,
 * subscriptions and WebSocket connections, build info and Node's process metrics. Names follow the
 * OpenTelemetry HTTP conventions in their Prometheus form, as Apollo Router exports them; the GraphQL phases
 * (`use-graphql-metrics.ts`) go into the same registry.
 *
 * Every label value comes from a closed set (`labels.ts`), and the label objects of the request path are made
 * once and reused, so that recording allocates nothing once the gateway has seen each combination; the
 * histograms of the request path are `FastHistogram`s, which find a label set by that object.
 */

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { SubscriptionObserver } from '../events/subscriptions.ts';
import { GATEWAY_ERROR_CODES, type GatewayErrorCode } from '../graphql/errors.ts';
import type { ReceiverRefusal } from '../http/receiver.ts';
import type { CircuitState } from '../upstream/circuit-breaker.ts';
import { FastHistogram } from './histogram.ts';
import type { RouteLabel } from './labels.ts';

/** The OpenTelemetry HTTP duration buckets, with two below 5 ms: most of the gateway's answers take less. */
const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
/** DataLoader batch sizes, up to the loader's largest batch. */
const BATCH_BUCKETS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 100];

/** `gateway_upstream_circuit_state`'s values. */
const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Every way the receiver answers a delivery, as `gateway_webhook_deliveries_total{outcome}`. */
const DELIVERY_OUTCOMES: readonly (ReceiverRefusal | 'accepted' | 'duplicate')[] = [
  'accepted',
  'duplicate',
  'method',
  'content_type',
  'too_large',
  'unauthenticated',
  'malformed',
  'too_deep',
  'timeout',
  'busy',
  'unavailable',
];

export interface GatewayMetricsOptions {
  /** The gateway's version, for `gateway_build_info`. */
  version: string;
  /**
   * The deadline of a GitLab call (`UPSTREAM_TIMEOUT_MS`): the duration histograms get a bucket at it when it
   * is above their last one, so that a request that waited the whole deadline is not lost in `+Inf`.
   * @default 10_000
   */
  upstreamTimeoutMs?: number;
  /** Node's process metrics (`process_*`, `nodejs_*`: CPU, memory, event-loop lag, GC). @default true */
  processMetrics?: boolean;
}

type ServerLabels = Record<'http_request_method' | 'http_route' | 'http_response_status_code', string>;

/** The families of one gateway and the few recording functions its request path calls. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Buckets of the request and call duration histograms, in seconds. */
  readonly durationBuckets: readonly number[];
  readonly clientRequestDuration: FastHistogram<
    'http_request_method' | 'url_template' | 'http_response_status_code' | 'error_type' | 'server_address'
  >;
  readonly upstreamCallDuration: FastHistogram<'http_request_method' | 'url_template' | 'outcome'>;
  readonly upstreamRetries: Counter<'url_template' | 'reason'>;
  readonly circuitOpened: Counter<'server_address'>;
  /** One incoming request, answered with `status` after `seconds`. */
  serverRequest(method: string, route: RouteLabel, status: number, seconds: number): void;
  /** One error in a GraphQL response, by its `extensions.code` as `errorCodeLabel` reads it. */
  graphqlError(code: GatewayErrorCode): void;
  /** The DataLoader of hooks by id served a batch of `size` ids. */
  loaderBatch(size: number): void;
  /** Active subscriptions, over SSE and WebSocket. */
  readonly subscriptions: SubscriptionObserver;
  /** One delivery to the system hook receiver and how it was answered. */
  delivery(outcome: ReceiverRefusal | 'accepted' | 'duplicate'): void;
  /** Reads a client's breaker state at each scrape. */
  watchCircuit(serverAddress: string, state: () => CircuitState): void;
  /** Reads the number of open WebSocket connections at each scrape. */
  watchWebSockets(connections: () => number): void;
}

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const timeoutSeconds = (options.upstreamTimeoutMs ?? 10_000) / 1000;
  const durationBuckets =
    timeoutSeconds > (DURATION_BUCKETS.at(-1) as number)
      ? [...DURATION_BUCKETS, timeoutSeconds]
      : DURATION_BUCKETS;

  const serverDuration = new FastHistogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of incoming HTTP requests, from their arrival to their response headers, including those refused before GraphQL parsing.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
    buckets: durationBuckets,
    registers,
  });
  const serverLabels = new ServerLabelCache();

  const graphqlErrors = countedByLabel(
    registers,
    'gateway_graphql_errors_total',
    'Errors in GraphQL responses, by extensions.code (codes outside the documented set count as INTERNAL_SERVER_ERROR).',
    'code',
    Object.keys(GATEWAY_ERROR_CODES) as GatewayErrorCode[],
  );

  const circuitOpened = new Counter({
    name: 'gateway_upstream_circuit_opened_total',
    help: 'Times the GitLab circuit breaker opened (also again after a failed probe).',
    labelNames: ['server_address'],
    registers,
  });
  const circuits: { labels: { server_address: string }; state: () => CircuitState }[] = [];
  new Gauge({
    name: 'gateway_upstream_circuit_state',
    help: "The GitLab circuit breaker's state, read at scrape: 0 closed, 1 half-open, 2 open.",
    labelNames: ['server_address'],
    registers,
    collect() {
      for (const circuit of circuits) this.set(circuit.labels, CIRCUIT_STATE_VALUE[circuit.state()]);
    },
  });

  const webSockets: (() => number)[] = [];
  new Gauge({
    name: 'gateway_websocket_connections',
    help: 'Open GraphQL-over-WebSocket connections, read at scrape.',
    registers,
    collect() {
      this.set(webSockets.reduce((sum, read) => sum + read(), 0));
    },
  });

  const activeSubscriptions = new Gauge({
    name: 'gateway_active_subscriptions',
    help: 'Subscriptions to system hook events being served, over SSE and WebSocket.',
    registers,
  });

  const deliveries = new Counter({
    name: 'gateway_webhook_deliveries_total',
    help: 'Deliveries to the system hook receiver, by how they were answered: accepted, duplicate, or why refused.',
    labelNames: ['outcome'],
    registers,
  });
  const deliveryLabels = new Map(DELIVERY_OUTCOMES.map((outcome) => [outcome, { outcome }]));

  const batchSizes = new FastHistogram({
    name: 'gateway_dataloader_batch_size',
    help: 'Ids in each batch the DataLoader of hooks by id serves.',
    labelNames: ['loader'],
    buckets: BATCH_BUCKETS,
    registers,
  });
  const hookById = { loader: 'hook_by_id' };

  new Gauge({
    name: 'gateway_build_info',
    help: 'Always 1; its labels say which gateway and Node.js versions run.',
    labelNames: ['version', 'node_version'],
    registers,
  }).set({ version: options.version, node_version: process.version }, 1);

  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  return {
    registry,
    durationBuckets,
    clientRequestDuration: new FastHistogram({
      name: 'http_client_request_duration_seconds',
      help: 'Duration of each HTTP attempt to GitLab, to its response headers or failure, by URL template (never the raw URL).',
      labelNames: [
        'http_request_method',
        'url_template',
        'http_response_status_code',
        'error_type',
        'server_address',
      ],
      buckets: durationBuckets,
      registers,
    }),
    upstreamCallDuration: new FastHistogram({
      name: 'gateway_upstream_call_duration_seconds',
      help: 'Duration of each logical GitLab call, retries and back-off included, by outcome (ok or the error code).',
      labelNames: ['http_request_method', 'url_template', 'outcome'],
      buckets: durationBuckets,
      registers,
    }),
    upstreamRetries: new Counter({
      name: 'gateway_upstream_retries_total',
      help: 'GitLab attempts tried again, by reason: status_5xx, status_429, timeout, transport.',
      labelNames: ['url_template', 'reason'],
      registers,
    }),
    circuitOpened,
    serverRequest(method, route, status, seconds) {
      serverDuration.observe(serverLabels.get(method, route, status), seconds);
    },
    graphqlError: graphqlErrors,
    loaderBatch(size) {
      batchSizes.observe(hookById, size);
    },
    subscriptions: {
      opened: () => activeSubscriptions.inc(),
      closed: () => activeSubscriptions.dec(),
    },
    delivery(outcome) {
      deliveries.inc(deliveryLabels.get(outcome) as { outcome: string });
    },
    watchCircuit(serverAddress, state) {
      const labels = { server_address: serverAddress };
      circuits.push({ labels, state });
      circuitOpened.inc(labels, 0);
    },
    watchWebSockets(connections) {
      webSockets.push(connections);
    },
  };
}

/**
 * A counter with one label whose values are all known: each exported from the start at 0, and counted by value
 * with a label object made once.
 */
function countedByLabel<V extends string>(
  registers: Registry[],
  name: string,
  help: string,
  label: string,
  values: readonly V[],
): (value: V) => void {
  const counter = new Counter({ name, help, labelNames: [label], registers });
  const labels = new Map(values.map((value) => [value, { [label]: value }]));
  for (const set of labels.values()) counter.inc(set, 0);
  return (value) => counter.inc(labels.get(value) as Record<string, string>);
}

/**
 * The label objects of `http_server_request_duration_seconds`, made once per method, route and status: the
 * request path looks one up instead of building an object for every request.
 */
class ServerLabelCache {
  private readonly byRoute = new Map<string, Map<string, Map<number, ServerLabels>>>();

  get(method: string, route: RouteLabel, status: number): ServerLabels {
    return this.byRoute.get(route)?.get(method)?.get(status) ?? this.make(method, route, status);
  }

  private make(method: string, route: RouteLabel, status: number): ServerLabels {
    const labels = {
      http_request_method: method,
      http_route: route,
      http_response_status_code: String(status),
    };
    const byMethod = entryOf(this.byRoute, route, () => new Map<string, Map<number, ServerLabels>>());
    entryOf(byMethod, method, () => new Map<number, ServerLabels>()).set(status, labels);
    return labels;
  }
}

/** The value of `key` in `map`, made and stored when missing; for caches' slow paths. */
export function entryOf<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
