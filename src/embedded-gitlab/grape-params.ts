/**
 * Grape's parameter coercion and validation as GitLab's hooks endpoints declare them. Messages follow
 * Grape's wording (`<param> is missing`, `<param> is invalid`, `<param> does not have a valid value`) and
 * several are joined with ", " in declaration order.
 */
import { grapeError } from './errors.ts';
import { atLeast } from './gitlab-version.ts';
import {
  type AttributeKind,
  type AttributeSpec,
  BRANCH_FILTER_STRATEGIES,
  type ByName,
  type HookParams,
  type KeyValueParam,
} from './hook-attributes.ts';
import { isParamHash } from './rack-params.ts';

/** Marks a value Grape could not coerce (`Grape::Validations::Types::InvalidValue`). */
export const INVALID: unique symbol = Symbol('invalid');
type Invalid = typeof INVALID;

/**
 * Grape maps `String` to dry-types' `Coercible::String` (its `Params` scope has no String), so numbers and
 * booleans become their Ruby `to_s`; arrays and hashes are rejected by `PrimitiveCoercer#reject?`.
 */
export function coerceString(value: unknown): string | null | Invalid {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return INVALID;
}

// dry-types `Coercions::Params::TRUE_VALUES` / `FALSE_VALUES`, compared with the input's `to_s`.
const TRUE_VALUES = new Set([
  '1',
  'on',
  'On',
  'ON',
  't',
  'true',
  'True',
  'TRUE',
  'T',
  'y',
  'yes',
  'Yes',
  'YES',
  'Y',
]);
const FALSE_VALUES = new Set([
  '0',
  'off',
  'Off',
  'OFF',
  'f',
  'false',
  'False',
  'FALSE',
  'F',
  'n',
  'no',
  'No',
  'NO',
  'N',
]);

/** `Grape::API::Boolean` (dry-types `Params::Bool`); an empty string is nil (`treat_as_nil?`). */
export function coerceBoolean(value: unknown): boolean | null | Invalid {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'string') {
    const text = String(value);
    if (TRUE_VALUES.has(text)) return true;
    if (FALSE_VALUES.has(text)) return false;
  }
  return INVALID;
}

/** Ruby's `Integer(str, 10)`: surrounding whitespace, a sign, and single underscores between digits. */
const RUBY_INTEGER = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

/**
 * `Integer` (dry-types `Params::Integer`). Ruby integers are unbounded, so a huge value is valid; it comes back
 * as a bigint-backed number clamped to `Number.MAX_SAFE_INTEGER` in magnitude, which no hook id or page reaches.
 */
export function coerceInteger(value: unknown): number | null | Invalid {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : INVALID;
  if (typeof value !== 'string' || !RUBY_INTEGER.test(value)) return INVALID;
  const big = BigInt(value.trim().replaceAll('_', ''));
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  if (big > limit) return Number.MAX_SAFE_INTEGER;
  if (big < -limit) return -Number.MAX_SAFE_INTEGER;
  return Number(big);
}

/** Collects Grape validation messages and throws them as one 400. */
export class ParamErrors {
  readonly messages: string[] = [];
  add(message: string): void {
    this.messages.push(message);
  }
  throwIfAny(): void {
    if (this.messages.length > 0) throw grapeError(400, this.messages.join(', '));
  }
}

/** A path `:hook_id`: `requires :hook_id, type: Integer`. */
export function declareHookId(raw: string, errors: ParamErrors): number {
  const id = coerceInteger(raw);
  if (id === INVALID || id === null) {
    errors.add('hook_id is invalid');
    return 0;
  }
  return id;
}

type Declare = (raw: Record<string, unknown>, name: string, errors: ParamErrors) => unknown;

/** `type: String`; nil is kept (a client may send `null`). */
const declareString: Declare = (raw, name, errors) => {
  if (!Object.hasOwn(raw, name)) return undefined;
  const value = coerceString(raw[name]);
  if (value !== INVALID) return value;
  errors.add(`${name} is invalid`);
  return undefined;
};

/** `type: Boolean`; nil is dropped. */
const declareBoolean: Declare = (raw, name, errors) => {
  if (!Object.hasOwn(raw, name)) return undefined;
  const value = coerceBoolean(raw[name]);
  if (value === INVALID) errors.add(`${name} is invalid`);
  return value === INVALID || value === null ? undefined : value;
};

/** `type: String, values: WebHook.branch_filter_strategies.keys`; nil is dropped. */
const declareStrategy: Declare = (raw, name, errors) => {
  const value = declareString(raw, name, errors);
  if (typeof value !== 'string') return undefined;
  const strategy = BRANCH_FILTER_STRATEGIES.find((known) => known === value);
  if (strategy === undefined) errors.add(`${name} does not have a valid value`);
  return strategy;
};

/**
 * `optional :<name>, type: Array do requires :key, type: String; requires :value, type: String end`. Rack reads
 * `a[0][key]=` as a hash, not an array, so that form is invalid here as it is in Grape.
 */
const declareKeyValues: Declare = (raw, name, errors) => {
  const list = raw[name];
  if (list === null || list === undefined) return undefined;
  if (!Array.isArray(list)) {
    errors.add(`${name} is invalid`);
    return undefined;
  }
  return list.map((element: unknown, index) => {
    const entry: KeyValueParam = { key: null, value: null };
    for (const field of ['key', 'value'] as const) {
      const label = `${name}[${index}][${field}]`;
      if (!isParamHash(element) || !Object.hasOwn(element, field)) {
        errors.add(`${label} is missing`);
        continue;
      }
      const value = coerceString((element as Record<string, unknown>)[field]);
      if (value === INVALID) errors.add(`${label} is invalid`);
      else entry[field] = value;
    }
    return entry;
  });
};

const DECLARE_BY_KIND: Record<AttributeKind, Declare> = {
  url: declareString,
  string: declareString,
  boolean: declareBoolean,
  strategy: declareStrategy,
  keyValues: declareKeyValues,
};

/**
 * The `hook_parameters` a scope's `attributes` declare, of `POST …/hooks` (`requires :url`) and
 * `PUT …/hooks/:hook_id` (`optional :url`), in the GitLab version played. Undeclared parameters are dropped. A
 * null boolean or strategy is dropped too: GitLab would assign nil to a NOT NULL column and fail with a 500,
 * which is not worth simulating.
 */
export function declareHookParams(
  raw: Record<string, unknown>,
  options: { attributes: readonly AttributeSpec[]; urlRequired: boolean; gitlabVersion: string },
  errors: ParamErrors,
): HookParams {
  const declared: ByName = {};
  for (const spec of options.attributes) {
    if (spec.since !== undefined && !atLeast(options.gitlabVersion, spec.since)) continue;
    const { param, kind } = spec;
    if (kind === 'url' && options.urlRequired && !Object.hasOwn(raw, param))
      errors.add(`${param} is missing`);
    const value = DECLARE_BY_KIND[kind](raw, param, errors);
    if (value !== undefined) declared[param] = value;
  }
  return declared as HookParams;
}

/** `requires :value, type: String` of the URL-variable and custom-header endpoints. */
export function declareRequiredValue(raw: Record<string, unknown>, errors: ParamErrors): string | null {
  if (!Object.hasOwn(raw, 'value')) {
    errors.add('value is missing');
    return null;
  }
  const value = coerceString(raw.value);
  if (value === INVALID) {
    errors.add('value is invalid');
    return null;
  }
  return value;
}
