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

import type {
  ContainerDto,
  GroupHookDto,
  GroupHookParamsDto,
  HookDto,
  HookParamsDto,
  MockDataDto,
  ProjectHookDto,
  ProjectHookParamsDto,
  TriggerTestDto,
} from './types.ts';
import { toContainer, toMockData, toTriggerTest } from './wire.ts';

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

/** The project or group a scope's hooks live under, and its own REST read. */
export interface HookParent<Parent> {
  /** What a message calls it: `project`. */
  readonly noun: string;
  /** Its model, as GitLab's global IDs name it: `Project`. */
  readonly model: string;
  /** Its read as a route template: `/projects/:id`. */
  readonly route: string;
  /** Its path, encoded (§4: a numeric id, or the full path URL-encoded): `/projects/group%2Fproject`. */
  path(parent: Parent): string;
  /** The field of a hook's entity that holds its numeric id: `project_id`. */
  readonly idField: string;
  /** Its entity, or `undefined` when GitLab's answer is not one. */
  read(json: unknown): ContainerDto | undefined;
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
  /** The parent its hooks live under; none for system hooks. @default none */
  readonly parent?: HookParent<T['parent']> | undefined;
  /** Whether its hooks keep a delivery log with resend (`…/hooks/:hook_id/events`). @default false */
  readonly eventLog?: boolean | undefined;
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

/** A project or group, as REST's `:id` takes it (§4): its numeric id, or its full path. */
export type ParentRef = number | string;

/**
 * Whether `path` can be a project's or group's full path in REST's `:id`: bounded, not dots alone (which a server
 * normalizing the path would take for another route), and free of control characters (no path has them).
 */
export function isWellFormedPath(path: string): boolean {
  if (path.length === 0 || path.length > 1024 || /^\.*$/.test(path)) return false;
  for (let index = 0; index < path.length; index++) {
    const code = path.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/** `:id` of a project or group, encoded; a `RangeError` for a value GitLab's route could not take as one. */
export function encodeParentRef(parent: ParentRef, noun: string): string {
  if (typeof parent === 'number' && Number.isSafeInteger(parent) && parent > 0) return String(parent);
  if (typeof parent === 'string' && isWellFormedPath(parent)) return encodeURIComponent(parent);
  throw new RangeError(`A ${noun} must be a positive id or a full path`);
}

/** GitLab's test triggers (§1.3): `push_events`, …; the path segment the test endpoint takes. */
const TRIGGER = /^[a-z][a-z_]{0,63}$/;

/** The test endpoint of project and group hooks: `POST …/hooks/:hook_id/test/:trigger`, `201 Created`. */
const TRIGGER_TEST: HookTestEndpoint<[trigger: string], TriggerTestDto> = {
  route: '/test/:trigger',
  path: (trigger) => {
    if (typeof trigger !== 'string' || !TRIGGER.test(trigger)) {
      throw new RangeError('A test trigger is a lower-case name such as push_events');
    }
    return `/test/${trigger}`;
  },
  read: toTriggerTest,
  expected: 'a test result',
};

/** The flags project and group hooks both start with, in the order of GitLab's entities. */
const LEADING_FLAGS = [
  'push_events',
  'tag_push_events',
  'merge_requests_events',
  'issues_events',
  'confidential_issues_events',
  'note_events',
  'confidential_note_events',
  'pipeline_events',
  'wiki_page_events',
] as const;

/** The project scope's types. */
export interface ProjectHookTypes {
  parent: ParentRef;
  hook: ProjectHookDto;
  params: ProjectHookParamsDto;
  testArgs: [trigger: string];
  testAnswer: TriggerTestDto;
}

/** The group scope's types. */
export interface GroupHookTypes {
  parent: ParentRef;
  hook: GroupHookDto;
  params: GroupHookParamsDto;
  testArgs: [trigger: string];
  testAnswer: TriggerTestDto;
}

/**
 * Project hooks (`lib/api/project_hooks.rb`, gitlab-webhooks-api.md §1.1): under a project, managed by its
 * Maintainers and Owners. The flags after the base three are `API::Entities::ProjectHook`'s, in its order.
 */
export const PROJECT_HOOKS: HookScope<ProjectHookTypes> = {
  model: 'ProjectHook',
  noun: 'project hook',
  route: '/projects/:id/hooks',
  path: (project) => `/projects/${encodeParentRef(project, 'project')}/hooks`,
  eventFlags: [
    ...LEADING_FLAGS,
    'deployment_events',
    'feature_flag_events',
    'job_events',
    'releases_events',
    'milestone_events',
    'emoji_events',
    'resource_access_token_events',
    'resource_deploy_token_events',
    'vulnerability_events',
  ],
  test: TRIGGER_TEST,
  parent: {
    noun: 'project',
    model: 'Project',
    route: '/projects/:id',
    path: (project) => `/projects/${encodeParentRef(project, 'project')}`,
    idField: 'project_id',
    read: (json) => toContainer(json, 'path_with_namespace'),
  },
  eventLog: true,
};

/** Group hooks (`ee/lib/api/group_hooks.rb`, §1.2): under a group, managed by its Owners (Premium). */
export const GROUP_HOOKS: HookScope<GroupHookTypes> = {
  model: 'GroupHook',
  noun: 'group hook',
  route: '/groups/:id/hooks',
  path: (group) => `/groups/${encodeParentRef(group, 'group')}/hooks`,
  eventFlags: [
    ...LEADING_FLAGS,
    'job_events',
    'deployment_events',
    'feature_flag_events',
    'releases_events',
    'milestone_events',
    'subgroup_events',
    'emoji_events',
    'resource_access_token_events',
    'member_events',
    'vulnerability_events',
    'project_events',
  ],
  test: TRIGGER_TEST,
  parent: {
    noun: 'group',
    model: 'Group',
    route: '/groups/:id',
    path: (group) => `/groups/${encodeParentRef(group, 'group')}`,
    idField: 'group_id',
    read: (json) => toContainer(json, 'full_path'),
  },
  eventLog: true,
};

/**
 * The test endpoint's triggers (§1.3): GitLab declares them as `ProjectHook.triggers.values`, the project hook's
 * event flags, and takes the same list for group hooks.
 */
export const TEST_TRIGGERS: readonly string[] = PROJECT_HOOKS.eventFlags;
