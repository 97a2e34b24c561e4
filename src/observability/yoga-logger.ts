/** graphql-yoga's own log lines, through the gateway's logger. */
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { isAsyncIterable, type YogaServerOptions } from 'graphql-yoga';
import { isExpectedFailure } from '../graphql/errors.ts';
import { describeError, type Logger, traceFields } from './logger.ts';
import type { RequestRecord, RequestRecords } from './request-record.ts';

export type YogaLogging = YogaServerOptions<object, object>['logging'];
type LogMethod = (...args: unknown[]) => void;

/**
 * Yoga's own lines through the gateway's logger. Yoga logs every error it masks or that the gateway maps; an
 * expected failure (a GitLab call, the event store) is already in the request's access line as its code, so it
 * is a debug line here; anything else is an unexpected fault, logged at `error` with its stack. Yoga's debug
 * chatter goes to `debugLevel`: `trace`, unless `DEBUG=1` asked for it. `requestOf` finds the request id (and
 * trace) of an error that came out of an execution.
 */
export function yogaLogger(
  logger: Logger,
  debugLevel: 'debug' | 'trace',
  requestOf: (error: unknown) => Record<string, string> | undefined,
): Record<'debug' | 'info' | 'warn' | 'error', LogMethod> {
  const yoga = logger.child({ component: 'graphql-yoga' });
  const text = (args: unknown[]) =>
    args.map((arg) => (typeof arg === 'string' ? arg : String(arg))).join(' ');
  const noop: LogMethod = () => {};
  return {
    debug: yoga.isLevelEnabled(debugLevel) ? (...args) => yoga[debugLevel](text(args)) : noop,
    info: (...args) => yoga.info(text(args)),
    warn: (...args) => yoga.warn(text(args)),
    error: (...args) => {
      const [error] = args;
      if (isExpectedFailure(error)) {
        if (yoga.isLevelEnabled('debug'))
          yoga.debug({ ...requestOf(error), error: describeError(error) }, 'Expected failure');
        return;
      }
      yoga.error(
        { ...requestOf(error), error: describeError(error) },
        'Unexpected error, masked as INTERNAL_SERVER_ERROR',
      );
    },
  };
}

/**
 * Which request each error of a result came from. Yoga logs the errors it masks without their request; the
 * gateway's plugin comes before Yoga's masking, so each error of a result is tied to its request here first, and
 * Yoga's line about it finds the request id (and trace) through `fieldsOf`.
 */
export class ErrorRequests {
  private readonly requestOfError = new WeakMap<object, RequestRecord>();

  constructor(private readonly records: RequestRecords) {}

  /** An `onExecute` hook's answer: one handler serves every execution. */
  readonly tagger = {
    onExecuteDone: ({
      args,
      result,
    }: {
      args: ExecutionArgs;
      result: ExecutionResult | AsyncIterable<unknown>;
    }): void => {
      if (isAsyncIterable(result) || result.errors === undefined) return;
      const record = this.records.ofContext(args.contextValue as object | undefined);
      if (record) for (const error of result.errors) this.requestOfError.set(error, record);
    },
  };

  /** The log fields of the request `error` came from, if it came out of an execution. */
  fieldsOf(error: unknown): Record<string, string> | undefined {
    const record = typeof error === 'object' && error !== null ? this.requestOfError.get(error) : undefined;
    return record && { ...traceFields(record.span), request_id: record.requestId };
  }
}
