import type { HookScopeTypes } from '../../upstream/hook-scope.ts';
import { GITLAB_MAX_PER_PAGE, type PaginationDto } from '../../upstream/types.ts';
import { badUserInput } from '../errors.ts';
import { type RequestHooks, WHOLE_LIST } from '../loaders/hook-collections.ts';
import {
  applyLast,
  encodeCursor,
  type PageRequest,
  planPages,
  type WindowArguments,
  windowRequest,
} from './page-window.ts';

/** GitLab's convention for a count it will not compute exactly: the limit plus one. */
export const COUNT_LIMIT = 10_000;

/** An edge of a connection over an offset-paged list; its cursor is encoded only if a query selects it. */
class OffsetEdge<Item> {
  constructor(
    readonly node: Item,
    private readonly position: number,
  ) {}

  get cursor(): string {
    return encodeCursor(this.position);
  }
}

interface Window {
  start: number;
  end: number;
}

/** One page of an offset-paged GitLab list. */
export interface OffsetPage<Item> {
  items: readonly Item[];
  pagination: PaginationDto;
}

/** A connection over a GitLab list: its edges, where it sits, and the list's length. */
export interface OffsetConnection<Item> {
  edges: OffsetEdge<Item>[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  count: number;
}

/**
 * The window the Relay arguments name over an offset-paged GitLab list, read with the fewest pages that cover
 * it, pages of at most `maxPerPage` (100 for hooks, 20 for a delivery log). `onPages` sees the pages read.
 */
export async function resolveOffsetWindow<Item>(
  readPage: (page: PageRequest) => Promise<OffsetPage<Item>>,
  args: WindowArguments,
  maxPerPage: number,
  onPages?: (pages: Promise<OffsetPage<Item>[]>) => void,
): Promise<OffsetConnection<Item>> {
  const request = windowRequest(args, maxPerPage);
  // `last` without `before`: the end of the list has to be known first.
  const listed =
    request.end === null ? await listLength(readPage) : { end: request.end, total: null as number | null };
  const window = applyLast(request.start, Math.max(request.start, listed.end), request.last);
  const pages = planPages(window.start, window.end, maxPerPage);
  const listing = Promise.all(pages.map(readPage));
  onPages?.(listing);
  return toConnection(window, pages, await listing, listed.total);
}

/**
 * A page of a collection's hooks (`systemHooks`): the window the Relay arguments name, read with the fewest GitLab
 * pages that cover it. The hooks those pages return also feed the request's loader, so hooks the same query
 * reads by id cost nothing.
 */
export function resolveHookPage<T extends HookScopeTypes>(hooks: RequestHooks<T>, args: WindowArguments) {
  return resolveOffsetWindow(
    async (page) => {
      const { hooks: items, pagination } = await hooks.api.listHooks(page);
      return { items, pagination };
    },
    args,
    GITLAB_MAX_PER_PAGE,
    (listing) => hooks.loader.track(listing.then((pages) => pages.flatMap((page) => page.items))),
  );
}

/**
 * A page of a project's or group's hooks. Their whole list is one page (at most 100 and 50 hooks, §2.4), read once
 * per request and shared with every other read of the parent's hooks, so any window is served from it; a list
 * longer than a page (a raised limit) is paged like `systemHooks`.
 */
export async function resolveParentHookPage<T extends HookScopeTypes>(
  hooks: RequestHooks<T>,
  args: WindowArguments,
) {
  const request = windowRequest(args);
  const whole = await hooks.api.listHooks(WHOLE_LIST);
  hooks.loader.track(Promise.resolve(whole.hooks));
  const complete = whole.pagination.nextPage === null && whole.hooks.length < GITLAB_MAX_PER_PAGE;
  if (!complete && (request.end === null || request.end > GITLAB_MAX_PER_PAGE)) {
    return resolveHookPage(hooks, args);
  }
  const end = request.end ?? whole.hooks.length;
  const window = applyLast(request.start, Math.max(request.start, end), request.last);
  const page = { items: whole.hooks, pagination: whole.pagination };
  return toConnection(window, [WHOLE_LIST], [page], complete ? whole.hooks.length : null);
}

async function listLength<Item>(
  readPage: (page: PageRequest) => Promise<OffsetPage<Item>>,
): Promise<{ end: number; total: number }> {
  const probe = await readPage({ page: 1, perPage: 1 });
  const total = probe.pagination.total;
  if (total === null) {
    throw badUserInput(
      `last without before needs the list's length, which GitLab omits above ${COUNT_LIMIT}`,
    );
  }
  return { end: total, total };
}

function toConnection<Item>(
  window: Window,
  pages: readonly PageRequest[],
  results: readonly OffsetPage<Item>[],
  knownTotal: number | null,
): OffsetConnection<Item> {
  const firstPage = pages[0] as PageRequest;
  const offset = (firstPage.page - 1) * firstPage.perPage;
  const fetched = results.flatMap((result) => result.items);
  const items = fetched.slice(window.start - offset, window.end - offset);
  const lastResult = results.at(-1);
  const total = lastResult?.pagination.total ?? knownTotal;
  const edges = items.map((item, index) => new OffsetEdge(item, window.start + index));
  const hasNextPage =
    total !== null
      ? window.end < total
      : fetched.length > window.end - offset || (lastResult?.pagination.nextPage ?? null) !== null;
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: window.start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    count: total ?? COUNT_LIMIT + 1,
  };
}
