/**
 * How deeply a JSON text nests arrays and objects, measured without recursion. `JSON.parse` takes any depth, but
 * `JSON.stringify` recurses and overflows the stack somewhere past a few thousand levels: a delivery nested that
 * deep could be stored and then never be sent to a subscriber. So depth is measured on the text, before parsing
 * (which would build every level in memory first), by a scan whose cost is one pass and no stack.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether `text` opens more than `limit` arrays or objects inside one another (`{}` is depth 1, `{"a":[]}` is 2).
 * Brackets inside strings do not count. For text that is not JSON the answer means nothing, but is still bounded.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) index = closingQuote(text, index + 1);
    else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      depth += 1;
      if (depth > limit) return true;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) depth -= 1;
  }
  return false;
}

/** Where the string whose text starts at `from` ends: its closing quote, or the end of an unterminated one. */
function closingQuote(text: string, from: number): number {
  for (let index = from; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === BACKSLASH) index += 1;
    else if (code === QUOTE) return index;
  }
  return text.length;
}
