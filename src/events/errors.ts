/**
 * The event core's failures, each with a stable `code` that the GraphQL layer puts in `extensions.code`.
 */

/** `after` named an event that is no longer retained: resuming from it would skip events. */
export class EventCursorExpiredError extends Error {
  override readonly name = 'EventCursorExpiredError';
  readonly code = 'EVENT_CURSOR_EXPIRED';
  constructor() {
    super('The cursor names an event that is no longer retained; subscribe again without `after`.');
  }
}

/** `after` is not a cursor this gateway hands out. An input error. */
export class InvalidEventCursorError extends Error {
  override readonly name = 'InvalidEventCursorError';
  readonly code = 'EVENT_CURSOR_INVALID';
  constructor() {
    super('The cursor is not one this gateway hands out; pass the `cursor` of an event as it was received.');
  }
}

/** The subscriber fell further behind than the store retains, and was dropped instead of buffering more. */
export class SubscriberTooSlowError extends Error {
  override readonly name = 'SubscriberTooSlowError';
  readonly code = 'EVENT_SUBSCRIBER_TOO_SLOW';
  constructor() {
    super(
      'The subscriber did not read its events fast enough and was dropped; resume with the last cursor read.',
    );
  }
}

/** The store cannot accept an event now: it is closed, or Redis is away and the outage queue is full. */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
  readonly code = 'EVENT_STORE_UNAVAILABLE';
}

/**
 * No recheck could confirm the subscriber's credential with GitLab (5xx, 429, a timeout, the circuit breaker
 * open) for longer than the staleness allowed: the stream is ended rather than kept open for a credential that
 * may have been revoked meanwhile.
 */
export class CredentialUnconfirmedError extends Error {
  override readonly name = 'CredentialUnconfirmedError';
  readonly code = 'EVENT_CREDENTIAL_UNCONFIRMED';
  constructor(maxStalenessMs: number) {
    super(
      `GitLab could not confirm the subscriber's credential for ${durationText(maxStalenessMs)}, so the ` +
        'stream was ended; resume with `after` once GitLab answers again.',
    );
  }
}

/** A subscription over a cap: its credential's, or the gateway's in total. Nothing was opened. */
export class SubscriptionLimitError extends Error {
  override readonly name = 'SubscriptionLimitError';
  readonly code = 'SUBSCRIPTION_LIMIT_EXCEEDED';
  constructor(
    readonly limit: 'subscriptions' | 'subscriptionsPerCredential',
    readonly max: number,
  ) {
    super(
      limit === 'subscriptions'
        ? `The gateway holds as many subscriptions as it allows (${max}); retry later.`
        : `This credential holds as many subscriptions as the gateway allows one credential (${max}); end one first.`,
    );
  }
}

function durationText(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}
