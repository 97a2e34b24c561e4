import type { BoundHooksApi } from '../../upstream/bound-api.ts';
import {
  GROUP_HOOKS,
  type HookScope,
  type HookScopeTypes,
  type ParentArgs,
  PROJECT_HOOKS,
  SYSTEM_HOOKS,
} from '../../upstream/hook-scope.ts';
import { type ContainerDto, GITLAB_MAX_PER_PAGE } from '../../upstream/types.ts';
import {
  type BatchRead,
  createHookLoader,
  type HookLoader,
  type HookLoaderOptions,
  readEach,
} from './hook-by-id.ts';
import { readByPageWalk } from './page-walk.ts';

/**
 * How each scope reads a batch of ids. A scope not listed reads each id alone; the system scope walks GitLab's
 * list instead when that is cheaper, which only its complete, id-ordered list allows. A new scope with a
 * cheaper way of its own is added here.
 */
const BATCH_READS: ReadonlyMap<HookScope, BatchRead> = new Map([
  [SYSTEM_HOOKS as HookScope, readByPageWalk],
  [PROJECT_HOOKS as unknown as HookScope, readByWholeList],
  [GROUP_HOOKS as unknown as HookScope, readByWholeList],
]);

/** The page that holds a parent's whole list: a project has at most 100 hooks and a group 50 (§2.4). */
export const WHOLE_LIST = { page: 1, perPage: GITLAB_MAX_PER_PAGE } as const;

/**
 * A project's or group's batch: its whole list in one call (which the request's other reads of the list share),
 * then one `GET …/hooks/:id` for each id the list could not settle (a list longer than one page).
 */
async function readByWholeList(...[reads, ids, concurrency, found]: Parameters<BatchRead>): Promise<void> {
  let page: Awaited<ReturnType<typeof reads.listHooks>>;
  try {
    page = await reads.listHooks(WHOLE_LIST);
  } catch (error) {
    for (const id of ids) found.set(id, error instanceof Error ? error : new Error(String(error)));
    return;
  }
  for (const hook of page.hooks) if (ids.includes(hook.id)) found.set(hook.id, hook);
  const complete = page.pagination.nextPage === null && page.hooks.length < GITLAB_MAX_PER_PAGE;
  const unsettled = ids.filter((id) => !found.has(id));
  if (complete) for (const id of unsettled) found.set(id, null);
  else await readEach(reads, unsettled, concurrency, found);
}

/** A request's hooks of one collection: GitLab's API bound to the request, and the loader that reads through it. */
export interface RequestHooks<T extends HookScopeTypes = HookScopeTypes> {
  /**
   * GitLab's API of the collection for this request. Its reads of the parent and of the whole list are made
   * once per request and shared by every field that needs them.
   */
  readonly api: BoundHooksApi<T>;
  /** Hooks by id, as any read returned them (a project's list leaves out URL variables and custom headers). */
  readonly loader: HookLoader<T['hook']>;
  /** Hooks by id as `GET …/hooks/:id` returns them, whole; what it reads also feeds `loader`. */
  readonly detail: HookLoader<T['hook']>;
}

/** A request's hook collections, each made at its first use: one per scope and parent. */
export type HookCollections = (<T extends HookScopeTypes>(
  scope: HookScope<T>,
  ...parent: ParentArgs<T>
) => RequestHooks<T>) & {
  /**
   * The collection a hook entity was read through, so that a later read of the same hook goes where the first
   * did: a project reached by path and by id is two collections, and the hook's whole read is shared with
   * whichever the request used first. Undefined for an entity no read of this request returned.
   */
  originOf(hook: object): RequestHooks | undefined;
};

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
  const origins = new WeakMap<object, RequestHooks>();
  const parents = new ParentReads();
  const collectionOf = <T extends HookScopeTypes>(
    scope: HookScope<T>,
    ...parent: ParentArgs<T>
  ): RequestHooks<T> => {
    const key = parent.length === 0 ? scope.model : parentKey(scope, parent[0]);
    let hooks = collections.get(key) as RequestHooks<T> | undefined;
    if (hooks === undefined) {
      const record = (hook: object) => {
        if (!origins.has(hook)) origins.set(hook, hooks as unknown as RequestHooks);
      };
      const bound = bind(scope, ...parent);
      const api = scope.parent
        ? sharedReads(bound, record, () => parents.read(scope, key, bound.getParent))
        : bound;
      const loader = createHookLoader(api, options, BATCH_READS.get(scope as HookScope));
      const whole = {
        listHooks: api.listHooks,
        getHook: async (id: number) => {
          const hook = await api.getHook(id);
          loader.prime(hook);
          return hook;
        },
      };
      hooks = { api, loader, detail: createHookLoader(whole, options, readEach) };
      collections.set(key, hooks);
    }
    return hooks;
  };
  return Object.assign(collectionOf, { originOf: (hook: object) => origins.get(hook) });
}

/** A collection's key: its scope and its parent, a number or a path, neither of which holds a NUL. */
const parentKey = (scope: HookScope, parent: unknown) => `${scope.model}\0${String(parent)}`;

/**
 * The parents one request has read, by every name it may reach them by: a project read by its path is the project
 * its hooks name by id (`project(fullPath) { webhooks { nodes { project { name } } } }`), so that a read answered
 * under one name is filed under its id and its full path too, and the request asks GitLab once. Only a parent
 * GitLab returned is filed under its other names; a refusal stays with the name it answered.
 */
class ParentReads {
  private readonly reads = new Map<string, Promise<ContainerDto>>();

  read(scope: HookScope, key: string, ask: () => Promise<ContainerDto>): Promise<ContainerDto> {
    let read = this.reads.get(key);
    if (read === undefined) {
      read = ask();
      this.reads.set(key, read);
      read.then(
        (container) => {
          for (const name of [container.id, container.full_path]) {
            const other = parentKey(scope, name);
            if (!this.reads.has(other)) this.reads.set(other, read as Promise<ContainerDto>);
          }
        },
        () => {},
      );
    }
    return read;
  }
}

/**
 * The API with its parent read and its list pages made once per request: the parent's visibility, its fields,
 * its connection and a batch of its hooks by id all read the same answers. `parent` is the request's read of
 * the parent, shared with the collections that reach it by another name.
 */
function sharedReads<T extends HookScopeTypes>(
  api: BoundHooksApi<T>,
  record: (hook: object) => void,
  parent: () => Promise<ContainerDto>,
): BoundHooksApi<T> {
  const pages = new Map<string, ReturnType<BoundHooksApi<T>['listHooks']>>();
  const recorded = <Hook extends object>(hook: Hook) => {
    record(hook);
    return hook;
  };
  // A change to the collection makes the request's copy of its list stale: the next read of the list (a later
  // mutation's payload in the same operation) goes to GitLab again.
  const changing =
    <Args extends unknown[], Result>(call: (...args: Args) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      try {
        return await call(...args);
      } finally {
        pages.clear();
      }
    };
  return {
    ...api,
    deleteHook: changing(api.deleteHook),
    setUrlVariable: changing(api.setUrlVariable),
    deleteUrlVariable: changing(api.deleteUrlVariable),
    setCustomHeader: changing(api.setCustomHeader),
    deleteCustomHeader: changing(api.deleteCustomHeader),
    listHooks: (query) => {
      const key = `${query.page}/${query.perPage}`;
      let page = pages.get(key);
      if (page === undefined) {
        page = api.listHooks(query).then((answer) => {
          for (const hook of answer.hooks) record(hook);
          return answer;
        });
        pages.set(key, page);
      }
      return page;
    },
    getHook: async (id) => recorded(await api.getHook(id)),
    createHook: changing(async (params) => recorded(await api.createHook(params))),
    updateHook: changing(async (id, params) => recorded(await api.updateHook(id, params))),
    getParent: parent,
  };
}
