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
import type { CredentialWatch, LeaseHolder, SubscriptionLease } from './credential-watch.ts';
import type { EventStore, EventSubscription } from './event-store.ts';
import type { SystemHookEventSource } from './types.ts';

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
  /**
   * Its reader ends it itself (`return()`) when the subscriber goes away: the signal it was opened with is let
   * go, and with it what the signal holds (the gateway's own SSE writer, `src/graphql/sse-writer.ts`).
   */
  detachSignal?(): void;
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

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

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
  const wanted = request.types === null ? null : new Set(request.types);
  const subscription = new AdministratorSubscription(lease, signal, options.observer);
  try {
    await options.gitlab.listHooks({ page: 1, perPage: 1 });
    subscription.admit();
    subscription.attach(
      await options.store.subscribe({
        after: request.after,
        accept: wanted === null ? undefined : (event) => wanted.has(systemHookEventType(event.payload)),
      }),
    );
  } catch (error) {
    subscription.abandon();
    throw error;
  }
  return subscription;
}

/**
 * An opened subscription: the store's events, ended by the lease's revocation or by `signal`. A class rather than
 * closures, because it lives as long as the subscription: its methods are shared by every subscription, and it
 * is its own abort listener (`handleEvent`), so that an idle one holds only its fields.
 */
class AdministratorSubscription implements ScopedEventSubscription, LeaseHolder {
  readonly scope = SYSTEM_HOOK_EVENTS_SCOPE;
  /**
   * Ended by the lease's revocation or by `signal` (before the store's subscription came, it is ended as it
   * comes): the store's subscription is ended directly, with no controller and signal of its own to hold.
   */
  private stopped = false;
  private events: EventSubscription | undefined;
  private revoked: unknown;
  private released = false;
  /** `next()` has rejected: as an async generator that threw, the subscription is done from then on. */
  private failedOnce = false;

  /**
   * Held weakly: the signal aborts only through its controller, and once that is gone (the schema's, when the
   * store's subscription is served as it is) the signal and its listeners need not last as long as this.
   */
  private signal: WeakRef<AbortSignal> | undefined;

  constructor(
    private readonly lease: SubscriptionLease,
    signal: AbortSignal | undefined,
    private readonly observer: SubscriptionObserver | undefined,
  ) {
    this.signal = signal && new WeakRef(signal);
  }

  /** Admitted by the watch once GitLab has confirmed the credential; ended by it when it is refused. */
  admit(): void {
    this.lease.admit(this);
    const signal = this.signal?.deref();
    signal?.addEventListener('abort', this, { once: true });
    if (signal?.aborted) this.stop();
  }

  attach(events: EventSubscription): void {
    this.events = events;
    this.observer?.opened();
    if (this.stopped) this.endEvents();
  }

  /** The start failed: nothing was subscribed, and the lease goes back. */
  abandon(): void {
    this.lease.release();
    this.signal?.deref()?.removeEventListener('abort', this);
  }

  detachSignal(): void {
    this.signal?.deref()?.removeEventListener('abort', this);
    this.signal = undefined;
  }

  /** The lease's end: a recheck refused the credential, or it went unconfirmed for too long. */
  credentialEnded(reason: unknown): void {
    this.revoked = reason;
    this.stop();
  }

  /** `signal` aborted. */
  handleEvent(): void {
    this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.endEvents();
  }

  /** The store's subscription returns `done` (its pending `next()` too): the store's own end, as an abort. */
  private endEvents(): void {
    this.events?.return?.().catch(() => {});
  }

  private release(): void {
    this.lease.release();
    this.signal?.deref()?.removeEventListener('abort', this);
    if (!this.released) this.observer?.closed();
    this.released = true;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // Once revoked, `next()` is what reports it; nothing more is ready.
  nextReady(): SystemHookEventSource | undefined {
    return this.revoked === undefined ? this.events?.nextReady() : undefined;
  }

  // Callbacks rather than an async function: an idle subscription waits in the store's `next()` with no
  // suspended call of its own.
  next(): Promise<IteratorResult<SystemHookEventSource>> {
    // A consumer that maps a rejection to a result and asks again (envelop's, for a stream served ungrouped)
    // must find the end, not the same error without end.
    if (this.failedOnce) return Promise.resolve(DONE);
    let step: Promise<IteratorResult<SystemHookEventSource>>;
    try {
      step = (this.events as EventSubscription).next();
    } catch (error) {
      return Promise.reject(this.failed(error));
    }
    return step.then(this.stepped.bind(this), this.refused.bind(this));
  }

  private stepped(step: IteratorResult<SystemHookEventSource>): IteratorResult<SystemHookEventSource> {
    if (this.revoked !== undefined) throw this.failed(this.revoked);
    if (step.done) this.release();
    return step;
  }

  private refused(error: unknown): never {
    throw this.failed(error);
  }

  /** What `next()` rejects with once the store's `next()` failed: the revocation, if that is why. */
  private failed(error: unknown): unknown {
    this.failedOnce = true;
    this.release();
    return this.revoked ?? error;
  }

  async return(): Promise<IteratorResult<SystemHookEventSource>> {
    this.release();
    this.stopped = true;
    return (await this.events?.return?.()) ?? DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<SystemHookEventSource>> {
    await this.return();
    throw error;
  }
}
