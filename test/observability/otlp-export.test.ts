import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, graphqlHeaders } from '../helpers/credentials.ts';
import { type StartedProgram, startProgram } from '../helpers/npm-start.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { freePort } from '../helpers/redis-server.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const COLLECTOR_KEY = 'collector-api-key-4f1c2e9d';
const EMBEDDED = { PORT: '0', EMBEDDED_GITLAB_PORT: '0', EMBEDDED_GITLAB_ADMIN_TOKEN: ADMIN_TOKEN };

async function query(program: StartedProgram, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${program.url}/graphql`, {
    method: 'POST',
    headers: { ...graphqlHeaders(), ...headers },
    body: JSON.stringify({ query: 'query ListHooks { systemHooks(first: 2) { count } }' }),
  });
  await response.text();
  return response.status;
}

/** SIGTERM, and how the process ended and how long it took. */
async function terminate(program: StartedProgram): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  const exited = once(program.child, 'exit');
  program.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return { code, ms: performance.now() - started };
}

describe('OTLP/HTTP JSON export from npm start', () => {
  let collector: OtlpReceiver;
  let program: StartedProgram;

  before(async () => {
    collector = await startOtlpReceiver();
    program = await startProgram({
      ...EMBEDDED,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${COLLECTOR_KEY}`,
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    });
  });
  after(async () => {
    if (program.child.exitCode === null) program.child.kill('SIGKILL');
    await collector.close();
  });

  it('exports the spans of a request when it stops, as JSON with the configured headers', async () => {
    assert.equal(await query(program, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` }), 200);
    const { code } = await terminate(program);
    assert.equal(code, 0);

    assert.ok(collector.exports.length > 0, 'the gateway exported on shutdown');
    for (const received of collector.exports) {
      assert.equal(received.path, '/v1/traces');
      assert.match(received.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(received.headers['x-api-key'], COLLECTOR_KEY);
    }
    const spans = collector.spans();
    const names = new Set(spans.map((span) => span.name));
    for (const name of [
      'POST /graphql',
      'query',
      'graphql.parse',
      'graphql.validate',
      'graphql.execute',
      'GitLab GET /hooks',
      'GET /api/v4/hooks',
    ]) {
      assert.ok(names.has(name), `${name} in ${[...names].join(', ')}`);
    }
    const server = spans.find((span) => span.name === 'POST /graphql');
    assert.equal(server?.traceId, TRACE_ID);
    assert.equal(server?.parentSpanId, PARENT_ID);
    assert.equal(server?.resource['service.name'], 'gitlab-system-hooks-gateway');
    assert.equal(server?.resource['deployment.environment.name'], 'test');
    assert.match(String(server?.resource['service.version']), /^\d+\.\d+\.\d+/);
    for (const span of spans) {
      assert.match(span.traceId, /^[0-9a-f]{32}$/);
      assert.match(span.spanId, /^[0-9a-f]{16}$/);
    }
    assert.ok(!program.output().includes(COLLECTOR_KEY), 'the collector key is never printed');
  });
});

describe('a collector that is down', () => {
  let program: StartedProgram;

  before(async () => {
    // A port nothing listens on: every export is refused.
    const port = await freePort();
    program = await startProgram({
      ...EMBEDDED,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${COLLECTOR_KEY}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    });
  });
  after(() => {
    if (program.child.exitCode === null) program.child.kill('SIGKILL');
  });

  it('slows no request, logs its failure a bounded number of times, and lets the gateway stop at once', async () => {
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      assert.equal(await query(program), 200);
      assert.ok(performance.now() - started < 1_000, 'answered without waiting for the collector');
    }
    const { code, ms } = await terminate(program);
    assert.equal(code, 0);
    assert.ok(ms < 5_000, `stopped within 5 s (${Math.round(ms)} ms)`);
    const failures = program
      .output()
      .split('\n')
      .filter((line) => line.includes('Trace export failed'));
    assert.ok(
      failures.length >= 1 && failures.length <= 2,
      `${failures.length} lines:\n${failures.join('\n')}`,
    );
    assert.ok(!program.output().includes(COLLECTOR_KEY), 'the collector key is never printed');
  });
});
