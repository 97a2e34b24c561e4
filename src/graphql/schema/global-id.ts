import { badUserInput } from '../errors.ts';

/**
 * GitLab's global IDs, `gid://gitlab/<ModelName>/<id>`. Arguments that name a hook also take the plain REST id
 * (`"7"`), so that a user can paste what the REST API shows.
 */

const GID_PREFIX = 'gid://gitlab/';
const GID = /^gid:\/\/gitlab\/([A-Za-z][A-Za-z0-9:]*)\/([^/?]*)(?:\?([^/]*))?$/;
const DECIMAL = /^[0-9]+$/;
const NUMERIC = /^[+-]?[0-9]+$/;
/** Long enough to recognise a value in an error message, short enough that no argument is echoed whole. */
const ECHO_LIMIT = 80;

export function encodeGlobalId(
  typename: string,
  id: bigint | number | string,
  params?: Readonly<Record<string, number>>,
): string {
  const query = params ? Object.entries(params).map(([name, value]) => `${name}=${value}`) : [];
  return `${GID_PREFIX}${typename}/${id}${query.length > 0 ? `?${query.join('&')}` : ''}`;
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
  paramsOf: (typename: string) => readonly string[] = () => [],
): ParsedGlobalId {
  const [plainType] = typenames;
  const plain = parseDecimalId(value);
  if (plain !== null) return { typename: plainType, id: plain, params: {} };
  if (NUMERIC.test(value)) throw badUserInput(`${quoteValue(value)} is not a valid ${plainType} ID`);
  const match = GID.exec(value);
  if (!match) throw badUserInput(`${quoteValue(value)} is not a valid Global ID`);
  const [, typename, id, query] = match as unknown as [string, string, string, string | undefined];
  if (!typenames.includes(typename)) {
    throw badUserInput(`${quoteValue(value)} does not represent an instance of ${typenames.join(' or ')}`);
  }
  const parsed = parseDecimalId(id);
  if (parsed === null) throw badUserInput(`${quoteValue(value)} is not a valid ${typename} ID`);
  return { typename, id: parsed, params: parseParams(value, typename, query, paramsOf(typename)) };
}

/** A global ID's type, REST id, and the numeric parameters of its query string (`project_id`). */
export interface ParsedGlobalId {
  typename: string;
  id: number;
  params: Readonly<Record<string, number>>;
}

/**
 * The parameters of a global ID's query string, as GitLab's `GlobalID` carries them: each one of `allowed`, at
 * most once, with a positive decimal value.
 */
function parseParams(
  value: string,
  typename: string,
  query: string | undefined,
  allowed: readonly string[],
): Record<string, number> {
  const params: Record<string, number> = {};
  if (query === undefined) return params;
  for (const pair of query.split('&')) {
    const [name = '', text = '', ...rest] = pair.split('=');
    const number = parseDecimalId(text);
    if (!allowed.includes(name) || Object.hasOwn(params, name) || number === null || rest.length > 0) {
      const takes = allowed.length > 0 ? `takes ${allowed.join(', ')}` : 'takes no parameters';
      throw badUserInput(`${quoteValue(value)} is not a valid ${typename} ID: it ${takes}`);
    }
    params[name] = number;
  }
  return params;
}

/** The REST id of a `typename` global ID or plain id; a `BAD_USER_INPUT` error naming the value otherwise. */
export function parseHookId(value: string, typename: string): number {
  return parseGlobalId(value, [typename]).id;
}
