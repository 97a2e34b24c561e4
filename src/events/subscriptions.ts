/**
 * Who may watch system hook events, and for how long. Events carry e-mail addresses and usernames, so only a
 * GitLab instance administrator may subscribe: the caller's credential is checked against GitLab when the
 * subscription starts (`GET /hooks`, which GitLab answers only for administrators), and then by the
 * `CredentialWatch`, whose rechecks every subscription of the same credential shares. A recheck that GitLab
 * refuses (401, 403) ends the stream with that failure; one that GitLab cannot answer is tried again, and ends the
 * stream only once the credential has gone unconfirmed for longer than the watch allows (see credential-watch.ts).
 */
import type { BoundSystemHooksApi } from '../upstream/bound-api.ts';
import type { Credential } from '../upstream/types.ts';
import { systemHookEventType } from './catalogue.ts';
import type { CredentialWatch } from './credential-watch.ts';
import type { EventStore, EventSubscription } from './event-store.ts';

export interface EventSubscriptionRequest {
  /** `SystemHookEventType` values wanted; null for all. */
  types: readonly string[] | null;
  /** Resume after this cursor. */
  after: string | null;
}

/**
 * Who the events of a subscription were opened for. Subscribers whose answers to an event can differ only by it
 * are grouped by it too (`src/graphql/subscription-groups.ts`), so that one viewer's answer never reaches
 * another's socket. Every administrator sees every system hook event alike; events of one project or group
 * would name it and the access level here.
 */
export const SYSTEM_HOOK_EVENTS_SCOPE = 'system-hooks:administrator';

/** A subscription's events, with the scope they were authorized under. */
export interface ScopedEventSubscription extends EventSubscription {
  readonly scope: string;
}

export function isScopedEventSubscription(events: unknown): events is ScopedEventSubscription {
  const candidate = events as Partial<ScopedEventSubscription> | null;
  return typeof candidate?.scope === 'string' && typeof candidate.nextReady === 'function';
}

export interface EventSubscriptionOptions {
  store: Pick<EventStore, 'subscribe'>;
  /** The subscriber's view of GitLab (its credential and its request's signal), for the check at the start. */
  gitlab: BoundSystemHooksApi;
  /** The credential `gitlab` carries: its caps and its rechecks are the watch's. */
  credential: Credential;
  /** The gateway's subscriptions, by credential: caps, shared rechecks, staleness. */
  watch: CredentialWatch;
  /** Told when a subscription has started and when it has ended (once each), for metrics. @default none */
  observer?: SubscriptionObserver | undefined;
}

export interface SubscriptionObserver {
  opened(): void;
  closed(): void;
}

/**
 * Opens a subscription for an administrator: rejects at once (nothing subscribed) when a cap is reached (before
 * any call to GitLab) or when the caller is not one, and otherwise returns the store's events of the wanted
 * types, ended by a refused or too long unconfirmed credential, or by `signal`.
 */
export async function openEventSubscription(
  options: EventSubscriptionOptions,
  request: EventSubscriptionRequest,
  signal: AbortSignal | undefined,
): Promise<ScopedEventSubscription> {
  const lease = options.watch.reserve(options.credential);
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  let revoked: unknown;
  const wanted = request.types === null ? null : new Set(request.types);
  let events: EventSubscription;
  try {
    await options.gitlab.listHooks({ page: 1, perPage: 1 });
    lease.admit((reason) => {
      revoked = reason;
      stop();
    });
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    events = await options.store.subscribe({
      after: request.after,
      accept: wanted === null ? undefined : (event) => wanted.has(systemHookEventType(event.payload)),
      signal: stopped.signal,
    });
  } catch (error) {
    lease.release();
    signal?.removeEventListener('abort', stop);
    throw error;
  }

  const observer = options.observer;
  observer?.opened();
  let released = false;
  const release = () => {
    lease.release();
    signal?.removeEventListener('abort', stop);
    if (!released) observer?.closed();
    released = true;
  };

  const stream: ScopedEventSubscription = {
    scope: SYSTEM_HOOK_EVENTS_SCOPE,
    [Symbol.asyncIterator]: () => stream,
    // Once revoked, `next()` is what reports it; nothing more is ready.
    nextReady: () => (revoked === undefined ? events.nextReady() : undefined),
    async next() {
      try {
        const step = await events.next();
        if (revoked !== undefined) throw revoked;
        if (step.done) release();
        return step;
      } catch (error) {
        release();
        throw revoked ?? error;
      }
    },
    async return() {
      release();
      stop();
      return (await events.return?.()) ?? { done: true, value: undefined };
    },
  };
  return stream;
}
