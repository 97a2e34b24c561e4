import type { BoundHooksApi } from '../../upstream/bound-api.ts';
import {
  type HookScope,
  type HookScopeTypes,
  type ParentArgs,
  SYSTEM_HOOKS,
} from '../../upstream/hook-scope.ts';
import { type BatchRead, createHookLoader, type HookLoader, type HookLoaderOptions } from './hook-by-id.ts';
import { readByPageWalk } from './page-walk.ts';

/**
 * How each scope reads a batch of ids. A scope not listed reads each id alone; the system scope walks GitLab's
 * list instead when that is cheaper, which only its complete, id-ordered list allows. A new scope with a
 * cheaper way of its own is added here.
 */
const BATCH_READS: ReadonlyMap<HookScope, BatchRead> = new Map([[SYSTEM_HOOKS as HookScope, readByPageWalk]]);

/** A request's hooks of one collection: GitLab's API bound to the request, and the loader that reads through it. */
export interface RequestHooks<T extends HookScopeTypes = HookScopeTypes> {
  readonly api: BoundHooksApi<T>;
  readonly loader: HookLoader<T['hook']>;
}

/** A request's hook collections, each made at its first use: one per scope and parent. */
export type HookCollections = <T extends HookScopeTypes>(
  scope: HookScope<T>,
  ...parent: ParentArgs<T>
) => RequestHooks<T>;

/**
 * The hook collections of one request, keyed by scope and parent, so that every read of one collection in the
 * request goes through one loader. `bind` gives a collection's API bound to the request.
 */
export function createHookCollections(
  bind: <T extends HookScopeTypes>(scope: HookScope<T>, ...parent: ParentArgs<T>) => BoundHooksApi<T>,
  options: HookLoaderOptions | undefined,
): HookCollections {
  // Each entry is the `RequestHooks` of the scope and parent its key names.
  const collections = new Map<string, unknown>();
  return <T extends HookScopeTypes>(scope: HookScope<T>, ...parent: ParentArgs<T>): RequestHooks<T> => {
    // A parent is a number or a path, neither of which holds a NUL.
    const key = parent.length === 0 ? scope.model : `${scope.model}\0${String(parent[0])}`;
    let hooks = collections.get(key) as RequestHooks<T> | undefined;
    if (hooks === undefined) {
      const api = bind(scope, ...parent);
      hooks = { api, loader: createHookLoader(api, options, BATCH_READS.get(scope as HookScope)) };
      collections.set(key, hooks);
    }
    return hooks;
  };
}
