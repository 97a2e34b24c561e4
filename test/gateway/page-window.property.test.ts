import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import {
  applyLast,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  type PageRequest,
  planPages,
  type WindowArguments,
  windowRequest,
} from '../../src/graphql/schema/page-window.ts';
import { GITLAB_MAX_PER_PAGE } from '../../src/upstream/types.ts';
import { propertyRuns } from '../helpers/property.ts';

const RUNS = propertyRuns(200);

/** The furthest position a cursor may address: lists are far shorter, and the arithmetic stays exact. */
const MAX_POSITION = 1_000_000_000;

/** Positions over the whole range, and small ones, where page boundaries crowd together. */
const position = fc.oneof(fc.nat({ max: MAX_POSITION }), fc.nat({ max: 500 }));
const windowSize = fc.integer({ min: 1, max: GITLAB_MAX_PER_PAGE });
/** A `first` or `last` argument as GraphQL passes it: a valid size, explicit null, or left out. */
const sizeArgument = fc.oneof(
  fc.integer({ min: 0, max: GITLAB_MAX_PER_PAGE }),
  fc.constant(null),
  fc.constant(undefined),
);
const positionArgument = fc.option(fc.nat({ max: MAX_POSITION }), { nil: undefined });

/** A valid window, with its cursors as the positions they stand for. */
interface ValidWindow {
  first: number | null | undefined;
  after: number | undefined;
  last: number | null | undefined;
  before: number | undefined;
}
const validWindow: fc.Arbitrary<ValidWindow> = fc.record({
  first: sizeArgument,
  after: positionArgument,
  last: sizeArgument,
  before: positionArgument,
});

/** The window's arguments as a client sends them, each position as the cursor the connection gave it. */
const windowArguments = ({ first, after, last, before }: ValidWindow): WindowArguments => ({
  first,
  last,
  after: after === undefined ? undefined : encodeCursor(after),
  before: before === undefined ? undefined : encodeCursor(before),
});

/** Positions `[from, to)` that a GitLab page holds. */
const positionsOf = ({ page, perPage }: PageRequest) => ({ from: (page - 1) * perPage, to: page * perPage });

function assertValidRequest(request: PageRequest): void {
  assert.ok(Number.isSafeInteger(request.page) && request.page >= 1, `page ${request.page}`);
  assert.ok(
    Number.isSafeInteger(request.perPage) && request.perPage >= 1 && request.perPage <= GITLAB_MAX_PER_PAGE,
    `perPage ${request.perPage}`,
  );
}

/** Asserts that `pages` are one or two valid GitLab requests whose positions cover `[start, end)`. */
function assertCovers(pages: PageRequest[], start: number, end: number): void {
  assert.ok(pages.length === 1 || pages.length === 2, `${pages.length} requests`);
  for (const request of pages) assertValidRequest(request);
  const [first, second] = pages as [PageRequest, PageRequest | undefined];
  if (second !== undefined) {
    assert.equal(second.perPage, first.perPage, 'two pages of one size');
    assert.equal(second.page, first.page + 1, 'two consecutive pages');
  }
  assert.ok(positionsOf(first).from <= start, `the first page starts after ${start}`);
  assert.ok(positionsOf(second ?? first).to >= end, `the last page ends before ${end}`);
}

/** Whether one GitLab page of some size up to 100 holds all of the non-empty window `[start, end)`. */
function fitsOnePage(start: number, end: number): boolean {
  for (let perPage = 1; perPage <= GITLAB_MAX_PER_PAGE; perPage++) {
    if (Math.floor(start / perPage) === Math.floor((end - 1) / perPage)) return true;
  }
  return false;
}

/** What windowRequest must answer, written from the Relay pagination algorithm (positions, not edges). */
function relayWindow({ first, after, last, before }: ValidWindow) {
  // Relay: with neither first nor last the server picks a default; GitLab's default page size.
  const size = first ?? (last == null ? DEFAULT_PAGE_SIZE : null);
  // ApplyCursorsToEdges: drop every edge up to and including `after`, and from `before` on.
  const start = after === undefined ? 0 : after + 1;
  let end = before ?? null;
  // EdgesToReturn: `first` keeps the first `first` edges of what is left.
  if (size !== null) end = Math.min(end ?? Number.POSITIVE_INFINITY, start + size);
  // A `before` at or before `after` leaves no edges, never a negative count.
  return { start, end: end === null ? null : Math.max(start, end), last: last ?? null };
}

/** Calls `action` and returns the BAD_USER_INPUT GraphQLError it threw, failing if it threw anything else. */
function badUserInput(action: () => unknown): GraphQLError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof GraphQLError, `threw ${String(thrown)}`);
  assert.equal(thrown.extensions.code, 'BAD_USER_INPUT');
  return thrown;
}

/** A cursor this connection issues: `encodeCursor` of a position it can address, byte for byte. */
function issued(cursor: string): boolean {
  const match = /^position:(0|[1-9][0-9]*)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) return false;
  const at = Number(match[1]);
  return at <= MAX_POSITION && encodeCursor(at) === cursor;
}

/** `usual` three times in four, else one of `others`: most strings come close to a real cursor. */
const mostly = <T>(usual: T, ...others: T[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  );

/** Texts that differ from `position:<n>` in one part, encoded as a cursor or in another way. */
const nearCursor = fc
  .tuple(
    mostly('position:', 'Position:', 'position', 'position::', ' position:', 'pos:', ''),
    fc.oneof(
      fc.bigInt({ min: -10n, max: 10n ** 12n }).map(String),
      fc.integer({ min: MAX_POSITION - 2, max: MAX_POSITION + 2 }).map(String),
      fc.constantFrom('', '00', '01', '007', '1e3', '0x10', '1.5', '+5', '-0', ' 5', '\u0663'),
    ),
    mostly('', ' ', '\n', '\u0000', 'x'),
    mostly<BufferEncoding>('base64url', 'base64', 'hex', 'utf8'),
  )
  .map(([prefix, digits, suffix, encoding]) => Buffer.from(prefix + digits + suffix).toString(encoding));

/** A cursor encodeCursor wrote, with a character added or taken away. */
const alteredCursor = fc
  .tuple(
    fc.nat({ max: MAX_POSITION }).map(encodeCursor),
    fc.constantFrom('=', '==', 'A', '.', ' ', '%3D'),
    fc.boolean(),
  )
  .map(([cursor, extra, drop]) => (drop ? cursor.slice(0, -1) : cursor + extra));

/** Not the empty string: that is no cursor at all, as an unset variable is. */
const cursorLike = fc
  .oneof(nearCursor, alteredCursor, fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }))
  .filter((cursor) => cursor !== '');

describe('the page planner, property-based', () => {
  it('covers any window of up to 100 positions with at most two valid GitLab requests', () => {
    fc.assert(
      fc.property(position, windowSize, (start, size) => {
        assertCovers(planPages(start, start + size), start, start + size);
      }),
      RUNS,
    );
  });

  it('makes two requests only when no single page of at most 100 holds the window', () => {
    fc.assert(
      fc.property(position, windowSize, (start, size) => {
        const pages = planPages(start, start + size);
        assert.equal(pages.length, fitsOnePage(start, start + size) ? 1 : 2);
      }),
      RUNS,
    );
  });

  it('asks for one valid page for an empty window', () => {
    fc.assert(
      fc.property(position, (start) => {
        const pages = planPages(start, start);
        assert.equal(pages.length, 1);
        assertValidRequest(pages[0] as PageRequest);
      }),
      RUNS,
    );
  });
});

describe('Relay windows, property-based', () => {
  it('round-trips every position through encodeCursor and decodeCursor, as URL-safe text', () => {
    fc.assert(
      fc.property(fc.nat({ max: MAX_POSITION }), (at) => {
        const cursor = encodeCursor(at);
        assert.match(cursor, /^[A-Za-z0-9_-]+$/);
        assert.equal(decodeCursor(cursor, 'after'), at);
        assert.equal(decodeCursor(cursor, 'before'), at);
      }),
      RUNS,
    );
  });

  it('turns first, after, last and before into the window the Relay algorithm defines', () => {
    fc.assert(
      fc.property(validWindow, (valid) => {
        const window = windowRequest(windowArguments(valid));
        assert.deepEqual(window, relayWindow(valid));
        if (window.end !== null) assert.ok(window.end >= window.start);
      }),
      RUNS,
    );
  });

  it('plans at most two requests for any valid window, whatever the length of the list', () => {
    fc.assert(
      fc.property(validWindow, fc.nat({ max: MAX_POSITION }), (valid, length) => {
        const request = windowRequest(windowArguments(valid));
        // As the connection does: an open end is the list's end, learnt from GitLab's X-Total.
        const window = applyLast(request.start, request.end ?? Math.max(request.start, length), request.last);
        assert.ok(window.end - window.start <= GITLAB_MAX_PER_PAGE, `${window.end - window.start} positions`);
        assertCovers(planPages(window.start, window.end), window.start, window.end);
      }),
      RUNS,
    );
  });

  it('refuses a first or last outside 0 to 100 with BAD_USER_INPUT', () => {
    const outside = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: -1 }),
      fc.integer({ min: GITLAB_MAX_PER_PAGE + 1, max: 2 ** 31 - 1 }),
    );
    fc.assert(
      fc.property(outside, sizeArgument, fc.boolean(), (bad, other, badIsFirst) => {
        const args = badIsFirst ? { first: bad, last: other } : { first: other, last: bad };
        const error = badUserInput(() => windowRequest(args));
        assert.match(error.message, /^(first|last) must be between 0 and 100/);
      }),
      RUNS,
    );
  });

  it('accepts exactly the cursors encodeCursor issues, and refuses any other with BAD_USER_INPUT', () => {
    fc.assert(
      fc.property(cursorLike, fc.constantFrom('after' as const, 'before' as const), (cursor, argument) => {
        const call = () => windowRequest({ [argument]: cursor });
        if (issued(cursor)) call();
        else assert.match(badUserInput(call).message, new RegExp(`^The ${argument} cursor`));
      }),
      {
        ...RUNS,
        examples: [
          [encodeCursor(MAX_POSITION), 'after'],
          [encodeCursor(MAX_POSITION + 1), 'before'],
        ],
      },
    );
  });
});
