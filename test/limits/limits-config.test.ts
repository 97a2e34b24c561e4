import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { DEFAULT_REQUEST_LIMITS } from '../../src/graphql/plugins/use-request-limits.ts';

describe('limits in the configuration', () => {
  it('defaults to DEFAULT_REQUEST_LIMITS', () => {
    assert.deepEqual(loadConfig({}).limits, DEFAULT_REQUEST_LIMITS);
  });

  it('reads every MAX_* variable', () => {
    const { limits } = loadConfig({
      MAX_REQUEST_BODY_BYTES: '65536',
      MAX_BATCH_OPERATIONS: '0',
      MAX_QUERY_TOKENS: '500',
      MAX_QUERY_DEPTH: '12',
      MAX_QUERY_ALIASES: '0',
      MAX_QUERY_DIRECTIVES: '5',
      MAX_QUERY_COMPLEXITY: '1000',
      MAX_UPSTREAM_CALLS: '40',
    });
    assert.deepEqual(limits, {
      maxRequestBodyBytes: 65_536,
      maxBatchOperations: 0,
      maxTokens: 500,
      maxDepth: 12,
      maxAliases: 0,
      maxDirectives: 5,
      maxComplexity: 1000,
      maxUpstreamCalls: 40,
    });
  });

  it('reports every bad limit at once, with the other problems', () => {
    assert.throws(
      () =>
        loadConfig({
          MAX_QUERY_DEPTH: '0',
          MAX_BATCH_OPERATIONS: 'ten',
          MAX_REQUEST_BODY_BYTES: '10',
          MAX_UPSTREAM_CALLS: '0',
          PORT: 'x',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.problems.map((problem) => problem.split(' ')[0]),
          ['PORT', 'MAX_QUERY_DEPTH', 'MAX_REQUEST_BODY_BYTES', 'MAX_BATCH_OPERATIONS', 'MAX_UPSTREAM_CALLS'],
        );
        return true;
      },
    );
  });
});
