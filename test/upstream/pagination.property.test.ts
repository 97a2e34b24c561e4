import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GITLAB_MAX_PER_PAGE, type PaginationDto } from '../../src/upstream/types.ts';
import { toPagination } from '../../src/upstream/wire.ts';
import { propertyRuns } from '../helpers/property.ts';

const RUNS = propertyRuns(200);

type Headers = Record<string, string | string[] | undefined>;

/** Above this many rows GitLab leaves `X-Total` and `X-Total-Pages` out. */
const COUNT_LIMIT = 10_000;

/** A page the gateway asks for: any page it can plan (positions up to 10^9), at most 100 per page. */
const requested = fc.record({
  page: fc.oneof(fc.integer({ min: 1, max: 1_000_000_001 }), fc.integer({ min: 1, max: 20 })),
  perPage: fc.integer({ min: 1, max: GITLAB_MAX_PER_PAGE }),
});

/** One page of a list of `count` rows, with the headers GitLab's offset pagination sends for it. */
function gitlabPage(count: number, page: number, perPage: number) {
  const totalPages = Math.ceil(count / perPage);
  const rows = Math.max(0, Math.min(perPage, count - (page - 1) * perPage));
  const nextPage = page < totalPages ? page + 1 : null;
  const prevPage = page > 1 && page <= totalPages ? page - 1 : null;
  const counted = count <= COUNT_LIMIT;
  const headers: Headers = {
    'x-page': String(page),
    'x-per-page': String(perPage),
    'x-next-page': nextPage === null ? '' : String(nextPage),
    'x-prev-page': prevPage === null ? '' : String(prevPage),
  };
  if (counted) {
    headers['x-total'] = String(count);
    headers['x-total-pages'] = String(Math.max(totalPages, 1));
  }
  const expected: PaginationDto = {
    page,
    perPage,
    nextPage,
    prevPage,
    total: counted ? count : null,
    totalPages: counted ? Math.max(totalPages, 1) : null,
  };
  return { headers, rows, expected };
}

/** Header values a proxy, a broken GitLab or a hostile one could send, one at a time or repeated. */
const junkValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.stringMatching(/^[-+ ]?[0-9]{0,25}$/),
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '0',
    '00',
    '1e3',
    '0x10',
    '1.5',
    'NaN',
    'Infinity',
    '9007199254740993',
    ' 7 ',
  ),
  fc.constantFrom('999999999999999', '9999999999999999', '\u0663', '1,2', 'null', 'undefined'),
);
const junkHeader = fc.oneof(junkValue, fc.array(junkValue, { maxLength: 3 }));
const junkHeaders: fc.Arbitrary<Headers> = fc.record(
  {
    'x-page': junkHeader,
    'x-per-page': junkHeader,
    'x-next-page': junkHeader,
    'x-prev-page': junkHeader,
    'x-total': junkHeader,
    'x-total-pages': junkHeader,
  },
  { requiredKeys: [] },
);

const isCount = (value: number | null) => value === null || (Number.isSafeInteger(value) && value >= 0);

describe('GitLab pagination headers, property-based', () => {
  it("returns GitLab's own values when it sends the full header set, whatever was asked", () => {
    const answered = fc
      .record({
        count: fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 2 * COUNT_LIMIT })),
        perPage: fc.integer({ min: 1, max: GITLAB_MAX_PER_PAGE }),
        pageShare: fc.double({ min: 0, max: 1.2, noNaN: true }),
      })
      .map(({ count, perPage, pageShare }) => {
        const page = Math.max(1, Math.ceil(pageShare * Math.ceil(count / perPage)));
        return gitlabPage(count, page, perPage);
      });
    fc.assert(
      fc.property(answered, requested, ({ headers, rows, expected }, asked) => {
        assert.deepEqual(toPagination(headers, asked, rows), expected);
      }),
      RUNS,
    );
  });

  it('derives what offset pagination implies when GitLab sends no headers', () => {
    const page = fc
      .tuple(requested, fc.nat({ max: GITLAB_MAX_PER_PAGE }))
      .map(([asked, rows]) => ({ asked, rows: Math.min(rows, asked.perPage) }));
    fc.assert(
      fc.property(page, ({ asked, rows }) => {
        const result = toPagination({}, asked, rows);
        assert.equal(result.page, asked.page);
        assert.equal(result.perPage, asked.perPage);
        // A full page may have a successor; a short one is the last.
        assert.equal(result.nextPage, rows < asked.perPage ? null : asked.page + 1);
        assert.equal(result.prevPage, asked.page === 1 ? null : asked.page - 1);
        // Only a short page that has rows, or an empty first page, shows where the list ends.
        const provesEnd = rows < asked.perPage && (rows > 0 || asked.page === 1);
        if (provesEnd) {
          const total = (asked.page - 1) * asked.perPage + rows;
          assert.equal(result.total, total);
          assert.equal(result.totalPages, Math.max(1, Math.ceil(total / asked.perPage)));
        } else {
          assert.equal(result.total, null);
          assert.equal(result.totalPages, null);
        }
      }),
      RUNS,
    );
  });

  it('never throws on junk header values, and answers only positive pages and counts that are safe integers', () => {
    fc.assert(
      fc.property(
        junkHeaders,
        requested,
        fc.nat({ max: 2 * GITLAB_MAX_PER_PAGE }),
        (headers, asked, rows) => {
          const result = toPagination(headers, asked, rows);
          for (const value of [result.page, result.perPage]) {
            assert.ok(Number.isSafeInteger(value) && value > 0, `page or perPage ${value}`);
          }
          for (const value of [result.nextPage, result.prevPage, result.total, result.totalPages]) {
            assert.ok(isCount(value), `count ${value}`);
          }
        },
      ),
      RUNS,
    );
  });
});
