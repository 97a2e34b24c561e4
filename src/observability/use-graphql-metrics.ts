import { createCounter, createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { type DocumentNode, getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from './metrics.ts';

/** Parse and validate take microseconds to a few milliseconds; the plugin times them to the millisecond. */
const PHASE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** What the plugin gives a label function: the parsed document, the operation name asked for, the phase. */
interface PhaseParams {
  document?: DocumentNode;
  operationName?: string;
  errorPhase?: string;
}

type OperationLabels = { operationType: string; operationName?: string };

export interface GraphQLMetricsOptions {
  /**
   * Whether operation names are a bounded set: only with trusted documents, whose manifest fixes every name a
   * document can have. Without them a client chooses the name, and `operationName` is not a label.
   * @default false
   */
  namedOperations?: boolean;
}

/**
 * The GraphQL phases from `@graphql-yoga/plugin-prometheus`, under its own names (`graphql_envelop_*`, which
 * Hive's dashboards read) and in the gateway's registry, with every label bounded: the operation type always,
 * the operation name only with trusted documents (and then the name in the trusted document, not the one the
 * request claims), no error `path` (it holds list indices). Off: the HTTP histogram (the gateway's own
 * `http_server_request_duration_seconds` also counts requests refused before parsing), the summary (it cannot
 * be aggregated across replicas), the context phase (the plugin always observes 0 for it), deprecated fields
 * (the schema deprecates none), schema changes (the schema is static) and resolvers (too costly per field).
 */
export function useGraphQLMetrics(metrics: GatewayMetrics, options: GraphQLMetricsOptions = {}): Plugin {
  const { registry } = metrics;
  const named = options.namedOperations ?? false;
  const labelNames = named ? ['operationType', 'operationName'] : ['operationType'];
  const labelsOf = operationLabels(named);
  const histogram = <Phase extends string>(
    name: string,
    help: string,
    buckets: readonly number[],
    phases: [Phase, ...Phase[]],
  ) =>
    createHistogram({
      registry,
      histogram: { name, help, labelNames, buckets: [...buckets] },
      fillLabelsFn: labelsOf,
      phases,
    });

  return usePrometheus({
    registry,
    endpoint: false,
    skipIntrospection: true,
    labels: { operationName: named, path: false },
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: { name: 'graphql_envelop_request', help: 'GraphQL operations executed.', labelNames },
        fillLabelsFn: labelsOf,
        phases: ['execute', 'subscribe'],
      }),
      graphql_envelop_request_duration: histogram(
        'graphql_envelop_request_duration',
        'Time of a GraphQL operation from parse to the end of execute, in seconds.',
        metrics.durationBuckets,
        ['execute', 'subscribe'],
      ),
      graphql_envelop_phase_parse: histogram(
        'graphql_envelop_phase_parse',
        'Time spent parsing a document (a cached document takes none), in seconds.',
        PHASE_BUCKETS,
        ['parse'],
      ),
      graphql_envelop_phase_validate: histogram(
        'graphql_envelop_phase_validate',
        'Time spent validating a document (a cached document takes none), in seconds.',
        PHASE_BUCKETS,
        ['validate'],
      ),
      graphql_envelop_phase_execute: histogram(
        'graphql_envelop_phase_execute',
        'Time spent executing an operation, GitLab calls included, in seconds.',
        metrics.durationBuckets,
        ['execute'],
      ),
      graphql_envelop_phase_subscribe: histogram(
        'graphql_envelop_phase_subscribe',
        'Time spent starting a subscription, its authorization check included, in seconds.',
        metrics.durationBuckets,
        ['subscribe'],
      ),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'Errors in GraphQL results, by the phase that raised them.',
          labelNames: [...labelNames, 'phase'],
        },
        fillLabelsFn: (params: PhaseParams) => ({
          ...labelsOf(params),
          phase: params.errorPhase ?? 'unknown',
        }),
        phases: ['parse', 'validate', 'context', 'execute', 'subscribe'],
      }),
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_execute_resolver: false,
      graphql_yoga_http_duration: false,
    },
  });
}

/**
 * The label function: the type (and with trusted documents the name) of the operation the request runs, made
 * once per document and remembered with it (the gateway's document cache hands out the same document object
 * for the same text), so that the several metrics of one request do not each work it out again.
 */
function operationLabels(named: boolean): (params: PhaseParams) => OperationLabels {
  const byDocument = new WeakMap<DocumentNode, OperationLabels>();
  const unknown: OperationLabels = named
    ? { operationType: 'unknown', operationName: 'Anonymous' }
    : { operationType: 'unknown' };
  return ({ document, operationName }) => {
    if (document === undefined) return unknown;
    // Only a document with one operation has one answer whatever name the request asks for.
    const single = singleOperation(document);
    if (single) {
      const cached = byDocument.get(document);
      if (cached) return cached;
    }
    const operation = getOperationAST(document, operationName);
    if (!operation) return unknown;
    const labels: OperationLabels = named
      ? { operationType: operation.operation, operationName: operation.name?.value ?? 'Anonymous' }
      : { operationType: operation.operation };
    if (single) byDocument.set(document, labels);
    return labels;
  };
}

function singleOperation(document: DocumentNode): boolean {
  let operations = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) operations += 1;
  }
  return operations === 1;
}
