/**
 * The world's REST calls and the project and group hook routes with arbitrary input, property-based: never a
 * 5xx, the server stays up, and a rejected request creates nothing.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { propertyRuns } from '../helpers/property.ts';
import { createWorld, useEmbeddedGitLab, type World } from './helpers.ts';

const RUNS = propertyRuns(100);

const anyValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.boolean(),
  fc.integer(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A fresh path each time, or anything else; the probe after a rejection looks for the string ones. */
const pathValue = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/), anyValue);

const worldParams = fc.record(
  {
    name: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), anyValue),
    path: pathValue,
    username: pathValue,
    email: fc.oneof(fc.emailAddress(), anyValue),
    password: fc.oneof(fc.string({ minLength: 8, maxLength: 20 }), anyValue),
    visibility: fc.oneof(fc.constantFrom('private', 'internal', 'public'), anyValue),
    parent_id: anyValue,
    namespace_id: anyValue,
    user_id: anyValue,
    access_level: fc.oneof(fc.constantFrom(10, 20, 30, 40, 50), anyValue),
    scopes: fc.oneof(fc.constantFrom(['api'], 'read_api'), anyValue),
    url: fc.oneof(fc.webUrl(), anyValue),
    push_events: anyValue,
    member_events: anyValue,
    allow_local_requests_from_system_hooks: anyValue,
  },
  { requiredKeys: [] },
);

type Target =
  | 'users'
  | 'groups'
  | 'projects'
  | 'project members'
  | 'group members'
  | 'project hooks'
  | 'group hooks';
const target = fc.constantFrom<Target>(
  'users',
  'groups',
  'projects',
  'project members',
  'group members',
  'project hooks',
  'group hooks',
);

describe('the world with arbitrary input, property-based', () => {
  const t = useEmbeddedGitLab();
  let world: World;
  before(async () => {
    world = await createWorld(t);
  });

  const pathOf = (to: Target): string =>
    ({
      users: '/users',
      groups: '/groups',
      projects: '/projects',
      'project members': `/projects/${world.project.id}/members`,
      'group members': `/groups/${world.group.id}/members`,
      'project hooks': `/projects/${world.project.id}/hooks`,
      'group hooks': `/groups/${world.group.id}/hooks`,
    })[to];

  /** What a rejected request must not have made. */
  async function nothingMade(to: Target, params: Record<string, unknown>, hooksBefore: number[]) {
    if (to === 'groups' && typeof params.path === 'string' && params.path !== '') {
      const found = await t.call('GET', `/groups/${encodeURIComponent(params.path)}`);
      assert.equal(found.status, 404, `group ${params.path} exists after a rejection`);
    }
    if (to === 'project hooks' || to === 'group hooks') {
      const list = await t.call('GET', `${pathOf(to)}?per_page=100`);
      assert.deepEqual(
        list.body.map((hook: { id: number }) => hook.id),
        hooksBefore,
      );
    }
  }

  it('never answers 5xx and a rejected request creates nothing', async () => {
    await fc.assert(
      fc.asyncProperty(target, worldParams, fc.boolean(), async (to, params, asOwner) => {
        const path = pathOf(to);
        const isHooks = to.endsWith('hooks');
        const hooksBefore = isHooks
          ? (await t.call('GET', `${path}?per_page=100`)).body.map((hook: { id: number }) => hook.id)
          : [];
        const token = asOwner ? world.owner.token : undefined;
        const answer = await t.call('POST', path, { token, json: params });
        assert.ok(answer.status < 500, `${answer.status} ${answer.text}`);
        if (answer.status >= 400) await nothingMade(to, params, hooksBefore);
        else if (isHooks) assert.equal((await t.call('DELETE', `${path}/${answer.body.id}`)).status, 204);
      }),
      RUNS,
    );
    const settings = await t.call('PUT', '/application/settings', {
      json: { allow_local_requests_from_system_hooks: 'x' },
    });
    assert.equal(settings.status, 400);
    assert.equal((await t.call('GET', `/projects/${world.project.id}`)).status, 200, 'still serving');
  });
});
