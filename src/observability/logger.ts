/**
 * The gateway's logger: JSON lines (pino) on stdout, one object per line, with the level as an upper-case word
 * (`"level":"INFO"`, as Cloud Logging's `severity` and most JSON log formats write it), an ISO time, and, inside
 * a traced request, its `trace_id`, `span_id` and `request_id`. Nothing the gateway logs holds a
 * document, variables, headers or a secret: callers pass the fields a line needs, never a request.
 */

import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import { REQUEST_ID_KEY } from './request-id.ts';

export type { Logger } from 'pino';

/** `LOG_LEVEL`'s values, from the most to the least severe; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggerOptions {
  /** `LOG_LEVEL`. @default 'info' */
  level?: LogLevel | undefined;
  /**
   * Where lines go: a stream, or standard output or error, written synchronously so that no line is lost when
   * the process exits. @default 'stdout'
   */
  destination?: DestinationStream | 'stdout' | 'stderr' | undefined;
}

const NO_FIELDS = Object.freeze({});

/**
 * The ids of the active trace and of the request it serves, on every line written inside it. Without tracing
 * there is no active context and this adds nothing.
 */
function traceFields(): object {
  const active = context.active();
  const span = trace.getSpan(active);
  if (span === undefined) return NO_FIELDS;
  const { traceId, spanId } = span.spanContext();
  const requestId = active.getValue(REQUEST_ID_KEY);
  return requestId === undefined
    ? { trace_id: traceId, span_id: spanId }
    : { trace_id: traceId, span_id: spanId, request_id: requestId };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'gitlab-system-hooks-gateway',
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
      mixin: traceFields,
      // A line's own fields win over the trace's; pino's default would write into the mixin's object.
      mixinMergeStrategy: (fields, trace) =>
        trace === NO_FIELDS ? fields : Object.assign({}, trace, fields),
    },
    typeof options.destination === 'object'
      ? options.destination
      : pino.destination({ dest: options.destination === 'stderr' ? 2 : 1, sync: true }),
  );
}
