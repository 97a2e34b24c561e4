/**
 * Values of a system hook payload, as GraphQL may return them: the value when it has the field's type, null
 * otherwise, so that a field an older GitLab does not send, or one of an unexpected JSON type, is never an error.
 */
import { DateTimeResolver } from 'graphql-scalars';
import { everyItem, isRecord } from '../../../upstream/json.ts';
import { encodeGlobalId } from '../global-id.ts';

export type Json = Record<string, unknown>;

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

export function stringValue(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** GraphQL's Int is 32-bit: a larger number would fail serialization, so it is null like any other misfit. */
export function intValue(value: unknown): number | null {
  return Number.isInteger(value) && (value as number) >= INT_MIN && (value as number) <= INT_MAX
    ? (value as number)
    : null;
}

export function booleanValue(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

export function jsonObjectValue(value: unknown): Json | null {
  return isRecord(value) ? value : null;
}

function positiveSafeInteger(value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : null;
}

// Ruby's `Time#to_s`, which older GitLab versions wrote (`2014-08-18 18:45:16 UTC`).
const RUBY_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (?:UTC|([+-]\d{2})(\d{2}))$/;

/**
 * A GitLab time as `DateTime` returns it (`toISOString`, UTC): RFC 3339 with `Z` or an offset, as graphql-scalars'
 * `DateTime` reads it (one date grammar in the schema, not two), or Ruby's `YYYY-MM-DD HH:MM:SS UTC`, rewritten
 * into RFC 3339 first; null for anything else.
 */
export function gitlabTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ruby = RUBY_TIME.exec(value);
  const iso = ruby ? `${ruby[1]}T${ruby[2]}${ruby[3] === undefined ? 'Z' : `${ruby[3]}:${ruby[4]}`}` : value;
  try {
    return (DateTimeResolver.parseValue(iso) as Date).toISOString();
  } catch {
    return null;
  }
}

/** A list whose every item reads as a value, or null: one bad item makes the whole field null. */
export function listOf<T>(value: unknown, item: (element: unknown) => T | null): T[] | null {
  return everyItem(value, (element) => item(element) ?? undefined) ?? null;
}

/** The model name of a global ID: fixed, or read from the record that holds the id (labels carry their class). */
export type Model = string | ((record: Json) => string);

export function globalIdOf(model: Model, record: Json, value: unknown): string | null {
  const id = positiveSafeInteger(value);
  return id === null ? null : encodeGlobalId(typeof model === 'string' ? model : model(record), id);
}
