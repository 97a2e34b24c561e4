/**
 * A gateway with events on in front of a scripted GitLab that answers the administrator check (`GET /hooks`) as
 * each test says: several administrator tokens, a GitLab that is down (a status), silent or slow, and a record
 * of every check with the token it carried and when it was sent and answered. The embedded GitLab has one
 * administrator token and cannot fail on cue; these tests need both.
 *
 * ```ts
 * const watched = await startWatchedGateway({ authRecheckMs: 200 });
 * const subscriber = subscribe(watched, 'sse', EVENTS);
 * watched.gitlab.fail({ status: 503 });
 * await subscriber.waitForEnd();
 * await watched.close();
 * ```
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore } from '../../src/events/event-store.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import type { GatewayEvents, GatewayOptions } from '../../src/http/gateway.ts';
import type { GitLabClientOptions } from '../../src/upstream/client.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { deliver, projectCreate } from '../helpers/deliveries.ts';
import { json, type ScriptedResponse, startScriptedServer } from '../helpers/scripted-server.ts';
import { type GatewayHandle, RECEIVER_TOKEN, startGateway } from '../helpers/stack.ts';
import type { OperationPayload } from '../helpers/subscribers.ts';
import { eventsSubscription } from '../helpers/subscribers.ts';

/** A second administrator, so that two distinct credentials can subscribe. A test value, not a secret. */
export const OTHER_ADMIN_TOKEN = 'glpat-admin-test-token-0042';

/** How the scripted GitLab answers the checks that follow. */
export type CheckAnswer =
  /** As GitLab would: 200 for an administrator's token, 403 for the user's, 401 for any other. */
  | { kind: 'up' }
  /** This status (503, 429, ...) for every token, with these headers. */
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** Never answer. */
  | { kind: 'silent' };

/** One administrator check as GitLab received it. */
export interface CheckSeen {
  token: string | undefined;
  /** `performance.now()` when it arrived, and when its answer was written (undefined while pending or silent). */
  sentAt: number;
  answeredAt: number | undefined;
  status: number | undefined;
}

export interface ScriptedGitLab {
  readonly checks: readonly CheckSeen[];
  /** The checks that carried `token`. */
  checksOf(token: string): CheckSeen[];
  /** Answers every check that follows this way. */
  answer(answer: CheckAnswer): void;
  /** Delays each answer (of the `up` kind) by this long. */
  delayMs: number;
  /** Tokens that GitLab takes for an administrator's; remove one to revoke it. */
  readonly admins: Set<string>;
}

export interface WatchedGateway extends GatewayHandle {
  wsUrl: string;
  gitlab: ScriptedGitLab;
  store: EventStore;
  /** Subscriptions the event store holds now. */
  subscriptions(): number;
  /** Delivers a `project_create` event named `name` to the receiver. */
  deliver(name: string): Promise<void>;
}

export const EVENTS: OperationPayload = { query: eventsSubscription(), variables: { after: null } };

/** The subscription resuming after `cursor`. */
export function eventsAfter(cursor: string): OperationPayload {
  return { query: eventsSubscription(), variables: { after: cursor } };
}

export async function startWatchedGateway(
  events: Partial<
    Pick<
      GatewayEvents,
      'authRecheckMs' | 'authMaxStalenessMs' | 'maxSubscriptions' | 'maxSubscriptionsPerCredential'
    >
  >,
  upstream: Partial<GitLabClientOptions> = {},
  /** The gateway's other options, such as `groupSubscriptions`. */
  options: Pick<GatewayOptions, 'groupSubscriptions'> = {},
): Promise<WatchedGateway> {
  const checks: CheckSeen[] = [];
  const admins = new Set([ADMIN_TOKEN, OTHER_ADMIN_TOKEN]);
  let mode: CheckAnswer = { kind: 'up' };
  const gitlab: ScriptedGitLab = {
    checks,
    checksOf: (token) => checks.filter((check) => check.token === token),
    answer: (next) => {
      mode = next;
    },
    delayMs: 0,
    admins,
  };
  const server = await startScriptedServer(async (request): Promise<ScriptedResponse> => {
    if (!request.url.startsWith('/api/v4/hooks?')) return json(404, { error: '404 Not Found' });
    const header = request.headers['private-token'];
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const check: CheckSeen = {
      token: typeof header === 'string' ? header : bearer,
      sentAt: performance.now(),
      answeredAt: undefined,
      status: undefined,
    };
    checks.push(check);
    const answer = await answerFor(mode, check.token);
    check.answeredAt = performance.now();
    check.status = answer.status;
    return answer;
  });

  async function answerFor(current: CheckAnswer, token: string | undefined): Promise<ScriptedResponse> {
    if (current.kind === 'silent') return { stall: 'before-headers' };
    if (current.kind === 'status') {
      return json(current.status, { message: `${current.status} scripted` }, current.headers);
    }
    if (gitlab.delayMs > 0) await sleep(gitlab.delayMs);
    if (token !== undefined && admins.has(token)) return json(200, []);
    if (token === USER_TOKEN) return json(403, { message: '403 Forbidden' });
    return json(401, { message: '401 Unauthorized' });
  }

  const store = createMemoryEventStore();
  const handle = await startGateway(server.url, {
    upstream: { timeoutMs: 1_000, retry: { retries: 0 }, ...upstream },
    gateway: {
      ...options,
      events: {
        store,
        receiver: { secretTokens: [RECEIVER_TOKEN] },
        authRecheckMs: 300_000,
        ...events,
      },
    },
    websocket: {},
  });
  return {
    ...handle,
    wsUrl: `${handle.url.replace(/^http/, 'ws')}/graphql`,
    gitlab,
    store,
    subscriptions: () => store.status().subscribers,
    deliver: async (name) => {
      const { status } = await deliver(handle.url, projectCreate(name), RECEIVER_TOKEN);
      if (status !== 204) throw new Error(`the receiver answered ${status}`);
    },
    close: async () => {
      await handle.close();
      await server.close();
    },
  };
}
