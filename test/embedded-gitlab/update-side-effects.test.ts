import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type HookAttributes,
  hookModelOf,
  keyValues,
  runBeforeValidation,
} from '../../src/embedded-gitlab/hook-model.ts';
import { SYSTEM_HOOKS } from '../../src/embedded-gitlab/system-hooks.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { useEmbeddedGitLab } from './helpers.ts';

const { copyAttributes, defaultAttributes, validateHook } = hookModelOf(SYSTEM_HOOKS);

describe('PUT /hooks/:hook_id', () => {
  const t = useEmbeddedGitLab();

  async function assertRefusedUpdate(id: number, params: unknown, status: number, body: unknown) {
    const before = await t.listHooks();
    const answer = await t.call('PUT', `/hooks/${id}`, { json: params });
    assert.equal(answer.status, status, `${JSON.stringify(params)}: ${answer.text}`);
    assert.deepEqual(answer.body, body);
    assert.deepEqual(await t.listHooks(), before, 'nothing changed');
  }

  it('answers 404 for an unknown hook before it checks for parameters', async () => {
    const answer = await t.call('PUT', '/hooks/987654', { json: {} });
    assert.equal(answer.status, 404);
    assert.equal(answer.text, '{"message":"404 Not found"}');
  });

  it('answers 400 "No parameters provided" when nothing declared is sent', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    await assertRefusedUpdate(hook.id, {}, 400, { error: 'No parameters provided' });
    await assertRefusedUpdate(hook.id, { unknown: 1 }, 400, { error: 'No parameters provided' });
    await assertRefusedUpdate(hook.id, { url_variables: [], custom_headers: [] }, 400, {
      error: 'No parameters provided',
    });
  });

  it('updates the given attributes and keeps the others', async () => {
    const hook = await t.createHook({ url: 'http://example.com', name: 'old', push_events: true });
    const answer = await t.call('PUT', `/hooks/${hook.id}`, {
      json: { name: 'new', tag_push_events: 'true' },
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { ...hook, name: 'new', tag_push_events: true });
    assert.deepEqual((await t.call('GET', `/hooks/${hook.id}`)).body, answer.body);
  });

  it('reports update failures with the update messages', async () => {
    const hook = await t.createHook({ url: 'http://example.com' });
    await assertRefusedUpdate(hook.id, { token: 'a\nb' }, 422, { message: { token: ['is invalid'] } });
    await assertRefusedUpdate(hook.id, { url: 'ftp://example.com' }, 422, { error: 'Invalid url given' });
    await assertRefusedUpdate(hook.id, { push_events_branch_filter: 'bad branch' }, 422, {
      error: 'Invalid branch filter given',
    });
    await assertRefusedUpdate(hook.id, { custom_headers: [{ key: 'X-A', value: ' x' }] }, 422, {
      error: 'Custom headers validation failed',
    });
    await assertRefusedUpdate(hook.id, { name: 'n'.repeat(256), description: 'd'.repeat(2049) }, 422, {
      message: {
        name: ['is too long (maximum is 255 characters)'],
        description: ['is too long (maximum is 2048 characters)'],
      },
    });
    await assertRefusedUpdate(hook.id, { url_variables: [{ key: 'bad key', value: 'v' }] }, 422, {
      message: { url_variables: ['must be a valid json schema'] },
    });
    await assertRefusedUpdate(hook.id, { url: 'ftp://example.com', token: 'a\nb' }, 422, {
      error: 'Invalid url given',
    });
  });

  it('answers 400 for invalid parameter types before looking the hook up', async () => {
    const answer = await t.call('PUT', '/hooks/987654', { json: { push_events: 'perhaps' } });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { error: 'push_events is invalid' });
  });

  it('merges URL variables and custom headers into the existing ones', async () => {
    const hook = await t.createHook({
      url: 'http://example.com/{a}',
      url_variables: [{ key: 'a', value: '1' }],
      custom_headers: [{ key: 'X-A', value: '1' }],
    });
    const answer = await t.call('PUT', `/hooks/${hook.id}`, {
      json: { url_variables: [{ key: 'b', value: '2' }], custom_headers: [{ key: 'X-B', value: '2' }] },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.url_variables, [{ key: 'a' }, { key: 'b' }]);
    assert.deepEqual(answer.body.custom_headers, [{ key: 'X-A' }, { key: 'X-B' }]);
  });

  it('sets the branch filter to null with the all_branches strategy', async () => {
    const hook = await t.createHook({ url: 'http://example.com', push_events_branch_filter: 'main' });
    const answer = await t.call('PUT', `/hooks/${hook.id}`, {
      json: { branch_filter_strategy: 'all_branches' },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.push_events_branch_filter, null);
    assert.equal(answer.body.branch_filter_strategy, 'all_branches');
  });

  it('validates the branch filter with the strategy the hook will have', async () => {
    const hook = await t.createHook({ url: 'http://example.com', branch_filter_strategy: 'regex' });
    const answer = await t.call('PUT', `/hooks/${hook.id}`, { json: { push_events_branch_filter: 'a b' } });
    assert.equal(answer.status, 200);
    await assertRefusedUpdate(hook.id, { branch_filter_strategy: 'wildcard' }, 422, {
      error: 'Invalid branch filter given',
    });
  });

  describe('URL variables (reset_url_variables), with the model spec hook http://example.com/{abc}', () => {
    const create = () =>
      t.createHook({
        url: 'http://example.com/{abc}',
        url_variables: [{ key: 'abc', value: 'supers3cret' }],
      });

    it('clears the variables when the URL changes to one without them', async () => {
      const hook = await create();
      const answer = await t.call('PUT', `/hooks/${hook.id}`, {
        json: { url: 'http://example.com/new-hook' },
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.url_variables, []);
    });

    it('refuses a new URL that keeps the variable, because the variables are reset', async () => {
      const hook = await create();
      await assertRefusedUpdate(hook.id, { url: 'http://test.example.com/{abc}' }, 422, {
        error: 'Invalid url given',
      });
    });

    it('refuses a new URL with an appended variable', async () => {
      const hook = await create();
      await assertRefusedUpdate(
        hook.id,
        { url: 'http://example.com/{abc}/{def}', url_variables: [{ key: 'def', value: 'x' }] },
        422,
        { error: 'Invalid url given' },
      );
    });

    it('refuses overwriting a variable the URL uses', async () => {
      const hook = await create();
      await assertRefusedUpdate(hook.id, { url_variables: [{ key: 'abc', value: 'other' }] }, 422, {
        error: 'Invalid url given',
      });
    });

    it('refuses replacing URL and variables through PUT, because PUT merges the old variable in', async () => {
      const hook = await create();
      await assertRefusedUpdate(
        hook.id,
        {
          url: 'http://example.com/{one}/{two}',
          url_variables: [
            { key: 'one', value: '1' },
            { key: 'two', value: '2' },
          ],
        },
        422,
        { error: 'Invalid url given' },
      );
    });

    it('keeps variables when the interpolated URL does not change', async () => {
      const hook = await create();
      const answer = await t.call('PUT', `/hooks/${hook.id}`, { json: { name: 'renamed' } });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.url_variables, [{ key: 'abc' }]);
    });
  });

  describe('custom headers (reset_custom_headers)', () => {
    it('clears custom headers when the interpolated URL changes', async () => {
      const hook = await t.createHook({
        url: 'http://example.com/a',
        custom_headers: [{ key: 'X-A', value: '1' }],
      });
      const answer = await t.call('PUT', `/hooks/${hook.id}`, { json: { url: 'http://example.com/b' } });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.custom_headers, []);
    });

    it('clears custom headers sent with a URL change too', async () => {
      const hook = await t.createHook({ url: 'http://example.com/a' });
      const answer = await t.call('PUT', `/hooks/${hook.id}`, {
        json: { url: 'http://example.com/b', custom_headers: [{ key: 'X-B', value: '1' }] },
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.custom_headers, []);
    });

    it('keeps custom headers when URL and variables change but evaluate to the same URL', async () => {
      const hook = await t.createHook({
        url: 'http://example.com/{abc}',
        url_variables: [{ key: 'abc', value: 'x' }],
        custom_headers: [{ key: 'X-A', value: '1' }],
      });
      const answer = await t.call('PUT', `/hooks/${hook.id}`, {
        json: { url: 'http://example.com/{def}', url_variables: [{ key: 'def', value: 'x' }] },
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.url, 'http://example.com/{def}');
      assert.deepEqual(answer.body.url_variables, [{ key: 'abc' }, { key: 'def' }]);
      assert.deepEqual(answer.body.custom_headers, [{ key: 'X-A' }]);
    });

    it('keeps custom headers when the URL does not change', async () => {
      const hook = await t.createHook({
        url: 'http://example.com/a',
        custom_headers: [{ key: 'X-A', value: '1' }],
      });
      const answer = await t.call('PUT', `/hooks/${hook.id}`, { json: { url: 'http://example.com/a ' } });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.custom_headers, [{ key: 'X-A' }]);
    });
  });
});

describe('PUT /hooks/:hook_id token reset (reset_token), observed through a test delivery', () => {
  const t = useEmbeddedGitLab({ deliveryTimeoutMs: 1_000 });

  async function deliveredToken(id: number, receiver: Receiver) {
    const before = receiver.received.length;
    assert.equal((await t.call('POST', `/hooks/${id}`)).status, 201);
    assert.equal(receiver.received.length, before + 1);
    return receiver.received.at(-1)?.headers['x-gitlab-token'];
  }

  it('clears the token when the URL changes without a token, and keeps it otherwise', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await t.createHook({ url: `${receiver.origin}/a`, token: 'first' });
      assert.equal(await deliveredToken(hook.id, receiver), 'first');

      await t.call('PUT', `/hooks/${hook.id}`, { json: { name: 'renamed' } });
      assert.equal(await deliveredToken(hook.id, receiver), 'first', 'kept without a URL change');

      await t.call('PUT', `/hooks/${hook.id}`, { json: { url: `${receiver.origin}/b`, token: 'first' } });
      assert.equal(await deliveredToken(hook.id, receiver), 'first', 'kept when sent with the new URL');

      await t.call('PUT', `/hooks/${hook.id}`, { json: { url: `${receiver.origin}/c`, token: 'second' } });
      assert.equal(await deliveredToken(hook.id, receiver), 'second', 'replaced by a new token');

      await t.call('PUT', `/hooks/${hook.id}`, { json: { url: `${receiver.origin}/d` } });
      assert.equal(await deliveredToken(hook.id, receiver), undefined, 'cleared by a URL change alone');
    } finally {
      await receiver.close();
    }
  });
});

describe('the SystemHook model callbacks (model spec outcomes, assigning variables directly)', () => {
  const settings = {
    allowLocalRequestsFromSystemHooks: true,
    allowLocalRequestsFromWebHooksAndServices: false,
  };
  const stored = (): HookAttributes => ({
    ...defaultAttributes(),
    url: 'http://example.com/{abc}',
    urlVariables: keyValues({ abc: 'supers3cret' }),
  });
  const change = (edit: (next: HookAttributes) => void) => {
    const previous = stored();
    const next = copyAttributes(previous);
    edit(next);
    runBeforeValidation(next, previous, {});
    return { next, valid: validateHook(next, settings).length === 0 };
  };

  it('url changed to http://example.com/new-hook: valid, variables emptied', () => {
    const { next, valid } = change((hook) => {
      hook.url = 'http://example.com/new-hook';
    });
    assert.equal(valid, true);
    assert.deepEqual({ ...next.urlVariables }, {});
  });

  it('url changed to http://test.example.com/{abc}, variables unchanged: invalid', () => {
    const { next, valid } = change((hook) => {
      hook.url = 'http://test.example.com/{abc}';
    });
    assert.equal(valid, false);
    assert.deepEqual({ ...next.urlVariables }, {});
  });

  it('url changed and a variable appended: invalid, variables reset', () => {
    const { next, valid } = change((hook) => {
      hook.url = 'http://example.com/{abc}/{def}';
      hook.urlVariables = keyValues({ abc: 'supers3cret', def: 'x' });
    });
    assert.equal(valid, false);
    assert.deepEqual({ ...next.urlVariables }, {});
  });

  it('variable abc overwritten: invalid, variables reset', () => {
    const { next, valid } = change((hook) => {
      hook.urlVariables = keyValues({ abc: 'other' });
    });
    assert.equal(valid, false);
    assert.deepEqual({ ...next.urlVariables }, {});
  });

  it('url and variables both fully replaced: valid and kept', () => {
    const { next, valid } = change((hook) => {
      hook.url = 'http://example.com/{one}/{two}';
      hook.urlVariables = keyValues({ one: '1', two: '2' });
    });
    assert.equal(valid, true);
    assert.deepEqual({ ...next.urlVariables }, { one: '1', two: '2' });
  });

  it('a changed URL clears the token unless a token was assigned', () => {
    const withToken = (hook: HookAttributes) => {
      hook.url = 'http://example.com/other';
    };
    const previousToken = () => {
      const previous = { ...stored(), token: 'tok', url: 'http://example.com/a', urlVariables: keyValues() };
      return previous;
    };
    const cleared = copyAttributes(previousToken());
    withToken(cleared);
    runBeforeValidation(cleared, previousToken(), {});
    assert.equal(cleared.token, null);
    const kept = copyAttributes(previousToken());
    withToken(kept);
    runBeforeValidation(kept, previousToken(), { token: 'tok' });
    assert.equal(kept.token, 'tok');
  });
});
