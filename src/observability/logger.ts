/**
 * The gateway's logger: JSON lines (pino) on stdout, one object per line, with the level as an upper-case word
 * (`"level":"INFO"`, as Cloud Logging's `severity` and most JSON log formats write it), an ISO time, and on a
 * traced request's access and GitLab attempt lines its `trace_id` and `span_id` (`traceFields`). Nothing the gateway logs holds a
 * document, variables, headers or a secret: callers pass the fields a line needs, never a request.
 */

import type { Span } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

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

/** The ids of a span's trace and of the span, for a log line about what it covers; none without a span. */
export function traceFields(span: Span | undefined): { trace_id?: string; span_id?: string } {
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'gitlab-system-hooks-gateway',
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
    },
    typeof options.destination === 'object'
      ? options.destination
      : pino.destination({ dest: options.destination === 'stderr' ? 2 : 1, sync: true }),
  );
}

/**
 * An error as a log field: its type, message (cut short) and stack; none of its other properties. A GraphQL error
 * is described by the error it wraps.
 */
export function describeError(error: unknown): { type: string; message: string; stack?: string | undefined } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error).slice(0, 500) };
  const original =
    'originalError' in error && error.originalError instanceof Error ? error.originalError : error;
  return { type: original.name, message: original.message.slice(0, 500), stack: original.stack };
}
