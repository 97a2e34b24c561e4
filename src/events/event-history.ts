/**
 * Reading the retained events as a list, oldest first (`Query.systemHookEvents`): the Relay window both stores
 * serve, written once over what each store can do, scan its retained events from a position in either direction.
 *
 * The events and their cursors are the subscription's own, so a client can list the recent events and then
 * subscribe with `after` set to the newest one's cursor: the subscription's replay starts right behind it. Each
 * page also names the stream's place at the time of the read (`streamCursor`), which exists when no event does
 * (nothing retained yet, none of the wanted types): the page shows nothing past it, and a subscription after it
 * receives exactly what came later.
 */
import type { BoundSystemHooksApi } from '../upstream/bound-api.ts';
import { systemHookEventType } from './catalogue.ts';
import { parseCursor } from './cursor.ts';
import type { SystemHookEventSource } from './types.ts';

/** The most events one page holds (`first` and `last` at most), as every connection of the gateway. */
export const MAX_HISTORY_PAGE = 100;
/**
 * The page size when neither `first` nor `last` is given: `last: 50`, the newest events, since a list of recent
 * events is what a client shows before it subscribes.
 */
export const DEFAULT_HISTORY_LAST = 50;

export interface HistoryRequest {
  /** The first `first` events of the window. */
  first?: number | null | undefined;
  /** Only events after this cursor. */
  after?: string | null | undefined;
  /**
   * The last `last` events of the window (of the first `first`, with both).
   * @default DEFAULT_HISTORY_LAST (50) when `first` is not given either
   */
  last?: number | null | undefined;
  /** Only events before this cursor. */
  before?: string | null | undefined;
  /** `SystemHookEventType` values wanted; null or empty for all. */
  types?: readonly string[] | null | undefined;
}

export interface HistoryPage {
  /** Oldest first, as the stream delivers them. */
  events: SystemHookEventSource[];
  /** Whether a retained event of the wanted types comes before the page (also before `after`). */
  hasPrevious: boolean;
  /** Whether a retained event of the wanted types comes after the page (also after `before`). */
  hasNext: boolean;
  /** The retained events of the wanted types, all pages together. */
  count: number;
  /**
   * The stream's place when the page was read, whatever the types and the window: the newest event's cursor, or
   * the cursor of the stream's start while there is none. No event after it is on the page; `subscribe` and
   * `after` take it, and continue with exactly the events appended after the read.
   */
  streamCursor: string;
}

/** Where a scan starts: at a position, or past it. */
export interface ScanStart<Position> {
  position: Position;
  inclusive: boolean;
}

export interface ScannedEvent<Position> {
  event: SystemHookEventSource;
  position: Position;
}

/** The stream's place now, and how many retained events have the wanted types. */
export interface HistorySnapshot<Position> {
  /** The newest event's position, or a position before every event while there is none. */
  head: Position;
  /** The cursor of that place, which `subscribe` takes as `after`. */
  headCursor: string;
  count: number;
}

/** What a store provides for its history: its retained events, by position. */
export interface HistorySource<Position> {
  /**
   * The position of a cursor's event (of the place before every event, for the stream's start cursor). Throws as
   * `subscribe` does for the same `after`: `InvalidEventCursorError` for a cursor this store never handed out,
   * `EventCursorExpiredError` for one behind the retained events (or another process's).
   */
  positionOf(cursor: string): Promise<Position>;
  /**
   * The retained events that `accept` takes, nearest to `from` first (from the oldest forward, or the newest
   * backward, without `from`), at most `limit`.
   */
  scan(
    direction: 'forward' | 'backward',
    from: ScanStart<Position> | null,
    limit: number,
    accept: (event: SystemHookEventSource) => boolean,
  ): Promise<ScannedEvent<Position>[]>;
  /** The stream's head, and how many retained events have one of `types` (null: all), read together. */
  snapshot(types: ReadonlySet<string> | null): Promise<HistorySnapshot<Position>>;
  /** Orders two positions (`a` before `b`: negative). */
  compare(a: Position, b: Position): number;
}

function checkSize(value: number | null | undefined, argument: 'first' | 'last'): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_HISTORY_PAGE)
    throw new RangeError(`${argument} must be an integer between 0 and ${MAX_HISTORY_PAGE}`);
  return value;
}

/**
 * The page a Relay window names: the events of the wanted types between `after` and `before`, then the first
 * `first` of them, then the last `last`. Each store call reads at most one more event than the page holds, in
 * each direction, besides the events of other types it passes over.
 */
export async function readHistory<Position>(
  source: HistorySource<Position>,
  request: HistoryRequest,
): Promise<HistoryPage> {
  const first = checkSize(request.first, 'first');
  let last = checkSize(request.last, 'last');
  if (first === null && last === null) last = DEFAULT_HISTORY_LAST;
  const types = request.types?.length ? new Set(request.types) : null;
  const accept =
    types === null
      ? () => true
      : (event: SystemHookEventSource) => types.has(systemHookEventType(event.payload));
  // Both cursors are resolved before anything is read, so that a bad one fails the whole request.
  const [after, before] = await Promise.all([
    request.after == null ? null : source.positionOf(request.after),
    request.before == null ? null : source.positionOf(request.before),
  ]);
  // The head is read before the events and bounds them: an event appended meanwhile is past `streamCursor`, so
  // it is left off the page and reaches a subscription after `streamCursor` instead, never both or neither.
  const { head, headCursor, count } = await source.snapshot(types);
  const window = { accept, after, before, head };
  const page =
    first === null
      ? await lastOfWindow(source, window, last as number)
      : await firstOfWindow(source, window, first, last);
  return { ...page, count, streamCursor: headCursor };
}

type Accept = (event: SystemHookEventSource) => boolean;
type Window = Omit<HistoryPage, 'count' | 'streamCursor'>;

/** What a page is cut from: the wanted events between `after` and `before`, none past `head`. */
interface Bounds<Position> {
  accept: Accept;
  after: Position | null;
  before: Position | null;
  head: Position;
}

async function firstOfWindow<Position>(
  source: HistorySource<Position>,
  { accept, after, before, head }: Bounds<Position>,
  first: number,
  last: number | null,
): Promise<Window> {
  const from = after === null ? null : { position: after, inclusive: false };
  const scanned = await source.scan('forward', from, first + 1, accept);
  const visible = scanned.filter(({ position }) => source.compare(position, head) <= 0);
  const inWindow =
    before === null ? visible : visible.filter(({ position }) => source.compare(position, before) < 0);
  const taken = inWindow.slice(0, first);
  const kept = last === null ? taken : taken.slice(Math.max(0, taken.length - last));
  const hasPrevious = kept.length < taken.length || (await anyFrom(source, 'backward', after, accept, head));
  return { events: kept.map(({ event }) => event), hasPrevious, hasNext: visible.length > taken.length };
}

async function lastOfWindow<Position>(
  source: HistorySource<Position>,
  { accept, after, before, head }: Bounds<Position>,
  last: number,
): Promise<Window> {
  const from = { position: before ?? head, inclusive: before === null };
  const scanned = await source.scan('backward', from, last + 1, accept);
  const inWindow =
    after === null ? scanned : scanned.filter(({ position }) => source.compare(position, after) > 0);
  const taken = inWindow.slice(0, last);
  const hasNext = await anyFrom(source, 'forward', before, accept, head);
  return {
    events: taken.reverse().map(({ event }) => event),
    hasPrevious: scanned.length > taken.length,
    hasNext,
  };
}

/** Whether a wanted event up to `head` sits at `cursor` or beyond it in `direction`; false without a cursor. */
async function anyFrom<Position>(
  source: HistorySource<Position>,
  direction: 'forward' | 'backward',
  cursor: Position | null,
  accept: Accept,
  head: Position,
): Promise<boolean> {
  if (cursor === null) return false;
  const [found] = await source.scan(direction, { position: cursor, inclusive: true }, 1, accept);
  return found !== undefined && source.compare(found.position, head) <= 0;
}

/** Who may read the history: an administrator, checked against GitLab as a subscription's start is. */
export interface HistoryAccess {
  store: { history(request: HistoryRequest): Promise<HistoryPage> };
  /** The caller's view of GitLab (its credential and its request's signal). */
  gitlab: BoundSystemHooksApi;
}

/**
 * The history for an administrator: GitLab is asked first (`GET /hooks`, which it answers only for
 * administrators), so that a caller who is not one is refused (`FORBIDDEN`, `UNAUTHENTICATED`) and reads nothing.
 */
export async function readHistoryAs(access: HistoryAccess, request: HistoryRequest): Promise<HistoryPage> {
  // A value that is no cursor at all is refused before GitLab is asked, as every bad argument is.
  for (const cursor of [request.after, request.before]) if (cursor != null) parseCursor(cursor);
  await access.gitlab.listHooks({ page: 1, perPage: 1 });
  return access.store.history(request);
}
