import type { HookScopeTypes } from '../../upstream/hook-scope.ts';
import type { HookDto, HookPageDto } from '../../upstream/types.ts';
import { badUserInput } from '../errors.ts';
import type { RequestHooks } from '../loaders/hook-collections.ts';
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

/** An edge of a hook connection (`systemHooks`); its cursor is encoded only if a query selects it. */
class HookEdge {
  constructor(
    readonly node: HookDto,
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

/**
 * A page of a collection's hooks (`systemHooks`): the window the Relay arguments name, read with the fewest GitLab
 * pages that cover it. The hooks those pages return also feed the request's loader, so hooks the same query
 * reads by id cost nothing.
 */
export async function resolveHookPage<T extends HookScopeTypes>(
  hooks: RequestHooks<T>,
  args: WindowArguments,
) {
  const request = windowRequest(args);
  // `last` without `before`: the end of the list has to be known first.
  const listed = request.end === null ? await listLength(hooks) : { end: request.end, total: null };
  const window = applyLast(request.start, Math.max(request.start, listed.end), request.last);
  const pages = planPages(window.start, window.end);
  const listing = Promise.all(pages.map((page) => hooks.api.listHooks(page)));
  hooks.loader.track(listing.then(hooksOf));
  return toConnection(window, pages, await listing, listed.total);
}

async function listLength<T extends HookScopeTypes>(
  hooks: RequestHooks<T>,
): Promise<{ end: number; total: number }> {
  const probe = await hooks.api.listHooks({ page: 1, perPage: 1 });
  const total = probe.pagination.total;
  if (total === null) {
    throw badUserInput(
      `last without before needs the list's length, which GitLab omits above ${COUNT_LIMIT}`,
    );
  }
  return { end: total, total };
}

function hooksOf<Hook extends HookDto>(results: readonly HookPageDto<Hook>[]): Hook[] {
  return results.flatMap((result) => result.hooks);
}

function toConnection(
  window: Window,
  pages: readonly PageRequest[],
  results: readonly HookPageDto[],
  knownTotal: number | null,
) {
  const firstPage = pages[0] as PageRequest;
  const offset = (firstPage.page - 1) * firstPage.perPage;
  const fetched = hooksOf(results);
  const hooks = fetched.slice(window.start - offset, window.end - offset);
  const lastResult = results.at(-1);
  const total = lastResult?.pagination.total ?? knownTotal;
  const edges = hooks.map((hook, index) => new HookEdge(hook, window.start + index));
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
