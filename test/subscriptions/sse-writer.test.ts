import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { createEmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import type { EventStore } from '../../src/events/event-store.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import { createGateway } from '../../src/http/gateway.ts';
import { startGatewayServer } from '../../src/http/server.ts';
import { createGitLabClient } from '../../src/upstream/client.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { deliver, projectCreate } from '../helpers/deliveries.ts';
import { RawSseSubscriber } from '../helpers/raw-subscribers.ts';
import { type EventStack, RECEIVER_TOKEN, startEventStack } from '../helpers/stack.ts';
import type { OperationPayload } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { startWatchedGateway, type WatchedGateway } from './watched-gateway.ts';

/**
 * Grouped SSE subscriptions served through the node edge are written by the gateway's own writer
 * (`src/graphql/sse-writer.ts`) once Yoga has run the subscribe request. A client must see the bytes Yoga's SSE
 * writer sends, as an ungrouped gateway (`groupSubscriptions: false`) sends them: the same status and headers in
 * the same order, `:\n\n` first, the `next` frames, the frame of the error that ended a stream, and
 * `event: complete`. Pings come on a timer, so they are left out of the comparison (after the first).
 */

const NAMES: OperationPayload = {
  query:
    'subscription Names { systemHookEventReceived { eventName ... on ProjectSystemHookEvent { name } } }',
};

/** The head without the lines that differ between any two responses (their date and request id). */
const headOf = (subscriber: RawSseSubscriber) =>
  subscriber.head
    .split('\r\n')
    .filter((line) => !/^date:/i.test(line))
    .map((line) => line.replace(/^(x-request-id): .*$/i, '$1: *'));

/** The body's frames, without the pings that follow the first frame. */
const framesOf = (subscriber: RawSseSubscriber) => {
  const [first, ...rest] = subscriber.body().split('\n\n');
  return [first, ...rest.filter((frame) => frame !== ':')];
};

const completed = (subscriber: RawSseSubscriber) => subscriber.body().endsWith('event: complete\ndata:\n\n');

describe("the gateway's own SSE writer", () => {
  const stacks: EventStack[] = [];
  const watched: WatchedGateway[] = [];
  const subscribers: RawSseSubscriber[] = [];
  after(async () => {
    for (const subscriber of subscribers) subscriber.close();
    for (const stack of stacks) await stack.close();
    for (const gateway of watched) await gateway.close();
  });

  it('writes the bytes Yoga writes, from the first ping to the end of the stream', async () => {
    const store: EventStore = createMemoryEventStore();
    const grouped = await startEventStack({ events: { store } });
    const plain = await startEventStack({ events: { store }, gateway: { groupSubscriptions: false } });
    stacks.push(grouped, plain);
    const mine = await RawSseSubscriber.open(grouped.url, NAMES, ADMIN_TOKEN);
    const theirs = await RawSseSubscriber.open(plain.url, NAMES, ADMIN_TOKEN);
    subscribers.push(mine, theirs);
    // A grouped gateway served without the node edge (no `serverContext.res`) keeps Yoga's writer.
    const adapter = createGateway({
      api: createGitLabClient({ baseUrl: grouped.gitlab.url, timeoutMs: 2_000 }),
      logging: false,
      events: { store, receiver: { secretTokens: [RECEIVER_TOKEN] }, authRecheckMs: 300_000 },
    });
    const fetched = await adapter.fetch(`http://localhost/graphql`, {
      method: 'POST',
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        'private-token': ADMIN_TOKEN,
      },
      body: JSON.stringify(NAMES),
    });
    const adapterBody = fetched.text();
    await waitUntil('the subscriptions open', () => store.status().subscribers === 3);
    for (const name of ['first', 'second']) {
      assert.equal((await deliver(grouped.url, projectCreate(name), RECEIVER_TOKEN)).status, 204);
    }
    await waitUntil('both receive the events', () =>
      [mine, theirs].every((subscriber) => subscriber.nextData().length === 2),
    );
    // Closing the store ends every stream, as at shutdown.
    await store.close();
    await waitUntil('both streams complete', () => completed(mine) && completed(theirs));
    assert.equal(mine.status, 200);
    assert.deepEqual(headOf(mine), headOf(theirs));
    assert.equal(framesOf(mine)[0], ':');
    assert.deepEqual(framesOf(mine), framesOf(theirs));
    assert.match(mine.body(), /"name":"second"/);
    const [first, ...rest] = (await adapterBody).split('\n\n');
    assert.deepEqual([first, ...rest.filter((frame) => frame !== ':')], framesOf(mine));
  });

  it('writes the error that ended a stream as Yoga does, then completes, and releases the subscription', async () => {
    // Staleness far off: the refused recheck, not a late answer on a loaded machine, is what ends the stream.
    const gateway = await startWatchedGateway({ authRecheckMs: 100, authMaxStalenessMs: 10_000 });
    watched.push(gateway);
    const mine = await RawSseSubscriber.open(gateway.url, NAMES, ADMIN_TOKEN);
    subscribers.push(mine);
    await waitUntil('the subscription is open', () => gateway.subscriptions() === 1);
    await gateway.deliver('before');
    await waitUntil('it receives the event', () => mine.nextData().length === 1);
    // GitLab no longer takes the token for an administrator's: the next recheck ends the stream.
    gateway.gitlab.admins.clear();
    await waitUntil('the stream completes', () => completed(mine), { withinMs: 5_000 });
    // Yoga's writer (and an ungrouped gateway's first report of it) writes the same frames: the event, the
    // error masked and without internal extensions, and the end.
    assert.deepEqual(framesOf(mine), [
      ':',
      'event: next\ndata: {"data":{"systemHookEventReceived":{"eventName":"project_create","name":"before"}}}',
      'event: next\ndata: {"errors":[{"message":"GitLab did not accept the credential: send a valid token",' +
        '"extensions":{"code":"UNAUTHENTICATED"}}]}',
      'event: complete\ndata:',
      '',
    ]);
    await waitUntil('the subscription is released', () => gateway.subscriptions() === 0);
  });

  it('ends an ungrouped stream the same way: its error once, then complete', async () => {
    const gateway = await startWatchedGateway(
      { authRecheckMs: 100, authMaxStalenessMs: 10_000 },
      {},
      { groupSubscriptions: false },
    );
    watched.push(gateway);
    const theirs = await RawSseSubscriber.open(gateway.url, NAMES, ADMIN_TOKEN);
    subscribers.push(theirs);
    await waitUntil('the subscription is open', () => gateway.subscriptions() === 1);
    await gateway.deliver('before');
    await waitUntil('it receives the event', () => theirs.nextData().length === 1);
    gateway.gitlab.admins.clear();
    await waitUntil('the stream completes', () => completed(theirs), { withinMs: 5_000 });
    assert.equal(framesOf(theirs).filter((frame) => frame?.includes('UNAUTHENTICATED')).length, 1);
    await waitUntil('the subscription is released', () => gateway.subscriptions() === 0);
  });

  it('ends the subscription, not the process, when the response it took over emits an error', async () => {
    const gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN });
    const client = createGitLabClient({ baseUrl: await gitlab.listen(), timeoutMs: 2_000 });
    const store = createMemoryEventStore();
    const gateway = createGateway({
      api: client,
      logging: false,
      events: { store, receiver: { secretTokens: [RECEIVER_TOKEN] }, authRecheckMs: 300_000 },
    });
    const edge = await startGatewayServer(gateway, { shutdownGraceMs: 0 });
    const responses: ServerResponse[] = [];
    edge.server.on('request', (_request: IncomingMessage, response: ServerResponse) =>
      responses.push(response),
    );
    try {
      const mine = await RawSseSubscriber.open(edge.url, NAMES, ADMIN_TOKEN);
      subscribers.push(mine);
      await waitUntil('the subscription is open', () => store.status().subscribers === 1);
      // What Node emits for a write after the response's end: whatwg-node's listener, which the writer
      // removed, took it before; with no listener at all, `emit` would throw it here.
      responses[0]?.emit('error', new Error('write after end'));
      await waitUntil('the subscription is released', () => store.status().subscribers === 0);
    } finally {
      await edge.close();
      await store.close();
      await client.close();
      await gitlab.close();
    }
  });
});
