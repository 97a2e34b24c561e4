import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USER_TOKEN } from '../helpers/credentials.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { useReceiver, useWebhookGitLab } from './webhook-world.ts';

describe('POST /-/embedded-gitlab/webhook-events', () => {
  const t = useWebhookGitLab();
  const receiver = useReceiver();

  /** The deliveries that arrived at `path`. */
  const at = (path: string) => receiver.received.filter((request) => request.target === path);
  const settle = () => t.gitlab.deliveriesSettled();

  it('delivers a project event to the project’s hooks that select it and to every group above', async () => {
    const own = await t.createHook({ url: `${receiver.origin}/fan/project`, push_events: true });
    const off = await t.createHook({ url: `${receiver.origin}/fan/off`, push_events: false });
    const sub = await t.createHook({ url: `${receiver.origin}/fan/sub` }, { groups: t.world.subgroupId });
    const top = await t.createHook({ url: `${receiver.origin}/fan/top` }, { groups: t.world.groupId });
    const other = await t.call('POST', '/projects', {
      json: { name: 'Elsewhere', path: 'elsewhere', namespace_id: t.world.groupId },
    });
    await t.createHook({ url: `${receiver.origin}/fan/other` }, { projects: other.body.id });

    const answer = await t.fire({ event_name: 'push', project: 'acme/platform/api' });
    assert.equal(answer.status, 202);
    assert.deepEqual(
      answer.body.deliveries.map((d: { hook_id: number }) => d.hook_id),
      [own.id, sub.id, top.id],
    );
    assert.equal(answer.body.event_name, 'push');
    assert.equal(answer.body.payload.project.path_with_namespace, 'acme/platform/api');
    await waitUntil(
      'three deliveries',
      () => receiver.received.filter((r) => r.target.startsWith('/fan/')).length >= 3,
    );
    await settle();
    for (const path of ['/fan/project', '/fan/sub', '/fan/top']) {
      const [delivery] = at(path);
      assert.equal(delivery?.headers['x-gitlab-event'], 'Push Hook', path);
      assert.deepEqual(JSON.parse(delivery?.body ?? '{}'), answer.body.payload);
    }
    const keys = ['/fan/project', '/fan/sub', '/fan/top'].map(
      (path) => at(path)[0]?.headers['idempotency-key'],
    );
    assert.equal(new Set(keys).size, 3, 'each hook has its own Idempotency-Key');
    assert.deepEqual([at('/fan/off').length, at('/fan/other').length], [0, 0]);
    assert.ok(off.id > 0);
  });

  it('sends each kind with its X-Gitlab-Event to the hooks whose flag selects it', async () => {
    const cases: [event: string, flag: string, header: string, kind: string | undefined][] = [
      ['tag_push', 'tag_push_events', 'Tag Push Hook', 'tag_push'],
      ['issue', 'issues_events', 'Issue Hook', 'issue'],
      ['confidential_issue', 'confidential_issues_events', 'Confidential Issue Hook', 'issue'],
      ['note_issue', 'note_events', 'Note Hook', 'note'],
      ['confidential_note', 'confidential_note_events', 'Confidential Note Hook', 'note'],
      ['merge_request', 'merge_requests_events', 'Merge Request Hook', 'merge_request'],
      ['wiki_page', 'wiki_page_events', 'Wiki Page Hook', 'wiki_page'],
      ['pipeline', 'pipeline_events', 'Pipeline Hook', 'pipeline'],
      ['job', 'job_events', 'Job Hook', 'build'],
      ['deployment', 'deployment_events', 'Deployment Hook', 'deployment'],
      ['feature_flag', 'feature_flag_events', 'Feature Flag Hook', 'feature_flag'],
      ['release', 'releases_events', 'Release Hook', 'release'],
      ['milestone', 'milestone_events', 'Milestone Hook', 'milestone'],
      ['emoji', 'emoji_events', 'Emoji Hook', 'emoji'],
      [
        'resource_access_token_project',
        'resource_access_token_events',
        'Resource Access Token Hook',
        'access_token',
      ],
      ['vulnerability', 'vulnerability_events', 'Vulnerability Hook', 'vulnerability'],
    ];
    for (const [event, flag, header, kind] of cases) {
      const path = `/kind/${event}`;
      const hook = await t.createHook({ url: `${receiver.origin}${path}`, push_events: false, [flag]: true });
      const answer = await t.fire({ event_name: event, project: t.world.projectId });
      assert.equal(answer.status, 202, `${event}: ${answer.text}`);
      const mine = answer.body.deliveries.filter((d: { hook_id: number }) => d.hook_id === hook.id);
      assert.equal(mine.length, 1, event);
      await waitUntil(`${event} delivered`, () => at(path).length === 1);
      const delivery = at(path)[0];
      assert.equal(delivery?.headers['x-gitlab-event'], header, event);
      assert.equal(JSON.parse(delivery?.body ?? '{}').object_kind, kind, event);
    }
    await settle();
    const confidential = JSON.parse(at('/kind/confidential_issue')[0]?.body ?? '{}');
    assert.equal(confidential.event_type, 'confidential_issue');
    assert.equal(confidential.object_attributes.confidential, true);
  });

  it('skips a push whose branch filter does not match', async () => {
    await t.createHook({
      url: `${receiver.origin}/branch/release`,
      push_events_branch_filter: 'release/*',
      branch_filter_strategy: 'wildcard',
    });
    const main = await t.fire({ event_name: 'push', project: t.world.projectId });
    assert.equal(main.status, 202);
    const custom = { ...main.body.payload, ref: 'refs/heads/release/1.0' };
    const release = await t.fire({ event_name: 'push', project: t.world.projectId, payload: custom });
    await waitUntil('the release push', () => at('/branch/release').length === 1);
    await settle();
    assert.equal(at('/branch/release').length, 1);
    assert.equal(JSON.parse(at('/branch/release')[0]?.body ?? '{}').ref, 'refs/heads/release/1.0');
    assert.equal(release.status, 202);
  });

  it('delivers member events to the group’s hooks and its ancestors’, not to project hooks', async () => {
    await t.createHook({ url: `${receiver.origin}/member/project`, push_events: true });
    const sub = await t.createHook(
      { url: `${receiver.origin}/member/sub`, member_events: true },
      { groups: t.world.subgroupId },
    );
    const top = await t.createHook(
      { url: `${receiver.origin}/member/top`, member_events: true },
      { groups: t.world.groupId },
    );
    const answer = await t.fire({ event_name: 'group_member_add', group: 'acme/platform' });
    assert.equal(answer.status, 202);
    assert.deepEqual(
      answer.body.deliveries.map((d: { hook_id: number }) => d.hook_id),
      [sub.id, top.id],
    );
    await waitUntil('two member deliveries', () => at('/member/sub').length + at('/member/top').length === 2);
    const body = JSON.parse(at('/member/sub')[0]?.body ?? '{}');
    assert.equal(at('/member/sub')[0]?.headers['x-gitlab-event'], 'Member Hook');
    assert.deepEqual(
      [body.event_name, body.group_id, body.group_path],
      ['user_add_to_group', t.world.subgroupId, 'platform'],
    );
    assert.equal(body.object_kind, undefined);
  });

  it('delivers a subgroup event to the parent’s hooks, and project events to the groups above', async () => {
    const own = await t.createHook(
      { url: `${receiver.origin}/sg/own`, subgroup_events: true },
      { groups: t.world.subgroupId },
    );
    const parent = await t.createHook(
      { url: `${receiver.origin}/sg/parent`, subgroup_events: true, project_events: true },
      { groups: t.world.groupId },
    );
    const subgroup = await t.fire({ event_name: 'subgroup_create', group: t.world.subgroupId });
    assert.deepEqual(
      subgroup.body.deliveries.map((d: { hook_id: number }) => d.hook_id),
      [parent.id],
    );
    assert.equal(subgroup.body.payload.parent_full_path, 'acme');
    assert.equal(subgroup.body.payload.full_path, 'acme/platform');
    const project = await t.fire({ event_name: 'project_create', project: t.world.projectId });
    assert.deepEqual(
      project.body.deliveries.map((d: { hook_id: number }) => d.hook_id),
      [parent.id],
    );
    assert.equal(project.body.payload.path_with_namespace, 'acme/platform/api');
    await waitUntil('both', () => at('/sg/parent').length === 2);
    assert.deepEqual(
      at('/sg/parent').map((r) => r.headers['x-gitlab-event']),
      ['Subgroup Hook', 'Project Hook'],
    );
    assert.equal(at('/sg/own').length, 0);
    assert.ok(own.id > 0);
  });

  it('passes the triggering request’s X-Gitlab-Event-UUID on; fires from code too', async () => {
    await t.createHook({ url: `${receiver.origin}/uuid`, releases_events: true, push_events: false });
    const uuid = '6a1c1e1e-0000-4000-8000-000000000001';
    const answer = await t.fire(
      { event_name: 'release', project: t.world.projectId },
      { headers: { 'X-Gitlab-Event-UUID': uuid } },
    );
    assert.equal(answer.status, 202);
    await waitUntil('the release', () => at('/uuid').length === 1);
    assert.equal(at('/uuid')[0]?.headers['x-gitlab-event-uuid'], uuid);
    const emitted = t.gitlab.fireWebHookEvent({ eventName: 'release', project: 'acme/platform/api' });
    assert.equal(emitted.payload.object_kind, 'release');
    await waitUntil('the second release', () => at('/uuid').length === 2);
    assert.notEqual(at('/uuid')[1]?.headers['x-gitlab-event-uuid'], uuid);
    assert.throws(
      () => t.gitlab.fireWebHookEvent({ eventName: 'release', project: 'no/such' }),
      /no project/,
    );
  });

  it('delivers a payload of the caller’s own with the trigger it names', async () => {
    const hook = await t.createHook({
      url: `${receiver.origin}/custom`,
      note_events: true,
      push_events: false,
    });
    const payload = { object_kind: 'note', custom: true };
    const answer = await t.fire({
      event_name: 'my_note',
      project: t.world.projectId,
      payload,
      trigger: 'note_hooks',
    });
    assert.equal(answer.status, 202);
    assert.ok(answer.body.deliveries.some((d: { hook_id: number }) => d.hook_id === hook.id));
    await waitUntil('the custom payload', () => at('/custom').length === 1);
    assert.equal(at('/custom')[0]?.body, JSON.stringify(payload));
    assert.equal(at('/custom')[0]?.headers['x-gitlab-event'], 'Note Hook');
  });

  it('rejects bad requests with a clear error and delivers nothing', async () => {
    await settle();
    const before = receiver.received.length;
    const cases: [body: unknown, status: number, error: RegExp][] = [
      [{}, 400, /event_name is missing/],
      [{ event_name: 'push' }, 400, /exactly one of project and group/],
      [{ event_name: 'push', project: 1, group: 2 }, 400, /exactly one of project and group/],
      [{ event_name: 'push', project: 'nope/nope' }, 404, /no project "nope\/nope"/],
      [{ event_name: 'push', group: t.world.projectId }, 404, /no group/],
      [{ event_name: 'push', project: { id: 1 } }, 400, /project must be an id or a full path/],
      [{ event_name: 'nope', project: t.world.projectId }, 400, /not in the catalogue/],
      [{ event_name: '__proto__', project: t.world.projectId }, 400, /not in the catalogue/],
      [
        { event_name: 'x', project: t.world.projectId, payload: {}, trigger: 'constructor' },
        400,
        /trigger must/,
      ],
      [{ event_name: 'push', project: 'x'.repeat(2000) }, 400, /project must be an id or a full path/],
      [{ event_name: 'nope', project: t.world.projectId, payload: {} }, 400, /not in the catalogue/],
      [
        { event_name: 'push', project: t.world.projectId, payload: [1] },
        400,
        /payload must be a JSON object/,
      ],
      [
        { event_name: 'x', project: t.world.projectId, payload: {}, trigger: 'nope' },
        400,
        /trigger must be one of/,
      ],
      [{ event_name: 'group_member_add', project: t.world.projectId }, 400, /fired at a group/],
      [{ event_name: 'push', group: t.world.groupId }, 400, /fired at a project/],
      [{ event_name: 'push', project: t.world.projectId, extra: 1 }, 400, /unknown field "extra"/],
      [[1, 2], 400, /the body must be a JSON object/],
    ];
    for (const [body, status, error] of cases) {
      const answer = await t.fire(body);
      assert.equal(answer.status, status, JSON.stringify(body));
      assert.match(answer.body.error, error, JSON.stringify(body));
    }
    const user = await t.fire({ event_name: 'push', project: t.world.projectId }, { token: USER_TOKEN });
    assert.equal(user.status, 403);
    const anonymous = await t.fire({ event_name: 'push', project: t.world.projectId }, { token: null });
    assert.equal(anonymous.status, 401);
    await settle();
    assert.equal(receiver.received.length, before);
  });
});
