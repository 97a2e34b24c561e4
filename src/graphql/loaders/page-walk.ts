import { GITLAB_MAX_PER_PAGE, type HookDto, type HookPageDto } from '../../upstream/types.ts';
import { asError, type BatchFindings, type BatchRead, type HookReads, readEach } from './hook-by-id.ts';

/**
 * The system scope's batch read, the cheaper of two ways:
 *
 * - one `GET /hooks/:id` per id, in parallel under a concurrency cap (`readEach`); or
 * - walking `GET /hooks?per_page=100`. GitLab lists every system hook, ordered by id, and ids are distinct
 *   positive integers, so the hook with id `n` sits at position `n` or earlier: it is on page `ceil(n / 100)` at
 *   the latest. The walk therefore needs at most `ceil(maxId / 100)` pages, and stops early when the list ends.
 *
 * The walk is chosen when that bound is lower than the number of ids. Page 1 is read first (it tells how many
 * pages there are); the pages still needed are then read in parallel. Ids past the walk's end are read singly.
 * A project's or group's few hooks carry ids of the whole instance, so the bound would rarely be low for them.
 */
export const readByPageWalk: BatchRead = async (reads, wanted, concurrency, found) => {
  const pagesBound = Math.ceil(Math.max(...wanted) / GITLAB_MAX_PER_PAGE);
  const singles = pagesBound < wanted.length ? await walkPages(reads, wanted, pagesBound, found) : wanted;
  await readEach(reads, singles, concurrency, found);
};

/**
 * Reads the pages that can hold the wanted ids, records what it finds (and `null` for ids it proves absent),
 * and returns the ids it could not settle: those past the end of a page that was full when read.
 */
async function walkPages<Hook extends HookDto>(
  reads: HookReads<Hook>,
  wanted: readonly number[],
  pagesBound: number,
  found: BatchFindings<Hook>,
): Promise<readonly number[]> {
  let pages: HookPageDto<Hook>[];
  try {
    pages = await readPages(reads, pagesBound);
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
  found: BatchFindings,
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
async function readPages<Hook extends HookDto>(
  reads: HookReads<Hook>,
  pagesBound: number,
): Promise<HookPageDto<Hook>[]> {
  const readPage = (page: number) => reads.listHooks({ page, perPage: GITLAB_MAX_PER_PAGE });
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

function range(from: number, to: number): number[] {
  return to < from ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
