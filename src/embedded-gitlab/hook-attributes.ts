/**
 * The attributes of a SystemHook, written once: the REST parameter, the model attribute it sets, and its kind.
 * The declared parameters of the API (`grape-params.ts`) and the model's defaults, copy, assignment and change
 * detection (`hook-model.ts`) all follow this table, in its order, which is the order GitLab declares them.
 */
import { SINCE } from './gitlab-version.ts';

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

interface AttributeSpec {
  /** The REST parameter, as `params :hook_parameters` names it. */
  param: string;
  /** The model attribute, in camelCase. */
  attr: string;
  kind: AttributeKind;
  /** The column default of a boolean or the strategy; the other kinds start as nil or `{}`. */
  default?: boolean | BranchFilterStrategy;
  /** The GitLab version that declares the parameter; an older one ignores it, as any undeclared parameter. */
  since?: string;
}

/**
 * `use :requires_url` / `use :optional_url`, then `params :hook_parameters`, in GitLab's order (the place of
 * 19.0's `signing_token` is UNCONFIRMED; it sits with `token`). The defaults are SystemHook's (the request
 * spec's "sets default values for events").
 */
export const HOOK_ATTRIBUTES = [
  { param: 'url', attr: 'url', kind: 'url' },
  { param: 'name', attr: 'name', kind: 'string' },
  { param: 'description', attr: 'description', kind: 'string' },
  { param: 'token', attr: 'token', kind: 'string' },
  { param: 'signing_token', attr: 'signingToken', kind: 'string', since: SINCE.standardWebhooks },
  { param: 'push_events', attr: 'pushEvents', kind: 'boolean', default: false },
  { param: 'tag_push_events', attr: 'tagPushEvents', kind: 'boolean', default: false },
  { param: 'merge_requests_events', attr: 'mergeRequestsEvents', kind: 'boolean', default: false },
  { param: 'repository_update_events', attr: 'repositoryUpdateEvents', kind: 'boolean', default: true },
  { param: 'enable_ssl_verification', attr: 'enableSslVerification', kind: 'boolean', default: true },
  { param: 'push_events_branch_filter', attr: 'pushEventsBranchFilter', kind: 'string' },
  { param: 'branch_filter_strategy', attr: 'branchFilterStrategy', kind: 'strategy', default: 'wildcard' },
  { param: 'url_variables', attr: 'urlVariables', kind: 'keyValues' },
  { param: 'custom_headers', attr: 'customHeaders', kind: 'keyValues' },
] as const satisfies readonly AttributeSpec[];

export type HookAttributeSpec = (typeof HOOK_ATTRIBUTES)[number];

/** A hook's settable attributes. */
export type HookAttributes = { [S in HookAttributeSpec as S['attr']]: Kinds[S['kind']]['attribute'] };

/** The declared, coerced hook parameters that were present (`declared_params(include_missing: false)`). */
export type HookParams = { [S in HookAttributeSpec as S['param']]?: Kinds[S['kind']]['param'] };

/**
 * Attributes or parameters read and written by name, for the code that walks the table. Each entry's value has
 * the type its kind gives, which the mapped types above state and the compiler cannot follow through a loop.
 */
export type ByName = Record<string, unknown>;
