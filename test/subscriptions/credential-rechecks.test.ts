import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, it } from 'node:test';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import {
  closeAll,
  errorCodes,
  type Subscriber,
  type SubscriberOptions,
  streamErrors,
  subscribe,
  TRANSPORTS,
  type Transport,
} from '../helpers/subscribers.ts';
import type { UntypedData } from '../helpers/untyped.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import {
  type CheckAnswer,
  type CheckSeen,
  EVENTS,
  eventsAfter,
  OTHER_ADMIN_TOKEN,
  startWatchedGateway,
  type WatchedGateway,
} from './watched-gateway.ts';

/**
 * A running subscription's credential is confirmed with GitLab again and again, by one chain of rechecks per
 * distinct credential. A recheck that GitLab cannot answer (503, 429, silence, the circuit breaker open) does not
 * keep a stream open for ever: once the last confirmation is older than the staleness allowed, the stream ends
 * with `EVENT_CREDENTIAL_UNCONFIRMED`, over SSE and WebSocket alike, and the subscriber resumes with `after` once
 * GitLab answers again.
 */

const RECHECK_MS = 200;
const STALENESS_MS = 800;
/** What a loaded two-core machine may add to a timer. */
const SLACK_MS = 600;

let watched: WatchedGateway | undefined;
let subscribers: Subscriber[] = [];

afterEach(async () => {
  if (watched) await closeAll(subscribers, watched.store);
  subscribers = [];
  await watched?.close();
  watched = undefined;
});

async function start(
  options: Parameters<typeof startWatchedGateway>[0] = {},
  upstream: Parameters<typeof startWatchedGateway>[1] = {},
): Promise<WatchedGateway> {
  watched = await startWatchedGateway(
    { authRecheckMs: RECHECK_MS, authMaxStalenessMs: STALENESS_MS, ...options },
    upstream,
  );
  return watched;
}

/** `count` subscriptions over `transport`, each open in the event store before this resolves. */
async function open(
  gateway: WatchedGateway,
  transport: Transport,
  count = 1,
  options: SubscriberOptions = {},
  payload = EVENTS,
): Promise<Subscriber[]> {
  const before = gateway.subscriptions();
  const opened = Array.from({ length: count }, () => subscribe(gateway, transport, payload, options));
  subscribers.push(...opened);
  await waitUntil(
    () => `${count} subscriptions over ${transport}; the store has ${gateway.subscriptions() - before}`,
    () => gateway.subscriptions() === before + count,
  );
  return opened;
}

/** Resolves once GitLab has received `count` more checks with `token` than `seen`, and they have been answered. */
async function checksAnswered(
  gateway: WatchedGateway,
  token: string,
  seen: number,
  count: number,
): Promise<CheckSeen[]> {
  await waitUntil(
    () => `${count} more checks answered; GitLab has ${gateway.gitlab.checksOf(token).length - seen}`,
    () =>
      gateway.gitlab.checksOf(token).filter((check) => check.answeredAt !== undefined).length >= seen + count,
    { withinMs: RECHECK_MS * (count + 2) + SLACK_MS * 2 },
  );
  return gateway.gitlab.checksOf(token).slice(seen);
}

const outages: [what: string, answer: CheckAnswer, upstream?: Parameters<typeof startWatchedGateway>[1]][] = [
  ['GitLab answers 503', { kind: 'status', status: 503 }],
  ['GitLab answers 429 with Retry-After', { kind: 'status', status: 429, headers: { 'retry-after': '1' } }],
  ['GitLab does not answer (every recheck times out)', { kind: 'silent' }, { timeoutMs: 300 }],
  [
    'the circuit breaker is open',
    { kind: 'status', status: 502 },
    { circuitBreaker: { failureThreshold: 1, coolDownMs: 60_000 } },
  ],
];

describe('a credential that GitLab cannot confirm', () => {
  for (const [what, answer, upstream] of outages) {
    for (const transport of TRANSPORTS) {
      it(`ends the stream over ${transport} with EVENT_CREDENTIAL_UNCONFIRMED once its confirmation is stale, when ${what}`, async () => {
        const gateway = await start({}, upstream);
        const [subscriber] = (await open(gateway, transport)) as [Subscriber];
        await gateway.deliver('before');
        const [first] = (await subscriber.waitForEvents(1)) as [UntypedData];
        const seen = gateway.gitlab.checksOf(ADMIN_TOKEN).length;
        // The last confirmation is at most one interval (and its answer) old when GitLab starts failing.
        const lastConfirmation = gateway.gitlab.checksOf(ADMIN_TOKEN).at(-1)?.sentAt as number;
        gateway.gitlab.answer(answer);
        const end = await subscriber.waitForEnd(STALENESS_MS + SLACK_MS * 2);
        const endedAfter = performance.now() - lastConfirmation;

        const errors = streamErrors(subscriber, end);
        assert.deepEqual(errorCodes(subscriber, end), ['EVENT_CREDENTIAL_UNCONFIRMED']);
        assert.match(String(errors[0]?.message), /could not confirm the subscriber's credential/);
        assert.ok(!JSON.stringify(errors).includes(ADMIN_TOKEN), 'the error carries no token');
        // The gateway sent that confirmation a little before GitLab saw it: more so on a loaded machine.
        assert.ok(
          endedAfter >= STALENESS_MS - 150,
          `ended ${Math.round(endedAfter)} ms after a confirmation`,
        );
        assert.ok(
          endedAfter < STALENESS_MS + SLACK_MS,
          `ended ${Math.round(endedAfter)} ms after a confirmation`,
        );
        // It kept trying meanwhile rather than giving up at the first failure (a silent GitLab holds the first,
        // and an open breaker keeps the later ones from GitLab).
        const tries = gateway.gitlab.checksOf(ADMIN_TOKEN).length - seen;
        const reachGitLab = answer.kind !== 'silent' && upstream?.circuitBreaker === undefined;
        assert.ok(tries >= (reachGitLab ? 2 : 1), `${tries} rechecks while GitLab failed`);
        await waitUntil('the store lets go of the subscription', () => gateway.subscriptions() === 0);

        // Failing closed costs one reconnect: refused while GitLab cannot say, resumed with `after` once it can.
        await gateway.deliver('meanwhile');
        const refused = subscribe(gateway, transport, eventsAfter(first.cursor as string));
        subscribers.push(refused);
        const refusal = await refused.waitForEnd(SLACK_MS * 3);
        assert.equal(errorCodes(refused, refusal).length, 1);
        assert.notEqual(errorCodes(refused, refusal)[0], 'EVENT_CREDENTIAL_UNCONFIRMED');
        gateway.gitlab.answer({ kind: 'up' });
        if (upstream?.circuitBreaker) return; // stays open for its cool-down: the refusal above is the point
        const [resumed] = (await open(gateway, transport, 1, {}, eventsAfter(first.cursor as string))) as [
          Subscriber,
        ];
        const replayed = await resumed.waitForEvents(1);
        assert.equal(replayed[0]?.name, 'meanwhile');
      });
    }
  }

  it('keeps the stream through an outage shorter than the staleness, retrying within it', async () => {
    const gateway = await start();
    const streams = [...(await open(gateway, 'sse')), ...(await open(gateway, 'ws'))];
    const seen = gateway.gitlab.checksOf(ADMIN_TOKEN).length;
    gateway.gitlab.answer({ kind: 'status', status: 503 });
    const failed = await checksAnswered(gateway, ADMIN_TOKEN, seen, 1);
    assert.equal(failed[0]?.status, 503);
    gateway.gitlab.answer({ kind: 'up' });
    // A failed recheck is retried after a quarter of the interval; then the chain goes on as before.
    const after = gateway.gitlab.checksOf(ADMIN_TOKEN).length;
    const next = await checksAnswered(gateway, ADMIN_TOKEN, after, 2);
    assert.ok(next.every((check) => check.status === 200));
    await gateway.deliver('still here');
    for (const stream of streams) {
      assert.equal((await stream.waitForEvents(1))[0]?.name, 'still here');
      assert.deepEqual(errorCodes(stream, undefined), []);
    }
  });
});

describe('rechecks shared per credential', () => {
  it('makes one chain of GitLab calls for 50 subscriptions of one token, over SSE and WebSocket', async () => {
    const gateway = await start({ authMaxStalenessMs: 60_000 });
    await open(gateway, 'sse', 25);
    await open(gateway, 'ws', 25, { credentialIn: 'headers' });
    // The chain may have begun while the last ones were starting; from here on, only rechecks reach GitLab.
    const seen = gateway.gitlab.checksOf(ADMIN_TOKEN).length;
    const rechecks = await checksAnswered(gateway, ADMIN_TOKEN, seen, 4);
    // One chain: each recheck is sent an interval after the previous one was answered, none alongside another.
    for (let i = 1; i < rechecks.length; i++) {
      const previous = rechecks[i - 1] as CheckSeen;
      const current = rechecks[i] as CheckSeen;
      if (previous.answeredAt === undefined) continue;
      assert.ok(
        current.sentAt - previous.answeredAt >= RECHECK_MS - 15,
        `recheck ${i} was sent ${Math.round(current.sentAt - previous.answeredAt)} ms after the previous answer`,
      );
    }
  });

  it('never overlaps rechecks when GitLab answers more slowly than the interval', async () => {
    const gateway = await start({ authMaxStalenessMs: 60_000 });
    await open(gateway, 'ws', 3);
    gateway.gitlab.delayMs = RECHECK_MS * 2;
    const seen = gateway.gitlab.checksOf(ADMIN_TOKEN).length;
    const rechecks = await checksAnswered(gateway, ADMIN_TOKEN, seen, 3);
    for (let i = 1; i < rechecks.length; i++) {
      const previous = rechecks[i - 1] as CheckSeen;
      assert.ok(
        previous.answeredAt !== undefined && (rechecks[i] as CheckSeen).sentAt >= previous.answeredAt,
      );
    }
  });

  it('ends every subscription of a revoked token at once, and none of another credential', async () => {
    const gateway = await start({ authMaxStalenessMs: 60_000 });
    const revoked = [
      ...(await open(gateway, 'sse', 3)),
      ...(await open(gateway, 'ws', 3)),
      // The same token as a Bearer credential: one credential, one chain.
      ...(await open(gateway, 'sse', 2, { scheme: 'bearer' })),
    ];
    const kept = await open(gateway, 'ws', 2, { token: OTHER_ADMIN_TOKEN });
    // The other credential has its own chain.
    await checksAnswered(gateway, OTHER_ADMIN_TOKEN, gateway.gitlab.checksOf(OTHER_ADMIN_TOKEN).length, 1);
    gateway.gitlab.admins.delete(ADMIN_TOKEN);
    for (const subscriber of revoked) {
      const end = await subscriber.waitForEnd(RECHECK_MS * 2 + SLACK_MS);
      assert.deepEqual(errorCodes(subscriber, end), ['UNAUTHENTICATED']);
    }
    await waitUntil(
      () => `only the other credential's subscriptions are left; the store has ${gateway.subscriptions()}`,
      () => gateway.subscriptions() === kept.length,
    );
    await gateway.deliver('for the other');
    for (const subscriber of kept)
      assert.equal((await subscriber.waitForEvents(1))[0]?.name, 'for the other');
  });
});
