import DataLoader from 'dataloader';
import type { BoundSystemHooksApi } from '../../upstream/bound-api.ts';
import { isUpstreamError } from '../../upstream/errors.ts';
import { GITLAB_MAX_PER_PAGE, type HookDto, type HookPageDto } from '../../upstream/types.ts';

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
  /** Told the size of each batch the loader serves, for metrics. It must not throw. @default none */
  onBatch?: ((size: number) => void) | undefined;
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

export function createHookLoader(gitlab: BoundSystemHooksApi, options: HookLoaderOptions = {}): HookLoader {
  const concurrency = options.concurrency ?? 8;
  const onBatch = options.onBatch;
  const pendingLists = new Set<Promise<unknown>>();
  const listed = new Map<number, HookDto>();
  const loader = new DataLoader<number, HookDto | null>(
    async (ids) => {
      onBatch?.(ids.length);
      if (pendingLists.size > 0) await Promise.allSettled(pendingLists);
      const unlisted = ids.filter((id) => !listed.has(id));
      const loaded = unlisted.length > 0 ? await loadHooks(gitlab, unlisted, concurrency) : [];
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

/** What one batch learnt of each id: the hook, `null` for one proved absent, or the error that hid it. */
type Found = Map<number, HookDto | null | Error>;

async function loadHooks(
  gitlab: BoundSystemHooksApi,
  ids: readonly number[],
  concurrency: number,
): Promise<Array<HookDto | null | Error>> {
  const wanted = [...new Set(ids)];
  const found: Found = new Map();
  const pagesBound = Math.ceil(Math.max(...wanted) / GITLAB_MAX_PER_PAGE);
  const singles = pagesBound < wanted.length ? await walkPages(gitlab, wanted, pagesBound, found) : wanted;
  await getSingles(gitlab, singles, concurrency, found);
  return ids.map((id) => found.get(id) ?? null);
}

/**
 * Reads the pages that can hold the wanted ids, records what it finds (and `null` for ids it proves absent),
 * and returns the ids it could not settle: those past the end of a page that was full when read.
 */
async function walkPages(
  gitlab: BoundSystemHooksApi,
  wanted: number[],
  pagesBound: number,
  found: Found,
): Promise<number[]> {
  let pages: HookPageDto[];
  try {
    pages = await readPages(gitlab, pagesBound);
  } catch (error) {
    for (const id of wanted) found.set(id, asError(error));
    return [];
  }
  const wantedSet = new Set(wanted);
  for (const { hooks } of pages) {
    for (const hook of hooks) if (wantedSet.has(hook.id)) found.set(hook.id, hook);
  }
  return settleAbsent(wanted, coverage(pages), found);
}

/**
 * Records `null` for the wanted ids the pages prove absent (the list ended, or a later id was seen), and returns
 * those they cannot settle.
 */
function settleAbsent(
  wanted: readonly number[],
  { coveredUpTo, listEnded }: { coveredUpTo: number; listEnded: boolean },
  found: Found,
): number[] {
  const unsettled: number[] = [];
  for (const id of wanted) {
    if (found.has(id)) continue;
    if (listEnded || id < coveredUpTo) found.set(id, null);
    else unsettled.push(id);
  }
  return unsettled;
}

/** Page 1, which tells how many pages there are, then the others up to `pagesBound` in parallel. */
async function readPages(gitlab: BoundSystemHooksApi, pagesBound: number): Promise<HookPageDto[]> {
  const readPage = (page: number) => gitlab.listHooks({ page, perPage: GITLAB_MAX_PER_PAGE });
  const first = await readPage(1);
  // Without `X-Total-Pages` (GitLab omits it above 10,000 rows), only whether a next page exists is known.
  const knownLast =
    first.pagination.totalPages ?? (first.pagination.nextPage === null ? 1 : Number.POSITIVE_INFINITY);
  const rest = await Promise.all(range(2, Math.min(pagesBound, knownLast)).map(readPage));
  return [first, ...rest];
}

/** The highest id the pages reached, and whether one of them was the list's last. */
function coverage(pages: readonly HookPageDto[]): { coveredUpTo: number; listEnded: boolean } {
  let coveredUpTo = 0;
  let listEnded = false;
  for (const { hooks, pagination } of pages) {
    coveredUpTo = Math.max(coveredUpTo, hooks.at(-1)?.id ?? 0);
    if (hooks.length < GITLAB_MAX_PER_PAGE || pagination.nextPage === null) listEnded = true;
  }
  return { coveredUpTo, listEnded };
}

async function getSingles(
  gitlab: BoundSystemHooksApi,
  ids: number[],
  concurrency: number,
  found: Found,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as number;
      try {
        found.set(id, await gitlab.getHook(id));
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
