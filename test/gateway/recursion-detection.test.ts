import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { type GatewayHandle, gid, startGateway } from '../helpers/stack.ts';
import { hookJson } from '../upstream/fixtures.ts';

const QUERY = 'query($id: ID!) { systemHook(id: $id) { id } }';

describe("GitLab's recursion detection (X-Gitlab-Event-UUID)", () => {
  let upstream: ScriptedServer;
  let gateway: GatewayHandle;

  before(async () => {
    upstream = await startScriptedServer(() => json(200, hookJson(7)));
    gateway = await startGateway(upstream.url);
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  it("passes a caller's X-Gitlab-Event-UUID on to GitLab, so that a webhook loop can be cut", async () => {
    const uuid = '9cebe914-4827-408f-b014-cfa23a47a35f';
    const result = await gateway.requestText(
      QUERY,
      { id: gid(7) },
      { headers: { 'X-Gitlab-Event-UUID': uuid } },
    );
    assert.equal(result.errors, undefined);
    assert.equal(upstream.requests.length, 1);
    assert.equal(upstream.requests[0]?.headers['x-gitlab-event-uuid'], uuid);
  });

  it('sends none when the caller sent none, or one that is not an id', async () => {
    await gateway.requestText(QUERY, { id: gid(7) });
    await gateway.requestText(QUERY, { id: gid(7) }, { headers: { 'X-Gitlab-Event-UUID': 'a b\tc' } });
    await gateway.requestText(QUERY, { id: gid(7) }, { headers: { 'X-Gitlab-Event-UUID': 'x'.repeat(65) } });
    assert.equal(upstream.requests.length, 3);
    for (const request of upstream.requests) assert.equal(request.headers['x-gitlab-event-uuid'], undefined);
  });
});
