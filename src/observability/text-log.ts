/**
 * Pino's JSON lines as text a person reads in a terminal: `12:03:56.349 INFO  <msg> key=value ...`, one line per
 * log line, with an error's stack frames on indented lines below it.
 *
 * Log values carry text a client chose (an operation name, a request path, an error's message). Written to a
 * terminal as they are, an ESC or a C1 control would start an escape sequence (recolour, move the cursor, set the
 * window title, write to the clipboard on some terminals), a CR or LF would forge a line that looks like the
 * gateway's own, and a bidirectional override would show text in another order than it has. So every value is
 * escaped (`\x1b`, `\n`, `\u202e`, and `\\` for a backslash, so that an escape cannot be faked either), and only
 * this formatter writes line breaks: each continuation line is indented, so nothing a client sends can start a
 * line at column 0, where a log line's time is.
 */

/**
 * C0 controls, DEL and C1 controls; the Unicode format characters that reorder or hide text (bidirectional marks,
 * embeddings, overrides and isolates, zero-width characters, the line and paragraph separators); the backslash.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/** `text` with every character a terminal could act on written as an escape. */
export function escapeTerminalText(text: string): string {
  return text.replace(UNSAFE, (character) => {
    const named = NAMED[character];
    if (named !== undefined) return named;
    const code = character.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Fields every line has, shown in its own place (`time`, `level`, `msg`) or not at all (the same on every line). */
const SHOWN_APART = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'name']);

/** How deep nested fields are spelled out (`error.type`); deeper objects are summarised. */
const MAX_DEPTH = 4;

/** A bare word when it is one, otherwise quoted, so that a value with spaces or `=` cannot pass for more fields. */
function formatString(value: string): string {
  const escaped = escapeTerminalText(value);
  return /^[^\s"=]+$/.test(escaped) ? escaped : `"${escaped.replaceAll('"', '\\"')}"`;
}

function formatScalar(value: unknown): string {
  if (typeof value === 'string') return formatString(value);
  if (Array.isArray(value)) return `[${value.map(formatScalar).join(',')}]`;
  if (value !== null && typeof value === 'object') return '{…}';
  return String(value);
}

/** Where a line's fields go while it is read; `message` is its `msg`, so that a field repeating it is left out. */
interface Collected {
  message: string;
  fields: string[];
  stacks: string[];
}

/**
 * `key=value` for each field, nested objects by dotted keys; stacks are kept apart, for lines of their own. A
 * string field the message already shows in full (the start lines' `url`) is left out: JSON keeps it for machines.
 */
function collectFields(
  object: Record<string, unknown>,
  prefix: string,
  depth: number,
  into: Collected,
): void {
  const { fields, stacks } = into;
  for (const [key, value] of Object.entries(object)) {
    const name = prefix + escapeTerminalText(key);
    if (typeof value === 'string' && value.length >= 4 && into.message.includes(value)) continue;
    if (key === 'stack' && typeof value === 'string') stacks.push(value);
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < MAX_DEPTH) {
      collectFields(value as Record<string, unknown>, `${name}.`, depth + 1, into);
    } else fields.push(`${name}=${formatScalar(value)}`);
  }
}

/** A stack's lines, indented; its first line (the error's type and message, already a field) left out. */
function stackLines(stack: string): string[] {
  const lines = stack.split('\n');
  const frames = lines.findIndex((line) => /^\s+at /.test(line));
  return (frames > 0 ? lines.slice(frames) : lines).map((line) => `    ${escapeTerminalText(line.trim())}`);
}

/** The ISO time's `HH:MM:SS.mmm`, or nothing when the line has no such time. */
function clock(time: unknown): string {
  return typeof time === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}/.test(time)
    ? time.slice(11, 23)
    : '';
}

/** One of pino's JSON lines as text, ending with a line break; a line that is not JSON is shown escaped. */
export function formatLogLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return `${escapeTerminalText(line.trimEnd())}\n`;
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return `${escapeTerminalText(line.trimEnd())}\n`;
  }
  const entry = record as Record<string, unknown>;
  const message = typeof entry.msg === 'string' ? entry.msg : '';
  const collected: Collected = { message, fields: [], stacks: [] };
  const rest = Object.fromEntries(Object.entries(entry).filter(([key]) => !SHOWN_APART.has(key)));
  collectFields(rest, '', 0, collected);
  const { fields, stacks } = collected;
  const level = typeof entry.level === 'string' ? escapeTerminalText(entry.level) : formatScalar(entry.level);
  const head = [clock(entry.time), level.padEnd(5), escapeTerminalText(message)]
    .filter((part) => part !== '')
    .join(' ');
  const text = fields.length > 0 ? `${head}  ${fields.join(' ')}` : head;
  return `${[text, ...stacks.flatMap(stackLines)].join('\n')}\n`;
}
