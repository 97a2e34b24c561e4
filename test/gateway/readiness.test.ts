import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Stack, startStack } from '../helpers/stack.ts';

// The readiness endpoint matches the path inside the request's URL text instead of parsing every request's URL
// (src/graphql/plugins/use-readiness.ts); these pin which URLs are the endpoint and which are not.
describe('/ready matching', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('answers /ready with a query string, and HEAD /ready, by asking GitLab', async () => {
    for (const [path, method] of [
      ['/ready?probe=kubelet', 'GET'],
      ['/ready', 'HEAD'],
    ] as const) {
      stack.gitlab.resetRequestLog();
      const response = await fetch(`${stack.url}${path}`, { method });
      assert.equal(response.status, 200, `${method} ${path}`);
      await response.body?.cancel();
      assert.equal(stack.upstreamRequests().length, 1, `${method} ${path}`);
    }
  });

  it('leaves other paths alone, also those that only end or start with /ready', async () => {
    for (const path of ['/readyz', '/ready/', '/health/ready', '/graphql?next=/ready']) {
      stack.gitlab.resetRequestLog();
      const response = await fetch(`${stack.url}${path}`, { headers: { accept: 'application/json' } });
      await response.body?.cancel();
      assert.notEqual(response.status, 200, path);
      assert.deepEqual(stack.upstreamRequests(), [], path);
    }
  });
});
