/**
 * Who may read and manage project hooks (Maintainer or more, administrators) and group hooks (Owner,
 * administrators), and GitLab's order of answers: 401 without a credential, 404 for a parent the caller cannot
 * see, 403 for a role too low, and only then the parameters.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import { createActor, createWorld, useEmbeddedGitLab, type World } from './helpers.ts';

describe('roles on project and group hooks', () => {
  const t = useEmbeddedGitLab();
  let world: World;
  let projectHook: number;
  let groupHook: number;
  before(async () => {
    world = await createWorld(t);
    projectHook = (
      await t.call('POST', `/projects/${world.project.id}/hooks`, { json: { url: 'https://e.example/p' } })
    ).body.id;
    groupHook = (
      await t.call('POST', `/groups/${world.group.id}/hooks`, { json: { url: 'https://e.example/g' } })
    ).body.id;
  });

  /** Every hook endpoint of the parent, with a body that would be valid. */
  const endpoints = (base: string, hookId: number) =>
    [
      ['GET', base, undefined],
      ['GET', `${base}/${hookId}`, undefined],
      ['POST', base, { url: 'https://e.example/new' }],
      ['PUT', `${base}/${hookId}`, { name: 'n' }],
      ['PUT', `${base}/${hookId}/url_variables/k`, { value: 'v' }],
      ['DELETE', `${base}/${hookId}/url_variables/k`, undefined],
      ['PUT', `${base}/${hookId}/custom_headers/X-K`, { value: 'v' }],
      ['DELETE', `${base}/${hookId}/custom_headers/X-K`, undefined],
    ] as const;

  async function statuses(base: string, hookId: number, token: string | null) {
    const result: number[] = [];
    for (const [method, path, json] of endpoints(base, hookId)) {
      result.push((await t.call(method, path, { token, json })).status);
    }
    return result;
  }

  it('project hooks: Maintainers, Owners and administrators manage them (inherited roles count)', async () => {
    const base = `/projects/${world.project.id}/hooks`;
    for (const token of [world.maintainer.token, world.owner.token, ADMIN_TOKEN]) {
      const got = await statuses(base, projectHook, token);
      assert.deepEqual(got, [200, 200, 201, 200, 204, 204, 204, 204]);
    }
  });

  it('project hooks: a Developer or Guest gets 403, an outsider 404, no credential 401', async () => {
    const base = `/projects/${world.project.id}/hooks`;
    for (const [token, status, body] of [
      [world.developer.token, 403, { message: '403 Forbidden' }],
      [world.guest.token, 403, { message: '403 Forbidden' }],
      [world.outsider.token, 404, { message: '404 Project Not Found' }],
      [USER_TOKEN, 404, { message: '404 Project Not Found' }],
      [null, 401, { message: '401 Unauthorized' }],
      ['glpat-unknown', 401, { message: '401 Unauthorized' }],
    ] as const) {
      for (const [method, path, json] of endpoints(base, projectHook)) {
        const answer = await t.call(method, path, { token, json });
        assert.equal(answer.status, status, `${method} ${path} ${token}`);
        assert.deepEqual(answer.body, body);
      }
    }
  });

  it('group hooks: only Owners and administrators; a Maintainer of the group gets 403', async () => {
    const base = `/groups/${world.group.id}/hooks`;
    for (const token of [world.owner.token, ADMIN_TOKEN]) {
      assert.deepEqual(await statuses(base, groupHook, token), [200, 200, 201, 200, 204, 204, 204, 204]);
    }
    assert.deepEqual(await statuses(base, groupHook, world.maintainer.token), Array(8).fill(403));
    assert.deepEqual(await statuses(base, groupHook, world.developer.token), Array(8).fill(403));
    // The Guest of a project below sees the group but holds no role in it.
    assert.deepEqual(await statuses(base, groupHook, world.guest.token), Array(8).fill(403));
    const outsider = await t.call('GET', base, { token: world.outsider.token });
    assert.deepEqual(outsider.body, { message: '404 Group Not Found' });
    assert.equal((await t.call('GET', base, { token: null })).status, 401);
  });

  it('an Owner of a parent group owns the hooks of its subgroups too', async () => {
    const answer = await t.call('GET', `/groups/${world.subgroup.id}/hooks`, { token: world.owner.token });
    assert.equal(answer.status, 200);
  });

  it('answers in GitLab order: 401, then 404 for the parent, then 403, then the parameters', async () => {
    // No credential on an unknown project: 401 before 404.
    assert.equal((await t.call('GET', '/projects/999999/hooks', { token: null })).status, 401);
    // An unknown project for a developer: 404 before 403.
    const unknown = await t.call('GET', '/projects/999999/hooks', { token: world.developer.token });
    assert.deepEqual(unknown.body, { message: '404 Project Not Found' });
    // A developer's bad parameters: 403 before 400.
    const badParams = await t.call('POST', `/projects/${world.project.id}/hooks`, {
      token: world.developer.token,
      json: { push_events: 'maybe' },
    });
    assert.equal(badParams.status, 403);
    const badHookId = await t.call('GET', `/projects/${world.project.id}/hooks/abc`, {
      token: world.developer.token,
    });
    assert.equal(badHookId.status, 403);
    // A path that is neither digits nor a full path is no project at all.
    const notAPath = await t.call('GET', '/projects/api/hooks', { token: world.owner.token });
    assert.deepEqual(notAPath.body, { message: '404 Project Not Found' });
    // A group id given as a project id, and the other way round.
    assert.equal(
      (await t.call('GET', `/projects/${world.group.id}/hooks`, { token: ADMIN_TOKEN })).status,
      404,
    );
    assert.equal(
      (await t.call('GET', `/groups/${world.project.id}/hooks`, { token: ADMIN_TOKEN })).status,
      404,
    );
  });

  it('read_api tokens may read hooks but not change them', async () => {
    const reader = await createActor(t, 'rita-reader', ['read_api']);
    await t.call('POST', `/projects/${world.project.id}/members`, {
      token: world.owner.token,
      json: { user_id: reader.id, access_level: 40 },
    });
    const base = `/projects/${world.project.id}/hooks`;
    assert.equal((await t.call('GET', base, { token: reader.token })).status, 200);
    const write = await t.call('POST', base, { token: reader.token, json: { url: 'https://e.example/r' } });
    assert.equal(write.status, 403);
    assert.equal(write.body.error, 'insufficient_scope');
  });

  it('system hooks stay administrators only, whatever roles a user holds elsewhere', async () => {
    assert.equal((await t.call('GET', '/hooks', { token: world.owner.token })).status, 403);
    assert.equal((await t.call('GET', '/hooks', { token: ADMIN_TOKEN })).status, 200);
  });
});
