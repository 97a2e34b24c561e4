import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useEmbeddedGitLab } from './helpers.ts';

const ENTITY_FIELDS = [
  'id',
  'url',
  'name',
  'description',
  'created_at',
  'push_events',
  'tag_push_events',
  'merge_requests_events',
  'repository_update_events',
  'enable_ssl_verification',
  'organization_id',
  'alert_status',
  'disabled_until',
  'url_variables',
  'push_events_branch_filter',
  'branch_filter_strategy',
  'custom_webhook_template',
  'custom_headers',
];

describe('POST /hooks', () => {
  const t = useEmbeddedGitLab();

  /** Asserts a refused create and that nothing was stored. */
  async function assertRefused(params: unknown, status: number, body: unknown) {
    const before = await t.listHooks();
    const answer = await t.call('POST', '/hooks', { json: params });
    assert.equal(answer.status, status, `${JSON.stringify(params)}: ${answer.text}`);
    assert.deepEqual(answer.body, body, JSON.stringify(params));
    assert.deepEqual(await t.listHooks(), before, 'nothing was stored');
  }

  it('creates a hook with GitLab defaults and answers 201 with the entity in field order', async () => {
    const started = Date.now();
    const answer = await t.call('POST', '/hooks', {
      json: { url: 'https://example.com/hook', token: 'secret' },
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(answer.body), ENTITY_FIELDS);
    const { created_at: createdAt, id, ...rest } = answer.body;
    assert.equal(typeof id, 'number');
    assert.match(createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(createdAt) >= started - 1);
    assert.deepEqual(rest, {
      url: 'https://example.com/hook',
      name: null,
      description: null,
      push_events: false,
      tag_push_events: false,
      merge_requests_events: false,
      repository_update_events: true,
      enable_ssl_verification: true,
      organization_id: 1,
      alert_status: 'executable',
      disabled_until: null,
      url_variables: [],
      push_events_branch_filter: null,
      branch_filter_strategy: 'wildcard',
      custom_webhook_template: null,
      custom_headers: [],
    });
    assert.doesNotMatch(answer.text, /secret|token/);
  });

  it('gives sequential integer ids', async () => {
    const first = await t.createHook({ url: 'http://example.com/a' });
    const second = await t.createHook({ url: 'http://example.com/b' });
    assert.equal(second.id, first.id + 1);
  });

  it('stores every declared parameter and returns keys but never values', async () => {
    const hook = await t.createHook({
      url: 'https://example.com/hook/{token}',
      name: 'Hook name',
      description: 'Hook description',
      token: 'secret-token',
      push_events: true,
      tag_push_events: true,
      merge_requests_events: true,
      repository_update_events: false,
      enable_ssl_verification: false,
      push_events_branch_filter: 'main',
      branch_filter_strategy: 'wildcard',
      url_variables: [{ key: 'token', value: 'very-secret-value' }],
      custom_headers: [{ key: 'X-Custom-Header', value: 'header-secret' }],
    });
    assert.equal(hook.url, 'https://example.com/hook/{token}');
    assert.equal(hook.name, 'Hook name');
    assert.equal(hook.description, 'Hook description');
    assert.equal(hook.push_events, true);
    assert.equal(hook.tag_push_events, true);
    assert.equal(hook.merge_requests_events, true);
    assert.equal(hook.repository_update_events, false);
    assert.equal(hook.enable_ssl_verification, false);
    assert.equal(hook.push_events_branch_filter, 'main');
    assert.deepEqual(hook.url_variables, [{ key: 'token' }]);
    assert.deepEqual(hook.custom_headers, [{ key: 'X-Custom-Header' }]);
    const read = await t.call('GET', `/hooks/${hook.id}`);
    assert.deepEqual(read.body, hook);
    assert.doesNotMatch(read.text, /secret/);
  });

  it('answers 400 "url is missing" without a url, even with other parameters', async () => {
    await assertRefused({}, 400, { error: 'url is missing' });
    await assertRefused({ name: 'x', push_events: true }, 400, { error: 'url is missing' });
  });

  it('strips whitespace around the url', async () => {
    const hook = await t.createHook({ url: '  https://example.com/stripped \n' });
    assert.equal(hook.url, 'https://example.com/stripped');
  });

  it('accepts the URLs of the model spec and localhost by default', async () => {
    for (const url of ['http://example.com', 'https://example.com', 'http://test.com/api?key=abc&type=def']) {
      assert.equal((await t.createHook({ url })).url, url);
    }
    assert.equal((await t.createHook({ url: 'http://localhost:9000' })).url, 'http://localhost:9000');
    assert.equal((await t.createHook({ url: 'http://10.0.0.1/hook' })).url, 'http://10.0.0.1/hook');
  });

  it('answers 422 "Invalid url given" for an invalid url', async () => {
    for (const url of ['example.com', 'ftp://example.com', 'herp-and-derp', '', '   ', null, 'http://']) {
      await assertRefused({ url }, 422, { error: 'Invalid url given' });
    }
    await assertRefused({ url: `http://example.com/${'a'.repeat(2048)}` }, 422, {
      error: 'Invalid url given',
    });
  });

  it('checks URL templates against the URL variables', async () => {
    const variables = [
      { key: 'one', value: 'a' },
      { key: 'two', value: 'b' },
      { key: 'url', value: 'http://example.org/x' },
    ];
    for (const url of [
      'http://example.com/{one}/{two}',
      'http://user:s3cret@example.com/{two}',
      'http://{one}:{two}@example.com',
      'http://{one}',
      '{url}',
    ]) {
      assert.equal((await t.createHook({ url, url_variables: variables })).url, url);
    }
    for (const url of [
      'http://example.com/{one}/{three}',
      'http://example.com/{foo}',
      'http:{user}:{pwd}//example.com/{foo}',
    ]) {
      await assertRefused({ url, url_variables: variables }, 422, { error: 'Invalid url given' });
    }
    await assertRefused({ url: 'http://example.com/{abc}' }, 422, { error: 'Invalid url given' });
  });

  it('refuses an interpolated URL on the local network, as a validation message', async () => {
    await assertRefused(
      { url: 'http://{host}/hook', url_variables: [{ key: 'host', value: '127.0.0.1' }] },
      422,
      {
        error: 'Interpolated url is blocked: Requests to localhost are not allowed',
      },
    );
    await assertRefused(
      { url: '{target}', url_variables: [{ key: 'target', value: 'http://192.168.1.5/' }] },
      422,
      {
        error: 'Interpolated url is blocked: Requests to the local network are not allowed',
      },
    );
    await assertRefused(
      { url: '{target}', url_variables: [{ key: 'target', value: 'http://[fe80::1]/' }] },
      422,
      {
        error: 'Interpolated url is blocked: Requests to the link local network are not allowed',
      },
    );
    await assertRefused(
      { url: '{target}', url_variables: [{ key: 'target', value: 'ftp://example.com/' }] },
      422,
      {
        error: 'Interpolated url is blocked: Only allowed schemes are http, https',
      },
    );
  });

  it('answers 422 "Token is invalid" for a token with a line break', async () => {
    await assertRefused({ url: 'http://example.com', token: 'foo\nbar' }, 422, { error: 'Token is invalid' });
    await assertRefused({ url: 'http://example.com', token: 'foo\r\nbar' }, 422, {
      error: 'Token is invalid',
    });
  });

  it('limits name and description', async () => {
    assert.equal(
      (await t.createHook({ url: 'http://example.com', name: 'n'.repeat(255) })).name?.length,
      255,
    );
    await assertRefused({ url: 'http://example.com', name: 'n'.repeat(256) }, 422, {
      error: 'Name is too long (maximum is 255 characters)',
    });
    await assertRefused({ url: 'http://example.com', description: 'd'.repeat(2049) }, 422, {
      error: 'Description is too long (maximum is 2048 characters)',
    });
    await assertRefused(
      { url: 'http://example.com', name: 'n'.repeat(256), description: 'd'.repeat(2049) },
      422,
      {
        error:
          'Name is too long (maximum is 255 characters) and Description is too long (maximum is 2048 characters)',
      },
    );
  });

  it('validates URL variables against the JSON schema', async () => {
    for (const key of [
      'foo',
      'FOO',
      'MY_TOKEN',
      'foo2',
      'x',
      'MY-TOKEN',
      'my_secr3t-token',
      'x-y-z',
      'x_y_z',
      'f.o.o',
    ]) {
      await t.createHook({ url: 'http://example.com', url_variables: [{ key, value: 'a'.repeat(2048) }] });
    }
    const refused = { error: 'Url variables must be a valid json schema' };
    for (const key of ['has spaces', '', '1foo', 'MY--TOKEN', 'MY__SECRET', 'x-_y', 'x..y']) {
      await assertRefused({ url: 'http://example.com', url_variables: [{ key, value: 'a' }] }, 422, refused);
    }
    for (const value of ['', 'a'.repeat(2049), null]) {
      await assertRefused({ url: 'http://example.com', url_variables: [{ key: 'k', value }] }, 422, refused);
    }
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    assert.equal(
      (await t.createHook({ url: 'http://example.com', url_variables: many(20) })).url_variables.length,
      20,
    );
    await assertRefused({ url: 'http://example.com', url_variables: many(21) }, 422, refused);
  });

  it('validates custom headers', async () => {
    const hook = await t.createHook({
      url: 'http://example.com',
      custom_headers: [
        { key: 'Content-Length', value: '1' },
        { key: 'X-Token', value: 'a b' },
      ],
    });
    assert.deepEqual(hook.custom_headers, [{ key: 'Content-Length' }, { key: 'X-Token' }]);
    const refused = { error: 'Custom headers must be a valid json schema' };
    for (const value of [' lead', 'trail ', 'a\rb', 'a\nb', 'a%0Ab', 'a%0db', '', 'v'.repeat(2049)]) {
      await assertRefused(
        { url: 'http://example.com', custom_headers: [{ key: 'X-A', value }] },
        422,
        refused,
      );
    }
    for (const key of ['X Header', 'X:Header', 'X'.repeat(256)]) {
      await assertRefused({ url: 'http://example.com', custom_headers: [{ key, value: 'v' }] }, 422, refused);
    }
  });

  it('validates the branch filter for its strategy', async () => {
    const valid: [string, string][] = [
      ['wildcard', 'good_branch_name'],
      ['wildcard', 'another/good-branch_name'],
      ['wildcard', 'good_branch_name('],
      ['wildcard', 'feature/*'],
      ['wildcard', ''],
      ['regex', 'good branch name'],
      ['regex', 'good~branch~name'],
      ['regex', '^regex'],
      ['regex', ''],
    ];
    for (const [strategy, filter] of valid) {
      const hook = await t.createHook({
        url: 'http://example.com',
        branch_filter_strategy: strategy,
        push_events_branch_filter: filter,
      });
      assert.equal(hook.push_events_branch_filter, filter);
      assert.equal(hook.branch_filter_strategy, strategy);
    }
    const invalid: [string, string][] = [
      ['wildcard', 'bad branch name'],
      ['wildcard', 'bad~branchname'],
      ['wildcard', 'bad_branch_name['],
      ['wildcard', '~badbranchname/'],
      ['wildcard', 'a'.repeat(4001)],
      ['regex', 'bad_branch_name('],
      ['regex', 'bad_branch_name['],
    ];
    for (const [strategy, filter] of invalid) {
      await assertRefused(
        { url: 'http://example.com', branch_filter_strategy: strategy, push_events_branch_filter: filter },
        422,
        { error: 'Invalid branch filter given' },
      );
    }
  });

  it('clears the branch filter with the all_branches strategy', async () => {
    const hook = await t.createHook({
      url: 'http://example.com',
      branch_filter_strategy: 'all_branches',
      push_events_branch_filter: 'bad branch [name',
    });
    assert.equal(hook.push_events_branch_filter, null);
    assert.equal(hook.branch_filter_strategy, 'all_branches');
  });

  it('answers 400 for an unknown branch filter strategy', async () => {
    await assertRefused({ url: 'http://example.com', branch_filter_strategy: 'some' }, 400, {
      error: 'branch_filter_strategy does not have a valid value',
    });
  });

  it('coerces booleans as Grape does', async () => {
    const hook = await t.createHook({
      url: 'http://example.com',
      push_events: 'true',
      tag_push_events: 1,
      merge_requests_events: 'yes',
      repository_update_events: '0',
      enable_ssl_verification: 'false',
    });
    assert.equal(hook.push_events, true);
    assert.equal(hook.tag_push_events, true);
    assert.equal(hook.merge_requests_events, true);
    assert.equal(hook.repository_update_events, false);
    assert.equal(hook.enable_ssl_verification, false);
    await assertRefused({ url: 'http://example.com', push_events: 'maybe' }, 400, {
      error: 'push_events is invalid',
    });
    await assertRefused({ url: 'http://example.com', push_events: 2, tag_push_events: [true] }, 400, {
      error: 'push_events is invalid, tag_push_events is invalid',
    });
  });

  it('joins several parameter errors in declaration order', async () => {
    await assertRefused({ push_events: 'x', branch_filter_strategy: 'y' }, 400, {
      error: 'url is missing, push_events is invalid, branch_filter_strategy does not have a valid value',
    });
    await assertRefused({ url: 'http://example.com', url_variables: [{ key: 'a' }, { value: 'b' }] }, 400, {
      error: 'url_variables[0][value] is missing, url_variables[1][key] is missing',
    });
  });

  it('ignores undeclared parameters', async () => {
    const hook = await t.createHook({ url: 'http://example.com', duo_flow_callback_enabled: true, id: 999 });
    assert.notEqual(hook.id, 999);
    assert.equal('duo_flow_callback_enabled' in hook, false);
  });

  it('turns numbers given for strings into strings, as Grape coerces them', async () => {
    const hook = await t.createHook({ url: 'http://example.com', name: 42, description: true });
    assert.equal(hook.name, '42');
    assert.equal(hook.description, 'true');
  });

  it('reads parameters from the query string and from a Rails-style form body', async () => {
    const query = await t.call(
      'POST',
      `/hooks?url=${encodeURIComponent('http://example.com/q')}&push_events=true`,
    );
    assert.equal(query.status, 201);
    assert.equal(query.body.push_events, true);
    const form = await t.call('POST', '/hooks', {
      contentType: 'application/x-www-form-urlencoded',
      body: [
        'url=http%3A%2F%2Fexample.com%2F%7Bone%7D',
        'url_variables[][key]=one',
        'url_variables[][value]=1',
        'url_variables[][key]=two',
        'url_variables[][value]=2',
        'custom_headers[][key]=X-A',
        'custom_headers[][value]=a+b',
      ].join('&'),
    });
    assert.equal(form.status, 201, form.text);
    assert.equal(form.body.url, 'http://example.com/{one}');
    assert.deepEqual(form.body.url_variables, [{ key: 'one' }, { key: 'two' }]);
    assert.deepEqual(form.body.custom_headers, [{ key: 'X-A' }]);
  });

  it('lets a JSON body override the query string', async () => {
    const answer = await t.call('POST', '/hooks?name=from-query&url=http%3A%2F%2Fexample.com', {
      json: { name: 'from-body' },
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.body.name, 'from-body');
  });
});

describe('POST /hooks with local requests from system hooks disallowed', () => {
  const t = useEmbeddedGitLab({ allowLocalRequestsFromSystemHooks: false });

  it('refuses loopback, private and link-local hosts', async () => {
    for (const url of [
      'http://localhost:9000',
      'http://127.0.0.1/',
      'http://127.1.2.3/',
      'http://2130706433/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.0.1/',
      'http://169.254.169.254/',
      'http://0.0.0.0/',
    ]) {
      const answer = await t.call('POST', '/hooks', { json: { url } });
      assert.equal(answer.status, 422, url);
      assert.deepEqual(answer.body, { error: 'Invalid url given' });
    }
    assert.equal((await t.call('POST', '/hooks', { json: { url: 'http://8.8.8.8/' } })).status, 201);
  });
});

describe('POST /hooks with local requests from web hooks allowed', () => {
  const t = useEmbeddedGitLab({ allowLocalRequestsFromWebHooksAndServices: true });

  it('accepts an interpolated URL on loopback', async () => {
    const hook = await t.createHook({
      url: 'http://{host}/hook',
      url_variables: [{ key: 'host', value: '127.0.0.1' }],
    });
    assert.equal(hook.url, 'http://{host}/hook');
  });
});
