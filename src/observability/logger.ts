/**
 * The gateway's logger: JSON lines (pino) on stdout, one object per line (as text for a person when stdout is a
 * terminal, `text-log.ts`), with the level as an upper-case word
 * (`"level":"INFO"`, as Cloud Logging's `severity` and most JSON log formats write it), an ISO time, and on a
 * traced request's access and GitLab attempt lines its `trace_id` and `span_id` (`traceFields`). Nothing the gateway logs holds a
 * document, variables, headers or a secret: callers pass the fields a line needs, never a request.
 */

import { isatty } from 'node:tty';
import type { Span } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import { formatLogLine } from './text-log.ts';

export type { Logger } from 'pino';

/** `LOG_LEVEL`'s values, from the most to the least severe; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** `LOG_FORMAT`'s values: JSON lines for machines, or text for a person at a terminal. */
export const LOG_FORMATS = ['json', 'text'] as const;

export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

export interface LoggerOptions {
  /** `LOG_LEVEL`. @default 'info' */
  level?: LogLevel | undefined;
  /**
   * Where lines go: a stream, or standard output or error, written synchronously so that no line is lost when
   * the process exits. @default 'stdout'
   */
  destination?: DestinationStream | 'stdout' | 'stderr' | undefined;
  /**
   * `LOG_FORMAT`: JSON lines, or each line as text (`formatLogLine`). @default 'text' when the destination is
   * standard output or error and that is a terminal, otherwise 'json'
   */
  format?: LogFormat | undefined;
}

/** The ids of a span's trace and of the span, for a log line about what it covers; none without a span. */
export function traceFields(span: Span | undefined): { trace_id?: string; span_id?: string } {
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const { destination } = options;
  const fd = destination === 'stderr' ? 2 : 1;
  const format = options.format ?? (typeof destination !== 'object' && isatty(fd) ? 'text' : 'json');
  const json: DestinationStream =
    typeof destination === 'object' ? destination : pino.destination({ dest: fd, sync: true });
  // Text is made from the JSON line pino wrote, so that both formats carry exactly the same fields (redaction
  // included), and a person's terminal costs a machine's JSON nothing.
  const stream: DestinationStream =
    format === 'text' ? { write: (line: string) => json.write(formatLogLine(line)) } : json;
  return pino(
    {
      name: 'gitlab-system-hooks-gateway',
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
    },
    stream,
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
