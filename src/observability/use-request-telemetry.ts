/**
 * What every incoming request leaves behind: its `x-request-id` (made by the gateway, echoed, and logged beside the
 * client's own), one `http_server_request_duration_seconds` observation, its GraphQL errors by code, one access
 * line (`access-log.ts`), and with tracing its spans (`request-spans.ts`).
 *
 * The request's record starts in Yoga's `request` instrumentation, which wraps every request before any plugin
 * (Yoga's own health check, CORS and GraphiQL answer before the gateway's plugins see a request), and ends in
 * `onResponse`, which sees every response.
 */

import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { logAccess } from './access-log.ts';
import { errorCodeLabel } from './labels.ts';
import { REQUEST_ID_HEADER } from './request-id.ts';
import type { RequestRecord, RequestRecords } from './request-record.ts';
import { endServerSpan, nameOperationSpan, type SpanHooks } from './request-spans.ts';
import type { Telemetry } from './telemetry.ts';
import type { ErrorRequests } from './yoga-logger.ts';

export interface RequestTelemetryParts {
  /** With tracing: the span hooks, whose `request` instrumentation also opens the record. */
  spans?: SpanHooks | undefined;
  /** With a logger: where each error of a result is tied to its request, for Yoga's lines. */
  errors?: ErrorRequests | undefined;
}

/**
 * What a request leaves once answered with `status`, whichever server answered it (Yoga's `onResponse`, or the
 * edge for the routes it serves itself): its duration in the metric, its access line, the end of its span.
 */
export function recordAnswer({ logger, metrics }: Telemetry, record: RequestRecord, status: number): void {
  const durationMs = performance.now() - record.started;
  metrics?.serverRequest(record.method, record.route, status, durationMs / 1000);
  if (logger) logAccess(logger, record, status, durationMs);
  if (record.span) endServerSpan(record.span, record, status);
}

/**
 * The Yoga plugin; first in the gateway's list, so that its hooks see the request before the others. Hooks are
 * registered only for what reads them: without a logger, metrics or tracing, a request costs its id, two clock
 * reads and a WeakMap entry.
 */
export function useRequestTelemetry(
  telemetry: Telemetry,
  records: RequestRecords,
  { spans, errors }: RequestTelemetryParts = {},
): Plugin {
  const { logger, metrics } = telemetry;

  const closeRecord = (record: RequestRecord, response: Response) => {
    response.headers.set(REQUEST_ID_HEADER, record.requestId);
    recordAnswer(telemetry, record, response.status);
  };

  /** The operation of a request, for its access line and its span, as soon as it is known. */
  const noteOperation = (args: ExecutionArgs) => {
    const record = records.ofContext(args.contextValue as object | undefined);
    const span = record?.operationSpan;
    if ((record === undefined || record.operation !== undefined) && span === undefined) return;
    const operation = records.operationFor(args);
    if (record) record.operation ??= operation;
    if (span) nameOperationSpan(span, operation);
  };

  /** The errors of one result, by code: in the metric and on the request's record. */
  const countErrors = (result: ExecutionResult, record: RequestRecord | undefined) => {
    if (result.errors === undefined) return;
    for (const error of result.errors) {
      const code = errorCodeLabel(error.extensions?.code);
      metrics?.graphqlError(code);
      record?.addErrorCode(code);
    }
  };

  const notesOperations = logger !== undefined || spans !== undefined;
  const countsErrors = logger !== undefined || metrics !== undefined;
  return {
    instrumentation: spans?.instrumentation ?? {
      request({ request }, wrapped) {
        records.open(request);
        return wrapped();
      },
    },
    onResponse({ request, response }) {
      const record = records.of(request);
      if (record) closeRecord(record, response);
    },
    ...(notesOperations && {
      onExecute({ args }) {
        noteOperation(args);
        return errors?.tagger;
      },
      onSubscribe({ args }) {
        noteOperation(args);
      },
    }),
    onExecutionResult: spans?.onExecutionResult,
    ...(countsErrors && {
      onResultProcess({ request, result }) {
        if (isAsyncIterable(result)) return;
        const record = records.of(request);
        if (!Array.isArray(result)) countErrors(result, record);
        else for (const single of result) countErrors(single, record);
      },
    }),
  };
}
