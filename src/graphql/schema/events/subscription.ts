/**
 * `Subscription.systemHookEventReceived`: the events the gateway's receiver accepted, as the context's source
 * yields them (already filtered by type, and ended by a credential that stops working).
 */
import { isScopedEventSubscription, type ScopedEventSubscription } from '../../../events/subscriptions.ts';
import type { SystemHookEventSource } from '../../../events/types.ts';
import type { GatewayContext } from '../../context.ts';
import { gatewayError } from '../../errors.ts';
import { builder } from '../builder.ts';
import { SystemHookEvent, SystemHookEventType } from './event-interface.ts';

type EventSource = NonNullable<GatewayContext['events']>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The source's events, with a signal that aborts as soon as the subscriber leaves. The source filters by type
 * itself (before an unwanted event costs anything); this only passes its events on. `return()` aborts at once,
 * also while the source waits for an event that may never come, so an idle subscription a client closes
 * releases what it holds.
 */
async function untilSubscriberLeaves(
  source: EventSource,
  args: { types: readonly string[] | null; after: string | null },
): Promise<AsyncIterableIterator<SystemHookEventSource>> {
  const left = new AbortController();
  const opened = await source.subscribe(args, left.signal);
  const events = opened[Symbol.asyncIterator]();
  const leave = async (): Promise<IteratorResult<SystemHookEventSource>> => {
    left.abort();
    return (await events.return?.()) ?? DONE;
  };
  const stream: AsyncIterableIterator<SystemHookEventSource> = {
    [Symbol.asyncIterator]: () => stream,
    next: () => events.next(),
    return: leave,
    async throw(error) {
      await leave();
      throw error;
    },
  };
  // The grouped fan-out serves a source that says its scope and what is ready (the stores' do); any other is
  // executed per subscriber.
  if (!isScopedEventSubscription(opened)) return stream;
  const scoped: ScopedEventSubscription = {
    ...stream,
    [Symbol.asyncIterator]: () => scoped,
    scope: opened.scope,
    nextReady: () => opened.nextReady(),
  };
  return scoped;
}

builder.subscriptionType({
  description:
    'Watch events as they happen. Subscriptions are served over SSE and over WebSocket on `/graphql`.',
});

builder.subscriptionField('systemHookEventReceived', (t) =>
  t.field({
    type: SystemHookEvent,
    nullable: true,
    description:
      "Each system hook delivery that the gateway's receiver (`POST /webhooks/system-hooks`) accepts, typed by " +
      'event. Administrators only (events carry e-mail addresses): `UNAUTHENTICATED` or `FORBIDDEN` otherwise, ' +
      'also when a credential stops working mid-stream, and `EVENT_CREDENTIAL_UNCONFIRMED` when GitLab could not ' +
      'confirm it for longer than `EVENT_AUTH_MAX_STALENESS_SECONDS`. `SUBSCRIPTION_LIMIT_EXCEEDED` past ' +
      '`MAX_SUBSCRIPTIONS_PER_CREDENTIAL` or `MAX_SUBSCRIPTIONS`. Over SSE and over WebSocket (`graphql-transport-ws`), ' +
      'both on `/graphql`. Resumable: pass the last `cursor` received as `after` to replay the retained events ' +
      'after it, then continue live; a cursor no longer retained fails with `EVENT_CURSOR_EXPIRED`. ' +
      '`EVENTS_DISABLED` when this gateway receives no system hook deliveries.',
    args: {
      types: t.arg({
        type: [SystemHookEventType],
        description: 'Only events of these types; null or empty for all.',
      }),
      after: t.arg.string({
        description: 'Resume after this `cursor`: retained events after it are replayed first.',
      }),
    },
    subscribe: (_root, args, ctx) => {
      if (!ctx.events) {
        throw gatewayError('EVENTS_DISABLED', 'System hook events are not enabled on this gateway');
      }
      const types: readonly string[] | null = args.types?.length ? args.types : null;
      return untilSubscriberLeaves(ctx.events, { types, after: args.after ?? null });
    },
    resolve: (event) => event,
  }),
);
