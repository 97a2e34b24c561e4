/**
 * Hook scopes: what differs between GitLab's hook collections. GitLab serves one hook entity, one set of hook
 * parameters and the same mounted `Hooks::UrlVariables` and `Hooks::CustomHeaders` modules under `/hooks`
 * (system hooks), `/projects/:id/hooks` and `/groups/:id/hooks`; a scope states the rest: where its hooks live
 * and under which parent, the event flags they add, their test endpoint, and GitLab's model name, which
 * GitLab's global IDs carry. The REST calls (`hooks-api.ts`), the wire checks (`wire.ts`) and the per-request
 * binding (`bound-api.ts`) are each written once over a scope.
 *
 * A new scope is a value below with its types (`HookScopeTypes`): its parent, its entity and parameters (the
 * base ones and its flags), and what its test endpoint takes and answers.
 */

import type { HookDto, HookParamsDto, MockDataDto } from './types.ts';
import { toMockData } from './wire.ts';

/** The types a scope's REST calls carry. */
export interface HookScopeTypes {
  /** What its hooks live under: `undefined` for system hooks; a project's or group's id or full path. */
  parent: unknown;
  /** Its entity: GitLab's `API::Entities::Hook` (`HookDto`), and the fields the scope adds. */
  hook: HookDto;
  /** Its `POST` and `PUT` parameters. */
  params: object;
  /** What its test endpoint takes after the hook's id. */
  testArgs: unknown[];
  /** What its test endpoint answers. */
  testAnswer: unknown;
}

/** The arguments that name a scope's parent: none for a scope without one. */
export type ParentArgs<T extends HookScopeTypes> = undefined extends T['parent'] ? [] : [parent: T['parent']];

/** The REST name of an event flag a scope's hooks take as a parameter and carry in their entity. */
export type EventFlag<T extends HookScopeTypes> = keyof T['params'] & `${string}_events`;

/** The types of any scope, for code that takes every scope alike. */
type AnyHookScopeTypes = HookScopeTypes & { params: Record<string, unknown> };

/** A scope's test endpoint, below `…/hooks/:hook_id`. */
export interface HookTestEndpoint<Args extends unknown[], Answer> {
  /** Its route below the hook: `''` for system hooks (`POST /hooks/:hook_id`), `/test/:trigger` elsewhere. */
  readonly route: string;
  /** Its path below the hook for `args`, encoded; a `RangeError` for arguments it will not send. */
  path(...args: Args): string;
  /** The answer, or `undefined` when GitLab's answer is not one. */
  read(json: unknown): Answer | undefined;
  /** What the answer should have been, for the error when it is not. */
  readonly expected: string;
}

export interface HookScope<T extends HookScopeTypes = AnyHookScopeTypes> {
  /** GitLab's model of the scope's hooks, which GitLab's global IDs name: `SystemHook`. */
  readonly model: string;
  /** What a message calls one of its hooks: `system hook`. */
  readonly noun: string;
  /** The collection as a route template, the same for every parent: `/hooks`, `/projects/:id/hooks`. */
  readonly route: string;
  /** The collection's path under `parent`, encoded: `/hooks`, `/projects/42/hooks`. */
  path(parent: T['parent']): string;
  /** The event flags of its hooks, in GitLab's order; those `HookDto` lacks are checked as flags too. */
  readonly eventFlags: readonly EventFlag<T>[];
  readonly test: HookTestEndpoint<T['testArgs'], T['testAnswer']>;
}

/** The system scope's types: no parent, the base entity and parameters, a test that takes nothing. */
export interface SystemHookTypes {
  parent: undefined;
  hook: HookDto;
  params: HookParamsDto;
  testArgs: [];
  testAnswer: MockDataDto;
}

/**
 * System hooks (`lib/api/system_hooks.rb`, docs/gitlab-contract.md §4): instance-wide, under no parent. GitLab
 * lists them all by id, which the gateway's loader relies on (`graphql/loaders/page-walk.ts`).
 */
export const SYSTEM_HOOKS: HookScope<SystemHookTypes> = {
  model: 'SystemHook',
  noun: 'system hook',
  route: '/hooks',
  path: () => '/hooks',
  eventFlags: ['push_events', 'tag_push_events', 'merge_requests_events', 'repository_update_events'],
  // `POST /hooks/:hook_id` delivers a fixed `project_create` event and answers with it.
  test: { route: '', path: () => '', read: toMockData, expected: 'the sample event' },
};
