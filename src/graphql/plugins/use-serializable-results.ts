import type { ExecutionResult } from 'graphql';
import type { Plugin, YogaLogger } from 'graphql-yoga';
import { gatewayError } from '../errors.ts';

/**
 * No subscription result that cannot be serialized reaches a transport. Such a result (JSON nested too deep for
 * `JSON.stringify`'s recursion, a value JSON has no form for) is replaced, for that one result, by a masked
 * `INTERNAL_SERVER_ERROR`, and the stream goes on. Without this, the failure is thrown inside Yoga's SSE stream,
 * where nothing catches it (an unhandled rejection: the process ends), or inside graphql-ws's send, which ends the
 * operation with the raw error's message; and a subscriber resuming from its last cursor meets the event again.
 *
 * Two guards, neither of which serializes anything twice:
 * - each result's `data` is walked once, without recursion, for what `JSON.stringify` cannot write (nesting past
 *   {@link MAX_RESULT_DEPTH}, which also stops a cycle, or a `bigint`): both transports then write it safely;
 * - over SSE, Yoga serializes a result with the result's own `stringify` when it has one: this one catches any
 *   other failure and writes the masked error instead.
 */

/**
 * Levels of arrays and objects a result's `data` may nest: `JSON.stringify` overflows Node 20's default stack
 * a little past 4,000; a GraphQL result nests as deep as its document (`MAX_QUERY_DEPTH` is at most 1,000) and
 * an event's payload at most 64 levels (the receiver refuses deeper ones).
 */
export const MAX_RESULT_DEPTH = 2_000;

function unserializable(): ExecutionResult {
  return { data: null, errors: [gatewayError('INTERNAL_SERVER_ERROR', 'Unexpected error.')] };
}

const UNSERIALIZABLE_TEXT = JSON.stringify(unserializable());

/** Why `JSON.stringify` would fail on `value`, or `null`; one pass, an explicit stack, no recursion. */
function unserializableBecause(value: unknown): string | null {
  const pending: unknown[] = [value];
  const depths: number[] = [0];
  while (pending.length > 0) {
    const item = pending.pop();
    const depth = depths.pop() as number;
    if (typeof item === 'bigint') return 'a bigint';
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= MAX_RESULT_DEPTH) return `nesting deeper than ${MAX_RESULT_DEPTH} levels`;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      pending.push(child);
      depths.push(depth + 1);
    }
  }
  return null;
}

const SERIALIZED = Symbol('serialized already');

/**
 * A result whose text was checked and made already (a flush of the grouped fan-out, `grouped-stream.ts`): its own
 * `stringify` returns `text`, and this plugin leaves it as it is.
 */
export function serializedResult(text: string): ExecutionResult {
  return { [SERIALIZED]: true, stringify: () => text } as ExecutionResult;
}

const isSerialized = (result: ExecutionResult) => SERIALIZED in result;

/** `JSON.stringify(value)`, or the masked error's text when it cannot be written (told to `failed`). */
export function stringifyOrMasked(value: unknown, failed?: (error: unknown) => void): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    failed?.(error);
    return UNSERIALIZABLE_TEXT;
  }
}

/** `result`, or the masked error in its place when its `data` holds what JSON cannot write (told to `failed`). */
export function checkedResult(result: ExecutionResult, failed?: (error: unknown) => void): ExecutionResult {
  const reason = unserializableBecause(result.data);
  if (reason === null) return result;
  failed?.(new Error(`A subscription result cannot be serialized: its data holds ${reason}`));
  return unserializable();
}

export function useSerializableResults(): Plugin {
  let logger: YogaLogger | undefined;
  const failed = (error: unknown) => logger?.error(error);
  const stringify = (value: unknown): string => stringifyOrMasked(value, failed);

  const checked = (result: ExecutionResult): ExecutionResult => {
    const safe = checkedResult(result, failed);
    return safe === result ? ({ ...result, stringify } as ExecutionResult) : safe;
  };

  return {
    onYogaInit({ yoga }) {
      logger = yoga.logger;
    },
    onSubscribe: () => ({
      onSubscribeResult: () => ({
        onNext: ({ result, setResult }) => {
          if (!isSerialized(result)) setResult(checked(result));
        },
      }),
    }),
  };
}
