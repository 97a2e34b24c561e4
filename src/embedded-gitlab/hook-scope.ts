/**
 * Hook scopes, as this server plays them: what differs between GitLab's system hooks (`/hooks`), project hooks
 * (`/projects/:id/hooks`) and group hooks (`/groups/:id/hooks`). GitLab mounts the same `Hooks::UrlVariables`,
 * `Hooks::CustomHeaders` and `Hooks::Test` modules into each (docs/gitlab-contract.md §4) and shares one model
 * concern (`WebHooks::Hook`); a scope states the rest. The routes (`routes.ts`), the declared parameters
 * (`grape-params.ts`), the model (`hook-model.ts`), the entity (`hook-entity.ts`) and the store (`store.ts`) are
 * each written once over a scope. `system-hooks.ts` is the one scope served; a new one is a value like it, added
 * to `HOOK_SCOPES` in `routes.ts`.
 */
import type { Role } from './auth.ts';
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
  /** Who may read and manage its hooks (`authorize! :read_web_hook` / `:admin_web_hook`). */
  readonly managers: readonly Role[];
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
  /** Tests `hook`, which the endpoint has found, and answers as GitLab does. */
  handle(hook: StoredHook, request: ApiRequest, context: RouteContext): Promise<HttpAnswer>;
}
