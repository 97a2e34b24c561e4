/**
 * GitLab's offset pagination (`Gitlab::Pagination::OffsetPagination` over Kaminari) for `GET /hooks`.
 */
import { coerceInteger, INVALID, ParamErrors } from './grape-params.ts';
import { type ParamHash, paramHash, toQuery } from './rack-params.ts';

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 100;
/** Kaminari's `MAX_COUNT_LIMIT`: above it GitLab stops counting. */
const MAX_COUNT_LIMIT = 10_000;

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

/**
 * Slices `rows` (already in id order) for the request's `page` and `per_page` and builds GitLab's headers.
 * `params` are the request's parameters; `query` its query-string parameters, which the Link URLs repeat.
 * `baseUrl` is the external origin plus the request path.
 */
export function paginate<T>(
  rows: readonly T[],
  params: Record<string, unknown>,
  query: ParamHash,
  baseUrl: string,
): Page<T> {
  const errors = new ParamErrors();
  const requestedPage = coerceInteger(params.page);
  if (requestedPage === INVALID) errors.add('page is invalid');
  const requestedPerPage = coerceInteger(params.per_page);
  if (requestedPerPage === INVALID) errors.add('per_page is invalid');
  else if (requestedPerPage === 0) errors.add('per_page has a value not allowed');
  errors.throwIfAny();

  // Grape fills the defaults; Kaminari then clamps (negative per_page: default; page below 1: first page).
  const perPageParam = typeof requestedPerPage === 'number' ? requestedPerPage : DEFAULT_PER_PAGE;
  const perPage = perPageParam < 0 ? DEFAULT_PER_PAGE : Math.min(perPageParam, MAX_PER_PAGE);
  const page = typeof requestedPage === 'number' && requestedPage > 1 ? requestedPage : 1;

  const count = rows.length;
  const totalPages = Math.ceil(count / perPage);
  const offset = (page - 1) * perPage;
  const items = offset < count ? rows.slice(offset, offset + perPage) : [];
  const nextPage = page < totalPages ? page + 1 : null;
  const prevPage = page > 1 && page <= totalPages ? page - 1 : null;
  const lastPage = Math.max(totalPages, 1);
  const withCounts = count <= MAX_COUNT_LIMIT;

  // `params.merge(page:, per_page: params[:per_page]).to_query`: the requested per_page, not the clamped one.
  // The private_token parameter is left out so that a credential never travels back in a header.
  const linkParams = paramHash();
  for (const [key, value] of Object.entries(query)) if (key !== 'private_token') linkParams[key] = value;
  const href = (target: number) => {
    linkParams.page = String(target);
    linkParams.per_page = String(perPageParam);
    return `<${baseUrl}?${toQuery(linkParams)}>`;
  };
  const links: string[] = [];
  if (prevPage !== null) links.push(`${href(prevPage)}; rel="prev"`);
  if (nextPage !== null) links.push(`${href(nextPage)}; rel="next"`);
  links.push(`${href(1)}; rel="first"`);
  if (withCounts) links.push(`${href(lastPage)}; rel="last"`);

  const headers: Record<string, string> = {
    'x-per-page': String(perPage),
    'x-page': String(page),
    'x-next-page': nextPage === null ? '' : String(nextPage),
    'x-prev-page': prevPage === null ? '' : String(prevPage),
    link: links.join(', '),
  };
  if (withCounts) {
    headers['x-total'] = String(count);
    headers['x-total-pages'] = String(lastPage);
  }
  return { items, headers };
}
