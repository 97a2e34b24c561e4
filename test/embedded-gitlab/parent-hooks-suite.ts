/**
 * What project hooks (`/projects/:id/hooks`) and group hooks (`/groups/:id/hooks`) share, tested once for each:
 * CRUD under the parent, defaults, validations, the plan limit, URL variables and custom headers, and hooks of
 * another parent answering 404.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createWorld, type TestGitLab, useEmbeddedGitLab, type World } from './helpers.ts';

export interface ParentHooksCase {
  /** `projects` or `groups`. */
  collection: 'projects' | 'groups';
  /** The entity's parent field. */
  parentField: 'project_id' | 'group_id';
  /** The parent under test and a foreign one, from the world. */
  parent(world: World): number;
  foreignParent(world: World): number;
  /** Its URL-encoded full path. */
  fullPath(world: World): string;
  /** The token of a user who may manage its hooks (not an administrator). */
  manager(world: World): string;
  /** Flags the scope has beyond the base entity's, all false on a new hook. */
  falseFlags: readonly string[];
  /** Flags it does not have. */
  absentFlags: readonly string[];
  /** Whether the list omits `url_variables` and `custom_headers`. */
  listOmitsKeyValues: boolean;
  planLimit: { count: number; message: string };
}

const HOOK_URL = 'https://receiver.example.com/hook';

/** The flags both project and group hooks have, false on a new hook. */
export const SHARED_FALSE_FLAGS = [
  'tag_push_events',
  'merge_requests_events',
  'issues_events',
  'confidential_issues_events',
  'note_events',
  'pipeline_events',
  'wiki_page_events',
  'deployment_events',
  'feature_flag_events',
  'job_events',
  'releases_events',
  'milestone_events',
  'emoji_events',
  'resource_access_token_events',
  'vulnerability_events',
] as const;

export function describeParentHooks(c: ParentHooksCase): void {
  describe(`/${c.collection}/:id/hooks`, () => {
    const t = useEmbeddedGitLab();
    let world: World;
    let base: string;
    let token: string;
    before(async () => {
      world = await createWorld(t);
      base = `/${c.collection}/${c.parent(world)}/hooks`;
      token = c.manager(world);
    });
    const create = async (gitlab: TestGitLab, path: string, json: Record<string, unknown>) => {
      const answer = await gitlab.call('POST', path, { token, json });
      assert.equal(answer.status, 201, answer.text);
      return answer.body;
    };

    it('creates a hook with GitLab defaults and the parent id, and reads it back', async () => {
      const hook = await create(t, base, { url: HOOK_URL, name: 'Receiver', token: 's3cret' });
      assert.equal(hook[c.parentField], c.parent(world));
      assert.equal(hook.push_events, true);
      assert.equal(hook.confidential_note_events, null);
      assert.equal(hook.repository_update_events, false);
      assert.equal(hook.enable_ssl_verification, true);
      assert.equal(hook.alert_status, 'executable');
      assert.equal(hook.branch_filter_strategy, 'wildcard');
      assert.deepEqual(hook.url_variables, []);
      assert.deepEqual(hook.custom_headers, []);
      assert.equal('organization_id' in hook, false);
      assert.equal('token' in hook, false);
      for (const flag of c.falseFlags) assert.equal(hook[flag], false, flag);
      for (const flag of c.absentFlags) assert.equal(flag in hook, false, flag);
      const read = await t.call('GET', `${base}/${hook.id}`, { token });
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, hook);
      const byPath = await t.call('GET', `/${c.collection}/${c.fullPath(world)}/hooks/${hook.id}`, { token });
      assert.deepEqual(byPath.body, hook);
    });

    it('lists the parent hooks only, paginated', async () => {
      const mine = await create(t, base, {
        url: `${HOOK_URL}/list`,
        url_variables: [{ key: 'k', value: 'v' }],
      });
      const foreign = await t.call('POST', `/${c.collection}/${c.foreignParent(world)}/hooks`, {
        token: world.owner.token,
        json: { url: `${HOOK_URL}/foreign` },
      });
      assert.equal(foreign.status, 201);
      const list = await t.call('GET', `${base}?per_page=100`, { token });
      assert.equal(list.status, 200);
      const ids = list.body.map((hook: { id: number }) => hook.id);
      assert.ok(ids.includes(mine.id));
      assert.equal(ids.includes(foreign.body.id), false);
      assert.ok(list.body.every((hook: Record<string, unknown>) => hook[c.parentField] === c.parent(world)));
      assert.equal(list.headers.get('x-total'), String(ids.length));
      const item = list.body.find((hook: { id: number }) => hook.id === mine.id);
      assert.equal('url_variables' in item, !c.listOmitsKeyValues);
      assert.equal('custom_headers' in item, !c.listOmitsKeyValues);
      if (!c.listOmitsKeyValues) assert.deepEqual(item.url_variables, [{ key: 'k' }]);
      const page = await t.call('GET', `${base}?per_page=1&page=1`, { token });
      assert.equal(page.body.length, 1);
      assert.ok(page.headers.get('link')?.includes('rel="next"'));
    });

    it('updates every flag it has, and refuses bad values', async () => {
      const hook = await create(t, base, { url: HOOK_URL });
      const flags = Object.fromEntries(c.falseFlags.map((flag) => [flag, true]));
      const updated = await t.call('PUT', `${base}/${hook.id}`, {
        token,
        json: { ...flags, push_events: false, confidential_note_events: true, name: 'Renamed' },
      });
      assert.equal(updated.status, 200, updated.text);
      for (const flag of c.falseFlags) assert.equal(updated.body[flag], true, flag);
      assert.equal(updated.body.push_events, false);
      assert.equal(updated.body.confidential_note_events, true);
      assert.equal(updated.body.name, 'Renamed');
      const empty = await t.call('PUT', `${base}/${hook.id}`, { token, json: {} });
      assert.deepEqual(empty.body, { error: 'No parameters provided' });
      const badFlag = await t.call('PUT', `${base}/${hook.id}`, {
        token,
        json: { issues_events: 'sometimes' },
      });
      assert.deepEqual(badFlag.body, { error: 'issues_events is invalid' });
      const badStrategy = await t.call('PUT', `${base}/${hook.id}`, {
        token,
        json: { branch_filter_strategy: 'everything' },
      });
      assert.deepEqual(badStrategy.body, { error: 'branch_filter_strategy does not have a valid value' });
      const badToken = await t.call('PUT', `${base}/${hook.id}`, { token, json: { token: 'a\nb' } });
      assert.deepEqual(badToken.body, { message: { token: ['is invalid'] } });
      const after = await t.call('GET', `${base}/${hook.id}`, { token });
      assert.deepEqual(after.body, updated.body, 'refused updates change nothing');
    });

    it('refuses bad URLs, local ones unless the setting allows them', async () => {
      const missing = await t.call('POST', base, { token, json: { push_events: true } });
      assert.deepEqual(missing.body, { error: 'url is missing' });
      for (const url of [
        'not-a-url',
        'ftp://example.com/x',
        'http://127.0.0.1:9/hook',
        'http://localhost/hook',
      ]) {
        const answer = await t.call('POST', base, { token, json: { url } });
        assert.equal(answer.status, 422, url);
        assert.deepEqual(answer.body, { error: 'Invalid url given' }, url);
      }
      const missingVariable = await t.call('POST', base, {
        token,
        json: { url: 'https://example.com/{tenant}' },
      });
      assert.deepEqual(missingVariable.body, { error: 'Invalid url given' });
      const setting = { allow_local_requests_from_web_hooks_and_services: true };
      assert.equal((await t.call('PUT', '/application/settings', { json: setting })).status, 200);
      try {
        const local = await t.call('POST', base, { token, json: { url: 'http://127.0.0.1:9/hook' } });
        assert.equal(local.status, 201);
      } finally {
        const off = { allow_local_requests_from_web_hooks_and_services: false };
        await t.call('PUT', '/application/settings', { json: off });
      }
    });

    it('finds hooks under their parent only: a hook of another parent or scope is 404', async () => {
      const foreign = await t.call('POST', `/${c.collection}/${c.foreignParent(world)}/hooks`, {
        token: world.owner.token,
        json: { url: HOOK_URL },
      });
      const system = await t.call('POST', '/hooks', { json: { url: HOOK_URL } });
      for (const id of [foreign.body.id, system.body.id, 999999]) {
        for (const [method, path, json] of [
          ['GET', `${base}/${id}`, undefined],
          ['PUT', `${base}/${id}`, { name: 'x' }],
          ['DELETE', `${base}/${id}`, undefined],
          ['PUT', `${base}/${id}/url_variables/k`, { value: 'v' }],
          ['PUT', `${base}/${id}/custom_headers/X-K`, { value: 'v' }],
        ] as const) {
          const answer = await t.call(method, path, { token, json });
          assert.equal(answer.status, 404, `${method} ${path}`);
          assert.deepEqual(answer.body, { message: '404 Not found' });
        }
      }
      const badId = await t.call('GET', `${base}/abc`, { token });
      assert.deepEqual(badId.body, { error: 'hook_id is invalid' });
      const foreignRead = await t.call(
        'GET',
        `/${c.collection}/${c.foreignParent(world)}/hooks/${foreign.body.id}`,
        {
          token: world.owner.token,
        },
      );
      assert.equal(foreignRead.status, 200, 'the foreign hook is still there');
    });

    it('draws ids from the one sequence of every hook kind', async () => {
      const system = await t.call('POST', '/hooks', { json: { url: HOOK_URL } });
      const mine = await create(t, base, { url: HOOK_URL });
      const otherKind =
        c.collection === 'projects' ? `/groups/${world.group.id}` : `/projects/${world.project.id}`;
      const other = await t.call('POST', `${otherKind}/hooks`, {
        token: world.owner.token,
        json: { url: HOOK_URL },
      });
      assert.equal(mine.id, system.body.id + 1);
      assert.equal(other.body.id, mine.id + 1);
    });

    it('sets and deletes URL variables and custom headers', async () => {
      const hook = await create(t, base, {
        url: 'https://example.com/{tenant}',
        url_variables: [{ key: 'tenant', value: 'a' }],
      });
      assert.equal(
        (await t.call('PUT', `${base}/${hook.id}/url_variables/region`, { token, json: { value: 'eu' } }))
          .status,
        204,
      );
      assert.equal(
        (await t.call('PUT', `${base}/${hook.id}/custom_headers/X-Team`, { token, json: { value: 'core' } }))
          .status,
        204,
      );
      const read = await t.call('GET', `${base}/${hook.id}`, { token });
      assert.deepEqual(read.body.url_variables, [{ key: 'tenant' }, { key: 'region' }]);
      assert.deepEqual(read.body.custom_headers, [{ key: 'X-Team' }]);
      assert.equal(read.text.includes('core'), false, 'values are never returned');
      const illegal = await t.call('PUT', `${base}/${hook.id}/url_variables/abc%20def`, {
        token,
        json: { value: 'x' },
      });
      assert.deepEqual(illegal.body, { error: 'Illegal key or value' });
      const noValue = await t.call('PUT', `${base}/${hook.id}/custom_headers/X-Team`, { token, json: {} });
      assert.deepEqual(noValue.body, { error: 'value is missing' });
      assert.equal(
        (await t.call('DELETE', `${base}/${hook.id}/url_variables/region`, { token })).status,
        204,
      );
      assert.equal(
        (await t.call('DELETE', `${base}/${hook.id}/custom_headers/X-Team`, { token })).status,
        204,
      );
      const unknownVariable = await t.call('DELETE', `${base}/${hook.id}/url_variables/region`, { token });
      assert.deepEqual(unknownVariable.body, { message: '404 URL variable Not Found' });
      const unknownHeader = await t.call('DELETE', `${base}/${hook.id}/custom_headers/X-Team`, { token });
      assert.deepEqual(unknownHeader.body, { message: '404 Custom header Not Found' });
    });

    it('deletes a hook (204), then 404; honours If-Unmodified-Since', async () => {
      const hook = await create(t, base, { url: HOOK_URL });
      const stale = await t.call('DELETE', `${base}/${hook.id}`, {
        token,
        headers: { 'If-Unmodified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT' },
      });
      assert.equal(stale.status, 412);
      const deleted = await t.call('DELETE', `${base}/${hook.id}`, { token });
      assert.equal(deleted.status, 204);
      assert.equal(deleted.text, '');
      assert.equal((await t.call('DELETE', `${base}/${hook.id}`, { token })).status, 404);
      assert.equal((await t.call('GET', `${base}/${hook.id}`, { token })).status, 404);
    });

    it('serves the test endpoint to its manager (deliveries: webhook-test-triggers.test.ts)', async () => {
      const hook = await create(t, base, { url: HOOK_URL });
      const answer = await t.call('POST', `${base}/${hook.id}/test/member_events`, { token });
      assert.deepEqual([answer.status, answer.body], [400, { error: 'trigger does not have a valid value' }]);
      const unknownHook = await t.call('POST', `${base}/999999/test/push_events`, { token });
      assert.deepEqual(unknownHook.body, { message: '404 Not found' });
    });
  });

  describe(`/${c.collection}/:id/hooks plan limit`, () => {
    const t = useEmbeddedGitLab();
    let world: World;
    before(async () => {
      world = await createWorld(t);
    });

    it(`allows ${c.planLimit.count} hooks per parent, then answers GitLab's 422`, async () => {
      const base = `/${c.collection}/${c.parent(world)}/hooks`;
      for (let index = 0; index < c.planLimit.count; index++) {
        const answer = await t.call('POST', base, { json: { url: `${HOOK_URL}/${index}` } });
        assert.equal(answer.status, 201, answer.text);
      }
      const over = await t.call('POST', base, { json: { url: `${HOOK_URL}/over` } });
      assert.equal(over.status, 422);
      assert.deepEqual(over.body, { error: c.planLimit.message });
      const list = await t.call('GET', `${base}?per_page=100&page=2`);
      assert.equal(list.headers.get('x-total'), String(c.planLimit.count));
      const elsewhere = await t.call('POST', `/${c.collection}/${c.foreignParent(world)}/hooks`, {
        json: { url: HOOK_URL },
      });
      assert.equal(elsewhere.status, 201, 'the limit is per parent');
    });
  });
}
