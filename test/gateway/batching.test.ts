import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { NodesDocument } from '../generated/graphql.ts';
import { gid, type Stack, seedHooks, startStack } from '../helpers/stack.ts';

/** Upstream cost of query shapes, counted by the embedded GitLab, which logs every request it serves. */
describe('batching and per-request caching', () => {
  let stack: Stack;
  let ids: number[];

  before(async () => {
    stack = await startStack();
    ids = await seedHooks(stack.gitlab, 250);
  });
  after(() => stack.close());
  beforeEach(() => stack.gitlab.resetRequestLog());

  it('reads 50 distinct ids among 250 hooks with at most 3 upstream requests', async () => {
    const wanted = ids.filter((_, i) => i % 5 === 2).slice(0, 50);
    assert.equal(wanted.length, 50);
    const result = await stack.request(NodesDocument, { ids: wanted.map(gid) });
    assert.equal(result.errors, undefined);
    assert.deepEqual(
      result.data?.nodes.map((node) => node?.id),
      wanted.map(gid),
    );
    const requests = stack.upstreamRequests();
    assert.ok(requests.length <= 3, `expected at most 3 upstream requests, got ${requests.length}`);
    assert.ok(requests.every((r) => r.method === 'GET' && r.path === '/api/v4/hooks'));
  });

  it('reads the same id asked 10 times with one upstream request', async () => {
    const result = await stack.request(NodesDocument, { ids: Array(10).fill(gid(ids[7] as number)) });
    assert.equal(result.data?.nodes.length, 10);
    assert.ok(result.data?.nodes.every((node) => node?.id === gid(ids[7] as number)));
    assert.equal(stack.upstreamRequests().length, 1);
  });

  it('serves aliases of systemHook, node and nodes for one id from one upstream request', async () => {
    const id = gid(ids[3] as number);
    const result = await stack.requestText(
      `query ($id: ID!) {
        a: systemHook(id: $id) { id url }
        b: systemHook(id: $id) { id name }
        c: node(id: $id) { id }
        d: nodes(ids: [$id, $id]) { id }
      }`,
      { id },
    );
    assert.equal(result.errors, undefined);
    assert.equal(result.data.a.id, id);
    assert.equal(result.data.c.id, id);
    assert.equal(stack.upstreamRequests().length, 1);
  });

  it('reads hooks that a list in the same query returned without another upstream request', async () => {
    const result = await stack.requestText(
      `query ($a: ID!, $b: ID!) {
        systemHooks(first: 20) { nodes { id } }
        one: systemHook(id: $a) { url }
        two: nodes(ids: [$a, $b]) { id }
      }`,
      { a: gid(ids[0] as number), b: gid(ids[19] as number) },
    );
    assert.equal(result.errors, undefined);
    assert.equal(result.data.systemHooks.nodes.length, 20);
    // The list resolves first (fields run in parallel, but the reads wait for the loader's batch tick,
    // after the list's answer primed it) — so only the list itself reaches GitLab.
    const requests = stack.upstreamRequests();
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.path}`),
      ['GET /api/v4/hooks'],
    );
  });

  it('reads few ids with one GET per id rather than walking the list', async () => {
    const wanted = [ids[240] as number, ids[245] as number];
    const result = await stack.request(NodesDocument, { ids: wanted.map(gid) });
    assert.deepEqual(
      result.data?.nodes.map((node) => node?.id),
      wanted.map(gid),
    );
    assert.deepEqual(
      stack
        .upstreamRequests()
        .map((r) => r.path)
        .sort(),
      wanted.map((id) => `/api/v4/hooks/${id}`).sort(),
    );
  });

  it('answers null for ids that do not exist, in place, at no extra cost', async () => {
    const wanted = [gid(ids[0] as number), gid(999_999), gid(ids[1] as number), '424242'];
    const result = await stack.request(NodesDocument, { ids: wanted });
    assert.equal(result.errors, undefined);
    assert.deepEqual(
      result.data?.nodes.map((node) => node?.id ?? null),
      [gid(ids[0] as number), null, gid(ids[1] as number), null],
    );
    assert.ok(stack.upstreamRequests().length <= 4);
  });

  it('does not share its cache between two requests', async () => {
    const id = gid(ids[9] as number);
    await stack.request(NodesDocument, { ids: [id] });
    await stack.request(NodesDocument, { ids: [id] });
    assert.equal(stack.upstreamRequests().length, 2);
  });
});
