import type { SystemHookEventSource } from './events/catalogue.ts';
import { createHookLoader, type HookLoader, type HookLoaderOptions } from './loaders/hook-by-id.ts';
import { rethrowAsGraphQL, unauthenticated } from './schema/errors.ts';
import { isUpstreamError } from './upstream/errors.ts';
import {
  type CallOptions,
  type Credential,
  type HookDto,
  isWellFormedToken,
  type SystemHooksApi,
} from './upstream/types.ts';

/**
 * Per-request state. Everything a resolver reaches upstream through lives here and dies with the request,
 * so nothing read with one caller's credential can be served to another.
 */
export type UpstreamCall<T> = (api: SystemHooksApi, options: CallOptions) => Promise<T>;

/** GitLab's answer to bad input (400, 412, 422), as the sentences a mutation payload's `errors` carries. */
export class UserErrors {
  constructor(readonly messages: string[]) {}
}

export interface GatewayContext {
  /** Runs one upstream call with this request's credential and signal; failures come out as GraphQL errors. */
  upstream<T>(call: UpstreamCall<T>): Promise<T>;
  /** Like `upstream`, but GitLab's user errors come back as `UserErrors` instead of being thrown. */
  mutate<T>(call: UpstreamCall<T>): Promise<T | UserErrors>;
  /** Reads a hook by REST id through this request's loader: `null` when it does not exist. */
  loadHook(id: number): Promise<HookDto | null>;
  loaders: { hookById: HookLoader };
  /**
   * The system hook events that subscriptions read; undefined when the gateway receives none. `types` are
   * `SystemHookEventType` values (null: all); `after` is a cursor to resume after. The iteration ends when
   * `signal` aborts, which happens when the subscriber goes away.
   */
  events?:
    | {
        subscribe(
          args: { types: readonly string[] | null; after: string | null },
          signal: AbortSignal | undefined,
        ): AsyncIterable<SystemHookEventSource>;
      }
    | undefined;
}

export interface ContextDependencies {
  api: SystemHooksApi;
  /** Used for requests that bring no credential, only when the operator configured one (`GITLAB_TOKEN`). */
  defaultCredential?: Credential | undefined;
  loader?: HookLoaderOptions | undefined;
}

type CredentialResult = { credential: Credential | undefined } | { problem: string };

/** How the caller authenticated: `Authorization: Bearer <token>` or `PRIVATE-TOKEN: <token>`, as GitLab takes them. */
export function credentialFromHeaders(headers: Headers, fallback?: Credential): CredentialResult {
  const authorization = headers.get('authorization');
  const privateToken = headers.get('private-token');
  if (authorization !== null && privateToken !== null) {
    return { problem: 'Send one credential: either Authorization or PRIVATE-TOKEN, not both' };
  }
  if (authorization !== null) {
    const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
    if (!match) return { problem: 'The Authorization header must have the form "Bearer <token>"' };
    return checked({ scheme: 'bearer', token: match[1] as string });
  }
  if (privateToken !== null) return checked({ scheme: 'private-token', token: privateToken.trim() });
  return { credential: fallback };
}

function checked(credential: Credential): CredentialResult {
  return isWellFormedToken(credential.token) ? { credential } : { problem: 'The token is malformed' };
}

export function createContextFactory(deps: ContextDependencies) {
  return ({ request }: { request: Request }): GatewayContext => {
    const result = credentialFromHeaders(request.headers, deps.defaultCredential);
    const callOptions: CallOptions = {
      credential: 'credential' in result ? result.credential : undefined,
      // Yoga's signal is a lazy stand-in that becomes a native one only if `AbortSignal.any` (or undici) reads
      // it, and after that switch its own `aborted` and 'abort' listeners no longer follow the request. The
      // upstream client only ever listens to it (`addEventListener`, `aborted`, `reason`), which the stand-in
      // answers correctly and cheaply; undici gets a native signal of the client's own.
      signal: request.signal,
    };
    const hookById = createHookLoader(deps.api, callOptions, deps.loader);
    const run = async <T>(call: UpstreamCall<T>, collectUserErrors: boolean): Promise<T | UserErrors> => {
      if ('problem' in result) throw unauthenticated(result.problem);
      if (!callOptions.credential) {
        throw unauthenticated(
          'No credential: send "Authorization: Bearer <token>" or "PRIVATE-TOKEN: <token>"',
        );
      }
      try {
        return await call(deps.api, callOptions);
      } catch (error) {
        if (collectUserErrors && isUpstreamError(error) && error.isUserError)
          return new UserErrors(error.messages);
        rethrowAsGraphQL(error);
      }
    };
    const upstream = <T>(call: UpstreamCall<T>) => run(call, false) as Promise<T>;
    return {
      upstream,
      mutate: (call) => run(call, true),
      loadHook: (id) => upstream(() => hookById.load(id)),
      loaders: { hookById },
    };
  };
}
