/**
 * Rack's nested parameter syntax (`Rack::QueryParser#normalize_params`), used by GitLab for the query string and
 * for `application/x-www-form-urlencoded` bodies. `qs` is not used here because it reads
 * `a[][key]=x&a[][value]=1&a[][key]=y` as one element with array values, while Rack starts a new element
 * whenever the last one already has the key, which is how Rails clients send `url_variables[][key]`.
 */

export type ParamValue = string | null | ParamValue[] | ParamHash;
export interface ParamHash {
  [key: string]: ParamValue;
}

/** Rack's `param_depth_limit` default. */
const MAX_DEPTH = 32;
/** Rack 3.1's `params_limit` default; further pairs are ignored rather than rejected. */
const MAX_PAIRS = 4096;

/** A hash without a prototype, so that keys such as `__proto__` from a client stay plain keys. */
export function paramHash(): ParamHash {
  return Object.create(null) as ParamHash;
}

export function isParamHash(value: unknown): value is ParamHash {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unescapeComponent(text: string): string {
  const spaced = text.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Rack raises on a malformed escape; keeping the text as sent is kinder and cannot widen what is accepted.
    return spaced;
  }
}

/** Parses `a=1&b[]=2&c[][key]=x` into Rack's params hash (values stay strings; a pair without `=` is nil). */
export function parseNestedQuery(query: string): ParamHash {
  const params = paramHash();
  let pairs = 0;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    if (++pairs > MAX_PAIRS) break;
    const eq = pair.indexOf('=');
    const name = unescapeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? null : unescapeComponent(pair.slice(eq + 1));
    normalize(params, name, value, 0);
  }
  return params;
}

function hashHasKey(hash: ParamHash, key: string): boolean {
  if (key.includes('[]')) return false;
  let current: ParamValue = hash;
  for (const part of key.split(/[[\]]+/)) {
    if (part === '') continue;
    if (!isParamHash(current) || !Object.hasOwn(current, part)) return false;
    current = current[part] as ParamValue;
  }
  return true;
}

function arrayAt(params: ParamHash, key: string): ParamValue[] {
  const existing = params[key];
  if (Array.isArray(existing)) return existing;
  // Rack raises ParameterTypeError on `a=1&a[]=2`; the later form simply wins here.
  const fresh: ParamValue[] = [];
  params[key] = fresh;
  return fresh;
}

function normalize(
  params: ParamHash,
  name: string,
  value: string | null,
  depth: number,
): ParamHash | ParamValue[] {
  if (depth >= MAX_DEPTH) return params;
  let key: string;
  let after: string;
  const close = name.indexOf(']', 1);
  if (depth === 0) {
    const open = name.indexOf('[', 1);
    key = open === -1 ? name : name.slice(0, open);
    after = open === -1 ? '' : name.slice(open);
  } else if (name.startsWith('[]')) {
    key = '[]';
    after = name.slice(2);
  } else if (name.startsWith('[') && close !== -1) {
    key = name.slice(1, close);
    after = name.slice(close + 1);
  } else {
    key = name;
    after = '';
  }
  if (key === '') return params;

  if (after === '') {
    if (key === '[]' && depth !== 0) return [value];
    params[key] = value;
  } else if (after === '[') {
    params[name] = value;
  } else if (after === '[]') {
    arrayAt(params, key).push(value);
  } else if (after.startsWith('[]')) {
    const inner = after.slice(3, -1);
    const childKey =
      after[2] === '[' && after.endsWith(']') && inner !== '' && !inner.includes('[') && !inner.includes(']')
        ? inner
        : after.slice(2);
    const list = arrayAt(params, key);
    const last = list[list.length - 1];
    if (isParamHash(last) && !hashHasKey(last, childKey)) normalize(last, childKey, value, depth + 1);
    else list.push(normalize(paramHash(), childKey, value, depth + 1));
  } else {
    const existing = params[key];
    const child = isParamHash(existing) ? existing : paramHash();
    params[key] = normalize(child, after, value, depth + 1);
  }
  return params;
}

/**
 * Rails' `Hash#to_query`, used by GitLab's pagination Link header: keys escaped with `CGI.escape`, pairs sorted.
 */
export function toQuery(value: unknown, prefix: string | null = null): string {
  if (isParamHash(value) || (typeof value === 'object' && value !== null && !Array.isArray(value))) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix !== null) return `${cgiEscape(prefix)}=`;
    return entries
      .map(([key, child]) => toQuery(child, prefix === null ? key : `${prefix}[${key}]`))
      .filter((part) => part !== '')
      .sort()
      .join('&');
  }
  if (prefix === null) return '';
  if (Array.isArray(value)) {
    if (value.length === 0) return `${cgiEscape(`${prefix}[]`)}=`;
    return value.map((item) => toQuery(item, `${prefix}[]`)).join('&');
  }
  return `${cgiEscape(prefix)}=${cgiEscape(value === null || value === undefined ? '' : String(value))}`;
}

/** Ruby's `CGI.escape`: everything but `A-Za-z0-9_.-~` percent-encoded, space as `+`. */
function cgiEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');
}
