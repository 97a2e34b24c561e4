import type { HookScope } from '../../upstream/hook-scope.ts';

/** The names and routes a scope's schema is written with, all read from its upstream value. */

/** `text` with its first letter in lower case: `createSystemHook` of `CreateSystemHook`. */
export function lowerFirst(text: string): string {
  return `${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

/** `systemHook` of `SystemHook`: the name of a field or payload member that holds one hook of the scope. */
export function hookFieldName(scope: HookScope): string {
  return lowerFirst(scope.model);
}

/** A REST route of a scope as descriptions quote it: `POST /api/v4/hooks`, `GET /api/v4/hooks/:id`. */
export function restRoute(scope: HookScope, method: string, below = ''): string {
  return `${method} /api/v4${scope.route}${below}`;
}
