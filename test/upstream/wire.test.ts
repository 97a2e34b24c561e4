import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHook, toHookList } from '../../src/upstream/wire.ts';
import { hookJson } from './fixtures.ts';

describe('toHook: the fields of a hook entity', () => {
  it('accepts a hook as the newest GitLab renders it, unchanged', () => {
    const hook = hookJson(1);
    assert.equal(toHook(hook), hook);
  });

  it('accepts a hook of GitLab 14, without the newer fields', () => {
    const { id, url, created_at, push_events, tag_push_events, merge_requests_events } = hookJson(2);
    const old = {
      id,
      url,
      created_at,
      push_events,
      tag_push_events,
      merge_requests_events,
      repository_update_events: false,
      enable_ssl_verification: true,
    };
    assert.deepEqual(toHook(old), old);
  });

  it('keeps enum values and fields a newer GitLab adds', () => {
    const newer = hookJson(3, {
      alert_status: 'paused_for_review',
      branch_filter_strategy: 'glob',
      emoji_events: true,
    });
    assert.deepEqual(toHook(newer), newer);
  });

  it('reads a null event flag as false, and leaves the answer as it was', () => {
    const answer = hookJson(4, { push_events: null, enable_ssl_verification: null });
    const hook = toHook(answer);
    assert.equal(hook?.push_events, false);
    assert.equal(hook?.enable_ssl_verification, false);
    assert.equal(answer.push_events, null);
  });

  const broken: [string, unknown][] = [
    ['id', '1'],
    ['id', 1.5],
    ['id', undefined],
    ['url', 1],
    ['url', null],
    ['created_at', undefined],
    ['push_events', 'true'],
    ['tag_push_events', undefined],
    ['merge_requests_events', 0],
    ['repository_update_events', 'false'],
    ['enable_ssl_verification', []],
    ['name', 7],
    ['description', {}],
    ['organization_id', '1'],
    ['alert_status', 1],
    ['disabled_until', false],
    ['url_variables', [{ value: 'no key' }]],
    ['url_variables', 'token'],
    ['push_events_branch_filter', ['main']],
    ['branch_filter_strategy', true],
    ['custom_webhook_template', 1],
    ['custom_headers', [{ key: 1 }]],
  ];
  for (const [field, value] of broken) {
    it(`refuses a hook whose ${field} is ${JSON.stringify(value) ?? 'absent'}`, () => {
      assert.equal(toHook(hookJson(5, { [field]: value })), undefined);
    });
  }

  it('accepts null for every field but id, url and created_at', () => {
    const required = ['id', 'url', 'created_at'];
    for (const field of Object.keys(hookJson(6)).filter((name) => !required.includes(name))) {
      assert.notEqual(toHook(hookJson(6, { [field]: null })), undefined, field);
    }
  });

  it('refuses what is not an object, and a list with one bad hook', () => {
    for (const value of [null, [], 'hook', 1]) assert.equal(toHook(value), undefined);
    assert.equal(toHookList([hookJson(1), { id: 2 }]), undefined);
    assert.equal(toHookList({ 0: hookJson(1) }), undefined);
  });
});
