/**
 * Who may watch system hook events, and for how long. Events carry e-mail addresses and usernames, so only a
 * GitLab instance administrator may subscribe: the caller's credential is checked against GitLab when the
 * subscription starts (`GET /hooks`, which GitLab answers only for administrators) and again every
 * `recheckMs` while it runs. A credential that stops working (GitLab answers 401 or 403) ends the stream with
 * that failure; a check that fails for another reason (GitLab unreachable) keeps the stream and is tried again at
 * the next interval, so an outage of GitLab does not cut every subscriber off.
 */
import type { BoundSystemHooksApi } from '../upstream/bound-api.ts';
import { isUpstreamError } from '../upstream/errors.ts';
import { systemHookEventType } from './catalogue.ts';
import type { EventStore } from './event-store.ts';
import type { SystemHookEventSource } from './types.ts';

export interface EventSubscriptionRequest {
  /** `SystemHookEventType` values wanted; null for all. */
  types: readonly string[] | null;
  /** Resume after this cursor. */
  after: string | null;
}

export interface EventSubscriptionOptions {
  store: Pick<EventStore, 'subscribe'>;
  /** The subscriber's view of GitLab: its credential, applied to every check. */
  gitlab: BoundSystemHooksApi;
  /** How often the credential is checked again while the stream runs (`EVENT_AUTH_RECHECK_SECONDS`). */
  recheckMs: number;
  /** Told when a subscription has started and when it has ended (once each), for metrics. @default none */
  observer?: SubscriptionObserver | undefined;
}

export interface SubscriptionObserver {
  opened(): void;
  closed(): void;
}

/** Fails unless GitLab takes the caller for an instance administrator. */
async function requireAdministrator(gitlab: BoundSystemHooksApi): Promise<void> {
  await gitlab.listHooks({ page: 1, perPage: 1 });
}

/** Whether a failed check says the credential no longer works, rather than that GitLab could not answer. */
function credentialRefused(error: unknown): boolean {
  return isUpstreamError(error) ? error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN' : true;
}

/**
 * Opens a subscription for an administrator: rejects at once (nothing subscribed) when the caller is not one,
 * and otherwise returns the store's events of the wanted types, ended by the first failed recheck or by
 * `signal`.
 */
export async function openEventSubscription(
  options: EventSubscriptionOptions,
  request: EventSubscriptionRequest,
  signal: AbortSignal | undefined,
): Promise<AsyncIterableIterator<SystemHookEventSource>> {
  await requireAdministrator(options.gitlab);
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  signal?.addEventListener('abort', stop, { once: true });
  const wanted = request.types === null ? null : new Set(request.types);
  let events: AsyncIterableIterator<SystemHookEventSource>;
  try {
    events = await options.store.subscribe({
      after: request.after,
      accept: wanted === null ? undefined : (event) => wanted.has(systemHookEventType(event.payload)),
      signal: stopped.signal,
    });
  } catch (error) {
    signal?.removeEventListener('abort', stop);
    throw error;
  }

  let revoked: unknown;
  const recheck = setInterval(() => {
    requireAdministrator(options.gitlab).catch((error: unknown) => {
      if (!credentialRefused(error) || revoked !== undefined) return;
      revoked = error;
      stop();
    });
  }, options.recheckMs);
  recheck.unref();
  const observer = options.observer;
  observer?.opened();
  let released = false;
  const release = () => {
    clearInterval(recheck);
    signal?.removeEventListener('abort', stop);
    if (!released) observer?.closed();
    released = true;
  };

  const stream: AsyncIterableIterator<SystemHookEventSource> = {
    [Symbol.asyncIterator]: () => stream,
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
