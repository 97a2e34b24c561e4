/**
 * `Query.systemHookEvents`: the retained events as a connection, oldest first, whose cursors are the events' own,
 * so that a client can show the recent events and subscribe after the newest one with no gap and no repeat.
 */
import { DEFAULT_HISTORY_LAST, MAX_HISTORY_PAGE } from '../../../events/event-history.ts';
import { DEFAULT_EVENT_RETENTION } from '../../../events/event-store.ts';
import type { SystemHookEventSource } from '../../../events/types.ts';
import { gatewayError } from '../../errors.ts';
import { upstreamCalls } from '../../plugins/use-query-limits.ts';
import { builder } from '../builder.ts';
import { checkSize } from '../page-window.ts';
import { SystemHookEvent, SystemHookEventType } from './event-interface.ts';

const edgeOf = (event: SystemHookEventSource) => ({ cursor: event.cursor, node: event });

builder.queryField('systemHookEvents', (t) =>
  t.connection(
    {
      type: SystemHookEvent,
      description:
        "The system hook deliveries the gateway's receiver accepted and still retains (the last " +
        `\`EVENT_RETENTION\`, ${DEFAULT_EVENT_RETENTION} by default), oldest first as the subscription delivers ` +
        "them. GitLab has no list of them: they are the gateway's own, shared by every replica through Redis. " +
        `Without \`first\` or \`last\`, the newest ${DEFAULT_HISTORY_LAST} (\`last: ${DEFAULT_HISTORY_LAST}\`); ` +
        `pages of at most ${MAX_HISTORY_PAGE}. Each edge's cursor is its event's \`cursor\`, and ` +
        "`pageInfo.endCursor` the newest edge's (null for an empty page). To continue live with no gap and no " +
        'repeat, subscribe to `systemHookEventReceived` with `after` set to `streamCursor`, which names the ' +
        'stream at the time of this read also when the page is empty. `after` and `before` are refused as the ' +
        "subscription's `after` is: a cursor this gateway never handed out is `BAD_USER_INPUT`, one whose " +
        'event is no longer retained (or from an earlier process) `EVENT_CURSOR_EXPIRED`; `EVENTS_DISABLED` when this gateway receives no system hook ' +
        'deliveries. Administrators only (`UNAUTHENTICATED`, `FORBIDDEN`): the one GitLab call is the check a ' +
        'subscription starts with. REST: GET /api/v4/hooks',
      // The administrator check, as at the start of a subscription.
      extensions: upstreamCalls(1),
      args: {
        types: t.arg({
          type: [SystemHookEventType],
          description: 'Only events of these types (also in `count`); null or empty for all.',
        }),
      },
      resolve: async (_root, args, ctx) => {
        const events = ctx.events;
        if (!events?.history)
          throw gatewayError('EVENTS_DISABLED', 'System hook events are not enabled on this gateway');
        const page = await events.history({
          first: checkSize(args.first, 'first', MAX_HISTORY_PAGE),
          last: checkSize(args.last, 'last', MAX_HISTORY_PAGE),
          after: args.after,
          before: args.before,
          types: args.types,
        });
        const edges = page.events.map(edgeOf);
        return {
          edges,
          pageInfo: {
            hasPreviousPage: page.hasPrevious,
            hasNextPage: page.hasNext,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
          count: page.count,
          streamCursor: page.streamCursor,
        };
      },
    },
    {
      name: 'SystemHookEventConnection',
      description: 'A page of the retained system hook events, oldest first.',
      fields: (c) => ({
        count: c.int({
          description: 'Number of retained events of the types asked for, all pages together.',
          resolve: (connection) => connection.count,
        }),
        streamCursor: c.string({
          description:
            'The stream of events at the time of this read, whatever `types` and the page: the newest retained ' +
            "event's cursor, or the stream's start while none is retained. The page holds nothing after it, and " +
            '`systemHookEventReceived(after: streamCursor)` delivers exactly the events received after this read ' +
            '(of its own `types`), none of them twice; `systemHookEvents(after: streamCursor)` lists them. ' +
            'Unlike `pageInfo.endCursor` it is never null, and with `types` it is not held back at the newest ' +
            'event of those types. It expires as an event cursor does (`EVENT_CURSOR_EXPIRED`, once ' +
            '`EVENT_RETENTION` newer events have come; the start, once any event has left): subscribe soon after ' +
            'the read.',
          resolve: (connection) => connection.streamCursor,
        }),
      }),
    },
    { name: 'SystemHookEventEdge', description: 'A system hook event and its cursor.' },
  ),
);
