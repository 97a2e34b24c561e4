import DataLoader from 'dataloader';
import { isUpstreamError } from '../upstream/errors.ts';
import type { CallOptions, HookDto, SystemHooksApi } from '../upstream/types.ts';

/**
 * GitLab has no batch read for hooks, so a batch of ids is served the cheaper of two ways:
 *
 * - one `GET /hooks/:id` per id, in parallel under a concurrency cap; or
 * - walking `GET /hooks?per_page=100`. GitLab orders the list by id, and ids are distinct positive integers,
 *   so the hook with id `n` sits at position `n` or earlier: it is on page `ceil(n / 100)` at the latest.
 *   The walk therefore needs at most `ceil(maxId / 100)` pages, and stops early when the list ends.
 *
 * The walk is chosen when that bound is lower than the number of ids. Page 1 is read first (it tells how many
 * pages there are); the pages still needed are then read in parallel. Ids past the walk's end are read singly.
 */

/** GitLab's largest page. */
export const WALK_PAGE_SIZE = 100;

export interface HookLoaderOptions {
  /**
   * How many `GET /hooks/:id` calls one batch may have in flight at once.
   * @default 8
   */
  concurrency?: number;
  /**
   * The most ids one batch holds; larger loads are split into several batches.
   * @default 100
   */
  maxBatchSize?: number;
}

/**
 * A request's reader of hooks by REST id. A hook that does not exist reads as `null`. Lists of the same request
 * feed it: reads batched while a list call is in flight wait for that list and take what it returned, so
 * `{ systemHooks { ... } systemHook(id: ...) { ... } }` costs the list alone when the list holds the hook.
 */
export interface HookLoader {
  load(id: number): Promise<HookDto | null>;
  /** Records a hook GitLab returned (a list, a create, an update). */
  prime(hook: HookDto): void;
  /** Records that a hook no longer exists. */
  primeMissing(id: number): void;
  /** Drops what is known of a hook after a change GitLab answered without the hook. */
  forget(id: number): void;
  /** Registers a list call of this request; its hooks prime the reader when it answers. */
  track(list: Promise<readonly HookDto[]>): void;
}

export function createHookLoader(
  api: SystemHooksApi,
  callOptions: CallOptions,
  options: HookLoaderOptions = {},
): HookLoader {
  const concurrency = options.concurrency ?? 8;
  const pendingLists = new Set<Promise<unknown>>();
  const listed = new Map<number, HookDto>();
  const loader = new DataLoader<number, HookDto | null>(
    async (ids) => {
      if (pendingLists.size > 0) await Promise.allSettled(pendingLists);
      const unlisted = ids.filter((id) => !listed.has(id));
      const loaded = unlisted.length > 0 ? await loadHooks(api, callOptions, unlisted, concurrency) : [];
      const byId = new Map(unlisted.map((id, i) => [id, loaded[i]]));
      return ids.map((id) => listed.get(id) ?? byId.get(id) ?? null);
    },
    { maxBatchSize: options.maxBatchSize ?? 100 },
  );
  const prime = (hook: HookDto) => {
    listed.set(hook.id, hook);
    loader.clear(hook.id).prime(hook.id, hook);
  };
  return {
    load: (id) => loader.load(id),
    prime,
    primeMissing: (id) => {
      listed.delete(id);
      loader.clear(id).prime(id, null);
    },
    forget: (id) => {
      listed.delete(id);
      loader.clear(id);
    },
    track: (list) => {
      const settled = list.then(
        (hooks) => {
          for (const hook of hooks) prime(hook);
        },
        () => {},
      );
      pendingLists.add(settled);
      void settled.finally(() => pendingLists.delete(settled));
    },
  };
}

async function loadHooks(
  api: SystemHooksApi,
  callOptions: CallOptions,
  ids: readonly number[],
  concurrency: number,
): Promise<Array<HookDto | null | Error>> {
  const wanted = [...new Set(ids)];
  const found = new Map<number, HookDto | null | Error>();
  const maxId = Math.max(...wanted);
  const pagesBound = Math.ceil(maxId / WALK_PAGE_SIZE);
  const singles =
    pagesBound < wanted.length ? await walkPages(api, callOptions, wanted, pagesBound, found) : wanted;
  await getSingles(api, callOptions, singles, concurrency, found);
  return ids.map((id) => found.get(id) ?? null);
}

/**
 * Reads the pages that can hold the wanted ids, records what it finds (and `null` for ids it proves absent),
 * and returns the ids it could not settle: those past the end of a page that was full when read.
 */
async function walkPages(
  api: SystemHooksApi,
  callOptions: CallOptions,
  wanted: number[],
  pagesBound: number,
  found: Map<number, HookDto | null | Error>,
): Promise<number[]> {
  const wantedSet = new Set(wanted);
  const readPage = (page: number) => api.listHooks({ page, perPage: WALK_PAGE_SIZE }, callOptions);
  let pages: Awaited<ReturnType<typeof readPage>>[];
  try {
    const first = await readPage(1);
    const lastPage = Math.min(
      pagesBound,
      first.pagination.totalPages ?? lastPageFromNext(first.pagination, 1),
    );
    const rest = await Promise.all(range(2, lastPage).map(readPage));
    pages = [first, ...rest];
  } catch (error) {
    for (const id of wanted) found.set(id, asError(error));
    return [];
  }
  let coveredUpTo = 0;
  let listEnded = false;
  for (const { hooks, pagination } of pages) {
    for (const hook of hooks) if (wantedSet.has(hook.id)) found.set(hook.id, hook);
    const last = hooks.at(-1);
    if (last) coveredUpTo = Math.max(coveredUpTo, last.id);
    if (hooks.length < WALK_PAGE_SIZE || pagination.nextPage === null) listEnded = true;
  }
  const unsettled: number[] = [];
  for (const id of wanted) {
    if (found.has(id)) continue;
    if (listEnded || id < coveredUpTo) found.set(id, null);
    else unsettled.push(id);
  }
  return unsettled;
}

/** Without `X-Total-Pages` (GitLab omits it above 10,000 rows), only whether a next page exists is known. */
function lastPageFromNext(pagination: { nextPage: number | null }, page: number): number {
  return pagination.nextPage === null ? page : Number.POSITIVE_INFINITY;
}

async function getSingles(
  api: SystemHooksApi,
  callOptions: CallOptions,
  ids: number[],
  concurrency: number,
  found: Map<number, HookDto | null | Error>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as number;
      try {
        found.set(id, await api.getHook(id, callOptions));
      } catch (error) {
        found.set(id, isUpstreamError(error) && error.code === 'NOT_FOUND' ? null : asError(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
}

function range(from: number, to: number): number[] {
  return to < from ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
