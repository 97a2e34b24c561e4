/** The access line: one `request` line per HTTP request, when it has been answered. */
import { type Logger, traceFields } from './logger.ts';
import { loggedOperationName, type RequestRecord } from './request-record.ts';
import { roundMs } from './upstream.ts';

export function logAccess(logger: Logger, record: RequestRecord, status: number, durationMs: number): void {
  // Probes come every few seconds from every load balancer: their lines are for debugging only.
  const level = record.isProbe ? 'debug' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const { operation } = record;
  logger[level](
    {
      ...traceFields(record.span),
      request_id: record.requestId,
      client_request_id: record.clientRequestId,
      method: record.method,
      route: record.route,
      status,
      duration_ms: roundMs(durationMs),
      operation_type: operation?.type,
      operation_name: operation && loggedOperationName(operation),
      error_codes: record.errorCodes,
      upstream_calls: record.upstreamCalls,
      upstream_ms: roundMs(record.upstreamMs),
    },
    'request',
  );
}
