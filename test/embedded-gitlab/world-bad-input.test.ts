/**
 * Hostile, malformed and oversized input on every path the world's REST calls and the parent-scoped hook routes
 * add: each gets GitLab's error and changes nothing.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createWorld, useEmbeddedGitLab, type World } from './helpers.ts';

describe('bad input on the world and parent hook routes', () => {
  const t = useEmbeddedGitLab();
  let world: World;
  before(async () => {
    world = await createWorld(t);
  });

  /** Makes a user and returns its id: ids are sequential, so a gap shows a user made in between. */
  async function snapshot() {
    const probe = await t.call('POST', '/users', {
      json: {
        email: `probe${Date.now()}${Math.random()}@example.com`,
        username: `probe-${Math.random().toString(36).slice(2)}`,
        name: 'p',
        password: 'long-enough-1',
      },
    });
    return probe.body.id as number;
  }

  it('refuses wrong types in every world body with 400, creating nothing', async () => {
    const before = await snapshot();
    const owner = world.owner.token;
    const cases: [string, string, Record<string, unknown>, string | undefined][] = [
      [
        'POST',
        '/users',
        { email: ['a@b.c'], name: 'n', username: 'u1', password: 'long-enough-1' },
        undefined,
      ],
      [
        'POST',
        '/users',
        { email: 'a@b.c', name: { x: 1 }, username: 'u2', password: 'long-enough-1' },
        undefined,
      ],
      [
        'POST',
        '/users',
        { email: 'a@b.c', name: 'n', username: 'u3', password: 'long-enough-1', admin: 'root' },
        undefined,
      ],
      ['POST', '/groups', { name: ['x'], path: 'x' }, owner],
      ['POST', '/groups', { name: 'x', path: 'x', parent_id: 'one' }, owner],
      ['POST', '/groups', { name: 'x', path: 'x', parent_id: { $gt: 0 } }, owner],
      ['POST', '/projects', { name: 'x', namespace_id: '1; DROP TABLE' }, owner],
      ['POST', '/projects', { name: 'x', visibility: ['public'] }, owner],
      ['POST', `/projects/${world.project.id}/members`, { user_id: [1], access_level: 30 }, owner],
      ['POST', `/projects/${world.project.id}/members`, { user_id: 1, access_level: '30 OR 1=1' }, owner],
      [
        'POST',
        `/groups/${world.group.id}/members`,
        { user_id: 1, username: 'root', access_level: 30 },
        owner,
      ],
      ['PUT', '/application/settings', { allow_local_requests_from_system_hooks: { yes: true } }, undefined],
    ];
    for (const [method, path, json, token] of cases) {
      const answer = await t.call(method, path, { token, json });
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(json)}: ${answer.text}`);
      assert.equal(typeof answer.body.error, 'string');
    }
    assert.equal(await snapshot(), before + 1, 'no user was created in between');
    assert.equal((await t.call('GET', '/groups/x', { token: owner })).status, 404, 'no group was created');
    const settings = await t.call('GET', '/application/settings');
    assert.equal(settings.body.allow_local_requests_from_system_hooks, true);
  });

  it('reads a required parameter sent as null as blank: 400, not a server error', async () => {
    const owner = world.owner.token;
    const user = await t.call('POST', '/users', {
      json: { name: null, username: 'nully', email: 'nully@example.com', password: 'long-enough-1' },
    });
    assert.deepEqual(user.body, { message: { name: ["can't be blank"] } });
    const project = await t.call('POST', '/projects', { token: owner, json: { name: null } });
    assert.equal(project.status, 400, project.text);
    const group = await t.call('POST', '/groups', { token: owner, json: { name: 'N', path: null } });
    assert.equal(group.status, 400, group.text);
    const token = await t.call('POST', `/users/${world.owner.id}/personal_access_tokens`, {
      json: { name: null, scopes: ['api'] },
    });
    assert.deepEqual(token.body, { message: { name: ["can't be blank"] } });
  });

  it('refuses oversized names and paths with 400', async () => {
    const owner = world.owner.token;
    const long = 'a'.repeat(256);
    const group = await t.call('POST', '/groups', { token: owner, json: { name: long, path: 'longname' } });
    assert.equal(group.status, 400);
    assert.match(group.body.message, /name.*too long/);
    const path = await t.call('POST', '/groups', { token: owner, json: { name: 'Long path', path: long } });
    assert.equal(path.status, 400);
    const project = await t.call('POST', '/projects', { token: owner, json: { name: long, path: 'p' } });
    assert.deepEqual(project.body, { message: { name: ['is too long (maximum is 255 characters)'] } });
    const user = await t.call('POST', '/users', {
      json: { email: 'long@example.com', name: long, username: 'longname', password: 'long-enough-1' },
    });
    assert.deepEqual(user.body, { message: { name: ['is too long (maximum is 255 characters)'] } });
    const big = 'x'.repeat(2_000_000);
    const tooBig = await t.call('POST', '/groups', { token: owner, json: { name: big, path: 'big' } });
    assert.equal(tooBig.status, 413);
    assert.equal((await t.call('GET', '/groups/longname', { token: owner })).status, 404);
    assert.equal((await t.call('GET', '/groups/big', { token: owner })).status, 404);
  });

  it('keeps prototype keys and odd ids harmless', async () => {
    const owner = world.owner.token;
    const polluted = await t.call('POST', '/groups', {
      token: owner,
      body: '{"name":"Proto","path":"proto","__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}',
      contentType: 'application/json',
    });
    assert.equal(polluted.status, 201);
    assert.equal(({} as Record<string, unknown>).admin, undefined);
    for (const id of ['..%2F..%2Fetc', '%00', '-1', '1e3', '0x10', encodeURIComponent(' acme'), 'acme%2F']) {
      for (const path of [`/projects/${id}`, `/groups/${id}/hooks`, `/projects/${id}/hooks/1`]) {
        const answer = await t.call('GET', path, { token: owner });
        assert.equal(answer.status, 404, `${path}: ${answer.text}`);
      }
    }
    const badEscape = await t.call('GET', '/projects/%E0%A4%A/hooks', { token: owner });
    assert.equal(badEscape.status, 404);
    // A token in the query is filtered from the request log; one in a body never reaches it.
    await t.call('GET', `/projects/${world.project.id}?private_token=${world.owner.token}`, { token: null });
    const logged = JSON.stringify(t.gitlab.requests);
    assert.equal(logged.includes(world.owner.token), false);
  });

  it('refuses hostile hook input under a parent, changing nothing', async () => {
    const base = `/projects/${world.project.id}/hooks`;
    const token = world.maintainer.token;
    const hook = (await t.call('POST', base, { token, json: { url: 'https://e.example/h' } })).body;
    const cases: [string, Record<string, unknown>][] = [
      ['POST', { url: ['https://e.example'] }],
      ['POST', { url: 'https://e.example', url_variables: 'k=v' }],
      ['POST', { url: 'https://e.example', custom_headers: [{ key: 'X-A' }] }],
      ['PUT', { member_events: true }],
      ['PUT', { push_events: ['yes'] }],
    ];
    for (const [method, json] of cases) {
      const path = method === 'POST' ? base : `${base}/${hook.id}`;
      const answer = await t.call(method, path, { token, json });
      assert.ok(
        [400, 422].includes(answer.status),
        `${method} ${JSON.stringify(json)}: ${answer.status} ${answer.text}`,
      );
    }
    const header = await t.call('PUT', `${base}/${hook.id}/custom_headers/X-Evil`, {
      token,
      json: { value: 'a\r\nX-Injected: 1' },
    });
    assert.deepEqual(header.body, { error: 'Illegal key or value' });
    const list = await t.call('GET', base, { token });
    assert.deepEqual(
      list.body.map((h: { id: number }) => h.id),
      [hook.id],
    );
    const read = await t.call('GET', `${base}/${hook.id}`, { token });
    assert.deepEqual(read.body.custom_headers, []);
    assert.equal('member_events' in read.body, false, 'a group flag is no project hook parameter');
  });
});
