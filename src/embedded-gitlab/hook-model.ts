/**
 * The SystemHook model: attributes, defaults, the `before_validation` callbacks of §8, the validations of §5 and
 * the error messages the create and update endpoints derive from them. Everything works on copies, so a
 * rejected change leaves the stored hook untouched.
 */

import { isValidBranchName } from './git-ref.ts';
import type { BranchFilterStrategy, HookParams, KeyValueParam } from './grape-params.ts';
import { rubyStrip, urlBlockedReason } from './url-blocker.ts';
import { interpolateUrl, missingKeys } from './url-template.ts';

/** Key → value; values may be nil when a client sent `null` (the JSON schema then rejects them). */
export type KeyValues = Record<string, string | null>;

export interface HookAttributes {
  url: string | null;
  name: string | null;
  description: string | null;
  token: string | null;
  pushEvents: boolean;
  tagPushEvents: boolean;
  mergeRequestsEvents: boolean;
  repositoryUpdateEvents: boolean;
  enableSslVerification: boolean;
  pushEventsBranchFilter: string | null;
  branchFilterStrategy: BranchFilterStrategy;
  urlVariables: KeyValues;
  customHeaders: KeyValues;
}

export interface StoredHook extends HookAttributes {
  readonly id: number;
  url: string;
  readonly organizationId: number;
  readonly createdAt: Date;
  updatedAt: Date;
}

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
export const MAX_PARAM_LENGTH = 2048;
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

/** SystemHook defaults (the request spec's "sets default values for events"). */
export function defaultAttributes(): HookAttributes {
  return {
    url: null,
    name: null,
    description: null,
    token: null,
    pushEvents: false,
    tagPushEvents: false,
    mergeRequestsEvents: false,
    repositoryUpdateEvents: true,
    enableSslVerification: true,
    pushEventsBranchFilter: null,
    branchFilterStrategy: 'wildcard',
    urlVariables: keyValues(),
    customHeaders: keyValues(),
  };
}

export function copyAttributes(source: HookAttributes): HookAttributes {
  return {
    url: source.url,
    name: source.name,
    description: source.description,
    token: source.token,
    pushEvents: source.pushEvents,
    tagPushEvents: source.tagPushEvents,
    mergeRequestsEvents: source.mergeRequestsEvents,
    repositoryUpdateEvents: source.repositoryUpdateEvents,
    enableSslVerification: source.enableSslVerification,
    pushEventsBranchFilter: source.pushEventsBranchFilter,
    branchFilterStrategy: source.branchFilterStrategy,
    urlVariables: keyValues(source.urlVariables),
    customHeaders: keyValues(source.customHeaders),
  };
}

/** `params[:url_variables].to_h { [_1[:key], _1[:value]] }`: later duplicates win; a nil key becomes "". */
function toKeyValues(entries: readonly KeyValueParam[]): KeyValues {
  const result = keyValues();
  for (const { key, value } of entries) result[key ?? ''] = value;
  return result;
}

/**
 * Applies declared parameters the way `create_hook_params` / `update_hook_params` and `assign_attributes` do.
 * On update the URL variables and custom headers are merged into the existing ones and an empty array is
 * ignored; on create an empty array leaves the default `{}`. The URL is stripped here (GitLab strips it while
 * validating), so `url_changed?` compares stripped URLs.
 */
export function assignParams(
  base: HookAttributes,
  params: HookParams,
  mode: 'create' | 'update',
): HookAttributes {
  const next = copyAttributes(base);
  if (params.url !== undefined) next.url = params.url === null ? null : rubyStrip(params.url);
  if (params.name !== undefined) next.name = params.name;
  if (params.description !== undefined) next.description = params.description;
  if (params.token !== undefined) next.token = params.token;
  if (params.push_events !== undefined) next.pushEvents = params.push_events;
  if (params.tag_push_events !== undefined) next.tagPushEvents = params.tag_push_events;
  if (params.merge_requests_events !== undefined) next.mergeRequestsEvents = params.merge_requests_events;
  if (params.repository_update_events !== undefined)
    next.repositoryUpdateEvents = params.repository_update_events;
  if (params.enable_ssl_verification !== undefined)
    next.enableSslVerification = params.enable_ssl_verification;
  if (params.push_events_branch_filter !== undefined)
    next.pushEventsBranchFilter = params.push_events_branch_filter;
  if (params.branch_filter_strategy !== undefined) next.branchFilterStrategy = params.branch_filter_strategy;
  if (params.url_variables !== undefined && params.url_variables.length > 0) {
    const incoming = toKeyValues(params.url_variables);
    next.urlVariables = mode === 'update' ? keyValues({ ...next.urlVariables, ...incoming }) : incoming;
  }
  if (params.custom_headers !== undefined && params.custom_headers.length > 0) {
    const incoming = toKeyValues(params.custom_headers);
    next.customHeaders = mode === 'update' ? keyValues({ ...next.customHeaders, ...incoming }) : incoming;
  }
  return next;
}

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
function interpolated(url: string | null, variables: KeyValues): string | null {
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

/**
 * The `before_validation` callbacks, in GitLab's order, mutating `next`. `previous` is the stored state (null on
 * create); `tokenAssigned` says whether the request sent a token (`encrypted_token_changed?`).
 */
export function runBeforeValidation(
  next: HookAttributes,
  previous: HookAttributes | null,
  tokenAssigned: boolean,
): void {
  const urlChanged = previous === null || next.url !== previous.url;
  // reset_token
  if (urlChanged && !tokenAssigned) next.token = null;

  if (previous !== null) {
    const interpolatedWas = interpolated(previous.url, previous.urlVariables);
    // reset_url_variables: a new interpolation that fails counts as a change (the record is invalid anyway).
    const varsWere = previous.urlVariables;
    const wereKeys = Object.keys(varsWere);
    if (wereKeys.length > 0) {
      const now = interpolated(next.url, next.urlVariables);
      if (now === null || now !== interpolatedWas) {
        const vars = next.urlVariables;
        const keyKept = wereKeys.some((key) => Object.hasOwn(vars, key));
        const pairKept = wereKeys.some((key) => Object.hasOwn(vars, key) && vars[key] === varsWere[key]);
        if (keyKept || (urlChanged && pairKept)) next.urlVariables = keyValues();
      }
    }
    // reset_custom_headers: an interpolation error is ignored there (the record will not be saved).
    const now = interpolated(next.url, next.urlVariables);
    if (next.url !== null && now !== null && now !== interpolatedWas) next.customHeaders = keyValues();
  }
  // set_branch_filter_nil
  if (next.branchFilterStrategy === 'all_branches') next.pushEventsBranchFilter = null;
}

const characters = (text: string): number => [...text].length;

function validKeyValues(values: KeyValues, extra?: (key: string, value: string) => boolean): boolean {
  const entries = Object.entries(values);
  if (entries.length > MAX_KEY_VALUES) return false;
  return entries.every(
    ([key, value]) =>
      KEY_PATTERN.test(key) &&
      typeof value === 'string' &&
      characters(value) >= 1 &&
      characters(value) <= MAX_KEY_VALUE_LENGTH &&
      (extra === undefined || extra(key, value)),
  );
}

/** Header values that could split or smuggle headers, and names longer than GitLab allows. */
function validCustomHeader(key: string, value: string): boolean {
  if (key.length > MAX_CUSTOM_HEADER_NAME_LENGTH) return false;
  if (value !== value.trim() || /[\r\n]/.test(value) || /%0[ad]/i.test(value)) return false;
  return true;
}

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

/** The model validations, in declaration order. */
export function validateHook(hook: HookAttributes, settings: ValidationSettings): ModelError[] {
  const errors: ModelError[] = [];
  const add = (attribute: string, message: string) => errors.push({ attribute, message });
  const hasVariables = Object.keys(hook.urlVariables).length > 0;

  if (hook.url === null || hook.url.trim() === '') {
    add('url', "can't be blank");
  } else {
    if (!hasVariables) {
      const reason = urlBlockedReason(hook.url, { allowLocal: settings.allowLocalRequestsFromSystemHooks });
      if (reason !== null) add('url', `is blocked: ${reason}`);
    }
    if (characters(hook.url) > MAX_PARAM_LENGTH)
      add('url', `is too long (maximum is ${MAX_PARAM_LENGTH} characters)`);
    const missing = missingKeys(hook.url, hook.urlVariables as Record<string, string>);
    if (missing.length > 0) {
      add(
        'url',
        `Invalid URL template. Missing keys: [${missing.map((key) => JSON.stringify(key)).join(', ')}]`,
      );
    }
  }
  if (hook.token !== null) {
    if (hook.token.includes('\n')) add('token', 'is invalid');
    if (characters(hook.token) > MAX_PARAM_LENGTH) {
      add('token', `is too long (maximum is ${MAX_PARAM_LENGTH} characters)`);
    }
  }
  if (!validKeyValues(hook.urlVariables)) add('url_variables', 'must be a valid json schema');
  if (!validKeyValues(hook.customHeaders, validCustomHeader))
    add('custom_headers', 'must be a valid json schema');
  if (hook.name !== null && characters(hook.name) > MAX_NAME_LENGTH) {
    add('name', `is too long (maximum is ${MAX_NAME_LENGTH} characters)`);
  }
  if (hook.description !== null && characters(hook.description) > MAX_DESCRIPTION_LENGTH) {
    add('description', `is too long (maximum is ${MAX_DESCRIPTION_LENGTH} characters)`);
  }
  const filter = hook.pushEventsBranchFilter;
  if (filter !== null && hook.branchFilterStrategy === 'wildcard') {
    const squished = squish(filter);
    if (squished !== '' && !isValidBranchName(squished.replaceAll('*', 'x'))) {
      add('push_events_branch_filter', 'is not a valid branch name');
    }
    if (characters(squished) > MAX_BRANCH_FILTER_LENGTH) {
      add(
        'push_events_branch_filter',
        `is longer than the allowed length of ${MAX_BRANCH_FILTER_LENGTH} characters.`,
      );
    }
  } else if (filter !== null && hook.branchFilterStrategy === 'regex') {
    const error = regexError(filter);
    if (error !== null) add('push_events_branch_filter', error);
  }
  // `validates :interpolated_url, public_url: true, if: -> { url_variables? && errors.empty? }`: the error sits
  // on `interpolated_url`, not `url`, so the API reports it as a plain validation message.
  if (hasVariables && errors.length === 0) {
    const target = interpolated(hook.url, hook.urlVariables);
    if (target !== null) {
      const reason = urlBlockedReason(target, {
        allowLocal: settings.allowLocalRequestsFromWebHooksAndServices,
      });
      if (reason !== null) add('interpolated_url', `is blocked: ${reason}`);
    }
  }
  return errors;
}

/** ActiveModel's `full_message`: the humanized attribute name, then the message. */
function fullMessage({ attribute, message }: ModelError): string {
  const human = attribute.replaceAll('_', ' ');
  return `${human.charAt(0).toUpperCase()}${human.slice(1)} ${message}`;
}

/** ActiveSupport's `Array#to_sentence`. */
function toSentence(parts: string[]): string {
  if (parts.length <= 2) return parts.join(' and ');
  return `${parts.slice(0, -1).join(', ')}, and ${parts[parts.length - 1]}`;
}

const hasErrorOn = (errors: ModelError[], attribute: string) =>
  errors.some((error) => error.attribute === attribute);

/** `WebHooks::CreateService#execute` after a failed save: the message of its `422 {"error": ...}`. */
export function createFailureMessage(errors: ModelError[]): string {
  if (hasErrorOn(errors, 'url')) return 'Invalid url given';
  if (hasErrorOn(errors, 'push_events_branch_filter')) return 'Invalid branch filter given';
  if (hasErrorOn(errors, 'custom_headers')) return 'Custom headers must be a valid json schema';
  return toSentence(errors.map(fullMessage));
}

/** `save_hook` after a failed update: a Grape error string, or the `render_validation_error!` hash. */
export function updateFailure(
  errors: ModelError[],
): { error: string } | { message: Record<string, string[]> } {
  if (hasErrorOn(errors, 'url')) return { error: 'Invalid url given' };
  if (hasErrorOn(errors, 'push_events_branch_filter')) return { error: 'Invalid branch filter given' };
  if (hasErrorOn(errors, 'custom_headers')) return { error: 'Custom headers validation failed' };
  const message: Record<string, string[]> = {};
  for (const { attribute, message: text } of errors) {
    const list = message[attribute] ?? [];
    list.push(text);
    message[attribute] = list;
  }
  return { message };
}

/** Whether two attribute sets differ (a save without changes does not touch `updated_at`). */
export function attributesDiffer(a: HookAttributes, b: HookAttributes): boolean {
  return (
    a.url !== b.url ||
    a.name !== b.name ||
    a.description !== b.description ||
    a.token !== b.token ||
    a.pushEvents !== b.pushEvents ||
    a.tagPushEvents !== b.tagPushEvents ||
    a.mergeRequestsEvents !== b.mergeRequestsEvents ||
    a.repositoryUpdateEvents !== b.repositoryUpdateEvents ||
    a.enableSslVerification !== b.enableSslVerification ||
    a.pushEventsBranchFilter !== b.pushEventsBranchFilter ||
    a.branchFilterStrategy !== b.branchFilterStrategy ||
    !sameKeyValues(a.urlVariables, b.urlVariables) ||
    !sameKeyValues(a.customHeaders, b.customHeaders)
  );
}

/** `API::Entities::Hook` for a SystemHook, in the newest field order; never the token or any value. */
export function toEntity(hook: StoredHook): Record<string, unknown> {
  return {
    id: hook.id,
    url: hook.url,
    name: hook.name,
    description: hook.description,
    created_at: hook.createdAt.toISOString(),
    push_events: hook.pushEvents,
    tag_push_events: hook.tagPushEvents,
    merge_requests_events: hook.mergeRequestsEvents,
    repository_update_events: hook.repositoryUpdateEvents,
    enable_ssl_verification: hook.enableSslVerification,
    organization_id: hook.organizationId,
    alert_status: 'executable',
    disabled_until: null,
    url_variables: Object.keys(hook.urlVariables).map((key) => ({ key })),
    push_events_branch_filter: hook.pushEventsBranchFilter,
    branch_filter_strategy: hook.branchFilterStrategy,
    custom_webhook_template: null,
    custom_headers: Object.keys(hook.customHeaders).map((key) => ({ key })),
  };
}
