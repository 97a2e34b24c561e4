import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useReceiver, useWebhookGitLab } from './webhook-world.ts';

const MINUTE_MS = 60_000;

describe('auto-disabling of project and group hooks', () => {
  const t = useWebhookGitLab();
  let status = 500;
  const receiver = useReceiver({ answer: (_request, res) => res.writeHead(status).end('no') });
  const project = () => `/projects/${t.world.projectId}`;

  /** Fires a push at the project; returns the ids of the hooks it was delivered to. */
  async function push(): Promise<number[]> {
    const answer = await t.fire({ event_name: 'push', project: t.world.projectId });
    assert.equal(answer.status, 202);
    await t.gitlab.deliveriesSettled();
    return answer.body.deliveries.map((d: { hook_id: number }) => d.hook_id);
  }
  const read = async (hookId: number, parent = project()) =>
    (await t.call('GET', `${parent}/hooks/${hookId}`)).body as {
      alert_status: string;
      disabled_until: string | null;
    };

  it('disables a hook for a minute on the 4th consecutive failure, then doubles the backoff', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/failing` });
    for (let i = 1; i <= 3; i++) {
      assert.ok((await push()).includes(hook.id));
      assert.deepEqual(await read(hook.id), {
        ...(await read(hook.id)),
        alert_status: 'executable',
        disabled_until: null,
      });
    }
    assert.ok((await push()).includes(hook.id));
    const disabled = await read(hook.id);
    assert.equal(disabled.alert_status, 'temporarily_disabled');
    assert.equal(disabled.disabled_until, new Date(t.clock.now + MINUTE_MS).toISOString());
    // No delivery while disabled: the event is not queued for later.
    const before = receiver.received.length;
    assert.ok(!(await push()).includes(hook.id));
    assert.equal(receiver.received.length, before);
    // Past `disabled_until` it reads executable again, and keeps the old timestamp until a success.
    t.clock.advance(MINUTE_MS + 1);
    assert.deepEqual(
      [(await read(hook.id)).alert_status, (await read(hook.id)).disabled_until],
      ['executable', disabled.disabled_until],
    );
    assert.ok((await push()).includes(hook.id));
    assert.equal((await read(hook.id)).disabled_until, new Date(t.clock.now + 2 * MINUTE_MS).toISOString());
    t.clock.advance(2 * MINUTE_MS + 1);
    await push();
    assert.equal((await read(hook.id)).disabled_until, new Date(t.clock.now + 4 * MINUTE_MS).toISOString());
  });

  it('a success resets the count; resend refuses a disabled hook; a successful test re-enables it', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/recovering` });
    for (let i = 0; i < 4; i++) await push();
    assert.equal((await read(hook.id)).alert_status, 'temporarily_disabled');
    const [entry] = (await t.call('GET', `${project()}/hooks/${hook.id}/events`)).body;
    const refused = await t.call('POST', `${project()}/hooks/${hook.id}/events/${entry.id}/resend`);
    assert.deepEqual([refused.status, refused.body], [422, { message: 'Hook disabled' }]);
    // A test is forced: delivered while disabled, and its success re-enables the hook.
    status = 200;
    try {
      const test = await t.call('POST', `${project()}/hooks/${hook.id}/test/push_events`);
      assert.equal(test.status, 201);
      assert.deepEqual(
        [(await read(hook.id)).alert_status, (await read(hook.id)).disabled_until],
        ['executable', null],
      );
    } finally {
      status = 500;
    }
    for (let i = 0; i < 3; i++) await push();
    assert.equal((await read(hook.id)).alert_status, 'executable', 'the count started again from 0');
  });

  it('disables a hook for good on the 40th consecutive failure', async () => {
    t.clock.advance(MINUTE_MS);
    const hook = await t.createHook(
      { url: `${receiver.origin}/group-failing` },
      { groups: t.world.subgroupId },
    );
    const group = `/groups/${t.world.subgroupId}`;
    for (let failure = 1; failure <= 40; failure++) {
      assert.ok((await push()).includes(hook.id), `failure ${failure} delivered`);
      const { alert_status: alert, disabled_until: until } = await read(hook.id, group);
      if (failure < 4) assert.equal(alert, 'executable');
      else if (failure < 40) {
        assert.equal(alert, 'temporarily_disabled', `after failure ${failure}`);
        t.clock.now = Date.parse(until ?? '') + 1;
      } else assert.deepEqual([alert, until], ['disabled', null]);
    }
    t.clock.advance(2 * 86_400_000);
    assert.ok(!(await push()).includes(hook.id));
    assert.equal((await read(hook.id, group)).alert_status, 'disabled');
    status = 200;
    try {
      assert.equal((await t.call('POST', `${group}/hooks/${hook.id}/test/push_events`)).status, 201);
    } finally {
      status = 500;
    }
    assert.equal((await read(hook.id, group)).alert_status, 'executable');
  });
});

describe('auto-disabling turned off', () => {
  const t = useWebhookGitLab({ autoDisableWebHooks: false });
  const receiver = useReceiver({ status: 500 });

  it('keeps delivering to a failing hook, which stays executable', async () => {
    const hook = await t.createHook({ url: `${receiver.origin}/failing` });
    for (let i = 0; i < 6; i++) {
      const answer = await t.fire({ event_name: 'push', project: t.world.projectId });
      assert.deepEqual(
        answer.body.deliveries.map((d: { hook_id: number }) => d.hook_id),
        [hook.id],
      );
      await t.gitlab.deliveriesSettled();
    }
    assert.equal(receiver.received.length, 6);
    const read = await t.call('GET', `/projects/${t.world.projectId}/hooks/${hook.id}`);
    assert.deepEqual([read.body.alert_status, read.body.disabled_until], ['executable', null]);
  });
});
