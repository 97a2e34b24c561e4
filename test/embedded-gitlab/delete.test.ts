import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitUntil } from '../helpers/wait-until.ts';
import { useEmbeddedGitLab } from './helpers.ts';

/** Waits until the wall clock, which the embedded GitLab's store reads for `updated_at`, is past `time`. */
const clockPast = (time: string) =>
  waitUntil(`the clock passes ${time}`, () => Date.now() > Date.parse(time), { everyMs: 1 });

describe('DELETE /hooks/:hook_id', () => {
  const t = useEmbeddedGitLab();

  it('answers 204 with an empty body and the hook is gone', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    const answer = await t.call('DELETE', `/hooks/${hook.id}`);
    assert.equal(answer.status, 204);
    assert.equal(answer.text, '');
    assert.equal(answer.headers.get('content-type'), null);
    const read = await t.call('GET', `/hooks/${hook.id}`);
    assert.equal(read.status, 404);
    assert.equal(read.text, '{"message":"404 Not found"}');
  });

  it('answers 404 for an unknown hook and 400 for a non-integer id', async () => {
    const missing = await t.call('DELETE', '/hooks/987654');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { message: '404 Not found' });
    const invalid = await t.call('DELETE', '/hooks/one');
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body, { error: 'hook_id is invalid' });
  });

  it('does not reuse ids after a delete', async () => {
    const first = await t.createHook({ url: 'http://example.com' });
    await t.call('DELETE', `/hooks/${first.id}`);
    const second = await t.createHook({ url: 'http://example.com' });
    assert.equal(second.id, first.id + 1);
  });

  it('answers 412 when If-Unmodified-Since is older than the hook', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    const older = new Date(Date.parse(hook.created_at) - 60_000).toUTCString();
    const answer = await t.call('DELETE', `/hooks/${hook.id}`, { headers: { 'If-Unmodified-Since': older } });
    assert.equal(answer.status, 412);
    assert.equal(answer.text, '{"message":"412 Precondition Failed"}');
    assert.equal((await t.call('GET', `/hooks/${hook.id}`)).status, 200, 'still there');
  });

  it('deletes when If-Unmodified-Since is later, or not a date', async () => {
    for (const since of [new Date(Date.now() + 60_000).toUTCString(), 'not a date']) {
      const hook = await t.createHook({ url: 'http://example.com' });
      const answer = await t.call('DELETE', `/hooks/${hook.id}`, {
        headers: { 'If-Unmodified-Since': since },
      });
      assert.equal(answer.status, 204, since);
    }
  });

  it('compares with the time of the last update, not of the creation', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    const afterCreation = new Date(Date.parse(hook.created_at) + 1).toISOString();
    await clockPast(afterCreation);
    assert.equal((await t.call('PUT', `/hooks/${hook.id}`, { json: { name: 'changed' } })).status, 200);
    const answer = await t.call('DELETE', `/hooks/${hook.id}`, {
      headers: { 'If-Unmodified-Since': afterCreation },
    });
    assert.equal(answer.status, 412);
  });

  it('leaves updated_at alone when an update changes nothing', async () => {
    const hook = await t.createHook({ url: 'http://example.com', name: 'same' });
    const afterCreation = new Date(Date.parse(hook.created_at) + 1).toISOString();
    await clockPast(afterCreation);
    assert.equal((await t.call('PUT', `/hooks/${hook.id}`, { json: { name: 'same' } })).status, 200);
    const answer = await t.call('DELETE', `/hooks/${hook.id}`, {
      headers: { 'If-Unmodified-Since': afterCreation },
    });
    assert.equal(answer.status, 204);
  });
});
