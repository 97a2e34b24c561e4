/**
 * Hook scopes, as this server plays them: what differs between GitLab's system hooks (`/hooks`), project hooks
 * (`/projects/:id/hooks`) and group hooks (`/groups/:id/hooks`). GitLab mounts the same `Hooks::UrlVariables`,
 * `Hooks::CustomHeaders` and `Hooks::Test` modules into each (docs/gitlab-contract.md §4) and shares one model
 * concern (`WebHooks::Hook`); a scope states the rest. The routes (`routes.ts`), the declared parameters
 * (`grape-params.ts`), the model (`hook-model.ts`), the entity (`hook-entity.ts`) and the store (`store.ts`) are
 * each written once over a scope. `system-hooks.ts`, `project-hooks.ts` and `group-hooks.ts` are the scopes
 * served; a new one is a value like them, added to `HOOK_SCOPES` in `routes.ts`.
 */
import type { ParamErrors } from './grape-params.ts';
import type { AttributeSpec } from './hook-attributes.ts';
import type { StoredHook, Validation } from './hook-model.ts';
import type { HttpAnswer } from './http.ts';
import type { ApiRequest, RouteContext } from './routes.ts';

export interface HookScope {
  /** GitLab's model of the scope's hooks: `SystemHook`. */
  readonly model: string;
  /**
   * The collection's path after `/api/v4/`, in segments, `:name` capturing one: `hooks`, `projects/:id/hooks`.
   * A scope with a parent names it in its path.
   */
  readonly path: string;
  /** Its attributes in the order its API declares the parameters, event flags (with their defaults) included. */
  readonly attributes: readonly AttributeSpec[];
  /**
   * The container its hooks belong to, found from the path's `:id` (`user_project`, `user_group`) before
   * authorization: null for system hooks.
   */
  readonly parent: 'project' | 'group' | null;
  /**
   * The least role on the parent that may read and manage its hooks (`:read_web_hook` / `:admin_web_hook`: both
   * Maintainer for a project, Owner for a group); administrators always may. Null: administrators only.
   */
  readonly managerAccess: number | null;
  /** The entity's parent field (`project_id`, `group_id`), after the base entity's fields. */
  readonly parentField?: 'project_id' | 'group_id';
  /** Whether the list omits `url_variables` and `custom_headers` (`with_url_variables: false`, project hooks). */
  readonly listOmitsKeyValues?: boolean;
  /** The event flags the scope's entity adds after the base entity's, in its order (REST parameter names). */
  readonly entityFlags?: readonly string[];
  /** `Limitable`: the plan limit of hooks per parent, checked on create (§2.4). */
  readonly planLimit?: { readonly name: string; readonly count: number };
  /** The validations its model adds after the `WebHooks::Hook` concern's, in declaration order. */
  readonly validations: readonly Validation[];
  /** Whether its entity exposes `organization_id` (`if: ->(hook) { hook.is_a?(SystemHook) }`). */
  readonly inOrganization: boolean;
  readonly test: HookTestEndpoint;
}

/** A scope's `Hooks::Test` endpoint, below `<path>/:hook_id`. */
export interface HookTestEndpoint {
  /** The path below the hook: `''` for system hooks (`POST hooks/:hook_id`), `test/:trigger` elsewhere. */
  readonly path: string;
  /** Declares the path parameters beyond `hook_id` (`trigger`), adding Grape's messages to `errors`. */
  declare?(path: Readonly<Record<string, string>>, errors: ParamErrors, context: RouteContext): void;
  /**
   * Tests `hook`, which the endpoint has found under its parent (`hook.parentId`), and answers as GitLab does.
   * `path` holds the path parameters (`trigger`), percent-decoded and not yet validated.
   */
  handle(
    hook: StoredHook,
    request: ApiRequest,
    context: RouteContext,
    path: Readonly<Record<string, string>>,
    caller: { userId: number },
  ): Promise<HttpAnswer>;
}
