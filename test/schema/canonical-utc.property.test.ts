import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCanonicalUtc } from '../../src/graphql/schema/canonical-utc.ts';
import { propertyRuns } from '../helpers/property.ts';

const RUNS = propertyRuns(2000);

/** The definition the fast check must agree with: the string survives a round trip through `Date`. */
function roundTrips(text: string): boolean {
  const time = Date.parse(text);
  return !Number.isNaN(time) && new Date(time).toISOString() === text;
}

/** Years 0 to 9999: the range `toISOString` writes with four digits. */
const fourDigitYears = fc.date({
  min: new Date('0000-01-01T00:00:00.000Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});

/** Strings of the canonical shape with any digits: impossible dates and times among them. */
const canonicalShape = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 17, maxLength: 17 }).map((d) => {
  const s = d.join('');
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}.${s.slice(14, 17)}Z`;
});

/** A canonical string with one character replaced: where a hand-written parser slips. */
const mutated = fc
  .tuple(fourDigitYears, fc.nat({ max: 23 }), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }))
  .map(([date, at, char]) => {
    const text = date.toISOString();
    return text.slice(0, at) + char + text.slice(at + 1);
  });

describe('isCanonicalUtc agrees with a round trip through Date', () => {
  it('accepts what toISOString writes, six-digit years included', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => isCanonicalUtc(date.toISOString())),
      RUNS,
    );
  });

  it('accepts what toISOString writes for four-digit years', () => {
    fc.assert(
      fc.property(fourDigitYears, (date) => isCanonicalUtc(date.toISOString())),
      RUNS,
    );
  });

  for (const [name, strings] of [
    ['strings of the canonical shape with any digits', canonicalShape],
    ['canonical strings with one character changed', mutated],
    ['any string', fc.string({ maxLength: 30 })],
  ] as const) {
    it(`on ${name}`, () => {
      fc.assert(
        fc.property(strings, (text) => isCanonicalUtc(text) === roundTrips(text)),
        RUNS,
      );
    });
  }

  it('on the edges of the calendar', () => {
    for (const text of [
      '2024-02-29T00:00:00.000Z',
      '2023-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '2000-02-29T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-12-31T23:59:59.999Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-10T00:00:00.000Z',
      '2026-11-22T24:00:00.000Z',
      '2026-11-22T23:60:00.000Z',
      '2026-11-22T23:59:60.000Z',
      '0000-01-01T00:00:00.000Z',
      '2026-11-22T06:40:54.61Z',
      '2026-11-22T06:40:54.610+00:00',
      '+012026-11-22T06:40:54.610Z',
      '-000001-12-31T00:00:00.000Z',
      '+2026-11-22T06:40:54.610Z',
    ])
      assert.equal(isCanonicalUtc(text), roundTrips(text), text);
  });
});
