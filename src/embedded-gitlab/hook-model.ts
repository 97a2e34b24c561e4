/**
 * The hook model (docs/gitlab-contract.md), written once over a scope: the `WebHooks::Hook` concern's
 * attributes, defaults and assignment, its `before_validation` callbacks (§8) and validations (§5), then the
 * scope's own validations. Everything works on copies, so a rejected change leaves the stored hook untouched.
 * The entity is `hook-entity.ts`, the error messages the endpoints derive from the validations `hook-errors.ts`.
 */

import { isValidBranchName } from './git-ref.ts';
import type {
  AttributeKind,
  ByName,
  HookAttributes,
  HookParams,
  KeyValueParam,
  KeyValues,
} from './hook-attributes.ts';
import type { HookScope } from './hook-scope.ts';
import { rubyStrip, urlBlockedReason } from './url-blocker.ts';
import { interpolateUrl, missingKeys } from './url-template.ts';

export type { HookAttributes, KeyValues } from './hook-attributes.ts';

export type StoredHook = HookAttributes & {
  readonly id: number;
  url: string;
  /**
   * The project or group the hook belongs to (`project_id`, `group_id`); null for a system hook. Hook records
   * are plain objects: the delivery side adds its own fields (failures, backoff) beside these.
   */
  readonly parentId: number | null;
  readonly organizationId: number;
  /**
   * Always `executable` for a system hook (auto-disabling applies to project hooks only); `seed()` may store
   * any other value, as a newer GitLab could return one.
   */
  readonly alertStatus: string;
  readonly createdAt: Date;
  updatedAt: Date;
};

export interface ValidationSettings {
  allowLocalRequestsFromSystemHooks: boolean;
  allowLocalRequestsFromWebHooksAndServices: boolean;
}

/** One ActiveModel error: the attribute and its message. */
export interface ModelError {
  attribute: string;
  message: string;
}

/**
 * `WebHook::MAX_PARAM_LENGTH` for `url` and `token`. UNCONFIRMED upstream: 2048 is a guess in line with the other
 * limits of the model.
 */
const MAX_PARAM_LENGTH = 2048;
/** `WebHook::MAX_CUSTOM_HEADER_NAME_LENGTH`. UNCONFIRMED upstream. */
export const MAX_CUSTOM_HEADER_NAME_LENGTH = 255;
const MAX_NAME_LENGTH = 255;
const MAX_DESCRIPTION_LENGTH = 2048;
const MAX_BRANCH_FILTER_LENGTH = 4000;
const MAX_KEY_VALUES = 20;
const MAX_KEY_VALUE_LENGTH = 2048;
/** The key pattern of both JSON schemas (`web_hooks_url_variables.json`, `web_hooks_custom_headers.json`). */
const KEY_PATTERN = /^[A-Za-z]+[0-9]*(?:[._-][A-Za-z0-9]+)*$/;

/** A prototype-free copy, so client-chosen keys never reach `Object.prototype`. */
export function keyValues(source: KeyValues = {}): KeyValues {
  return Object.assign(Object.create(null) as KeyValues, source);
}

export const byName = (values: HookAttributes | HookParams): ByName => values as ByName;

/** A scope's model: what walks its attribute table, and its validations after the concern's. */
export interface HookModel {
  /** A new hook's attributes. */
  defaultAttributes(): HookAttributes;
  copyAttributes(source: HookAttributes): HookAttributes;
  /** Applies declared parameters the way `create_hook_params` / `update_hook_params` and `assign_attributes` do. */
  assignParams(base: HookAttributes, params: HookParams, mode: AssignMode): HookAttributes;
  /** Whether two attribute sets differ (a save without changes does not touch `updated_at`). */
  attributesDiffer(a: HookAttributes, b: HookAttributes): boolean;
  /** The model's validations in declaration order; the errors they add. */
  validateHook(hook: HookAttributes, settings: ValidationSettings): ModelError[];
}

const MODELS = new WeakMap<HookScope, HookModel>();

/** The model of `scope`'s hooks, made once per scope; its functions need no `this`. */
export function hookModelOf(scope: HookScope): HookModel {
  let model = MODELS.get(scope);
  if (model === undefined) {
    model = createHookModel(scope);
    MODELS.set(scope, model);
  }
  return model;
}

function createHookModel(scope: HookScope): HookModel {
  const { attributes } = scope;
  const validations = [...CONCERN_VALIDATIONS, ...scope.validations];
  const copyAttributes = (source: HookAttributes): HookAttributes => {
    const from = byName(source);
    const copy: ByName = {};
    for (const { attr, kind } of attributes) {
      copy[attr] = kind === 'keyValues' ? keyValues(from[attr] as KeyValues) : from[attr];
    }
    return copy as HookAttributes;
  };
  return {
    defaultAttributes() {
      const values: ByName = {};
      for (const spec of attributes) {
        values[spec.attr] = spec.default ?? (spec.kind === 'keyValues' ? keyValues() : null);
      }
      return values as HookAttributes;
    },
    copyAttributes,
    assignParams(base, params, mode) {
      const next = copyAttributes(base);
      const target = byName(next);
      const given = byName(params);
      for (const { param, attr, kind } of attributes) {
        if (given[param] !== undefined) target[attr] = assignedValue(kind, target[attr], given[param], mode);
      }
      return next;
    },
    attributesDiffer(a, b) {
      const [left, right] = [byName(a), byName(b)];
      return attributes.some(({ attr, kind }) =>
        kind === 'keyValues'
          ? !sameKeyValues(left[attr] as KeyValues, right[attr] as KeyValues)
          : left[attr] !== right[attr],
      );
    },
    validateHook(hook, settings) {
      const errors = new ModelErrors();
      for (const validation of validations) validation(hook, errors, settings);
      return errors.list;
    },
  };
}

/** `params[:url_variables].to_h { [_1[:key], _1[:value]] }`: later duplicates win; a nil key becomes "". */
function toKeyValues(entries: readonly KeyValueParam[]): KeyValues {
  const result = keyValues();
  for (const { key, value } of entries) result[key ?? ''] = value;
  return result;
}

/**
 * The attribute value a parameter assigns. The URL is stripped (GitLab strips it while validating), so
 * `url_changed?` compares stripped URLs. Key-value arrays are merged into the existing hash on update and
 * replace the default `{}` on create; an empty array changes nothing.
 */
function assignedValue(kind: AttributeKind, current: unknown, param: unknown, mode: AssignMode) {
  if (kind === 'url') return param === null ? null : rubyStrip(param as string);
  if (kind !== 'keyValues') return param;
  const entries = param as KeyValueParam[];
  if (entries.length === 0) return current;
  const incoming = toKeyValues(entries);
  return mode === 'update' ? keyValues({ ...(current as KeyValues), ...incoming }) : incoming;
}

export type AssignMode = 'create' | 'update';

/** Whether `update_hook_params` would be empty, giving "No parameters provided". */
export function hasUpdateParams(params: HookParams): boolean {
  return Object.entries(params).some(
    ([name, value]) =>
      !(
        (name === 'url_variables' || name === 'custom_headers') &&
        Array.isArray(value) &&
        value.length === 0
      ),
  );
}

function stringValues(values: KeyValues): Record<string, string> | null {
  return Object.values(values).every((value) => typeof value === 'string')
    ? (values as Record<string, string>)
    : null;
}

/** `interpolated_url`, or null when it cannot be built (a missing key or a nil value). */
function interpolatedUrl(url: string | null, variables: KeyValues): string | null {
  if (url === null) return null;
  const strings = stringValues(variables);
  return strings === null ? null : interpolateUrl(url, strings);
}

const sameKeyValues = (a: KeyValues, b: KeyValues): boolean => {
  const aKeys = Object.keys(a);
  return (
    aKeys.length === Object.keys(b).length && aKeys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
};

/** A change being validated: the new attributes, the stored ones (null on create), what the request assigned. */
interface Change {
  next: HookAttributes;
  previous: HookAttributes | null;
  assigned: HookParams;
}

/**
 * `reset_token`: a URL change without a token (`encrypted_token_changed?`) clears it. The signing token is
 * treated the same way (GitLab's rule for it is UNCONFIRMED): a secret set for one receiver does not follow
 * the hook to another one unless it is sent again.
 */
function resetToken({ next, previous, assigned }: Change): void {
  if (previous !== null && next.url === previous.url) return;
  if (assigned.token === undefined) next.token = null;
  if (assigned.signing_token === undefined) next.signingToken = null;
}

/** `reset_url_variables` (on update): a new interpolation that fails counts as a change (it is invalid anyway). */
function resetUrlVariables({ next, previous }: Change): void {
  if (previous === null) return;
  const varsWere = previous.urlVariables;
  const wereKeys = Object.keys(varsWere);
  if (wereKeys.length === 0) return;
  const now = interpolatedUrl(next.url, next.urlVariables);
  if (now !== null && now === interpolatedUrl(previous.url, varsWere)) return;
  const vars = next.urlVariables;
  const keyKept = wereKeys.some((key) => Object.hasOwn(vars, key));
  const pairKept = wereKeys.some((key) => Object.hasOwn(vars, key) && vars[key] === varsWere[key]);
  if (keyKept || (next.url !== previous.url && pairKept)) next.urlVariables = keyValues();
}

/** `reset_custom_headers` (on update): an interpolation error is ignored there (the record will not be saved). */
function resetCustomHeaders({ next, previous }: Change): void {
  if (previous === null || next.url === null) return;
  const now = interpolatedUrl(next.url, next.urlVariables);
  if (now !== null && now !== interpolatedUrl(previous.url, previous.urlVariables)) {
    next.customHeaders = keyValues();
  }
}

/** `set_branch_filter_nil`, `if: :branch_filter_strategy_all_branches?`. */
function setBranchFilterNil({ next }: Change): void {
  if (next.branchFilterStrategy === 'all_branches') next.pushEventsBranchFilter = null;
}

/**
 * The `before_validation` callbacks, in GitLab's order, mutating `next`. `previous` is the stored state (null on
 * create); `assigned` holds the parameters the request assigned (a token sent with a new URL is kept).
 */
export function runBeforeValidation(
  next: HookAttributes,
  previous: HookAttributes | null,
  assigned: HookParams,
): void {
  const change: Change = { next, previous, assigned };
  for (const callback of [resetToken, resetUrlVariables, resetCustomHeaders, setBranchFilterNil]) {
    callback(change);
  }
}

const characterCount = (text: string): number => [...text].length;

/** Collects ActiveModel errors in the order the validations add them. */
export class ModelErrors {
  readonly list: ModelError[] = [];
  add(attribute: string, message: string): void {
    this.list.push({ attribute, message });
  }
  tooLong(attribute: string, value: string | null, maximum: number): void {
    if (value !== null && characterCount(value) > maximum) {
      this.add(attribute, `is too long (maximum is ${maximum} characters)`);
    }
  }
}

export type Validation = (hook: HookAttributes, errors: ModelErrors, settings: ValidationSettings) => void;

export const hasUrlVariables = (hook: HookAttributes): boolean => Object.keys(hook.urlVariables).length > 0;

/**
 * `validates :url, public_url: true, unless: url_variables?` (SystemHook's `system_hook_url` is the same check
 * under its own setting): local addresses only when the application setting allows them.
 */
export function publicUrlValidation(setting: keyof ValidationSettings): Validation {
  return (hook, errors, settings) => {
    if (hook.url === null || hook.url.trim() === '' || hasUrlVariables(hook)) return;
    const reason = urlBlockedReason(hook.url, { allowLocal: settings[setting] });
    if (reason !== null) errors.add('url', `is blocked: ${reason}`);
  };
}

/** `validates :url, presence: true`, and its length (whose place among the validations is UNCONFIRMED). */
const validatesUrl: Validation = (hook, errors) => {
  if (hook.url === null || hook.url.trim() === '') errors.add('url', "can't be blank");
  else errors.tooLong('url', hook.url, MAX_PARAM_LENGTH);
};

/** `validates :token, format: { without: /\n/ }`, and its length. */
const validatesToken: Validation = (hook, errors) => {
  if (hook.token?.includes('\n')) errors.add('token', 'is invalid');
  errors.tooLong('token', hook.token, MAX_PARAM_LENGTH);
};

const SIGNING_TOKEN_PREFIX = 'whsec_';
const SIGNING_KEY_BYTES = 32;

/** `whsec_` and the strict (padded, canonical) base64 of a 32-byte key. */
export function isSigningToken(value: string): boolean {
  if (!value.startsWith(SIGNING_TOKEN_PREFIX)) return false;
  const encoded = value.slice(SIGNING_TOKEN_PREFIX.length);
  const key = Buffer.from(encoded, 'base64');
  return key.length === SIGNING_KEY_BYTES && key.toString('base64') === encoded;
}

/**
 * GitLab 19.0's `signing_token`: "Must be in `whsec_<base64>` format encoding a 32-byte key". GitLab's own
 * message is UNCONFIRMED; this one is an ActiveModel error on the attribute like the others, so the API answers
 * as for a bad token (create: `Signing token must be ...`, update: `{"signing_token": ["must be ..."]}`). A
 * blank value is no signing token.
 */
const validatesSigningToken: Validation = (hook, errors) => {
  const token = hook.signingToken;
  if (token === null || token.trim() === '' || isSigningToken(token)) return;
  errors.add('signing_token', `must be in ${SIGNING_TOKEN_PREFIX}<base64> format encoding a 32-byte key`);
};

/** The lengths of `name` and `description` (their place among the validations is UNCONFIRMED). */
const validatesNameAndDescription: Validation = (hook, errors) => {
  errors.tooLong('name', hook.name, MAX_NAME_LENGTH);
  errors.tooLong('description', hook.description, MAX_DESCRIPTION_LENGTH);
};

/** RE2 is approximated by JavaScript's RegExp: both reject unbalanced groups and classes. */
function regexError(pattern: string): string | null {
  try {
    new RegExp(pattern);
    return null;
  } catch (error) {
    return `not valid RE2 syntax: ${error instanceof Error ? error.message : 'invalid'}`;
  }
}

/** Rails' `String#squish`. */
const squish = (text: string): string => text.trim().replace(/\s+/g, ' ');

/** `WebHooks::WildcardBranchFilterValidator`: squished, `*` read as a character a branch name may hold. */
function wildcardFilterErrors(filter: string): string[] {
  const squished = squish(filter);
  const messages: string[] = [];
  if (squished !== '' && !isValidBranchName(squished.replaceAll('*', 'x'))) {
    messages.push('is not a valid branch name');
  }
  if (characterCount(squished) > MAX_BRANCH_FILTER_LENGTH) {
    messages.push(`is longer than the allowed length of ${MAX_BRANCH_FILTER_LENGTH} characters.`);
  }
  return messages;
}

/** `untrusted_regexp: true, if: :branch_filter_strategy_regex?`, then the wildcard validator. */
const validatesBranchFilter: Validation = (hook, errors) => {
  const filter = hook.pushEventsBranchFilter;
  if (filter === null) return;
  const messages =
    hook.branchFilterStrategy === 'regex'
      ? [regexError(filter)].filter((message) => message !== null)
      : hook.branchFilterStrategy === 'wildcard'
        ? wildcardFilterErrors(filter)
        : [];
  for (const message of messages) errors.add('push_events_branch_filter', message);
};

function validKeyValues(values: KeyValues, extra?: (key: string, value: string) => boolean): boolean {
  const entries = Object.entries(values);
  if (entries.length > MAX_KEY_VALUES) return false;
  return entries.every(
    ([key, value]) =>
      KEY_PATTERN.test(key) &&
      typeof value === 'string' &&
      characterCount(value) >= 1 &&
      characterCount(value) <= MAX_KEY_VALUE_LENGTH &&
      (extra === undefined || extra(key, value)),
  );
}

/** `validates :url_variables, json_schema: { filename: 'web_hooks_url_variables' }`. */
const validatesUrlVariables: Validation = (hook, errors) => {
  if (!validKeyValues(hook.urlVariables)) errors.add('url_variables', 'must be a valid json schema');
};

/** `validate :no_missing_url_variables`. */
const validatesNoMissingUrlVariables: Validation = (hook, errors) => {
  if (hook.url === null) return;
  const missing = missingKeys(hook.url, hook.urlVariables as Record<string, string>);
  if (missing.length === 0) return;
  const list = missing.map((key) => JSON.stringify(key)).join(', ');
  errors.add('url', `Invalid URL template. Missing keys: [${list}]`);
};

/**
 * `validates :interpolated_url, public_url: true, if: -> { url_variables? && errors.empty? }`: the error sits on
 * `interpolated_url`, not `url`, so the API reports it as a plain validation message.
 */
const validatesInterpolatedUrl: Validation = (hook, errors, settings) => {
  if (!hasUrlVariables(hook) || errors.list.length > 0) return;
  const target = interpolatedUrl(hook.url, hook.urlVariables);
  if (target === null) return;
  const reason = urlBlockedReason(target, { allowLocal: settings.allowLocalRequestsFromWebHooksAndServices });
  if (reason !== null) errors.add('interpolated_url', `is blocked: ${reason}`);
};

/** Header values that could split or smuggle headers, and names longer than GitLab allows. */
function validCustomHeader(key: string, value: string): boolean {
  if (key.length > MAX_CUSTOM_HEADER_NAME_LENGTH) return false;
  return value === value.trim() && !/[\r\n]/.test(value) && !/%0[ad]/i.test(value);
}

/** `validates :custom_headers, json_schema: { filename: 'web_hooks_custom_headers' }`. */
const validatesCustomHeaders: Validation = (hook, errors) => {
  if (!validKeyValues(hook.customHeaders, validCustomHeader)) {
    errors.add('custom_headers', 'must be a valid json schema');
  }
};

/**
 * The `WebHooks::Hook` concern's validations in declaration order; a scope's own follow them. The order matters
 * for `errors.empty?` in the interpolated-URL check and for the order of the messages.
 */
const CONCERN_VALIDATIONS: readonly Validation[] = [
  validatesUrl,
  validatesToken,
  validatesSigningToken,
  validatesNameAndDescription,
  validatesBranchFilter,
  validatesUrlVariables,
  validatesNoMissingUrlVariables,
  validatesInterpolatedUrl,
  validatesCustomHeaders,
];
