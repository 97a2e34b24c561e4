/**
 * The credentials that subscriptions run with, watched while they stream. A subscription's credential is checked
 * against GitLab when it starts (by the subscription itself, with its request's signal); from then on one chain of
 * rechecks per distinct credential serves every subscription that carries it, so that 50 subscriptions of one
 * token cost GitLab one call per interval, and a 401 or 403 ends all of them at once.
 *
 * A recheck that GitLab cannot answer (5xx, 429, a timeout, the circuit breaker open) does not keep a stream open
 * for ever: once the last confirmation is older than `maxStalenessMs`, every subscription of that credential ends
 * with `CredentialUnconfirmedError`. Otherwise a revoked administrator token would keep receiving events for as
 * long as anyone can keep GitLab "unavailable" to the gateway. A subscriber resumes with `after`, so failing
 * closed costs it one reconnect, which is refused until GitLab answers again.
 *
 * The same registry holds the caps: subscriptions per credential and in total. Credentials are kept only while a
 * subscription of theirs is open or starting, and keyed by an HMAC under a key of this process, so that the map
 * never holds a token as a key and nothing here logs or reports one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isUpstreamError } from '../upstream/errors.ts';
import type { Credential, SystemHooksApi } from '../upstream/types.ts';
import { CredentialUnconfirmedError, SubscriptionLimitError } from './errors.ts';

export const CREDENTIAL_WATCH_DEFAULTS = {
  /** `EVENT_AUTH_RECHECK_SECONDS`, in milliseconds. */
  recheckMs: 300_000,
  /** `EVENT_AUTH_MAX_STALENESS_SECONDS` is this many rechecks when unset. */
  stalenessRechecks: 2,
  /** `MAX_SUBSCRIPTIONS`. */
  maxSubscriptions: 1000,
  /** `MAX_SUBSCRIPTIONS_PER_CREDENTIAL`. */
  maxSubscriptionsPerCredential: 100,
} as const;

/**
 * A recheck that GitLab could not answer is tried again after this fraction of the interval (or its `Retry-After`,
 * up to one interval), so that one lost answer does not end a stream: with the default staleness of two intervals,
 * a credential gets about five tries before its streams end.
 */
const RETRY_FRACTION = 4;

export interface CredentialWatchOptions {
  /** GitLab, called with each watched credential and no caller's signal. */
  api: SystemHooksApi;
  /** How long after a recheck settles the next one is sent (`EVENT_AUTH_RECHECK_SECONDS`). @default 300000 */
  recheckMs?: number | undefined;
  /**
   * How old the last confirmation of a credential may grow while rechecks fail before its subscriptions end
   * (`EVENT_AUTH_MAX_STALENESS_SECONDS`); more than `recheckMs`. @default 2 × recheckMs
   */
  maxStalenessMs?: number | undefined;
  /** Subscriptions open at once on this gateway, over SSE and WebSocket together (`MAX_SUBSCRIPTIONS`). @default 1000 */
  maxSubscriptions?: number | undefined;
  /**
   * Subscriptions of one credential open or starting at once (`MAX_SUBSCRIPTIONS_PER_CREDENTIAL`). Requests that
   * bring no credential and run with `GITLAB_TOKEN` share that token's. @default 100
   */
  maxSubscriptionsPerCredential?: number | undefined;
}

/** What a lease ends when its credential is refused or stays unconfirmed too long. */
export interface LeaseHolder {
  credentialEnded(reason: unknown): void;
}

/** A subscription's place, taken just before its credential is checked at the start. */
export interface SubscriptionLease {
  /**
   * The start check succeeded: the subscription takes its place in the total and joins its credential's rechecks.
   * The holder is told once, with the reason, when a recheck is refused (the `UpstreamError` of GitLab's 401 or
   * 403) or the credential stays unconfirmed too long. Throws `SubscriptionLimitError` when the total filled
   * meanwhile, and the refusal itself when a recheck sent after this start check was refused.
   */
  admit(holder: LeaseHolder): void;
  /** Gives the place back; the subscription ended or never opened. Safe to call more than once. */
  release(): void;
}

export interface CredentialWatch {
  /**
   * A place for a subscription that carries `credential`, before anything is sent to GitLab: throws
   * `SubscriptionLimitError` when its credential or the gateway holds as many as allowed.
   */
  reserve(credential: Credential): SubscriptionLease;
}

/** Whether a failed check says the credential no longer works, rather than that GitLab could not answer. */
export function credentialRefused(error: unknown): boolean {
  return isUpstreamError(error) ? error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN' : true;
}

interface Member {
  end(reason: unknown): void;
}

/** One distinct credential: its subscriptions, and the chain of rechecks they share while any is open. */
interface Watched {
  readonly key: string;
  readonly credential: Credential;
  /** Leases reserved whose start check has not settled. */
  starting: number;
  readonly members: Set<Member>;
  /** When the newest successful check was sent (`performance.now()`); the staleness counts from there. */
  confirmedAt: number;
  /** When the newest refused recheck was sent: a start check sent before it cannot admit. */
  refused: { at: number; reason: unknown } | undefined;
  recheck: NodeJS.Timeout | undefined;
  deadline: NodeJS.Timeout | undefined;
  /** Aborts the recheck in flight once no subscription needs it. */
  inFlight: AbortController | undefined;
}

export function createCredentialWatch(options: CredentialWatchOptions): CredentialWatch {
  const recheckMs = options.recheckMs ?? CREDENTIAL_WATCH_DEFAULTS.recheckMs;
  const maxStalenessMs = options.maxStalenessMs ?? recheckMs * CREDENTIAL_WATCH_DEFAULTS.stalenessRechecks;
  const maxTotal = options.maxSubscriptions ?? CREDENTIAL_WATCH_DEFAULTS.maxSubscriptions;
  const maxPerCredential =
    options.maxSubscriptionsPerCredential ?? CREDENTIAL_WATCH_DEFAULTS.maxSubscriptionsPerCredential;
  if (!(maxStalenessMs > recheckMs)) {
    throw new RangeError(
      'maxStalenessMs must exceed recheckMs, or no recheck could confirm a credential in time',
    );
  }
  const { api } = options;
  const digestKey = randomBytes(32);
  const keyOf = (credential: Credential) =>
    // The token alone: GitLab takes the same token as `PRIVATE-TOKEN` or as `Bearer`, so it is one credential.
    createHmac('sha256', digestKey).update(credential.token).digest('base64url');
  const watched = new Map<string, Watched>();
  let admitted = 0;

  function forgetIfUnused(entry: Watched): void {
    if (entry.members.size === 0 && entry.starting === 0 && watched.get(entry.key) === entry) {
      watched.delete(entry.key);
    }
  }

  function stopChecking(entry: Watched): void {
    clearTimeout(entry.recheck);
    clearTimeout(entry.deadline);
    entry.recheck = undefined;
    entry.deadline = undefined;
    entry.inFlight?.abort();
    entry.inFlight = undefined;
  }

  /** Ends every subscription of `entry` with `reason`. */
  function endAll(entry: Watched, reason: unknown): void {
    stopChecking(entry);
    const members = [...entry.members];
    entry.members.clear();
    admitted -= members.length;
    for (const member of members) member.end(reason);
    forgetIfUnused(entry);
  }

  /** A check sent at `sentAt` succeeded: the subscriptions of `entry` may run until `maxStalenessMs` after it. */
  function confirmed(entry: Watched, sentAt: number): void {
    entry.confirmedAt = Math.max(entry.confirmedAt, sentAt);
    clearTimeout(entry.deadline);
    const remaining = Math.max(0, entry.confirmedAt + maxStalenessMs - performance.now());
    entry.deadline = setTimeout(
      () => endAll(entry, new CredentialUnconfirmedError(maxStalenessMs)),
      remaining,
    );
    entry.deadline.unref();
  }

  function scheduleRecheck(entry: Watched, delayMs: number): void {
    entry.recheck = setTimeout(() => void recheck(entry), delayMs);
    entry.recheck.unref();
  }

  /** One recheck; the next is scheduled only once this one has settled, so that they never overlap. */
  async function recheck(entry: Watched): Promise<void> {
    entry.recheck = undefined;
    const controller = new AbortController();
    entry.inFlight = controller;
    const sentAt = performance.now();
    try {
      await api.listHooks(
        { page: 1, perPage: 1 },
        { credential: entry.credential, signal: controller.signal },
      );
      if (controller.signal.aborted) return;
      entry.inFlight = undefined;
      confirmed(entry, sentAt);
      scheduleRecheck(entry, recheckMs);
    } catch (error) {
      if (controller.signal.aborted) return;
      entry.inFlight = undefined;
      if (credentialRefused(error)) {
        entry.refused = { at: sentAt, reason: error };
        endAll(entry, error);
        return;
      }
      scheduleRecheck(entry, retryDelay(error));
    }
  }

  function retryDelay(error: unknown): number {
    const retryAfterMs = isUpstreamError(error) ? (error.retryAfterSeconds ?? 0) * 1000 : 0;
    return Math.min(recheckMs, Math.max(recheckMs / RETRY_FRACTION, retryAfterMs));
  }

  /** What the leases of this watch share: one object, so that a lease holds one field for all of it. */
  const core: WatchCore = {
    admit(lease) {
      const { entry } = lease;
      if (entry.refused !== undefined && entry.refused.at >= lease.reservedAt) throw entry.refused.reason;
      if (admitted >= maxTotal) throw new SubscriptionLimitError('subscriptions', maxTotal);
      entry.starting -= 1;
      // The first subscription starts the chain; a credential with none has no recheck scheduled or in flight.
      if (entry.members.size === 0) scheduleRecheck(entry, recheckMs);
      entry.members.add(lease);
      admitted += 1;
      confirmed(entry, lease.reservedAt);
    },
    release(lease, state) {
      const { entry } = lease;
      if (state === 'starting') entry.starting -= 1;
      if (state === 'admitted' && entry.members.delete(lease)) {
        admitted -= 1;
        if (entry.members.size === 0) stopChecking(entry);
      }
      forgetIfUnused(entry);
    },
  };

  function reserve(credential: Credential): SubscriptionLease {
    const key = keyOf(credential);
    const found = watched.get(key);
    // Only the subscriptions that GitLab confirmed count against the total: starting ones with tokens GitLab is
    // about to refuse must not fill it for everyone. A credential's own count includes its starting ones, since
    // only that credential's holder can add to it.
    if (admitted >= maxTotal) throw new SubscriptionLimitError('subscriptions', maxTotal);
    if (found && found.members.size + found.starting >= maxPerCredential) {
      throw new SubscriptionLimitError('subscriptionsPerCredential', maxPerCredential);
    }
    const entry: Watched = found ?? {
      key,
      credential,
      starting: 0,
      members: new Set(),
      confirmedAt: Number.NEGATIVE_INFINITY,
      refused: undefined,
      recheck: undefined,
      deadline: undefined,
      inFlight: undefined,
    };
    if (!found) watched.set(key, entry);
    entry.starting += 1;
    return new Lease(core, entry, performance.now());
  }

  return { reserve };
}

interface WatchCore {
  /** Throws, admitting nothing, when the lease may not be admitted. */
  admit(lease: Lease): void;
  release(lease: Lease, state: LeaseState): void;
}

type LeaseState = 'starting' | 'admitted' | 'released';

/**
 * One subscription's place, and once admitted its membership of its credential's rechecks. A class rather than
 * closures: it lives as long as the subscription, and its methods are shared by every lease.
 */
class Lease implements SubscriptionLease, Member {
  private state: LeaseState = 'starting';
  private holder: LeaseHolder | undefined;

  constructor(
    private readonly core: WatchCore,
    readonly entry: Watched,
    /** When it was reserved: a recheck refused after this refuses its start check too. */
    readonly reservedAt: number,
  ) {}

  admit(holder: LeaseHolder): void {
    if (this.state !== 'starting') throw new Error('A subscription lease is admitted once, while starting');
    this.core.admit(this);
    this.state = 'admitted';
    this.holder = holder;
  }

  release(): void {
    this.core.release(this, this.state);
    this.state = 'released';
  }

  /** The watch ended it (it is no member any more): the holder is told why. */
  end(reason: unknown): void {
    this.state = 'released';
    this.holder?.credentialEnded(reason);
  }
}
