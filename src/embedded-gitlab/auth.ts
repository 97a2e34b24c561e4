/**
 * Token authentication as `Gitlab::Auth::AuthFinders` does it for the System Hooks API: a personal access token
 * from `private_token` (query or form), then the `PRIVATE-TOKEN` header, then `Authorization: Bearer`. Job
 * tokens are not accepted on these routes, so a `JOB-TOKEN` alone is simply no credential.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { forbidden, unauthorized } from './errors.ts';

export type Role = 'admin' | 'user';

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The credential GitLab would use, or null. An empty value counts as absent (`.presence`). */
export function findCredential(headers: IncomingHttpHeaders, params: Record<string, unknown>): string | null {
  const fromParam = params.private_token;
  if (typeof fromParam === 'string' && fromParam !== '') return fromParam;
  const fromHeader = firstHeader(headers['private-token']);
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  const authorization = firstHeader(headers.authorization);
  const bearer = authorization === undefined ? null : /^Bearer (.*)$/is.exec(authorization);
  if (bearer?.[1]) return bearer[1];
  return null;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Compares hashes of equal length, so neither the content nor the length of a token leaks through timing. */
function sameToken(candidate: Buffer, expected: Buffer): boolean {
  return timingSafeEqual(candidate, expected);
}

export interface Tokens {
  adminToken: string;
  userToken: string;
}

export function createAuthenticator(tokens: Tokens) {
  let admin = digest(tokens.adminToken);
  let user = digest(tokens.userToken);
  const roleOf = (credential: string | null): Role | null => {
    if (credential === null) return null;
    const candidate = digest(credential);
    // Both comparisons always run, so timing does not tell which role matched.
    const isAdmin = sameToken(candidate, admin);
    const isUser = sameToken(candidate, user);
    return isAdmin ? 'admin' : isUser ? 'user' : null;
  };
  /**
   * `authenticate!` then `authorize!`: 401 without a known credential, 403 unless its role is one of `roles`
   * (the administrator alone, for system hooks' `:read_web_hook` / `:admin_web_hook`).
   */
  const requireRole = (credential: string | null, roles: readonly Role[]): void => {
    const role = roleOf(credential);
    if (role === null) throw unauthorized();
    if (!roles.includes(role)) throw forbidden();
  };
  return {
    roleOf,
    requireRole,
    /** `requireRole` for the administrator alone (the control path). */
    requireAdmin: (credential: string | null): void => requireRole(credential, ['admin']),
    /** Replaces the tokens: from now on only these authenticate (a test revoking or demoting a credential). */
    setTokens(next: Tokens): void {
      admin = digest(next.adminToken);
      user = digest(next.userToken);
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
