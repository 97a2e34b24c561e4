/**
 * Token authentication as `Gitlab::Auth::AuthFinders` does it: a personal access token from `private_token`
 * (query or form), then the `PRIVATE-TOKEN` header, then `Authorization: Bearer`. Job tokens are not accepted on
 * these routes, so a `JOB-TOKEN` alone is simply no credential. Each token names a user and carries scopes
 * (`api`, `read_api`, ...), as GitLab's personal access tokens do.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, forbidden, unauthorized } from './errors.ts';
import { ADMIN_USER_ID, REGULAR_USER_ID } from './world.ts';

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

const digest = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** `Gitlab::Auth.all_available_scopes` (the ones a personal access token may carry). */
export const TOKEN_SCOPES = [
  'api',
  'read_api',
  'read_user',
  'create_runner',
  'manage_runner',
  'k8s_proxy',
  'self_rotate',
  'read_repository',
  'write_repository',
  'read_registry',
  'write_registry',
  'read_virtual_registry',
  'write_virtual_registry',
  'ai_features',
  'sudo',
  'admin_mode',
  'read_service_ping',
] as const;

export interface Tokens {
  adminToken: string;
  userToken: string;
}

/** Who a credential names, and what its token may do. */
export interface Identity {
  readonly userId: number;
  readonly scopes: readonly string[];
}

interface TokenRecord extends Identity {
  /** `YYYY-MM-DD`, or null for a token that never expires. */
  readonly expiresAt: string | null;
}

/** rack-oauth2's `Bearer::Forbidden` for a token whose scopes do not cover the request (SH §2.2). */
const insufficientScope = () =>
  new ApiError(403, {
    error: 'insufficient_scope',
    error_description: 'The request requires higher privileges than provided by the access token.',
    scope: 'api read_api',
  });

const tokenExpired = () =>
  new ApiError(401, {
    error: 'invalid_token',
    error_description: 'Token is expired. You can either do re-authorization or token refresh.',
  });

/** `allow_access_with_scope :api` and `:read_api, if: request.get? || request.head?`. */
function scopesAllow(scopes: readonly string[], method: string): boolean {
  return scopes.includes('api') || (scopes.includes('read_api') && (method === 'GET' || method === 'HEAD'));
}

/**
 * Personal access tokens by the SHA-256 of their value: a lookup by a hash of the candidate tells nothing about
 * a stored token through timing, as no stored value is compared byte by byte with the candidate.
 */
export function createAuthenticator(tokens: Tokens, users: { isAdmin(userId: number): boolean }) {
  const records = new Map<string, TokenRecord>();
  let configured: Tokens = tokens;
  const setConfigured = (next: Tokens): void => {
    records.delete(digest(configured.adminToken));
    records.delete(digest(configured.userToken));
    configured = next;
    records.set(digest(next.adminToken), { userId: ADMIN_USER_ID, scopes: ['api'], expiresAt: null });
    records.set(digest(next.userToken), { userId: REGULAR_USER_ID, scopes: ['api'], expiresAt: null });
  };
  setConfigured(tokens);

  /** The token's identity, or null for an unknown one; its scopes are not checked. */
  const identify = (credential: string | null): Identity | null =>
    credential === null ? null : (records.get(digest(credential)) ?? null);

  /**
   * `authenticate!`: 401 without a known, unexpired credential, 403 `insufficient_scope` when its scopes do not
   * allow the method.
   */
  const authenticate = (credential: string | null, method: string): Identity => {
    const record = credential === null ? undefined : records.get(digest(credential));
    if (record === undefined) throw unauthorized();
    if (record.expiresAt !== null && record.expiresAt <= new Date().toISOString().slice(0, 10)) {
      throw tokenExpired();
    }
    if (!scopesAllow(record.scopes, method)) throw insufficientScope();
    return record;
  };

  /** The identity of a credential that may be absent (public reads), checked as `authenticate` does. */
  const optionalUser = (credential: string | null, method: string): Identity | null =>
    credential === null ? null : authenticate(credential, method);

  return {
    identify,
    authenticate,
    optionalUser,
    /** `authenticated_as_admin!`: 401, then 403 unless the user is an administrator. */
    requireAdmin(credential: string | null, method = 'POST'): Identity {
      const identity = authenticate(credential, method);
      if (!users.isAdmin(identity.userId)) throw forbidden();
      return identity;
    },
    /** A new personal access token of the user; the value is returned once and only its hash is kept. */
    addToken(userId: number, scopes: readonly string[], expiresAt: string | null): string {
      const value = `glpat-${randomBytes(20).toString('base64url')}`;
      records.set(digest(value), { userId, scopes: [...scopes], expiresAt });
      return value;
    },
    /**
     * Replaces the administrator's and the regular user's configured tokens: from now on only these (and the
     * tokens made through the API) authenticate (a test revoking or demoting a credential).
     */
    setTokens(next: Tokens): void {
      setConfigured(next);
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
