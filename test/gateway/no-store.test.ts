import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, credentialHeaders, graphqlHeaders } from '../helpers/credentials.ts';
import { type EventStack, RECEIVER_TOKEN, startEventStack } from '../helpers/stack.ts';

/**
 * No answer of the gateway may be kept by a cache in front of it: a GraphQL answer is one caller's view of GitLab,
 * and `PRIVATE-TOKEN`, unlike `Authorization`, is not a header that keeps shared caches from storing an answer.
 */
describe('answers are never stored by caches', () => {
  let stack: EventStack;

  before(async () => {
    stack = await startEventStack({ gateway: { corsOrigins: ['https://app.example.com'] } });
  });
  after(() => stack.close());

  function assertNoStore(response: Response, what: string): void {
    assert.equal(response.headers.get('cache-control'), 'no-store', what);
    const named = (response.headers.get('vary') ?? '').split(',').map((name) => name.trim().toLowerCase());
    for (const name of ['Authorization', 'Private-Token', 'Origin'])
      assert.ok(named.includes(name.toLowerCase()), `${what} varies by ${name}`);
  }

  it('on GraphQL over GET and POST, with either credential header', async () => {
    const query = '{ systemHooks(first: 1) { count } }';
    const get = await fetch(`${stack.url}/graphql?query=${encodeURIComponent(query)}`, {
      headers: { ...credentialHeaders(), accept: 'application/graphql-response+json' },
    });
    assert.equal(get.status, 200);
    assertNoStore(get, 'GET');
    await get.body?.cancel();
    const post = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { ...graphqlHeaders(null), authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query }),
    });
    assert.equal(post.status, 200);
    assertNoStore(post, 'POST');
    await post.body?.cancel();
  });

  it('on refusals, GraphiQL (which may carry a token), probes and the receiver', async () => {
    const answers: [string, Promise<Response>][] = [
      [
        'a bad request',
        fetch(`${stack.url}/graphql`, { method: 'POST', headers: graphqlHeaders(), body: '{' }),
      ],
      ['GraphiQL', fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } })],
      ['/health', fetch(`${stack.url}/health`)],
      ['/ready', fetch(`${stack.url}/ready`)],
      [
        'the receiver',
        fetch(stack.receiverUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-gitlab-token': RECEIVER_TOKEN },
          body: JSON.stringify({ event_name: 'project_create' }),
        }),
      ],
    ];
    for (const [what, answer] of answers) {
      const response = await answer;
      assertNoStore(response, what);
      await response.body?.cancel();
    }
  });

  it('on an SSE subscription, whose stream Yoga marks no-cache', async () => {
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { ...graphqlHeaders(), accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { systemHookEventReceived { cursor } }' }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    assertNoStore(response, 'SSE');
    controller.abort();
  });

  it('varies a CORS answer, which names one allowed origin, by Origin', async () => {
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { ...graphqlHeaders(), origin: 'https://app.example.com' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assertNoStore(response, 'CORS');
    await response.body?.cancel();
  });
});
