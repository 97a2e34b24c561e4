import { badUserInput } from '../errors.ts';

/**
 * GitLab's global IDs, `gid://gitlab/<ModelName>/<id>`. Arguments that name a hook also take the plain REST id
 * (`"7"`), so that a user can paste what the REST API shows.
 */

const GID_PREFIX = 'gid://gitlab/';
const GID = /^gid:\/\/gitlab\/([A-Za-z][A-Za-z0-9:]*)\/([^/]*)$/;
const DECIMAL = /^[0-9]+$/;
const NUMERIC = /^[+-]?[0-9]+$/;
/** Long enough to recognise a value in an error message, short enough that no argument is echoed whole. */
const ECHO_LIMIT = 80;

export function encodeGlobalId(typename: string, id: bigint | number | string): string {
  return `${GID_PREFIX}${typename}/${id}`;
}

/** How an argument that names a hook of `typename` is written, for its description. */
export function globalIdForm(typename: string): string {
  return `Global ID \`gid://gitlab/${typename}/<id>\`, or the REST id.`;
}

/** The value as an error message may quote it: bounded, and with control characters shown as escapes. */
export function quoteValue(value: string): string {
  const shown = value.length > ECHO_LIMIT ? `${value.slice(0, ECHO_LIMIT)}…` : value;
  return JSON.stringify(shown);
}

function parseDecimalId(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * The type and REST id a global ID names, when it names one of `typenames`; a `BAD_USER_INPUT` error naming the
 * value otherwise. A plain REST id (`"7"`) names the first of them: the arguments that take one name one type,
 * and `node` takes it for the type the gateway served first, system hooks.
 */
export function parseGlobalId(
  value: string,
  typenames: readonly [string, ...string[]],
): { typename: string; id: number } {
  const [plainType] = typenames;
  const plain = parseDecimalId(value);
  if (plain !== null) return { typename: plainType, id: plain };
  if (NUMERIC.test(value)) throw badUserInput(`${quoteValue(value)} is not a valid ${plainType} ID`);
  const match = GID.exec(value);
  if (!match) throw badUserInput(`${quoteValue(value)} is not a valid Global ID`);
  const [, typename, id] = match as unknown as [string, string, string];
  if (!typenames.includes(typename)) {
    throw badUserInput(`${quoteValue(value)} does not represent an instance of ${typenames.join(' or ')}`);
  }
  const parsed = parseDecimalId(id);
  if (parsed === null) throw badUserInput(`${quoteValue(value)} is not a valid ${typename} ID`);
  return { typename, id: parsed };
}

/** The REST id of a `typename` global ID or plain id; a `BAD_USER_INPUT` error naming the value otherwise. */
export function parseHookId(value: string, typename: string): number {
  return parseGlobalId(value, [typename]).id;
}
