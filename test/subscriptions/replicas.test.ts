import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createEmbeddedGitLab, type EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { ROUTES } from '../../src/http/routes.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { type Delivery, deliver, projectCreate } from '../helpers/deliveries.ts';
import {
  type GatewayProcess,
  type ReadyReport,
  readyReport,
  startGatewayProcesses,
} from '../helpers/gateway-process.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import {
  type Subscriber,
  subscribeOverSse,
  subscribeOverWebSocket,
  untilEachReceives,
} from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * Two replicas of the gateway, each a process started as `npm start` runs it (`GITLAB_URL`, `REDIS_URL`,
 * `WEBHOOK_SECRET_TOKENS`, `PORT=0`), sharing one real Redis, in front of an embedded GitLab that this test runs.
 * Separate processes rather than two gateways in this one: each then has its own Redis connections, XREAD loop
 * and event log, as replicas do, and nothing in memory can carry an event from one to the other.
 */

const RECEIVER_TOKEN = 'replica-receiver-token-7c1d';
/** Gateway processes and Redis on a busy machine: longer waits, and each poll of `/ready` is a request. */
const REPLICA_WAIT = { withinMs: 10_000, everyMs: 20 };

const READY_UP: ReadyReport = { status: 200, body: { ready: true, checks: { gitlab: 'up', events: 'up' } } };

describe('two gateway processes sharing Redis', () => {
  let redis: RedisServer;
  let gitlab: EmbeddedGitLab;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const subscribers: Subscriber[] = [];

  /** Subscribers are closed at the end, also when a test fails. */
  function kept(subscriber: Subscriber): Subscriber {
    subscribers.push(subscriber);
    return subscriber;
  }

  /** Delivers a `project_create` named `name` to `replica`, which must answer 204. */
  async function post(replica: GatewayProcess, name: string | Delivery): Promise<number> {
    const delivery = typeof name === 'string' ? projectCreate(name) : name;
    const { status, ms } = await deliver(replica.url, delivery, RECEIVER_TOKEN);
    assert.equal(status, 204, `the receiver answered ${status}`);
    return ms;
  }

  /** Waits until each subscriber holds its subscription (probes sent to replica A). */
  const ready = (list: Subscriber[]) => untilEachReceives(list, (name) => post(a, name));

  /** Polls `/ready` until `check` accepts its answer; returns that answer. */
  async function untilReady(replica: GatewayProcess, what: string, check: (report: ReadyReport) => boolean) {
    let last: ReadyReport | undefined;
    try {
      await waitUntil(
        `/ready ${what}`,
        async () => {
          last = await readyReport(replica.url);
          return check(last);
        },
        REPLICA_WAIT,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; its last answer: ${JSON.stringify(last)}`);
    }
    return last as ReadyReport;
  }

  before(async () => {
    redis = await startRedisServer();
    gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN });
    const env = {
      GITLAB_URL: await gitlab.listen(),
      REDIS_URL: redis.url,
      WEBHOOK_SECRET_TOKENS: RECEIVER_TOKEN,
    };
    [a, b] = (await startGatewayProcesses(2, env)) as [GatewayProcess, GatewayProcess];
  });
  after(async () => {
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    await Promise.all([a?.stop(), b?.stop()]);
    await gitlab?.close();
    await redis?.close();
  });

  it('reports GitLab and events up in /ready on both replicas once they reach Redis', async () => {
    for (const replica of [a, b]) {
      assert.deepEqual(
        await untilReady(replica, 'reports events up', (report) => report.body.checks.events === 'up'),
        READY_UP,
      );
    }
  });

  it('delivers an event GitLab sent to replica A to an SSE and a WebSocket subscriber on replica B, once each', async () => {
    await gitlab.seed([{ url: `${a.url}${ROUTES.receiver}`, name: 'replica A', token: RECEIVER_TOKEN }]);
    const onB = [kept(await subscribeOverSse(b.url)), kept(await subscribeOverWebSocket(b.url))];
    await ready(onB);

    const emitted = gitlab.emitSystemHookEvent({ eventName: 'project_create' });
    const name = emitted.payload.name as string;
    const [planned] = emitted.deliveries;
    assert.equal(emitted.deliveries.length, 1, 'one hook, on replica A');
    for (const subscriber of onB) {
      const event = await subscriber.waitForEvent(name);
      assert.equal(event.deliveryId, planned?.idempotencyKey);
      assert.equal(event.__typename, 'ProjectSystemHookEvent');
      assert.equal(event.projectId, `gid://gitlab/Project/${emitted.payload.project_id}`);
    }
    await gitlab.deliveriesSettled();
    assert.equal(gitlab.deliveries.at(-1)?.status, 204);

    // Events reach a subscriber in the stream's order: once the next one is in, a copy of the first is not coming.
    await post(a, 'after the GitLab event');
    for (const subscriber of onB) {
      await subscriber.waitForEvent('after the GitLab event');
      assert.deepEqual(subscriber.names(), [name, 'after the GitLab event'], subscriber.transport);
      assert.deepEqual(subscriber.errors(), []);
    }
  });

  it('publishes once a delivery sent to replica A and then, the same, to replica B', async () => {
    const [onA, onB] = [kept(await subscribeOverSse(a.url)), kept(await subscribeOverSse(b.url))];
    await ready([onA, onB]);
    const delivery = projectCreate('sent twice');
    await post(a, delivery);
    // GitLab's "Resend request", or a retry by a proxy, landing on the other replica: the same id, a new attempt.
    await post(b, {
      ...delivery,
      headers: { ...delivery.headers, 'x-gitlab-webhook-uuid': randomUUID() },
    });
    await post(b, 'after the duplicate');
    for (const subscriber of [onA, onB]) {
      await subscriber.waitForEvent('after the duplicate');
      assert.deepEqual(subscriber.names(), ['sent twice', 'after the duplicate']);
      assert.equal(subscriber.events[0]?.deliveryId, delivery.id);
    }
  });

  it('resumes on replica B after a cursor received from replica A: the missed events, then live, no gap or repeat', async () => {
    const onA = kept(await subscribeOverSse(a.url));
    await ready([onA]);
    await post(a, 'first');
    const cursor = (await onA.waitForEvent('first')).cursor;
    await post(a, 'missed 1');
    await post(b, 'missed 2');
    await onA.waitForEvent('missed 2');

    const resumed = [
      kept(await subscribeOverSse(b.url, { after: cursor })),
      kept(await subscribeOverWebSocket(b.url, { after: cursor })),
    ];
    for (const subscriber of resumed) await subscriber.waitForEvent('missed 2');
    await post(b, 'live 1');
    await post(a, 'live 2');
    const expected = ['missed 1', 'missed 2', 'live 1', 'live 2'];
    await onA.waitForEvent('live 2');
    for (const subscriber of resumed) {
      await subscriber.waitForEvent('live 2');
      assert.deepEqual(subscriber.names(), expected, subscriber.transport);
      // The cursors are the shared stream's: the same on both replicas, in order.
      assert.deepEqual(
        subscriber.events.map((event) => event.cursor),
        onA.events.slice(1).map((event) => event.cursor),
      );
    }
  });

  it('refuses a cursor past the 64-bit range of Redis stream ids with BAD_USER_INPUT, and stays healthy', async () => {
    const refused = kept(await subscribeOverSse(b.url, { after: '18446744073709551616-0' }));
    await refused.waitForEnd();
    assert.deepEqual(
      refused.errors().map((error) => error.extensions?.code),
      ['BAD_USER_INPUT'],
    );
    assert.deepEqual(await readyReport(b.url), READY_UP);
  });

  it('keeps accepting and serving its own subscribers while Redis is down, then fans out what it accepted, once each', {
    timeout: 30_000,
  }, async () => {
    const onA = kept(await subscribeOverSse(a.url));
    const onB = [kept(await subscribeOverSse(b.url)), kept(await subscribeOverWebSocket(b.url))];
    const everyone = [onA, ...onB];
    await ready(everyone);
    await post(a, 'before the outage');
    for (const subscriber of everyone) await subscriber.waitForEvent('before the outage');

    await redis.stop();
    // Right after Redis went away, before either replica may have noticed; to both at once, each in turn.
    const inTurn = async (replica: GatewayProcess, names: string[]) => {
      const times: number[] = [];
      for (const name of names) times.push(await post(replica, name));
      return times;
    };
    const answers = (
      await Promise.all([inTurn(a, ['outage A1', 'outage A2']), inTurn(b, ['outage B1', 'outage B2'])])
    ).flat();
    for (const replica of [a, b]) {
      const report = await untilReady(
        replica,
        'reports events degraded',
        (r) => r.body.checks.events !== 'up',
      );
      assert.equal(report.status, 200);
      assert.equal(report.body.ready, true);
      assert.equal(report.body.checks.gitlab, 'up');
      assert.match(report.body.checks.events ?? '', /^degraded: Redis is unreachable/);
    }
    answers.push(await post(a, 'outage A3'), await post(b, 'outage B3'));
    assert.ok(
      answers.every((ms) => ms < 1000),
      `every delivery answered 204 within a second: ${answers.map(Math.round)} ms`,
    );

    // Each replica serves what it accepted to its own subscribers, and only that, until Redis is back.
    await onA.waitForEvent('outage A3');
    assert.deepEqual(onA.names(), ['before the outage', 'outage A1', 'outage A2', 'outage A3']);
    for (const subscriber of onB) {
      await subscriber.waitForEvent('outage B3');
      assert.deepEqual(subscriber.names(), ['before the outage', 'outage B1', 'outage B2', 'outage B3']);
    }

    await redis.start();
    const outage = ['A1', 'A2', 'A3', 'B1', 'B2', 'B3'].map((n) => `outage ${n}`);
    for (const subscriber of everyone) {
      for (const name of outage) await subscriber.waitForEvent(name);
    }
    for (const replica of [a, b]) {
      assert.deepEqual(
        await untilReady(replica, 'reports events up again', (r) => r.body.checks.events === 'up'),
        READY_UP,
      );
    }
    await post(b, 'after the outage');
    for (const subscriber of everyone) {
      await subscriber.waitForEvent('after the outage');
      const names = subscriber.names();
      assert.deepEqual(
        [...names].sort(),
        ['before the outage', ...outage, 'after the outage'].sort(),
        `${subscriber.transport} received each event once: ${JSON.stringify(names)}`,
      );
      assert.equal(names.at(-1), 'after the outage');
      assert.deepEqual(subscriber.errors(), []);
      assert.equal(subscriber.ending, null, 'the subscription is still open');
    }
    assert.equal(a.child.exitCode, null);
    assert.equal(b.child.exitCode, null);
  });
});
