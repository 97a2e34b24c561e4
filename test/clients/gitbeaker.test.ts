/**
 * @gitbeaker/rest, a real GitLab client, against the embedded GitLab: the world set up with its `Users`,
 * `Groups`, `Projects` and members calls, then its `ProjectHooks` and `GroupHooks` (`all`, `show`, `add`, `edit`,
 * `remove`) with a Maintainer's and an Owner's token, and GitLab's refusals as gitbeaker reports them.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { GitbeakerRequestError, Gitlab } from '@gitbeaker/rest';
import { useEmbeddedGitLab } from '../embedded-gitlab/helpers.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';

/** The status of the answer a gitbeaker call was refused with. */
async function refusedWith(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof GitbeakerRequestError, String(error));
    return error.cause?.response.status;
  }
  assert.fail('the call was not refused');
}

describe('@gitbeaker/rest ProjectHooks and GroupHooks', () => {
  const t = useEmbeddedGitLab();
  const client = (token: string) => new Gitlab({ host: t.gitlab.url, token });
  let maintainer: InstanceType<typeof Gitlab>;
  let owner: InstanceType<typeof Gitlab>;
  let developer: InstanceType<typeof Gitlab>;
  let projectId: number;
  let groupId: number;
  let otherProjectId: number;

  before(async () => {
    const admin = client(ADMIN_TOKEN);
    const tokenOf = async (username: string) => {
      const user = await admin.Users.create({
        username,
        name: username,
        email: `${username}@example.com`,
        password: 'correct-horse-battery',
      });
      const token = await admin.Users.createPersonalAccessToken(user.id, 'gitbeaker', ['api']);
      return { id: user.id, token: token.token as string };
    };
    const [ownerUser, maintainerUser, developerUser] = [
      await tokenOf('owner'),
      await tokenOf('maintainer'),
      await tokenOf('developer'),
    ];
    owner = client(ownerUser.token);
    maintainer = client(maintainerUser.token);
    developer = client(developerUser.token);
    const group = await owner.Groups.create('Acme', 'acme');
    const subgroup = await owner.Groups.create('Platform', 'platform', { parentId: group.id });
    const project = await owner.Projects.create({ name: 'API', namespaceId: subgroup.id });
    const other = await owner.Projects.create({ name: 'Elsewhere' });
    await owner.GroupMembers.add(group.id, 40, { userId: maintainerUser.id });
    await owner.ProjectMembers.add(project.id, 30, { userId: developerUser.id });
    projectId = project.id;
    groupId = subgroup.id;
    otherProjectId = other.id;
    assert.equal(project.path_with_namespace, 'acme/platform/api');
  });

  it('ProjectHooks: add, show, all, edit, remove with a Maintainer token', async () => {
    const added = await maintainer.ProjectHooks.add(projectId, 'https://ci.example.com/hook', {
      issuesEvents: true,
      token: 'secret',
      pushEventsBranchFilter: 'main',
    });
    assert.equal(added.project_id, projectId);
    assert.equal(added.issues_events, true);
    assert.equal(added.push_events, true);
    assert.equal(added.push_events_branch_filter, 'main');
    assert.equal('token' in added, false);
    const shown = await maintainer.ProjectHooks.show(projectId, added.id);
    assert.deepEqual(shown, added);
    // By URL-encoded full path, as gitbeaker encodes a string id.
    const byPath = await maintainer.ProjectHooks.show('acme/platform/api', added.id);
    assert.equal(byPath.id, added.id);
    const all = await maintainer.ProjectHooks.all(projectId);
    assert.deepEqual(
      all.map((hook) => hook.id),
      [added.id],
    );
    assert.equal('url_variables' in (all[0] as object), false, 'the project list omits url_variables');
    const edited = await maintainer.ProjectHooks.edit(projectId, added.id, 'https://ci.example.com/v2', {
      noteEvents: true,
    });
    assert.equal(edited.url, 'https://ci.example.com/v2');
    assert.equal(edited.note_events, true);
    assert.equal(edited.issues_events, true);
    await maintainer.ProjectHooks.remove(projectId, added.id);
    assert.equal(await refusedWith(maintainer.ProjectHooks.show(projectId, added.id)), 404);
    assert.deepEqual(await maintainer.ProjectHooks.all(projectId), []);
  });

  it('GroupHooks: add, show, all, edit, remove with an Owner token', async () => {
    const added = await owner.GroupHooks.add(groupId, 'https://audit.example.org/groups', {
      subgroupEvents: true,
    });
    assert.equal(added.group_id, groupId);
    assert.equal(added.subgroup_events, true);
    assert.equal((await owner.GroupHooks.show(groupId, added.id)).id, added.id);
    const all = await owner.GroupHooks.all('acme/platform');
    assert.deepEqual(
      all.map((hook) => hook.id),
      [added.id],
    );
    assert.deepEqual((all[0] as { url_variables: unknown }).url_variables, []);
    const edited = await owner.GroupHooks.edit(groupId, added.id, 'https://audit.example.org/v2', {
      pushEvents: false,
    });
    assert.equal(edited.push_events, false);
    await owner.GroupHooks.remove(groupId, added.id);
    assert.deepEqual(await owner.GroupHooks.all(groupId), []);
  });

  it('reports GitLab refusals: roles, foreign hooks, bad URLs', async () => {
    assert.equal(await refusedWith(developer.ProjectHooks.all(projectId)), 403);
    assert.equal(await refusedWith(maintainer.GroupHooks.all(groupId)), 403);
    assert.equal(await refusedWith(developer.ProjectHooks.all(otherProjectId)), 404);
    const foreign = await owner.ProjectHooks.add(otherProjectId, 'https://other.example.com/hook');
    assert.equal(await refusedWith(maintainer.ProjectHooks.show(projectId, foreign.id)), 404);
    assert.equal(await refusedWith(maintainer.ProjectHooks.remove(projectId, foreign.id)), 404);
    assert.equal(await refusedWith(maintainer.ProjectHooks.add(projectId, 'http://127.0.0.1:1/hook')), 422);
    assert.equal((await owner.ProjectHooks.show(otherProjectId, foreign.id)).id, foreign.id);
  });
});
