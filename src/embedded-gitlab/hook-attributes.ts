/**
 * A hook's attributes, each written once: the REST parameter, the model attribute it sets, and its kind. A scope
 * lists its table (`HookScope.attributes`) in the order its API declares the parameters: the attributes every
 * scope has, below, and its event flags with their defaults (`eventFlag`). The declared parameters
 * (`grape-params.ts`) and the model's defaults, copy, assignment and change detection (`hook-model.ts`) all follow
 * that table, in its order.
 */
import type { TriggerScope } from './event-payloads.ts';
import { SINCE } from './gitlab-version.ts';
import { FLAG_TRIGGERS } from './webhook-triggers.ts';

export type BranchFilterStrategy = 'wildcard' | 'regex' | 'all_branches';
/** `WebHook.branch_filter_strategies.keys`, the `values:` of the `branch_filter_strategy` parameter. */
export const BRANCH_FILTER_STRATEGIES: readonly BranchFilterStrategy[] = [
  'wildcard',
  'regex',
  'all_branches',
];

/** Key → value; values may be nil when a client sent `null` (the JSON schema then rejects them). */
export type KeyValues = Record<string, string | null>;

/** One `{key, value}` of the `url_variables` / `custom_headers` array parameters. */
export interface KeyValueParam {
  key: string | null;
  value: string | null;
}

/** What each kind of attribute is as a declared parameter and as a model attribute. */
interface Kinds {
  /** The URL: a string, stripped of surrounding whitespace when assigned. */
  url: { param: string | null; attribute: string | null };
  string: { param: string | null; attribute: string | null };
  boolean: { param: boolean; attribute: boolean };
  /**
   * A parameter takes only the known strategies; a stored value may be any string, because `seed()` can store
   * a newer GitLab's value that this server does not know.
   */
  strategy: { param: BranchFilterStrategy; attribute: string };
  /** An array of `{key, value}` as a parameter, a hash as an attribute. */
  keyValues: { param: KeyValueParam[]; attribute: KeyValues };
}

export type AttributeKind = keyof Kinds;

export interface AttributeSpec {
  /** The REST parameter, as `params :hook_parameters` names it. */
  readonly param: string;
  /** The model attribute, in camelCase. */
  readonly attr: string;
  readonly kind: AttributeKind;
  /** The column default of a boolean or the strategy; the other kinds (and a flag defaulting to nil) start as nil or `{}`. */
  readonly default?: boolean | BranchFilterStrategy;
  /** The GitLab version that declares the parameter; an older one ignores it, as any undeclared parameter. */
  readonly since?: string;
  /** For an event flag: the trigger scope whose events it selects (`push_hooks`). */
  readonly trigger?: TriggerScope;
}

export const URL_ATTRIBUTE = { param: 'url', attr: 'url', kind: 'url' } as const;
export const NAME_ATTRIBUTE = { param: 'name', attr: 'name', kind: 'string' } as const;
export const DESCRIPTION_ATTRIBUTE = { param: 'description', attr: 'description', kind: 'string' } as const;
export const TOKEN_ATTRIBUTE = { param: 'token', attr: 'token', kind: 'string' } as const;
export const SIGNING_TOKEN_ATTRIBUTE = {
  param: 'signing_token',
  attr: 'signingToken',
  kind: 'string',
  since: SINCE.standardWebhooks,
} as const;
export const ENABLE_SSL_VERIFICATION_ATTRIBUTE = {
  param: 'enable_ssl_verification',
  attr: 'enableSslVerification',
  kind: 'boolean',
  default: true,
} as const;
export const PUSH_EVENTS_BRANCH_FILTER_ATTRIBUTE = {
  param: 'push_events_branch_filter',
  attr: 'pushEventsBranchFilter',
  kind: 'string',
} as const;
export const BRANCH_FILTER_STRATEGY_ATTRIBUTE = {
  param: 'branch_filter_strategy',
  attr: 'branchFilterStrategy',
  kind: 'strategy',
  default: 'wildcard',
} as const;
export const URL_VARIABLES_ATTRIBUTE = {
  param: 'url_variables',
  attr: 'urlVariables',
  kind: 'keyValues',
} as const;
export const CUSTOM_HEADERS_ATTRIBUTE = {
  param: 'custom_headers',
  attr: 'customHeaders',
  kind: 'keyValues',
} as const;

/** The attributes every scope's hooks have, which the callbacks, validations and deliveries read. */
const COMMON_ATTRIBUTES = [
  URL_ATTRIBUTE,
  NAME_ATTRIBUTE,
  DESCRIPTION_ATTRIBUTE,
  TOKEN_ATTRIBUTE,
  SIGNING_TOKEN_ATTRIBUTE,
  ENABLE_SSL_VERIFICATION_ATTRIBUTE,
  PUSH_EVENTS_BRANCH_FILTER_ATTRIBUTE,
  BRANCH_FILTER_STRATEGY_ATTRIBUTE,
  URL_VARIABLES_ATTRIBUTE,
  CUSTOM_HEADERS_ATTRIBUTE,
] as const satisfies readonly AttributeSpec[];

/**
 * Each event flag's trigger scope: the project and group hooks' flags (`FLAG_TRIGGERS`), and the one flag only
 * system hooks have.
 */
const EVENT_FLAG_TRIGGERS = {
  ...FLAG_TRIGGERS,
  repository_update_events: 'repository_update_hooks',
} as const satisfies Record<`${string}_events`, TriggerScope>;

/**
 * An event flag: a boolean column with its default (null for a nullable column without one, as
 * `confidential_note_events`) and the GitLab version that added it. The trigger scope whose events it selects
 * is looked up, so that each flag's trigger is written once.
 */
export function eventFlag<
  const Param extends keyof typeof EVENT_FLAG_TRIGGERS,
  const Attr extends `${string}Events`,
>(param: Param, attr: Attr, defaultValue: boolean | null, since?: string): AttributeSpec {
  return {
    param,
    attr,
    kind: 'boolean',
    trigger: EVENT_FLAG_TRIGGERS[param],
    ...(defaultValue === null ? {} : { default: defaultValue }),
    ...(since === undefined ? {} : { since }),
  };
}

type CommonSpec = (typeof COMMON_ATTRIBUTES)[number];

/**
 * A hook's settable attributes: the common ones, and its scope's event flags (`pushEvents`), which only the
 * scope's table names.
 */
export type HookAttributes = { [S in CommonSpec as S['attr']]: Kinds[S['kind']]['attribute'] } & {
  [flag: `${string}Events`]: boolean | null;
};

/** The declared, coerced hook parameters that were present (`declared_params(include_missing: false)`). */
export type HookParams = { [S in CommonSpec as S['param']]?: Kinds[S['kind']]['param'] } & {
  [flag: `${string}_events`]: boolean | undefined;
};

/**
 * Attributes or parameters read and written by name, for the code that walks the table. Each entry's value has
 * the type its kind gives, which the mapped types above state and the compiler cannot follow through a loop.
 */
export type ByName = Record<string, unknown>;
