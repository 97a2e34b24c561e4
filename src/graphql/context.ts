import { type CredentialWatchOptions, createCredentialWatch } from '../events/credential-watch.ts';
import {
  type EventSubscriptionOptions,
  type EventSubscriptionRequest,
  openEventSubscription,
  type ScopedEventSubscription,
} from '../events/subscriptions.ts';
import type { SystemHookEventSource } from '../events/types.ts';
import { bindHooksApi, type CallGuard } from '../upstream/bound-api.ts';
import { SYSTEM_HOOKS } from '../upstream/hook-scope.ts';
import { createRequestGuard } from '../upstream/request-guard.ts';
import {
  type CallOptions,
  type Credential,
  type GitLabHooksApi,
  isWellFormedToken,
  type UpstreamTally,
} from '../upstream/types.ts';
import { unauthenticated, upstreamCallsExceeded } from './errors.ts';
import type { HookLoaderOptions } from './loaders/hook-by-id.ts';
import { createHookCollections, type HookCollections } from './loaders/hook-collections.ts';

/**
 * Per-request state. Everything a resolver reaches GitLab through lives here and dies with the request, so
 * nothing read with one caller's credential can be served to another.
 */
export interface GatewayContext {
  /**
   * This request's hooks of one collection: a scope, and the parent its hooks live under (system hooks have
   * none), made at first use. `api` is GitLab's API of the collection with this request's credential and signal
   * applied; `loader` reads its hooks by id through it. A call without a usable credential is refused with
   * `UNAUTHENTICATED` before anything is sent; so is every call after GitLab refused the credential
   * (`createRequestGuard`), and every call past `maxUpstreamCalls` with `QUERY_LIMIT_EXCEEDED`, whichever
   * collection it is of. A failed call rejects with the client's `UpstreamError`, which a mutation payload or the
   * gateway's error masking turns into what the client sees.
   */
  hooks: HookCollections;
  /**
   * The system hook events that subscriptions read; undefined when the gateway receives none. Only events of
   * `types` are yielded, `SystemHookEventType` values (null: all); `after` is a cursor to resume after. Only an
   * instance administrator may subscribe. The iteration ends when `signal` aborts, which happens when the
   * subscriber goes away. A `ScopedEventSubscription` is served by the grouped fan-out; any other iterable
   * (a test's) by ordinary per-subscriber execution.
   */
  events?:
    | {
        subscribe(
          args: EventSubscriptionRequest,
          signal: AbortSignal | undefined,
        ):
          | ScopedEventSubscription
          | AsyncIterable<SystemHookEventSource>
          | Promise<ScopedEventSubscription | AsyncIterable<SystemHookEventSource>>;
      }
    | undefined;
}

export interface ContextDependencies {
  api: GitLabHooksApi;
  /** Used for requests that bring no credential, only when the operator configured one (`GITLAB_TOKEN`). */
  defaultCredential?: Credential | undefined;
  loader?: HookLoaderOptions | undefined;
  /**
   * GitLab calls one HTTP request may make, the operations of a batch together; over WebSocket, one operation
   * (`MAX_UPSTREAM_CALLS`).
   */
  maxUpstreamCalls: number;
  /**
   * Where subscriptions read system hook events, how often and how strictly a subscriber's credential is checked
   * again, and how many subscriptions may be open.
   */
  events?:
    | (Pick<EventSubscriptionOptions, 'store' | 'observer'> & Omit<CredentialWatchOptions, 'api'>)
    | undefined;
  /**
   * The request's id, sent to GitLab as `x-request-id`, and where its GitLab calls are counted (the access
   * log's). @default none
   */
  requestScope?: ((request: Request) => RequestScope | undefined) | undefined;
}

/** What the gateway's telemetry keeps for one request (`src/observability/`). */
export interface RequestScope extends UpstreamTally {
  readonly requestId: string;
}

type CredentialResult = { credential: Credential } | { problem: string };

const NO_CREDENTIAL = 'No credential: send "Authorization: Bearer <token>" or "PRIVATE-TOKEN: <token>"';

/** How the caller authenticated: `Authorization: Bearer <token>` or `PRIVATE-TOKEN: <token>`, as GitLab takes them. */
function credentialFromHeaders(headers: Headers, fallback?: Credential): CredentialResult {
  const authorization = headers.get('authorization');
  const privateToken = headers.get('private-token');
  if (authorization !== null && privateToken !== null) {
    return { problem: 'Send one credential: either Authorization or PRIVATE-TOKEN, not both' };
  }
  if (authorization !== null) {
    const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
    if (!match) return { problem: 'The Authorization header must have the form "Bearer <token>"' };
    return wellFormedCredential({ scheme: 'bearer', token: match[1] as string });
  }
  if (privateToken !== null)
    return wellFormedCredential({ scheme: 'private-token', token: privateToken.trim() });
  return fallback ? { credential: fallback } : { problem: NO_CREDENTIAL };
}

function wellFormedCredential(credential: Credential): CredentialResult {
  return isWellFormedToken(credential.token) ? { credential } : { problem: 'The token is malformed' };
}

/** GitLab's recursion-detection id (`X-Gitlab-Event-UUID`), as a webhook receiver that calls back forwards it. */
const EVENT_UUID = /^[0-9A-Za-z-]{1,64}$/;

/**
 * Headers a request carries on to GitLab. A caller handling a GitLab webhook that calls the gateway sends the
 * delivery's `X-Gitlab-Event-UUID`; passed on, it lets GitLab's recursion detection cut a webhook loop.
 */
function forwardedHeaders(
  headers: Headers,
  requestId: string | undefined,
): Record<string, string> | undefined {
  const eventUuid = headers.get('x-gitlab-event-uuid');
  const forwarded =
    eventUuid !== null && EVENT_UUID.test(eventUuid) ? { 'x-gitlab-event-uuid': eventUuid } : undefined;
  // GitLab keeps a well-formed `X-Request-Id` as its correlation id, so one id follows the request into its logs.
  return requestId === undefined ? forwarded : { ...forwarded, 'x-request-id': requestId };
}

export function createContextFactory(deps: ContextDependencies) {
  const events = deps.events;
  // One per gateway: the caps and the shared rechecks span every request, over SSE and WebSocket alike. Its
  // rechecks call GitLab outside any request, so no request's budget pays for them.
  const watch = events && createCredentialWatch({ ...events, api: deps.api });
  const maxCalls = deps.maxUpstreamCalls;
  // The operations of a batch share their HTTP request, and so its guard, though each gets a context of its own.
  // Made at the request's first call: most requests that make none (introspection, `_service`) need none.
  const guards = new WeakMap<Request, CallGuard>();
  const guardOf = (request: Request): CallGuard => {
    let guard = guards.get(request);
    if (guard === undefined) {
      guard = createRequestGuard({ maxCalls, overBudget: upstreamCallsExceeded });
      guards.set(request, guard);
    }
    return guard;
  };
  return ({ request }: { request: Request }): GatewayContext => {
    const result = credentialFromHeaders(request.headers, deps.defaultCredential);
    const scope = deps.requestScope?.(request);
    const callOptions: CallOptions = {
      credential: 'credential' in result ? result.credential : undefined,
      // Yoga's signal is a lazy stand-in that becomes a native one only if `AbortSignal.any` (or undici) reads
      // it, and after that switch its own `aborted` and 'abort' listeners no longer follow the request. The
      // upstream client only ever listens to it, which the stand-in answers correctly and cheaply.
      signal: request.signal,
      headers: forwardedHeaders(request.headers, scope?.requestId),
      tally: scope,
    };
    const usableCredential = () => {
      if ('problem' in result) throw unauthenticated(result.problem);
      return result.credential;
    };
    // The credential is checked when GitLab is first called, not here: `_service`, introspection and `__typename`
    // need none.
    const guard: CallGuard = {
      admit: (access) => {
        usableCredential();
        return guardOf(request).admit(access);
      },
      settle: (access, error) => guardOf(request).settle?.(access, error),
    };
    const hooks = createHookCollections(
      (scope, ...parent) => bindHooksApi(deps.api.hooks(scope, ...parent), callOptions, guard),
      deps.loader,
    );
    return {
      hooks,
      events: events &&
        watch && {
          subscribe: async (args, signal) =>
            openEventSubscription(
              {
                store: events.store,
                observer: events.observer,
                gitlab: hooks(SYSTEM_HOOKS).api,
                credential: usableCredential(),
                watch,
              },
              args,
              signal,
            ),
        },
    };
  };
}
