import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { Counter } from 'prom-client';
import { listenForStreamError, type StreamErrorListener } from '../graphql/grouped-stream.ts';
import { FastHistogram } from './histogram.ts';
import type { GatewayMetrics } from './metrics.ts';
import { type OperationInfo, type RequestRecords, UNKNOWN_OPERATION } from './request-record.ts';

/** Parse and validate take microseconds to a few milliseconds. */
const PHASE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

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
 * The GraphQL phases, under the names `@graphql-yoga/plugin-prometheus` gives them (`graphql_envelop_*`, which
 * Hive's dashboards read), in the gateway's registry, with every label bounded: the operation type always, the
 * operation name only with trusted documents (and then the name in the trusted document, not the one the request
 * claims), no error `path` (it holds list indices). That plugin's own per-request work (label objects made
 * anew, its hook lists filtered on every phase) cost more than the gateway's whole use of prom-client
 * (docs/performance.md); these few hooks record the same families with label objects
 * made once per document and `FastHistogram`s. The operation is the one the request record keeps for the GraphQL
 * context (`request-record.ts`), which the access log and the spans read too. Introspection operations are not
 * counted; the context phase counts its errors only; durations are measured with `performance.now`.
 */
export function useGraphQLMetrics(
  metrics: GatewayMetrics,
  records: RequestRecords,
  options: GraphQLMetricsOptions = {},
): Plugin {
  const { registry } = metrics;
  const registers = [registry];
  const named = options.namedOperations ?? false;
  const labelNames = named ? ['operationType', 'operationName'] : ['operationType'];
  const labelsOf = operationLabels(named);
  const histogram = (name: string, help: string, buckets: readonly number[]) =>
    new FastHistogram({ name, help, labelNames, buckets, registers });

  const requests = new Counter({
    name: 'graphql_envelop_request',
    help: 'GraphQL operations executed.',
    labelNames,
    registers,
  });
  const requestDuration = histogram(
    'graphql_envelop_request_duration',
    'Time of a GraphQL operation from parse to the end of execute, in seconds.',
    metrics.durationBuckets,
  );
  const parseDuration = histogram(
    'graphql_envelop_phase_parse',
    'Time spent parsing a document (a cached document takes none), in seconds.',
    PHASE_BUCKETS,
  );
  const validateDuration = histogram(
    'graphql_envelop_phase_validate',
    'Time spent validating a document (a cached document takes none), in seconds.',
    PHASE_BUCKETS,
  );
  const executeDuration = histogram(
    'graphql_envelop_phase_execute',
    'Time spent executing an operation, GitLab calls included, in seconds.',
    metrics.durationBuckets,
  );
  const subscribeDuration = histogram(
    'graphql_envelop_phase_subscribe',
    'Time spent starting a subscription, its authorization check included, in seconds.',
    metrics.durationBuckets,
  );
  const errors = new Counter({
    name: 'graphql_envelop_error_result',
    help: 'Errors in GraphQL results, by the phase that raised them.',
    labelNames: [...labelNames, 'phase'],
    registers,
  });
  const countError = (labels: OperationLabels, phase: string) => errors.inc({ ...labels, phase });
  /** One listener per label set, so that a stream's error costs a weak entry and no closure of its own. */
  const streamErrors = new Map<OperationLabels, StreamErrorListener>();
  const streamErrorsOf = (labels: OperationLabels): StreamErrorListener => {
    let listener = streamErrors.get(labels);
    if (listener === undefined) {
      listener = { streamFailed: () => countError(labels, 'subscribe') };
      streamErrors.set(labels, listener);
    }
    return listener;
  };

  /** The end of an execution or of a subscription's start: its duration, the operation's, and its errors. */
  const recordOperationEnd = (context: object, phase: FastHistogram, started: number, result: unknown) => {
    const operation = records.operationIn(context);
    if (operation === undefined) return;
    const labels = labelsOf(operation.operation);
    const now = performance.now();
    phase.observe(labels, (now - started) / 1000);
    requestDuration.observe(labels, (now - operation.started) / 1000);
    requests.inc(labels);
    if (isAsyncIterable(result)) return;
    const resultErrors = (result as ExecutionResult | undefined)?.errors;
    if (resultErrors) for (const _ of resultErrors) countError(labels, 'execute');
  };

  return {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context }) => {
        const operation = records.operationIn(context);
        if (operation) countError(labelsOf(operation.operation), 'context');
      });
    },
    onParse({ context, params }) {
      // As the plugin decides what is introspection: by the text, before it is parsed.
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      if (source.includes('__schema')) return;
      const started = performance.now();
      return ({ result }) => {
        const seconds = (performance.now() - started) / 1000;
        if (result === null || result instanceof Error) {
          const unknown = labelsOf(UNKNOWN_OPERATION);
          parseDuration.observe(unknown, seconds);
          countError(unknown, 'parse');
          return;
        }
        const { operation } = records.beginOperation(context, result, context.params?.operationName, started);
        parseDuration.observe(labelsOf(operation), seconds);
      };
    },
    onValidate({ context }) {
      const operation = records.operationIn(context);
      if (operation === undefined) return;
      const labels = labelsOf(operation.operation);
      const started = performance.now();
      return ({ valid }) => {
        validateDuration.observe(labels, (performance.now() - started) / 1000);
        if (!valid) countError(labels, 'validate');
      };
    },
    onExecute({ args }) {
      const context = args.contextValue as object;
      if (records.operationIn(context) === undefined) return;
      const started = performance.now();
      return {
        onExecuteDone: ({ result }) => recordOperationEnd(context, executeDuration, started, result),
      };
    },
    onSubscribe({ args }) {
      const context = args.contextValue as object;
      const operation = records.operationIn(context);
      if (operation === undefined) return;
      const started = performance.now();
      return {
        onSubscribeResult: ({ result }) => {
          // A grouped stream whose live phase the gateway's SSE writer or WebSocket side serves ends outside
          // envelop's wrappers.
          listenForStreamError(result, streamErrorsOf(labelsOf(operation.operation)));
          return recordOperationEnd(context, subscribeDuration, started, result);
        },
        onSubscribeError: () => countError(labelsOf(operation.operation), 'subscribe'),
      };
    },
  };
}

/**
 * The label function: the type (and with trusted documents the name) of the operation the request runs. Each
 * distinct set of labels is one object, made once, so that the histograms find their series by it; an operation
 * of the request record is one object per document with one operation (the gateway's document cache hands out
 * the same document for the same text), so its labels are found by that object on the request path.
 */
function operationLabels(named: boolean): (operation: OperationInfo) => OperationLabels {
  const byOperation = new WeakMap<OperationInfo, OperationLabels>();
  const byValues = new Map<string, OperationLabels>();
  const intern = (operationType: string, operationName: string) => {
    const key = named ? `${operationType}\u0000${operationName}` : operationType;
    let labels = byValues.get(key);
    if (labels === undefined) {
      labels = named ? { operationType, operationName } : { operationType };
      byValues.set(key, labels);
    }
    return labels;
  };
  return (operation) => {
    let labels = byOperation.get(operation);
    if (labels === undefined) {
      labels = intern(operation.type, operation.name ?? 'Anonymous');
      byOperation.set(operation, labels);
    }
    return labels;
  };
}
