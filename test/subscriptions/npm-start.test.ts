import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, graphqlHeaders } from '../helpers/credentials.ts';
import { graphiqlDefaultDocument, type StartedProgram, startProgram } from '../helpers/npm-start.ts';
import { type Subscriber, subscribe } from '../helpers/subscribers.ts';
import { within } from '../helpers/wait-until.ts';

/**
 * What a newcomer does after `npm start`: open GraphiQL, run its `Events` subscription in one tab and its
 * `DeliverATestEvent` mutation in another, and watch the test event arrive. The documents are read from the page
 * GraphiQL is served with and sent as GraphiQL sends them: the whole editor text, with the operation's name.
 */

describe('npm start: a test event from GraphiQL to a subscription', () => {
  let program: StartedProgram;
  let document: string;
  let subscriber: Subscriber;

  before(async () => {
    program = await startProgram({
      PORT: '0',
      EMBEDDED_GITLAB_PORT: '0',
      EMBEDDED_GITLAB_ADMIN_TOKEN: ADMIN_TOKEN,
    });
  });
  after(async () => {
    await subscriber?.close();
    if (program.child.exitCode === null) program.child.kill('SIGKILL');
  });

  it('shows the Events subscription and the DeliverATestEvent mutation in GraphiQL', async () => {
    const response = await fetch(`${program.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    document = graphiqlDefaultDocument(await response.text());
    assert.match(document, /^subscription Events \{$/m);
    assert.match(document, /^mutation DeliverATestEvent \{$/m);
    assert.match(document, /^query RecentEvents \{$/m);
    assert.match(program.output(), /hook \d+ delivers to the gateway's receiver/);
  });

  it('delivers the test event of DeliverATestEvent to the Events subscription, over SSE', async () => {
    assert.ok(document, 'the page was read');
    subscriber = subscribe(
      { url: program.url, wsUrl: `${program.url.replace(/^http/, 'ws')}/graphql` },
      'sse',
      { query: document, operationName: 'Events' },
    );
    await within(subscriber.opened, 'the SSE stream opened');
    const response = await fetch(`${program.url}/graphql`, {
      method: 'POST',
      headers: graphqlHeaders(ADMIN_TOKEN),
      body: JSON.stringify({ query: document, operationName: 'DeliverATestEvent' }),
    });
    const body = (await response.json()) as {
      data?: { testSystemHook?: { errors: string[] } };
      errors?: unknown;
    };
    assert.equal(body.errors, undefined, JSON.stringify(body));
    assert.deepEqual(body.data?.testSystemHook?.errors, []);
    await subscriber.waitForEvents(1);
    const [event] = subscriber.events;
    assert.ok(event, `an event arrived; got ${JSON.stringify(subscriber.results)}`);
    assert.equal(event.__typename, 'ProjectSystemHookEvent');
    assert.equal(event.type, 'PROJECT_CREATE');
    assert.equal(event.eventName, 'project_create');
    assert.equal(event.verifiedBy, 'TOKEN');
    assert.match(event.projectId, /^gid:\/\/gitlab\/Project\/\d+$/);
  });

  it('lists the test event with RecentEvents, under the cursor it was delivered with', async () => {
    const [delivered] = subscriber.events;
    assert.ok(delivered, 'the test event was delivered');
    const response = await fetch(`${program.url}/graphql`, {
      method: 'POST',
      headers: graphqlHeaders(ADMIN_TOKEN),
      body: JSON.stringify({ query: document, operationName: 'RecentEvents' }),
    });
    const body = (await response.json()) as {
      data?: { systemHookEvents?: { count: number; pageInfo: { endCursor: string | null } } };
      errors?: unknown;
    };
    assert.equal(body.errors, undefined, JSON.stringify(body));
    assert.ok((body.data?.systemHookEvents?.count ?? 0) >= 1, JSON.stringify(body));
    assert.equal(body.data?.systemHookEvents?.pageInfo.endCursor, delivered.cursor);
  });

  it('serves GraphQL over WebSocket on the same port', async () => {
    const query = subscribe(
      { url: program.url, wsUrl: `${program.url.replace(/^http/, 'ws')}/graphql` },
      'ws',
      { query: document, operationName: 'SystemHooks' },
    );
    assert.deepEqual(await query.waitForEnd(), {});
    assert.ok(query.results[0]?.data?.systemHooks?.count >= 1, JSON.stringify(query.results));
    await query.close();
  });

  it('exits 0 on SIGTERM while the subscription is open, ending it', async () => {
    assert.equal(subscriber.events.length > 0, true, 'the subscription is open and has received');
    const code = await program.stop();
    assert.equal(code, 0, program.output());
    // Ended by the gateway (its event store closed first), not cut off with the connection.
    assert.deepEqual(await subscriber.waitForEnd(), {});
  });
});
