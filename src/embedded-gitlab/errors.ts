/**
 * GitLab's three error body shapes (docs/gitlab-contract.md §1). Handlers throw these; the server turns them into responses.
 */

/** A response GitLab would give instead of the normal one: a status and a JSON body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    /** Headers the answer carries besides the body's, such as a 429's `retry-after`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(`GitLab API error ${status}`);
    this.name = 'ApiError';
  }
}

/** `render_api_error!`: `{"message": "<string>"}` or `{"message": {"<attr>": [...]}}`. */
export function messageError(status: number, message: string | Record<string, string[]>): ApiError {
  return new ApiError(status, { message });
}

/** Grape's `error!`: `{"error": "<string>"}`. */
export function grapeError(status: number, error: string): ApiError {
  return new ApiError(status, { error });
}

export const unauthorized = (): ApiError => messageError(401, '401 Unauthorized');
export const forbidden = (): ApiError => messageError(403, '403 Forbidden');
/** `ActiveRecord::RecordNotFound` as `lib/api/api.rb` rescues it: lower-case "found". */
export const recordNotFound = (): ApiError => messageError(404, '404 Not found');
/** The catch-all route of `lib/api/api.rb`. */
export const routeNotFound = (): ApiError => grapeError(404, '404 Not Found');
