/**
 * The world through GitLab's own REST calls: users and their tokens, groups (nested), projects, members, and the
 * application settings; each with bad input, unknown ids and the callers GitLab refuses.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { USER_TOKEN } from '../helpers/credentials.ts';
import { addMember, createActor, createWorld, useEmbeddedGitLab, type World } from './helpers.ts';

describe('POST /users and personal access tokens', () => {
  const t = useEmbeddedGitLab();

  it('creates a user and a token that authenticates as that user, returned once', async () => {
    const created = await t.call('POST', '/users', {
      json: { email: 'ann@example.com', username: 'ann', name: 'Ann', password: 'long-enough-1' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.username, 'ann');
    assert.equal(created.body.is_admin, false);
    assert.equal(created.body.state, 'active');
    assert.equal('password' in created.body, false);
    const token = await t.call('POST', `/users/${created.body.id}/personal_access_tokens`, {
      json: { name: 'ci', scopes: ['api'], expires_at: '2999-01-01' },
    });
    assert.equal(token.status, 201);
    assert.match(token.body.token, /^glpat-/);
    assert.deepEqual(token.body.scopes, ['api']);
    assert.equal(token.body.user_id, created.body.id);
    assert.equal(token.body.expires_at, '2999-01-01');
    // The token works: ann may create a group.
    const group = await t.call('POST', '/groups', {
      token: token.body.token,
      json: { name: 'Ann', path: 'ann-group' },
    });
    assert.equal(group.status, 201);
  });

  it('makes administrators with admin: true, who see every private project', async () => {
    const admin = await t.call('POST', '/users', {
      json: {
        email: 'ada@example.com',
        username: 'ada',
        name: 'Ada',
        password: 'long-enough-1',
        admin: true,
      },
    });
    assert.equal(admin.body.is_admin, true);
    const token = await t.call('POST', `/users/${admin.body.id}/personal_access_tokens`, {
      json: { name: 'admin', scopes: 'api,read_api' },
    });
    assert.deepEqual(token.body.scopes, ['api', 'read_api']);
    const other = await createActor(t, 'private-person');
    const project = await t.call('POST', '/projects', { token: other.token, json: { name: 'Secret' } });
    const seen = await t.call('GET', `/projects/${project.body.id}`, { token: token.body.token });
    assert.equal(seen.status, 200);
    const hooks = await t.call('GET', `/projects/${project.body.id}/hooks`, { token: token.body.token });
    assert.equal(hooks.status, 200);
  });

  it('is for administrators only: 401 without a token, 403 for a user', async () => {
    const json = { email: 'x@example.com', username: 'x', name: 'X', password: 'long-enough-1' };
    assert.equal((await t.call('POST', '/users', { token: null, json })).status, 401);
    const forbidden = await t.call('POST', '/users', { token: USER_TOKEN, json });
    assert.equal(forbidden.status, 403);
    assert.deepEqual(forbidden.body, { message: '403 Forbidden' });
    const tokenForbidden = await t.call('POST', '/users/2/personal_access_tokens', {
      token: USER_TOKEN,
      json: { name: 'mine', scopes: ['api'] },
    });
    assert.equal(tokenForbidden.status, 403);
  });

  it('refuses missing, invalid and duplicate fields as GitLab does, creating nothing', async () => {
    const missing = await t.call('POST', '/users', { json: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, {
      error:
        'email is missing, password, reset_password, force_random_password are missing, at least one parameter must be provided, name is missing, username is missing',
    });
    const base = { email: 'bo@example.com', username: 'bo', name: 'Bo', password: 'long-enough-1' };
    const shortPassword = await t.call('POST', '/users', { json: { ...base, password: 'short' } });
    assert.equal(shortPassword.status, 400);
    assert.deepEqual(shortPassword.body, {
      message: { password: ['is too short (minimum is 8 characters)'] },
    });
    const badEmail = await t.call('POST', '/users', { json: { ...base, email: 'not an email' } });
    assert.deepEqual(badEmail.body, { message: { email: ['is invalid'] } });
    const badUsername = await t.call('POST', '/users', { json: { ...base, username: '-bo/..' } });
    assert.equal(badUsername.status, 400);
    assert.ok(badUsername.body.message.username);
    assert.equal((await t.call('POST', '/users', { json: base })).status, 201);
    const sameEmail = await t.call('POST', '/users', { json: { ...base, username: 'bo2' } });
    assert.equal(sameEmail.status, 409);
    assert.deepEqual(sameEmail.body, { message: 'Email has already been taken' });
    const sameUsername = await t.call('POST', '/users', {
      json: { ...base, email: 'BO2@example.com', username: 'BO' },
    });
    assert.deepEqual(sameUsername.body, { message: 'Username has already been taken' });
  });

  it('refuses bad token parameters and unknown users', async () => {
    const actor = await createActor(t, 'tokenless');
    const path = `/users/${actor.id}/personal_access_tokens`;
    const missing = await t.call('POST', path, { json: {} });
    assert.deepEqual(missing.body, { error: 'name is missing, scopes is missing' });
    const badScope = await t.call('POST', path, { json: { name: 'x', scopes: ['api', 'root_of_all'] } });
    assert.deepEqual(badScope.body, { error: 'scopes does not have a valid value' });
    const badDate = await t.call('POST', path, {
      json: { name: 'x', scopes: 'api', expires_at: '2999-02-30' },
    });
    assert.deepEqual(badDate.body, { error: 'expires_at is invalid' });
    const pastDate = await t.call('POST', path, {
      json: { name: 'x', scopes: 'api', expires_at: '2001-01-01' },
    });
    assert.equal(pastDate.status, 400);
    const unknown = await t.call('POST', '/users/999999/personal_access_tokens', {
      json: { name: 'x', scopes: ['api'] },
    });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { message: '404 User Not Found' });
    const badId = await t.call('POST', '/users/abc/personal_access_tokens', {
      json: { name: 'x', scopes: ['api'] },
    });
    assert.deepEqual(badId.body, { error: 'user_id is invalid' });
  });

  it('honours scopes: read_api may only GET, a token without api or read_api nothing', async () => {
    const reader = await createActor(t, 'reader', ['read_api']);
    const readOnly = await t.call('GET', '/projects/999', { token: reader.token });
    assert.equal(readOnly.status, 404);
    const write = await t.call('POST', '/groups', { token: reader.token, json: { name: 'R', path: 'r' } });
    assert.equal(write.status, 403);
    assert.equal(write.body.error, 'insufficient_scope');
    const profile = await createActor(t, 'profile-only', ['read_user']);
    const get = await t.call('GET', '/projects/999', { token: profile.token });
    assert.equal(get.status, 403);
    assert.equal(get.body.error, 'insufficient_scope');
  });
});

describe('groups, projects and members', () => {
  const t = useEmbeddedGitLab();
  let world: World;
  before(async () => {
    world = await createWorld(t);
  });

  it('nests groups and projects, with full paths, and finds them by id or URL-encoded full path', async () => {
    assert.equal(world.subgroup.full_path, 'acme/platform');
    assert.equal(world.project.path_with_namespace, 'acme/platform/api');
    const byPath = await t.call('GET', `/projects/${encodeURIComponent('acme/platform/api')}`, {
      token: world.owner.token,
    });
    assert.equal(byPath.status, 200);
    assert.equal(byPath.body.id, world.project.id);
    assert.equal(byPath.body.namespace.full_path, 'acme/platform');
    assert.equal(byPath.body.namespace.kind, 'group');
    assert.equal(byPath.body.visibility, 'private');
    assert.match(byPath.body.web_url, /\/acme\/platform\/api$/);
    const group = await t.call('GET', `/groups/${encodeURIComponent('acme/platform')}`, {
      token: world.owner.token,
    });
    assert.equal(group.status, 200);
    assert.equal(group.body.id, world.subgroup.id);
    assert.equal(group.body.parent_id, world.group.id);
    assert.equal(group.body.full_name, 'Acme / Platform');
    const byId = await t.call('GET', `/groups/${world.group.id}`, { token: world.owner.token });
    assert.equal(byId.body.full_path, 'acme');
  });

  it('groups and projects share one id sequence, users another', async () => {
    const ids = [
      world.group.id,
      world.subgroup.id,
      world.project.id,
      world.otherGroup.id,
      world.otherProject.id,
    ];
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(world.owner.id, 3, 'users 1 and 2 are the configured administrator and user');
  });

  it('hides a private project or group from outsiders (404) and anonymous callers, shows it to members', async () => {
    const path = `/projects/${world.project.id}`;
    for (const token of [world.outsider.token, null, USER_TOKEN]) {
      const answer = await t.call('GET', path, { token });
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.body, { message: '404 Project Not Found' });
    }
    for (const actor of [world.maintainer, world.developer, world.guest]) {
      assert.equal((await t.call('GET', path, { token: actor.token })).status, 200, actor.username);
    }
    const group = await t.call('GET', `/groups/${world.group.id}`, { token: world.outsider.token });
    assert.deepEqual(group.body, { message: '404 Group Not Found' });
    // A member of a project sees the private groups above it.
    assert.equal(
      (await t.call('GET', `/groups/${world.group.id}`, { token: world.guest.token })).status,
      200,
    );
    assert.equal((await t.call('GET', '/projects/acme', { token: world.owner.token })).status, 404);
    assert.equal((await t.call('GET', '/projects/999999', { token: world.owner.token })).status, 404);
    assert.equal((await t.call('GET', '/groups/nope%2Fnothing')).status, 404);
    assert.equal(
      (await t.call('GET', `/projects/${world.project.id}`, { token: 'not-a-token' })).status,
      401,
    );
  });

  it('shows public projects to anyone and internal ones to signed-in users', async () => {
    const owner = world.owner.token;
    const pub = await t.call('POST', '/groups', {
      token: owner,
      json: { name: 'Pub', path: 'pub', visibility: 'public' },
    });
    const open = await t.call('POST', '/projects', {
      token: owner,
      json: { name: 'Open', namespace_id: pub.body.id, visibility: 'public' },
    });
    const internal = await t.call('POST', '/projects', {
      token: owner,
      json: { name: 'Inside', namespace_id: pub.body.id, visibility: 'internal' },
    });
    assert.equal((await t.call('GET', `/projects/${open.body.id}`, { token: null })).status, 200);
    assert.equal((await t.call('GET', `/projects/${internal.body.id}`, { token: null })).status, 404);
    assert.equal(
      (await t.call('GET', `/projects/${internal.body.id}`, { token: world.outsider.token })).status,
      200,
    );
  });

  it('refuses bad group and project input with GitLab answers, creating nothing', async () => {
    const owner = world.owner.token;
    const missing = await t.call('POST', '/groups', { token: owner, json: {} });
    assert.deepEqual(missing.body, { error: 'name is missing, path is missing' });
    const badVisibility = await t.call('POST', '/groups', {
      token: owner,
      json: { name: 'V', path: 'v', visibility: 'secret' },
    });
    assert.deepEqual(badVisibility.body, { error: 'visibility does not have a valid value' });
    const taken = await t.call('POST', '/groups', { token: owner, json: { name: 'Acme 2', path: 'ACME' } });
    assert.equal(taken.status, 400);
    assert.match(taken.body.message, /^Failed to save group .*path.*has already been taken/);
    const badPath = await t.call('POST', '/groups', {
      token: owner,
      json: { name: 'Bad', path: 'bad/path' },
    });
    assert.equal(badPath.status, 400);
    const tooOpen = await t.call('POST', '/groups', {
      token: owner,
      json: { name: 'Open', path: 'open', parent_id: world.group.id, visibility: 'public' },
    });
    assert.equal(tooOpen.status, 400);
    assert.match(
      tooOpen.body.message,
      /public is not allowed since the parent group has a private visibility/,
    );
    const noParent = await t.call('POST', '/groups', {
      token: owner,
      json: { name: 'S', path: 's', parent_id: 999999 },
    });
    assert.deepEqual(noParent.body, { message: '404 Group Not Found' });
    const noName = await t.call('POST', '/projects', {
      token: owner,
      json: { namespace_id: world.group.id },
    });
    assert.deepEqual(noName.body, {
      error: 'name, path are missing, at least one parameter must be provided',
    });
    const dupProject = await t.call('POST', '/projects', {
      token: owner,
      json: { path: 'api', namespace_id: world.subgroup.id },
    });
    assert.deepEqual(dupProject.body, { message: { path: ['has already been taken'] } });
    const publicInPrivate = await t.call('POST', '/projects', {
      token: owner,
      json: { name: 'Leak', namespace_id: world.group.id, visibility: 'public' },
    });
    assert.deepEqual(publicInPrivate.body, {
      message: { visibility_level: ['public is not allowed in a private group.'] },
    });
    const foreignNamespace = await t.call('POST', '/projects', {
      token: world.outsider.token,
      json: { name: 'Sneak', namespace_id: world.group.id },
    });
    assert.deepEqual(foreignNamespace.body, { message: { namespace: ['is not valid'] } });
    const projects = await t.call('GET', `/projects/${encodeURIComponent('acme/leak')}`, { token: owner });
    assert.equal(projects.status, 404, 'nothing was created');
  });

  it('creates a project in the personal namespace without namespace_id', async () => {
    const mine = await t.call('POST', '/projects', {
      token: world.outsider.token,
      json: { name: 'My Thing' },
    });
    assert.equal(mine.status, 201);
    assert.equal(mine.body.path_with_namespace, 'oscar-outsider/my-thing');
    assert.equal(mine.body.namespace.kind, 'user');
  });

  it('lets Developers create projects in a group and Maintainers create subgroups, and no one less', async () => {
    const project = await t.call('POST', '/projects', {
      token: world.developer.token,
      json: { name: 'Dev Project', namespace_id: world.group.id },
    });
    assert.equal(project.status, 201);
    const sub = await t.call('POST', '/groups', {
      token: world.developer.token,
      json: { name: 'Dev Sub', path: 'dev-sub', parent_id: world.group.id },
    });
    assert.equal(sub.status, 403);
    const maintainerSub = await t.call('POST', '/groups', {
      token: world.maintainer.token,
      json: { name: 'M Sub', path: 'm-sub', parent_id: world.group.id },
    });
    assert.equal(maintainerSub.status, 201);
    const guestProject = await t.call('POST', '/projects', {
      token: world.guest.token,
      json: { name: 'Guest Project', namespace_id: world.subgroup.id },
    });
    assert.equal(guestProject.status, 400);
  });

  it('adds members with access levels; only Maintainers (projects) and Owners (groups) may', async () => {
    const newcomer = await createActor(t, 'nina-newcomer');
    const projectMembers = `/projects/${world.project.id}/members`;
    const byDeveloper = await t.call('POST', projectMembers, {
      token: world.developer.token,
      json: { user_id: newcomer.id, access_level: 30 },
    });
    assert.deepEqual(byDeveloper.body, { message: '403 Forbidden' });
    const byOutsider = await t.call('POST', projectMembers, {
      token: world.outsider.token,
      json: { user_id: newcomer.id, access_level: 30 },
    });
    assert.deepEqual(byOutsider.body, { message: '404 Project Not Found' });
    const ownerByMaintainer = await t.call('POST', projectMembers, {
      token: world.maintainer.token,
      json: { user_id: newcomer.id, access_level: 50 },
    });
    assert.equal(ownerByMaintainer.status, 403);
    const groupByMaintainer = await t.call('POST', `/groups/${world.group.id}/members`, {
      token: world.maintainer.token,
      json: { user_id: newcomer.id, access_level: 10 },
    });
    assert.equal(groupByMaintainer.status, 403);
    const added = await t.call('POST', projectMembers, {
      token: world.maintainer.token,
      json: { user_id: newcomer.id, access_level: 30 },
    });
    assert.equal(added.status, 201);
    assert.equal(added.body.access_level, 30);
    assert.equal(added.body.username, 'nina-newcomer');
    const again = await t.call('POST', projectMembers, {
      token: world.maintainer.token,
      json: { user_id: newcomer.id, access_level: 40 },
    });
    assert.deepEqual(again.body, { message: 'Member already exists' });
    const badLevel = await t.call('POST', projectMembers, {
      token: world.maintainer.token,
      json: { user_id: newcomer.id, access_level: 45 },
    });
    assert.deepEqual(badLevel.body, { error: 'access_level does not have a valid value' });
    const noUser = await t.call('POST', projectMembers, {
      token: world.maintainer.token,
      json: { access_level: 30 },
    });
    assert.deepEqual(noUser.body, {
      error: 'user_id, username are missing, exactly one parameter must be provided',
    });
    const unknownUser = await t.call('POST', projectMembers, {
      token: world.maintainer.token,
      json: { user_id: 999999, access_level: 30 },
    });
    assert.deepEqual(unknownUser.body, { message: '404 User Not Found' });
    // Group membership is inherited by the groups and projects below.
    await addMember(t, 'groups', world.otherGroup.id, newcomer.id, 20, world.owner.token);
    assert.equal(
      (await t.call('GET', `/projects/${world.otherProject.id}`, { token: newcomer.token })).status,
      200,
    );
  });
});

describe('application settings', () => {
  const t = useEmbeddedGitLab();

  it('starts with local requests from web hooks off, and changes them for administrators only', async () => {
    const initial = await t.call('GET', '/application/settings');
    assert.equal(initial.status, 200);
    assert.equal(initial.body.allow_local_requests_from_web_hooks_and_services, false);
    assert.equal(initial.body.allow_local_requests_from_system_hooks, true);
    assert.equal((await t.call('GET', '/application/settings', { token: USER_TOKEN })).status, 403);
    assert.equal((await t.call('PUT', '/application/settings', { token: null, json: {} })).status, 401);
    const userPut = await t.call('PUT', '/application/settings', {
      token: USER_TOKEN,
      json: { allow_local_requests_from_web_hooks_and_services: true },
    });
    assert.equal(userPut.status, 403);
    const empty = await t.call('PUT', '/application/settings', { json: {} });
    assert.equal(empty.status, 400);
    assert.match(empty.body.error, /at least one parameter must be provided/);
    const bad = await t.call('PUT', '/application/settings', {
      json: { allow_local_requests_from_web_hooks_and_services: 'perhaps' },
    });
    assert.deepEqual(bad.body, { error: 'allow_local_requests_from_web_hooks_and_services is invalid' });
    const changed = await t.call('PUT', '/application/settings', {
      json: { allow_local_requests_from_web_hooks_and_services: true },
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.allow_local_requests_from_web_hooks_and_services, true);
    const read = await t.call('GET', '/application/settings');
    assert.equal(read.body.allow_local_requests_from_web_hooks_and_services, true);
  });
});
