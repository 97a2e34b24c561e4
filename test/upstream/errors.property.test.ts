import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { errorFromResponse, UpstreamError, type UpstreamErrorCode } from '../../src/upstream/errors.ts';
import { propertyRuns } from '../helpers/property.ts';

const RUNS = propertyRuns(200);

const CODES: ReadonlySet<UpstreamErrorCode> = new Set([
  'BAD_REQUEST',
  'UNPROCESSABLE',
  'PRECONDITION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'RATE_LIMITED',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
]);

const LEAKED = 'glpat-abc_DEF-ghijklmnopqrst';

/** A GitLab personal access token's shape. */
const token = fc.stringMatching(/^glpat-[A-Za-z0-9_-]{20}$/);

/** Text that may carry the token anywhere, as a hostile or careless upstream might echo it. */
const textWith = (secret: string) =>
  fc
    .tuple(fc.string({ maxLength: 400 }), fc.boolean(), fc.string({ maxLength: 40 }))
    .map(([before, echo, after]) => (echo ? `${before}${secret}${after}` : before + after));

/** Bodies in GitLab's three error shapes, in other JSON, and not JSON at all. */
const body = (secret: string) =>
  fc.oneof(
    textWith(secret).map((message) => JSON.stringify({ message })),
    textWith(secret).map((error) => JSON.stringify({ error })),
    textWith(secret).map((description) => JSON.stringify({ error: 'x', error_description: description })),
    fc
      .dictionary(
        fc.oneof(
          fc.constantFrom('url', 'token', 'base', 'url_variables'),
          fc.string({ maxLength: 20 }),
          textWith(secret),
        ),
        fc.oneof(fc.array(textWith(secret), { maxLength: 30 }), textWith(secret), fc.jsonValue()),
        { maxKeys: 30 },
      )
      .map((message) => JSON.stringify({ message })),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    textWith(secret),
    fc.constant(undefined),
  );

const headers = fc.record(
  {
    'retry-after': fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.nat().map(String),
      fc.date().map((d) => d.toUTCString()),
    ),
  },
  { requiredKeys: [] },
);

/** Letters and digits only, lower-cased. */
const loose = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The longest message the mapping may produce: 20 sentences of at most 300 characters, joined by "; ". */
const MAX_MESSAGE_LENGTH = 20 * 302;

describe('upstream error mapping, property-based', () => {
  it('maps any status, headers and body to an UpstreamError with a known code, bounded, without the token', () => {
    fc.assert(
      fc.property(
        token.chain((secret) =>
          fc.tuple(fc.constant(secret), fc.integer({ min: 100, max: 599 }), headers, body(secret)),
        ),
        ([secret, status, responseHeaders, responseBody]) => {
          const error = errorFromResponse(status, responseHeaders, responseBody, { redact: [secret] });
          assert.ok(error instanceof UpstreamError);
          assert.ok(CODES.has(error.code), error.code);
          assert.equal(error.status, status);
          assert.ok(error.message.length <= MAX_MESSAGE_LENGTH, `${error.message.length} characters`);
          assert.ok(error.messages.length >= 1 && error.messages.length <= 20);
          for (const text of [error.message, ...error.messages]) {
            assert.ok(text.length > 0);
            // Compared loosely: rebuilding a sentence may change case and turn `_` into spaces.
            assert.ok(!loose(text).includes(loose(secret)), `the token leaked: ${text}`);
            assert.doesNotMatch(text, /\p{Cc}/u, 'a control character survived');
          }
          if (error.retryAfterSeconds !== undefined) {
            assert.ok(status === 429 || status === 503, `Retry-After read on a ${status}`);
            assert.ok(Number.isSafeInteger(error.retryAfterSeconds) && error.retryAfterSeconds >= 0);
          }
        },
      ),
      {
        ...RUNS,
        // Found by this property: a token as the attribute of a 422 body came back humanized, unredacted.
        examples: [[[LEAKED, 422, {}, JSON.stringify({ message: { [LEAKED]: ['is invalid'] } })]]],
      },
    );
  });

  it('classifies by status: 400, 412 and 422 are user errors, 5xx unavailable, 401, 403, 404 and 429 their own', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.option(fc.string({ maxLength: 200 })),
        (status, text) => {
          const error = errorFromResponse(status, {}, text ?? undefined);
          const expected: Record<number, UpstreamErrorCode> = {
            400: 'BAD_REQUEST',
            401: 'UNAUTHENTICATED',
            403: 'FORBIDDEN',
            404: 'NOT_FOUND',
            412: 'PRECONDITION_FAILED',
            422: 'UNPROCESSABLE',
            429: 'RATE_LIMITED',
          };
          assert.equal(error.code, expected[status] ?? 'UPSTREAM_UNAVAILABLE');
          assert.equal(error.isUserError, status === 400 || status === 412 || status === 422);
        },
      ),
      RUNS,
    );
  });
});
