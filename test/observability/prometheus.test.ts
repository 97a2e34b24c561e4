import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { type MetricsServer, startMetricsServer } from '../../src/observability/metrics-server.ts';
import { graphqlHeaders } from '../helpers/credentials.ts';
import { type FaultProxy, startProxiedGitLab } from '../helpers/fault-proxy.ts';
import { type Observed, parseExposition, startObservedGateway, sumOf } from '../helpers/observed-stack.ts';
import { type PrometheusServer, type PromSample, startPrometheus } from '../helpers/prometheus-server.ts';
import { type GatewayHandle, gid } from '../helpers/stack.ts';

const value = (samples: PromSample[]) => samples[0]?.value;
const is = (expected: number) => (samples: PromSample[]) => value(samples) === expected;

describe('a real Prometheus scraping the metrics listener', () => {
  let gitlab: EmbeddedGitLab;
  let proxy: FaultProxy;
  let gateway: GatewayHandle & Observed;
  let listener: MetricsServer;
  let prometheus: PrometheusServer;
  let id: string;

  before(async () => {
    let hookIds: number[];
    ({ gitlab, proxy, hookIds } = await startProxiedGitLab({ hooks: 1 }));
    id = gid(hookIds[0] as number);
    gateway = await startObservedGateway(proxy.url, {
      tracing: false,
      logLevel: 'silent',
      upstream: {
        retry: { retries: 1, baseDelayMs: 1 },
        circuitBreaker: { failureThreshold: 2, coolDownMs: 60_000 },
      },
    });
    const registry = gateway.metrics?.registry;
    assert.ok(registry);
    listener = await startMetricsServer({ registry, host: '127.0.0.1', port: 0 });
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${listener.port}`] });
  });
  after(async () => {
    await prometheus?.close();
    await listener?.close();
    await gateway?.close();
    await proxy?.close();
    await gitlab?.close();
  });

  it('scrapes the gateway', async () => {
    await prometheus.waitFor('up{job="gateway"}', is(1));
    const [info] = await prometheus.waitFor('gateway_build_info', (samples) => samples.length === 1);
    // The gateway runs in this process, so on the Node line the suite runs on.
    assert.equal(info?.metric.node_version, process.version);
  });

  it('reads back a success, a GraphQL error, a request refused before parsing and a retry', async () => {
    await gateway.requestText(`{ systemHook(id: "${id}") { id } }`);
    await gateway.requestText('{ systemHook(id: "malformed") { id } }');
    const invalid = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: graphqlHeaders(),
      body: 'not json',
    });
    await invalid.body?.cancel();
    let failed = 0;
    proxy.setMode(() => (failed++ === 0 ? { kind: 'status', status: 503 } : { kind: 'pass' }));
    await gateway.requestText(`{ systemHooks(first: 1) { count } }`);
    proxy.setMode({ kind: 'pass' });

    await prometheus.waitFor(
      'sum(http_server_request_duration_seconds_count{http_route="/graphql",http_response_status_code="200"})',
      is(3),
    );
    await prometheus.waitFor(
      'sum(http_server_request_duration_seconds_count{http_route="/graphql",http_response_status_code="400"})',
      is(1),
    );
    await prometheus.waitFor('sum(gateway_graphql_errors_total{code="BAD_USER_INPUT"})', is(1));
    await prometheus.waitFor(
      'sum(gateway_upstream_retries_total{url_template="/api/v4/hooks",reason="status_5xx"})',
      is(1),
    );
    await prometheus.waitFor(
      'sum(http_client_request_duration_seconds_count{url_template="/api/v4/hooks",http_response_status_code="503"})',
      is(1),
    );
    await prometheus.waitFor('sum(graphql_envelop_request{operationType="query"})', is(3));
  });

  it('sees the breaker open, as its state is read at each scrape', async () => {
    await prometheus.waitFor('gateway_upstream_circuit_state', is(0));
    proxy.setMode({ kind: 'status', status: 502 });
    await gateway.requestText(`{ systemHook(id: "${id}") { id } }`);
    proxy.setMode({ kind: 'pass' });
    await prometheus.waitFor('gateway_upstream_circuit_state', is(2));
    await prometheus.waitFor('sum(gateway_upstream_circuit_opened_total)', is(1));
  });

  it('keeps the number of series when clients send random names, ids, paths and query strings', async () => {
    const burst = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const word = randomBytes(5).toString('hex');
        const path = i % 3 === 0 ? `/p${word}` : `/graphql?q=${word}`;
        const response = await fetch(`${gateway.url}${path}`, {
          method: 'POST',
          headers: graphqlHeaders(),
          body: JSON.stringify({ query: `query Q${word} { systemHook(id: "${gid(i + 1_000)}") { id } }` }),
        });
        await response.body?.cancel();
      }
    };
    const seriesCount = async () => (await prometheus.series('{job="gateway"}')).length;
    /** Waits for a scrape that saw every request served so far. */
    const scraped = async () => {
      const served = sumOf(
        parseExposition(await gateway.metricsText()),
        'http_server_request_duration_seconds_count',
      );
      await prometheus.waitFor('sum(http_server_request_duration_seconds_count)', is(served));
    };
    await burst(30);
    await scraped();
    const before = await seriesCount();
    await burst(150);
    await scraped();
    assert.equal(await seriesCount(), before);
    const names = await prometheus.series('{job="gateway",operationName=~".+"}');
    assert.deepEqual(names, []);
  });
});
