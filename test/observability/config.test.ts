import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

/** The problems `loadConfig` reports for `env` (none: an empty list). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

const observability = (env: Record<string, string>) => loadConfig(env).observability;

describe('the configuration of logs, metrics and traces', () => {
  it('defaults to info logs, no metrics and no tracing', () => {
    assert.deepEqual(observability({}), {
      logLevel: 'info',
      yogaDebug: false,
      metrics: undefined,
      tracing: undefined,
    });
  });

  it('takes each LOG_LEVEL in any case, and DEBUG=1 as debug unless LOG_LEVEL says otherwise', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      assert.equal(observability({ LOG_LEVEL: level.toUpperCase() }).logLevel, level);
    }
    assert.equal(observability({ DEBUG: '1' }).logLevel, 'debug');
    assert.equal(observability({ DEBUG: '1' }).yogaDebug, true);
    assert.equal(observability({ DEBUG: '1', LOG_LEVEL: 'warn' }).logLevel, 'warn');
    assert.equal(observability({ DEBUG: 'express:*' }).logLevel, 'info');
  });

  it('refuses an unknown LOG_LEVEL', () => {
    assert.deepEqual(problemsOf({ LOG_LEVEL: 'verbose' }), [
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    ]);
  });

  it('leaves the log format to the terminal unless LOG_FORMAT forces json or text, in any case', () => {
    assert.equal(observability({}).logFormat, undefined);
    assert.equal(observability({ LOG_FORMAT: 'JSON' }).logFormat, 'json');
    assert.equal(observability({ LOG_FORMAT: ' text ' }).logFormat, 'text');
  });

  it('refuses an unknown LOG_FORMAT', () => {
    assert.deepEqual(problemsOf({ LOG_FORMAT: 'pretty' }), [
      'LOG_FORMAT must be one of json, text, got "pretty"',
    ]);
  });

  it('serves metrics on 127.0.0.1:9464 by default, and elsewhere when asked', () => {
    assert.deepEqual(observability({ METRICS: 'true' }).metrics, { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(
      observability({ METRICS: 'TRUE', METRICS_HOST: '0.0.0.0', METRICS_PORT: '9100' }).metrics,
      {
        host: '0.0.0.0',
        port: 9100,
      },
    );
    assert.equal(observability({ METRICS: 'false', METRICS_PORT: '9100' }).metrics, undefined);
  });

  it('refuses a bad METRICS, a bad METRICS_PORT, and METRICS_PORT equal to PORT', () => {
    assert.match(problemsOf({ METRICS: 'yes' }).join('\n'), /METRICS must be true or false/);
    assert.match(
      problemsOf({ METRICS: 'true', METRICS_PORT: '70000' }).join('\n'),
      /METRICS_PORT must be an integer from 0 to 65535/,
    );
    assert.deepEqual(problemsOf({ METRICS: 'true', PORT: '9464' }), [
      'METRICS_PORT must differ from PORT: metrics are never served on the GraphQL port',
    ]);
    // Both 0 are two different free ports.
    assert.deepEqual(problemsOf({ METRICS: 'true', PORT: '0', METRICS_PORT: '0' }), []);
  });

  it('turns tracing on with an OTLP endpoint, with the standard defaults', () => {
    assert.deepEqual(observability({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing, {
      endpoint: 'http://collector:4318/v1/traces',
      headers: {},
      timeoutMs: 10_000,
      serviceName: 'gitlab-system-hooks-gateway',
      resourceAttributes: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      propagators: ['tracecontext'],
      trustIncoming: true,
    });
  });

  it('continues incoming trace context unless TRUST_INCOMING_TRACE_CONTEXT is false', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    assert.equal(observability(endpoint).tracing?.trustIncoming, true);
    assert.equal(
      observability({ ...endpoint, TRUST_INCOMING_TRACE_CONTEXT: 'FALSE' }).tracing?.trustIncoming,
      false,
    );
    assert.deepEqual(problemsOf({ ...endpoint, TRUST_INCOMING_TRACE_CONTEXT: 'no' }), [
      'TRUST_INCOMING_TRACE_CONTEXT must be true or false, got "no"',
    ]);
  });

  it('uses the traces endpoint as it is, and reads every other OTEL variable', () => {
    const tracing = observability({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/custom/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%2Cb,X-Tenant=t1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=t2',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2000',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.name=from-resource',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_PROPAGATORS: 'tracecontext,baggage',
    }).tracing;
    assert.deepEqual(tracing, {
      endpoint: 'https://collector.example/custom/traces',
      headers: { 'api-key': 'a,b', 'x-tenant': 't2' },
      timeoutMs: 2000,
      serviceName: 'from-resource',
      resourceAttributes: { 'deployment.environment.name': 'prod', 'service.name': 'from-resource' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      propagators: ['tracecontext', 'baggage'],
      trustIncoming: true,
    });
    assert.equal(
      observability({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'gw' }).tracing
        ?.serviceName,
      'gw',
    );
    assert.deepEqual(
      observability({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_PROPAGATORS: 'none' }).tracing
        ?.propagators,
      [],
    );
  });

  it('leaves tracing off when disabled, or exported to none, whatever the endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    assert.equal(observability({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing, undefined);
    assert.equal(observability({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing, undefined);
  });

  it('reports each bad OTEL variable, and never quotes a header value', () => {
    const problems = problemsOf({
      OTEL_SDK_DISABLED: 'maybe',
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://user:pw@collector:4318/v1/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret-value-1\nx',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'no-equals-secret-value-2',
      OTEL_EXPORTER_OTLP_TIMEOUT: '0',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: 'soon',
      OTEL_RESOURCE_ATTRIBUTES: '=nokey',
      OTEL_TRACES_SAMPLER: 'jaeger_remote',
      OTEL_PROPAGATORS: 'b3',
    });
    const text = problems.join('\n');
    for (const name of [
      'OTEL_SDK_DISABLED',
      'OTEL_TRACES_EXPORTER',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
      'OTEL_EXPORTER_OTLP_TIMEOUT',
      'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
      'OTEL_RESOURCE_ATTRIBUTES',
      'OTEL_TRACES_SAMPLER',
      'OTEL_PROPAGATORS',
    ]) {
      assert.match(text, new RegExp(`^${name} `, 'm'), name);
    }
    assert.doesNotMatch(text, /secret-value|user:pw|pw@/);
    // The general endpoint is checked too, when it is the one used.
    assert.match(
      problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }).join('\n'),
      /^OTEL_EXPORTER_OTLP_ENDPOINT /m,
    );
  });

  it('refuses a sampler ratio outside 0 to 1, for the ratio samplers only', () => {
    assert.match(
      problemsOf({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }).join('\n'),
      /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/,
    );
    assert.deepEqual(
      problemsOf({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'ignored' }),
      [],
    );
    assert.equal(
      observability({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0',
      }).tracing?.samplerRatio,
      0,
    );
  });
});
