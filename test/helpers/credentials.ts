/**
 * The credentials of every test, and the headers that carry them: one place, so that the servers a test starts
 * and the requests it sends agree. Test values, not secrets.
 */

/** The embedded GitLab's administrator token: the one credential the System Hooks API accepts. */
export const ADMIN_TOKEN = 'glpat-admin-test-token-0001';
/** A token of a user who is not an administrator: authenticated, then refused with 403. */
export const USER_TOKEN = 'glpat-user-test-token-0002';

/** The `PRIVATE-TOKEN` header carrying `token`; no header for `null`. */
export function credentialHeaders(token: string | null = ADMIN_TOKEN): Record<string, string> {
  return token === null ? {} : { 'private-token': token };
}

/** The headers of a GraphQL-over-HTTP POST of JSON, with `token` in `PRIVATE-TOKEN` (none for `null`). */
export function graphqlHeaders(token: string | null = ADMIN_TOKEN): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
    ...credentialHeaders(token),
  };
}
