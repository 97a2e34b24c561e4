import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { propertyRuns } from '../helpers/property.ts';
import { type Answer, useEmbeddedGitLab } from './helpers.ts';

const RUNS = propertyRuns(150);

/** A value of any JSON type, the wrong one as often as the right one. */
const anyValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
);

const keyValueList = fc.oneof(
  fc.array(fc.record({ key: anyValue, value: anyValue }, { requiredKeys: [] }), { maxLength: 5 }),
  anyValue,
);

/** GitLab's hook parameters, each one present or not, of its type or of any other. */
const hookParams = fc.record(
  {
    url: fc.oneof(fc.webUrl(), fc.constant('https://example.com/{tenant}'), anyValue),
    token: anyValue,
    name: anyValue,
    description: anyValue,
    push_events: anyValue,
    tag_push_events: anyValue,
    merge_requests_events: anyValue,
    repository_update_events: anyValue,
    enable_ssl_verification: anyValue,
    push_events_branch_filter: anyValue,
    branch_filter_strategy: fc.oneof(fc.constantFrom('wildcard', 'regex', 'all_branches'), anyValue),
    url_variables: keyValueList,
    custom_headers: keyValueList,
    custom_webhook_template: anyValue,
    value: anyValue,
  },
  { requiredKeys: [] },
);

/** A body as a client might send it: hook-shaped JSON, any JSON, broken JSON, or a Rack-style form. */
const body = fc.oneof(
  hookParams.map((params) => ({ contentType: 'application/json', text: JSON.stringify(params) })),
  fc.jsonValue().map((value) => ({ contentType: 'application/json', text: JSON.stringify(value) })),
  fc.string({ maxLength: 200 }).map((text) => ({ contentType: 'application/json', text })),
  fc
    .stringMatching(/^[a-z_[\]=&%0-9]{0,200}$/)
    .map((text) => ({ contentType: 'application/x-www-form-urlencoded', text })),
);

/** Keys for URL variables and custom headers, valid or not, sent in the path. */
const key = fc.oneof(fc.constantFrom('tenant', 'X-Team', 'a'), fc.string({ minLength: 1, maxLength: 300 }));

/** Where to send it; `:id` stands for the hook under test. */
const target = fc.oneof(
  fc.constant({ method: 'POST', path: '/hooks' }),
  fc.constant({ method: 'PUT', path: '/hooks/:id' }),
  key.map((k) => ({ method: 'PUT', path: `/hooks/:id/url_variables/${encodeURIComponent(k)}` })),
  key.map((k) => ({ method: 'PUT', path: `/hooks/:id/custom_headers/${encodeURIComponent(k)}` })),
);

describe('the embedded GitLab with arbitrary input, property-based', () => {
  const api = useEmbeddedGitLab();
  let hookId: number;

  before(async () => {
    const hook = await api.createHook({ url: 'https://audit.example.org/events', token: 'secret' });
    hookId = hook.id;
  });

  it('never answers 5xx, stays up, and stores nothing from a request it rejects', async () => {
    let state = await api.listHooks();
    await fc.assert(
      fc.asyncProperty(target, body, async (to, sent) => {
        const path = to.path.replace(':id', String(hookId));
        let answer: Answer;
        try {
          answer = await api.call(to.method, path, { body: sent.text, contentType: sent.contentType });
        } catch (error) {
          assert.fail(`no answer to ${to.method} ${path}: ${String(error)}`);
        }
        assert.ok(answer.status < 500, `${answer.status} ${answer.text}`);
        const after = await api.listHooks();
        if (answer.status >= 400) {
          assert.deepEqual(after, state, `a rejected ${to.method} (${answer.status}) changed the hooks`);
        } else if (to.method === 'POST') {
          // Keep the store as it was: the created hook goes again, and must be the only addition.
          assert.equal(answer.status, 201, answer.text);
          assert.equal(after.length, state.length + 1);
          assert.equal((await api.call('DELETE', `/hooks/${answer.body.id}`)).status, 204);
          assert.deepEqual(await api.listHooks(), state);
        } else {
          // An update answers 200 with the hook, a URL variable or custom header 204.
          assert.ok(answer.status === 200 || answer.status === 204, `${answer.status} ${answer.text}`);
          state = after;
        }
      }),
      RUNS,
    );
    // Still serving, and the hook under test is still there.
    assert.equal((await api.call('GET', `/hooks/${hookId}`)).status, 200);
  });
});
