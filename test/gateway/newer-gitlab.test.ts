import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SystemHookDocument, SystemHooksDocument } from '../generated/graphql.ts';
import { gid, type Stack, startStack } from '../helpers/stack.ts';

describe('a GitLab newer than the gateway', () => {
  let stack: Stack;
  let newer: number;

  before(async () => {
    stack = await startStack();
    // Rows as a newer GitLab would hold them: enum values this gateway does not know.
    [newer] = (await stack.gitlab.seed([
      {
        url: 'https://hooks.example.com/newer',
        alert_status: 'paused',
        branch_filter_strategy: 'protected_branches',
      },
      {
        url: 'https://hooks.example.com/known',
        push_events_branch_filter: 'main',
        branch_filter_strategy: 'regex',
      },
    ])) as [number];
  });
  after(() => stack.close());

  it('serves a hook whose enum values it does not know, with those fields null', async () => {
    const result = await stack.request(SystemHookDocument, { id: gid(newer) });
    assert.equal(result.errors, undefined);
    const hook = result.data?.systemHook;
    assert.ok(hook);
    assert.equal(hook.url, 'https://hooks.example.com/newer');
    assert.equal(hook.alertStatus, null);
    assert.equal(hook.branchFilterStrategy, null);
  });

  it('keeps the other hooks of a list whole, with the values it knows', async () => {
    const result = await stack.request(SystemHooksDocument, { first: 10 });
    assert.equal(result.errors, undefined);
    const byUrl = new Map(result.data?.systemHooks.nodes.map((hook) => [hook.url, hook]));
    assert.equal(byUrl.size, 2);
    assert.equal(byUrl.get('https://hooks.example.com/newer')?.alertStatus, null);
    const other = byUrl.get('https://hooks.example.com/known');
    assert.equal(other?.alertStatus, 'EXECUTABLE');
    assert.equal(other?.branchFilterStrategy, 'REGEX');
  });
});
