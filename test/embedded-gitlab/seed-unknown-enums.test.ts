import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useEmbeddedGitLab } from './helpers.ts';

describe('seed() with enum values of a newer GitLab', () => {
  const t = useEmbeddedGitLab();

  it('returns a seeded alert_status verbatim, and "executable" without one', async () => {
    const [paused, plain] = (await t.gitlab.seed([
      { url: 'http://example.com/paused', alert_status: 'paused' },
      { url: 'http://example.com/plain' },
    ])) as [number, number];

    assert.equal((await t.call('GET', `/hooks/${paused}`)).body.alert_status, 'paused');
    assert.equal((await t.call('GET', `/hooks/${plain}`)).body.alert_status, 'executable');
    const listed = (await t.listHooks()).find((hook) => hook.id === paused);
    assert.equal(listed?.alert_status, 'paused');
  });

  it('stores an unknown branch_filter_strategy verbatim, without validating the filter against it', async () => {
    const [id] = (await t.gitlab.seed([
      {
        url: 'http://example.com/protected',
        push_events_branch_filter: 'bad branch name[',
        branch_filter_strategy: 'protected_branches',
      },
    ])) as [number];

    const hook = (await t.call('GET', `/hooks/${id}`)).body;
    assert.equal(hook.branch_filter_strategy, 'protected_branches');
    assert.equal(hook.push_events_branch_filter, 'bad branch name[');
  });

  it('keeps the seeded values through an update of other attributes, and replaces the strategy when sent', async () => {
    const [id] = (await t.gitlab.seed([
      {
        url: 'http://example.com/newer',
        alert_status: 'paused',
        branch_filter_strategy: 'protected_branches',
      },
    ])) as [number];

    const renamed = await t.call('PUT', `/hooks/${id}`, { json: { name: 'renamed' } });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.alert_status, 'paused');
    assert.equal(renamed.body.branch_filter_strategy, 'protected_branches');

    const regex = await t.call('PUT', `/hooks/${id}`, { json: { branch_filter_strategy: 'regex' } });
    assert.equal(regex.status, 200, regex.text);
    assert.equal(regex.body.branch_filter_strategy, 'regex');
    assert.equal(regex.body.alert_status, 'paused');
  });

  it('still validates a known strategy, and refuses an alert_status that is not a string', async () => {
    await assert.rejects(
      t.gitlab.seed([
        {
          url: 'http://example.com',
          push_events_branch_filter: 'bad branch',
          branch_filter_strategy: 'wildcard',
        },
      ]),
      /seed hook 0: 422 Invalid branch filter given/,
    );
    await assert.rejects(
      t.gitlab.seed([{ url: 'http://example.com' }, { url: 'http://example.com', alert_status: 3 }]),
      /seed hook 1: alert_status must be a string/,
    );
    await assert.rejects(
      t.gitlab.seed([{ url: 'http://example.com', branch_filter_strategy: 7 }]),
      /seed hook 0: 400 branch_filter_strategy does not have a valid value/,
    );
  });

  it('cannot set alert_status through the REST API', async () => {
    const created = await t.createHook({ url: 'http://example.com/rest', alert_status: 'paused' });
    assert.equal(created.alert_status, 'executable');
    const created2 = await t.call('POST', '/hooks', {
      json: { url: 'http://example.com', branch_filter_strategy: 'protected_branches' },
    });
    assert.equal(created2.status, 400);
    assert.deepEqual(created2.body, { error: 'branch_filter_strategy does not have a valid value' });
  });
});
