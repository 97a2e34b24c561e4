import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';
import fc from 'fast-check';
import { parseTracingEnvironment } from '../../src/observability/otel-env.ts';
import { propertyRuns } from '../helpers/property.ts';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

/** Both key-value variables set to `text`. */
function read(text: string) {
  return parseTracingEnvironment({
    ...ENDPOINT,
    OTEL_EXPORTER_OTLP_HEADERS: text,
    OTEL_RESOURCE_ATTRIBUTES: text,
  });
}

/** Whether the exporter's reading (`parseKeyPairsIntoRecord`) leaves out or cuts a non-blank entry of `text`. */
function exporterLosesAnEntry(text: string): boolean {
  return text
    .split(',')
    .filter((entry) => entry.trim() !== '')
    .some((entry) => Object.keys(parseKeyPairsIntoRecord(entry)).length === 0 || entry.includes(';'));
}

/** Lists of entries built from the characters that matter to the format, and a few that HTTP cannot carry. */
const keyValueText = fc
  .array(fc.constantFrom('a', 'Key', '=', ';', ',', ' ', '-', '%', '%2C', '%3B', '%zz', '\n', 'é'), {
    maxLength: 12,
  })
  .map((parts) => parts.join(''));

describe('the OTEL key-value variables, read as the OTLP exporter reads them', () => {
  it('reads what the exporter reads, or reports the variable', () => {
    fc.assert(
      fc.property(keyValueText, (text) => {
        const { tracing, problems } = read(text);
        const exporter = parseKeyPairsIntoRecord(text);
        if (exporterLosesAnEntry(text)) {
          assert.ok(problems.some((problem) => problem.startsWith('OTEL_EXPORTER_OTLP_HEADERS ')));
          assert.ok(problems.some((problem) => problem.startsWith('OTEL_RESOURCE_ATTRIBUTES ')));
        }
        if (problems.length > 0) return;
        assert.deepEqual(tracing?.resourceAttributes, exporter);
        const lowerCased = Object.entries(exporter).map(([key, value]) => [key.toLowerCase(), value]);
        assert.deepEqual(tracing?.headers, Object.fromEntries(lowerCased));
      }),
      propertyRuns(300),
    );
  });

  it('decodes percent-encoded values, a comma and a semicolon among them', () => {
    const { tracing, problems } = read('api-key=a%2Cb%3Bc, x-tenant = t1 ');
    assert.deepEqual(problems, []);
    assert.deepEqual(tracing?.headers, { 'api-key': 'a,b;c', 'x-tenant': 't1' });
  });

  it('refuses an entry the exporter would cut at a semicolon, or leave out for an empty value', () => {
    for (const text of ['api-key=secret-value;meta', 'api-key=']) {
      const { tracing, problems } = read(text);
      assert.equal(tracing, undefined, text);
      assert.deepEqual(
        problems.map((problem) => problem.split(' ')[0]),
        ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_RESOURCE_ATTRIBUTES'],
        text,
      );
      assert.ok(!problems[0]?.includes('secret-value'), 'a header value is never quoted');
    }
  });
});
