/**
 * Whether a string is exactly what `Date#toISOString` writes for the instant it names (`2026-11-22T06:40:54.610Z`),
 * the form GitLab writes its times in. Years 0 to 9999 are checked character by character, without a `Date`: it
 * runs for every time of every hook of a list (see docs/performance.md); the six-digit years `toISOString` writes
 * outside that range take the round trip through `Date`.
 */

/** `YYYY-MM-DDTHH:mm:ss.sssZ`: `d` is a digit, anything else the character itself. */
const PATTERN = 'dddd-dd-ddTdd:dd:dd.dddZ';
const DIGIT = 0x64; // 'd'

export function isCanonicalUtc(text: string): boolean {
  if (text.length !== PATTERN.length) return (text[0] === '+' || text[0] === '-') && roundTrips(text);
  for (let i = 0; i < PATTERN.length; i++) {
    const code = text.charCodeAt(i);
    const expected = PATTERN.charCodeAt(i);
    if (expected === DIGIT ? code < 0x30 || code > 0x39 : code !== expected) return false;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    digits(text, 11, 13) <= 23 &&
    digits(text, 14, 16) <= 59 &&
    digits(text, 17, 19) <= 59
  );
}

/** The number the digits of `text` from `from` to `to` write. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + text.charCodeAt(i) - 0x30;
  return value;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function roundTrips(text: string): boolean {
  const time = Date.parse(text);
  return !Number.isNaN(time) && new Date(time).toISOString() === text;
}
