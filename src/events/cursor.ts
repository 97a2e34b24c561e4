/**
 * The two kinds of cursor the stores hand out. They are opaque to clients; this is what they hold.
 *
 * - A Redis stream entry id, `<milliseconds>-<sequence>`: the event's place in the shared stream, the same on
 *   every replica. `0-0`, which Redis never gives an entry, is the stream's start (`STREAM_START`).
 * - A local cursor, `<store id>.<n>`: the place after the n-th event of one store object's own order (the
 *   in-memory store, or a Redis store's events accepted while Redis was away); `.0` is its start. The store id is
 *   random per store, so a cursor from an earlier process, or another replica, is recognised as not this store's.
 *
 * A start cursor is what a list names as the stream's place while no event is retained: a subscription after it
 * receives every event appended since, and it expires once an event has left the retention.
 */
import { randomBytes } from 'node:crypto';
import { InvalidEventCursorError } from './errors.ts';

export type ParsedCursor =
  | { kind: 'stream'; id: string }
  | { kind: 'local'; storeId: string; sequence: number };

const DECIMAL = '(?:0|[1-9][0-9]{0,19})';
const STREAM_ID = new RegExp(`^(${DECIMAL})-(${DECIMAL})$`);
/** Redis keeps both parts of a stream id as unsigned 64-bit integers and refuses anything larger. */
const MAX_STREAM_ID_PART = '18446744073709551615';
const LOCAL = /^([0-9a-f]{12})\.(0|[1-9][0-9]{0,14})$/;

/** A new store id for local cursors: 48 random bits. */
export function newStoreId(): string {
  return randomBytes(6).toString('hex');
}

/** The place before a Redis stream's first entry. */
export const STREAM_START = '0-0';

export function localCursor(storeId: string, sequence: number): string {
  return `${storeId}.${sequence}`;
}

/** A decimal without leading zeros that fits in 64 unsigned bits. */
function fitsStreamIdPart(part: string): boolean {
  return compareDecimal(part, MAX_STREAM_ID_PART) <= 0;
}

/**
 * What `after` holds; throws `InvalidEventCursorError` when it is no cursor of ours. A stream id is checked as
 * Redis would check it, so that Redis never has to refuse one: its refusal would look like Redis failing.
 */
export function parseCursor(cursor: string): ParsedCursor {
  const stream = STREAM_ID.exec(cursor);
  if (stream) {
    if (!fitsStreamIdPart(stream[1] as string) || !fitsStreamIdPart(stream[2] as string))
      throw new InvalidEventCursorError();
    return { kind: 'stream', id: cursor };
  }
  const local = LOCAL.exec(cursor);
  if (local) return { kind: 'local', storeId: local[1] as string, sequence: Number(local[2]) };
  throw new InvalidEventCursorError();
}

/** Orders two Redis stream ids (`a` before `b`: negative). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = '', aSeq = ''] = a.split('-');
  const [bMs = '', bSeq = ''] = b.split('-');
  const byMs = compareDecimal(aMs, bMs);
  return byMs !== 0 ? byMs : compareDecimal(aSeq, bSeq);
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isStreamId(cursor: string): boolean {
  return STREAM_ID.test(cursor);
}
