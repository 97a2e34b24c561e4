/**
 * Values of a system hook payload, as GraphQL may return them: the value when it has the field's type, null
 * otherwise, so that a field an older GitLab does not send, or one of an unexpected JSON type, is never an error.
 */
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

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;
// Ruby's `Time#to_s`, which older GitLab versions wrote (`2014-08-18 18:45:16 UTC`).
const RUBY_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (?:UTC|([+-]\d{2})(\d{2}))$/;

/** Whether the fields of an ISO 8601 match name a real instant (Date.parse rolls `02-30` over to March). */
function isRealTime(match: RegExpExecArray): boolean {
  // Absent offset groups read as 0 (UTC).
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] =
    match.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return (
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offsetHours < 24 &&
    offsetMinutes < 60
  );
}

/**
 * A GitLab time as `DateTime` returns it (`toISOString`, UTC): ISO 8601 with `Z` or an offset, or Ruby's
 * `YYYY-MM-DD HH:MM:SS UTC`; null for anything else.
 */
export function gitlabTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ruby = RUBY_TIME.exec(value);
  const iso = ruby ? `${ruby[1]}T${ruby[2]}${ruby[3] === undefined ? 'Z' : `${ruby[3]}:${ruby[4]}`}` : value;
  const match = ISO_TIME.exec(iso);
  if (!match || !isRealTime(match)) return null;
  return new Date(Date.parse(iso)).toISOString();
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
