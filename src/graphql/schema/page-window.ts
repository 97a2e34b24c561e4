import { GITLAB_MAX_PER_PAGE } from '../../upstream/types.ts';
import { badUserInput } from '../errors.ts';

/**
 * Maps a Relay window (`first`/`after`/`last`/`before`) onto GitLab's offset pagination. Cursors are opaque
 * to clients; inside, each is the position of an item in GitLab's id-ordered list.
 */

/** GitLab's `default_per_page`, used when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 20;
/** Positions beyond this are not real lists; it also keeps cursor arithmetic exact. */
const MAX_POSITION = 1_000_000_000;
const CURSOR_PREFIX = 'position:';

export function encodeCursor(position: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${position}`).toString('base64url');
}

export function decodeCursor(cursor: string, argument: 'after' | 'before'): number {
  const text = cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const digits = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  const position = /^[0-9]{1,10}$/.test(digits) ? Number(digits) : Number.NaN;
  if (!(position <= MAX_POSITION) || encodeCursor(position) !== cursor) {
    throw badUserInput(`The ${argument} cursor is not one this connection issued`);
  }
  return position;
}

export interface WindowArguments {
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}

/** A window whose end may depend on the list's length (`last` without `before`). */
export interface WindowRequest {
  /** Position of the first item wanted. */
  start: number;
  /** Position after the last item wanted; `null` when it is the end of the list. */
  end: number | null;
  /** With `last`: keep only this many items at the end of the window. */
  last: number | null;
}

export function checkSize(
  value: number | null | undefined,
  argument: 'first' | 'last',
  max: number,
): number | null {
  if (value === null || value === undefined) return null;
  if (value < 0 || value > max) {
    throw badUserInput(`${argument} must be between 0 and ${max}, got ${value}`);
  }
  return value;
}

/** The window the Relay arguments name, with pages of at most `maxSize` items (GitLab's page limit). */
export function windowRequest(args: WindowArguments, maxSize = GITLAB_MAX_PER_PAGE): WindowRequest {
  let first = checkSize(args.first, 'first', maxSize);
  const last = checkSize(args.last, 'last', maxSize);
  if (first === null && last === null) first = Math.min(DEFAULT_PAGE_SIZE, maxSize);
  const start = args.after ? decodeCursor(args.after, 'after') + 1 : 0;
  const before = args.before ? decodeCursor(args.before, 'before') : null;
  let end = before;
  if (first !== null) end = Math.min(end ?? Number.POSITIVE_INFINITY, start + first);
  return { start, end: end === null ? null : Math.max(start, end), last };
}

/** Narrows a window to its last `last` items once its end is known. */
export function applyLast(start: number, end: number, last: number | null): { start: number; end: number } {
  return { start: last === null ? start : Math.max(start, end - last), end };
}

export interface PageRequest {
  page: number;
  perPage: number;
}

/**
 * The fewest GitLab pages that cover positions `[start, end)`: one page whenever some `per_page` between the
 * window's size and `maxPerPage` holds the whole window, otherwise two pages of the window's size (a window
 * is never larger than `maxPerPage`).
 */
export function planPages(start: number, end: number, maxPerPage = GITLAB_MAX_PER_PAGE): PageRequest[] {
  const size = Math.max(1, end - start);
  for (let perPage = size; perPage <= maxPerPage; perPage++) {
    const first = Math.floor(start / perPage);
    if (first === Math.floor((start + size - 1) / perPage)) return [{ page: first + 1, perPage }];
  }
  const first = Math.floor(start / size);
  return [
    { page: first + 1, perPage: size },
    { page: first + 2, perPage: size },
  ];
}
