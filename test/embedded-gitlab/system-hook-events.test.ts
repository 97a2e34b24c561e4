import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { closedPort, type ReceivedRequest, type Receiver, startReceiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import {
  type Answer,
  type HookEntity,
  postControlPath,
  type TestGitLab,
  useEmbeddedGitLab,
} from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const XMLSCHEMA = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const signingToken = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Every name of the catalogue (system-hook-events.md §1.1), written out independently of the server. */
const CATALOGUE = [
  'project_create',
  'project_destroy',
  'project_rename',
  'project_transfer',
  'project_update',
  'group_create',
  'group_destroy',
  'group_rename',
  'key_create',
  'key_destroy',
  'user_create',
  'user_destroy',
  'user_rename',
  'user_failed_login',
  'user_add_to_team',
  'user_remove_from_team',
  'user_update_for_team',
  'user_access_request_to_project',
  'user_access_request_revoked_for_project',
  'user_add_to_group',
  'user_remove_from_group',
  'user_update_for_group',
  'user_access_request_to_group',
  'user_access_request_revoked_for_group',
  'push',
  'tag_push',
  'repository_update',
  'merge_request',
  'gitlab_subscription_member_approval',
  'gitlab_subscription_member_approvals',
];

/** A Standard Webhooks verifier written from the spec, independent of the server's signer. */
function verifies(token: string, request: ReceivedRequest): boolean {
  const { headers, body } = request;
  const key = Buffer.from(token.slice('whsec_'.length), 'base64');
  const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
  const expected = `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
  return String(headers['webhook-signature']).split(' ').includes(expected);
}

/**
 * Starts a receiver for the describe block, and gives `hook(label, params)`, which creates a hook whose URL ends
 * in its label. Every hook, the delivery log and what the receiver got are cleared after each test.
 */
function useHookReceiver(t: TestGitLab) {
  let current: Receiver | undefined;
  const receiver = (): Receiver => {
    if (current === undefined) throw new Error('the receiver starts before the tests');
    return current;
  };
  before(async () => {
    current = await startReceiver();
  });
  after(() => current?.close());
  afterEach(async () => {
    await t.gitlab.deliveriesSettled();
    for (const hook of await t.listHooks()) await t.call('DELETE', `/hooks/${hook.id}`);
    t.gitlab.resetDeliveryLog();
    receiver().received.length = 0;
  });
  const hook = (label: string, params: Record<string, unknown> = {}): Promise<HookEntity> =>
    t.createHook({ url: `${receiver().origin}/${label}`, ...params });
  return { receiver, hook };
}

/** Emits through the control path, checks the 202, and waits until every planned delivery was attempted. */
async function emit(t: TestGitLab, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const before = t.gitlab.deliveries.length;
  const answer = await postControlPath(t.gitlab, 'system-hook-events', body, { headers });
  assert.equal(answer.status, 202, answer.text);
  await t.gitlab.deliveriesSettled();
  assert.equal(
    t.gitlab.deliveries.length,
    before + answer.body.deliveries.length,
    'every delivery was logged',
  );
  return answer;
}

const labelsOf = (receiver: Receiver): string[] =>
  receiver.received.map((request) => request.target.slice(1)).sort();

describe('emitted events go to the hooks whose settings select them', () => {
  const t = useEmbeddedGitLab({ version: '19.0.0' });
  const { receiver, hook } = useHookReceiver(t);

  const NO_FLAGS = {
    push_events: false,
    tag_push_events: false,
    merge_requests_events: false,
    repository_update_events: false,
  };

  it('sends a lifecycle event to every hook, whatever its flags', async () => {
    await hook('none', NO_FLAGS);
    await hook('all', { push_events: true, tag_push_events: true, merge_requests_events: true });
    const answer = await emit(t, { event_name: 'user_create' });
    assert.deepEqual(labelsOf(receiver()), ['all', 'none']);
    assert.equal(answer.body.deliveries.length, 2);
  });

  it('sends push, tag_push, merge_request and repository_update only to hooks with that flag', async () => {
    await hook('push', { ...NO_FLAGS, push_events: true });
    await hook('tag', { ...NO_FLAGS, tag_push_events: true });
    await hook('mr', { ...NO_FLAGS, merge_requests_events: true });
    await hook('repo', { ...NO_FLAGS, repository_update_events: true });
    await hook('defaults');
    await hook('none', NO_FLAGS);
    const expected: Record<string, string[]> = {
      push: ['push'],
      tag_push: ['tag'],
      merge_request: ['mr'],
      repository_update: ['defaults', 'repo'],
    };
    for (const [eventName, labels] of Object.entries(expected)) {
      receiver().received.length = 0;
      await emit(t, { event_name: eventName });
      assert.deepEqual(labelsOf(receiver()), labels, eventName);
    }
  });

  it('applies the push branch filter by strategy, and never filters a tag push', async () => {
    const push = { push_events: true, tag_push_events: true, repository_update_events: false };
    await hook('release-glob', { ...push, push_events_branch_filter: 'release/*' });
    await hook('exact-main', { ...push, push_events_branch_filter: 'main' });
    await hook('regex-fix', { ...push, push_events_branch_filter: 'fix', branch_filter_strategy: 'regex' });
    await hook('regex-feat', {
      ...push,
      push_events_branch_filter: '^feat/',
      branch_filter_strategy: 'regex',
    });
    await hook('all-branches', {
      ...push,
      push_events_branch_filter: 'main',
      branch_filter_strategy: 'all_branches',
    });
    await hook('blank', { ...push, push_events_branch_filter: '' });
    const expected: Record<string, string[]> = {
      main: ['all-branches', 'blank', 'exact-main'],
      'release/1.0': ['all-branches', 'blank', 'release-glob'],
      'release/1.0/rc': ['all-branches', 'blank', 'release-glob'],
      'pre-release/1.0': ['all-branches', 'blank'],
      'feat/login': ['all-branches', 'blank', 'regex-feat'],
      'bugfix/login': ['all-branches', 'blank', 'regex-fix'],
      mainline: ['all-branches', 'blank'],
    };
    for (const [branch, labels] of Object.entries(expected)) {
      receiver().received.length = 0;
      await emit(t, { event_name: 'push', ref: branch });
      assert.deepEqual(labelsOf(receiver()), labels, branch);
    }
    receiver().received.length = 0;
    await emit(t, { event_name: 'tag_push', ref: 'v1.0.0' });
    assert.equal(receiver().received.length, 6, 'every hook with tag_push_events gets the tag push');
  });

  it('matches a given push payload by its ref, and a ref that is not a branch by no filter', async () => {
    await hook('main-only', { push_events: true, push_events_branch_filter: 'main' });
    await hook('unfiltered', { push_events: true });
    await emit(t, { event_name: 'push', payload: { event_name: 'push', ref: 'refs/heads/main' } });
    assert.deepEqual(labelsOf(receiver()), ['main-only', 'unfiltered']);
    receiver().received.length = 0;
    await emit(t, { event_name: 'push', payload: { event_name: 'push', ref: 'refs/tags/main' } });
    assert.deepEqual(labelsOf(receiver()), ['unfiltered']);
  });

  it('matches no push for a strategy this server does not know, unless the filter is blank', async () => {
    await t.gitlab.seed([
      {
        url: `${receiver().origin}/unknown-strategy`,
        push_events: true,
        push_events_branch_filter: 'main',
        branch_filter_strategy: 'protected_branches',
      },
      {
        url: `${receiver().origin}/unknown-blank`,
        push_events: true,
        branch_filter_strategy: 'protected_branches',
      },
    ]);
    await emit(t, { event_name: 'push', ref: 'main' });
    assert.deepEqual(labelsOf(receiver()), ['unknown-blank']);
  });
});

describe('with systemHookBranchFilter: ignore', () => {
  const t = useEmbeddedGitLab({ version: '19.0.0', systemHookBranchFilter: 'ignore' });
  const { receiver, hook } = useHookReceiver(t);

  it('sends every push to every hook with push_events, as the system hook code read does', async () => {
    await hook('main-only', { push_events: true, push_events_branch_filter: 'main' });
    await hook('no-push');
    await emit(t, { event_name: 'push', ref: 'elsewhere' });
    assert.deepEqual(labelsOf(receiver()), ['main-only']);
  });
});

describe("GitLab's delivery headers", () => {
  const t = useEmbeddedGitLab({
    version: '19.0.0',
    externalUrl: 'https://gitlab.example.com/',
    allowLocalRequestsFromWebHooksAndServices: true,
  });
  const { receiver, hook } = useHookReceiver(t);

  it('sends the full 19.0 header set, signed, with custom headers, URL variables and Basic auth', async () => {
    const secret = signingToken();
    await t.createHook({
      url: `http://hook%20user:p%40ss@127.0.0.1:${receiver().port}/{path}?source=gitlab`,
      token: 'hook-token',
      signing_token: secret,
      url_variables: [{ key: 'path', value: 'system-hooks' }],
      custom_headers: [
        { key: 'X-Custom', value: 'custom-value' },
        { key: 'X-Gitlab-Event', value: 'Spoofed' },
        { key: 'webhook-id', value: 'spoofed-id' },
      ],
    });
    const startedSeconds = Math.floor(Date.now() / 1000);
    const answer = await emit(t, { event_name: 'project_create' });

    const [request] = receiver().received;
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.target, '/system-hooks?source=gitlab');
    assert.equal(request.body, JSON.stringify(answer.body.payload));
    const transport = ['host', 'connection', 'content-length'];
    assert.deepEqual(request.headerNames.filter((name) => !transport.includes(name.toLowerCase())).sort(), [
      'Authorization',
      'Content-Type',
      'Idempotency-Key',
      'User-Agent',
      'X-Custom',
      'X-Gitlab-Event',
      'X-Gitlab-Event-UUID',
      'X-Gitlab-Instance',
      'X-Gitlab-Token',
      'X-Gitlab-Webhook-UUID',
      'webhook-id',
      'webhook-signature',
      'webhook-timestamp',
    ]);
    const { headers } = request;
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['user-agent'], 'GitLab/19.0.0');
    assert.equal(headers['x-gitlab-event'], 'System Hook');
    assert.equal(headers['x-gitlab-instance'], 'https://gitlab.example.com');
    assert.equal(headers['x-gitlab-token'], 'hook-token');
    assert.equal(headers['x-custom'], 'custom-value');
    assert.equal(headers.authorization, `Basic ${Buffer.from('hook user:p@ss').toString('base64')}`);
    assert.equal(headers['idempotency-key'], answer.body.deliveries[0].idempotency_key);
    assert.equal(headers['webhook-id'], headers['idempotency-key']);
    for (const name of ['idempotency-key', 'x-gitlab-webhook-uuid', 'x-gitlab-event-uuid']) {
      assert.match(String(headers[name]), UUID, name);
    }
    const timestamp = Number(headers['webhook-timestamp']);
    assert.ok(timestamp >= startedSeconds && timestamp <= Math.floor(Date.now() / 1000), String(timestamp));
    assert.ok(verifies(secret, request), 'the signature verifies');
  });

  it('gives each hook its own Idempotency-Key and X-Gitlab-Event-UUID, and each attempt its own X-Gitlab-Webhook-UUID', async () => {
    await hook('a');
    await hook('b');
    const first = await emit(t, { event_name: 'group_create' });
    const second = await emit(t, { event_name: 'group_create' });
    const keys = [...first.body.deliveries, ...second.body.deliveries].map(
      (delivery) => delivery.idempotency_key,
    );
    assert.equal(new Set(keys).size, 4);
    const received = receiver().received;
    assert.equal(received.length, 4);
    assert.deepEqual(received.map((request) => request.headers['idempotency-key']).sort(), [...keys].sort());
    for (const name of ['x-gitlab-webhook-uuid', 'x-gitlab-event-uuid']) {
      assert.equal(new Set(received.map((request) => request.headers[name])).size, 4, name);
    }
  });

  it('passes on the X-Gitlab-Event-UUID of the request that triggered the event', async () => {
    await hook('a');
    await hook('b');
    const chain = '9cebe914-4827-408f-b014-cfa23a47a35f';
    await emit(t, { event_name: 'user_create' }, { 'X-Gitlab-Event-UUID': chain });
    assert.deepEqual(
      receiver().received.map((request) => request.headers['x-gitlab-event-uuid']),
      [chain, chain],
    );
  });

  it('sends X-Gitlab-Token only for a hook with a token, and webhook-signature only with a signing token', async () => {
    await hook('plain');
    await hook('secured', { token: 'tok', signing_token: signingToken() });
    await emit(t, { event_name: 'key_create' });
    const byLabel = Object.fromEntries(
      receiver().received.map((request) => [request.target.slice(1), request.headers]),
    );
    assert.equal(byLabel.plain?.['x-gitlab-token'], undefined);
    assert.equal(byLabel.plain?.['webhook-signature'], undefined);
    assert.ok(byLabel.plain?.['webhook-id'], 'webhook-id without a signing token');
    assert.ok(byLabel.plain?.['webhook-timestamp'], 'webhook-timestamp without a signing token');
    assert.equal(byLabel.secured?.['x-gitlab-token'], 'tok');
    assert.ok(byLabel.secured?.['webhook-signature']);
  });

  it('gives the test endpoint the same headers as an event', async () => {
    const created = await hook('tested', { token: 'tok', signing_token: signingToken() });
    await emit(t, { event_name: 'project_create' });
    const tested = await t.call('POST', `/hooks/${created.id}`);
    assert.equal(tested.status, 201);
    const [event, test] = receiver().received;
    assert.ok(event && test);
    assert.deepEqual([...test.headerNames].sort(), [...event.headerNames].sort());
    assert.notEqual(test.headers['idempotency-key'], event.headers['idempotency-key']);
  });
});

describe('generated payloads', () => {
  const t = useEmbeddedGitLab({ version: '19.0.0', externalUrl: 'https://gitlab.example.com' });
  const { receiver, hook } = useHookReceiver(t);

  it('builds a payload for every event of the catalogue, named as GitLab names it, with fresh timestamps', async () => {
    await hook('everything', { push_events: true, tag_push_events: true, merge_requests_events: true });
    const started = Date.now();
    for (const eventName of CATALOGUE) {
      const { payload } = (await emit(t, { event_name: eventName })).body;
      assert.equal(payload.event_name ?? payload.object_kind, eventName);
      for (const field of ['created_at', 'updated_at']) {
        if (payload[field] === undefined) continue;
        assert.match(payload[field], XMLSCHEMA, `${eventName}.${field}`);
        assert.ok(Date.parse(payload[field]) >= started - 1_000, `${eventName}.${field} is fresh`);
      }
    }
    assert.equal(receiver().received.length, CATALOGUE.length);
    const sent = receiver().received.map((request) => JSON.parse(request.body));
    assert.deepEqual(
      sent.map((payload) => payload.event_name ?? payload.object_kind),
      CATALOGUE,
    );
  });

  it('redacts member and owner e-mails, and gives ids that increase', async () => {
    const first = (await emit(t, { event_name: 'project_create' })).body.payload;
    const second = (await emit(t, { event_name: 'project_create' })).body.payload;
    assert.equal(first.owner_email, '[REDACTED]');
    assert.deepEqual(
      first.owners.map((owner: { email: string }) => owner.email),
      ['[REDACTED]'],
    );
    assert.ok(second.project_id > first.project_id);
    for (const eventName of ['user_add_to_team', 'user_update_for_group', 'user_access_request_to_project']) {
      const { payload } = (await emit(t, { event_name: eventName })).body;
      assert.equal(payload.user_email, '[REDACTED]', eventName);
    }
    const mergeRequest = (await emit(t, { event_name: 'merge_request' })).body.payload;
    assert.equal(mergeRequest.user.email, '[REDACTED]');
    assert.match(mergeRequest.project.web_url, /^https:\/\/gitlab\.example\.com\//);
  });

  it('puts the ref in a generated push, tag push or repository update', async () => {
    const push = (await emit(t, { event_name: 'push', ref: 'release/2.0' })).body.payload;
    assert.equal(push.ref, 'refs/heads/release/2.0');
    assert.equal(push.object_kind, 'push');
    const tag = (await emit(t, { event_name: 'tag_push', ref: 'v2.0.0' })).body.payload;
    assert.equal(tag.ref, 'refs/tags/v2.0.0');
    const update = (await emit(t, { event_name: 'repository_update', ref: 'refs/heads/dev' })).body.payload;
    assert.deepEqual(update.refs, ['refs/heads/dev']);
    assert.equal(update.changes[0].ref, 'refs/heads/dev');
    const defaults = (await emit(t, { event_name: 'push' })).body.payload;
    assert.equal(defaults.ref, 'refs/heads/main');
  });

  it('sends a given payload as it is, under any event name, to every hook', async () => {
    await hook('no-flags', { repository_update_events: false });
    const payload = { event_name: 'deploykey_create', id: 7, nested: { list: [1, 'two', null] }, é: '✓' };
    const answer = await emit(t, { event_name: 'deploykey_create', payload });
    assert.deepEqual(answer.body.payload, payload);
    assert.equal(receiver().received[0]?.body, JSON.stringify(payload));
    assert.equal(t.gitlab.deliveries[0]?.eventName, 'deploykey_create');
  });
});

describe('the delivery log, resends and timing', () => {
  const t = useEmbeddedGitLab({ version: '19.0.0', deliveryTimeoutMs: 2_000 });
  const { receiver, hook } = useHookReceiver(t);
  let failing: Receiver;
  before(async () => {
    failing = await startReceiver({
      answer: (_request, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      },
    });
  });
  after(() => failing.close());
  afterEach(() => {
    failing.received.length = 0;
  });

  it('logs each attempt: hook, event, outcome, and the headers with their secrets redacted', async () => {
    const ok = await hook('ok', {
      token: 'hook-secret',
      custom_headers: [{ key: 'X-Api-Key', value: 'key-secret' }],
    });
    const broken = await t.createHook({ url: `${failing.origin}/fails` });
    const gone = await t.createHook({ url: `http://127.0.0.1:${await closedPort()}/gone` });
    await emit(t, { event_name: 'user_destroy' });

    const byHook = new Map(t.gitlab.deliveries.map((attempt) => [attempt.hookId, attempt]));
    assert.equal(byHook.size, 3);
    const delivered = byHook.get(ok.id);
    assert.deepEqual(
      [delivered?.eventName, delivered?.trigger, delivered?.status, delivered?.error],
      ['user_destroy', 'event', 200, null],
    );
    assert.equal(delivered?.requestHeaders?.['X-Gitlab-Token'], '[REDACTED]');
    assert.equal(delivered?.requestHeaders?.['X-Api-Key'], '[REDACTED]');
    assert.equal(delivered?.requestHeaders?.['X-Gitlab-Event'], 'System Hook');
    assert.equal(delivered?.body, receiver().received[0]?.body);
    assert.equal(byHook.get(broken.id)?.status, 500);
    assert.deepEqual([byHook.get(gone.id)?.status, byHook.get(gone.id)?.error], [null, 'Connection refused']);
    const logged = JSON.stringify(t.gitlab.deliveries);
    assert.ok(!logged.includes('hook-secret') && !logged.includes('key-secret'), 'no secret in the log');
  });

  it('does not retry a failed delivery', async () => {
    await t.createHook({ url: `${failing.origin}/fails` });
    // `emit` waited until every delivery the emitter planned had settled; an immediate retry would be one of them.
    await emit(t, { event_name: 'user_create' });
    assert.equal(failing.received.length, 1);
    assert.equal(t.gitlab.deliveries.length, 1);
  });

  it('resends a delivery with the same body and Idempotency-Key, and a new X-Gitlab-Webhook-UUID', async () => {
    const secret = signingToken();
    await hook('resent', { signing_token: secret });
    const first = await emit(t, { event_name: 'user_rename' });
    const key = first.body.deliveries[0].idempotency_key;
    const resent = await emit(t, { resend: key });
    assert.deepEqual(resent.body.deliveries, first.body.deliveries);
    assert.deepEqual(resent.body.payload, first.body.payload);

    const [original, again] = receiver().received;
    assert.ok(original && again);
    assert.equal(again.body, original.body);
    assert.equal(again.headers['idempotency-key'], key);
    assert.equal(again.headers['webhook-id'], key);
    assert.notEqual(again.headers['x-gitlab-webhook-uuid'], original.headers['x-gitlab-webhook-uuid']);
    assert.ok(verifies(secret, again));
    assert.deepEqual(
      t.gitlab.deliveries.map((attempt) => attempt.trigger),
      ['event', 'resend'],
    );
  });

  it('answers before it delivers, and does not wait for the receiver', async () => {
    let answeredFirst: boolean | undefined;
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = await startReceiver({
      answer: (_request, res) => {
        answeredFirst = t.gitlab.requests.some(
          (served) => served.path === '/-/embedded-gitlab/system-hook-events' && served.status === 202,
        );
        void released.then(() => res.writeHead(200).end());
      },
    });
    try {
      await t.createHook({ url: `${slow.origin}/slow` });
      const answer = await postControlPath(t.gitlab, 'system-hook-events', { event_name: 'group_destroy' });
      assert.equal(answer.status, 202);
      assert.equal(t.gitlab.deliveries.length, 0, 'the delivery has not finished');
      await waitUntil('the delivery arrives', () => slow.received.length > 0, { withinMs: 2_000 });
      assert.equal(slow.received.length, 1);
      assert.equal(answeredFirst, true, 'the answer was written before the delivery arrived');
      release();
      await t.gitlab.deliveriesSettled();
      assert.equal(t.gitlab.deliveries[0]?.status, 200);
    } finally {
      release();
      await slow.close();
    }
  });

  it('emits and resends from code as the control path does', async () => {
    await hook('from-code');
    await assert.rejects(
      async () => t.gitlab.emitSystemHookEvent({ eventName: 'no_such_event' }),
      /not in the catalogue/,
    );
    const emitted = t.gitlab.emitSystemHookEvent({ eventName: 'user_failed_login' });
    assert.equal(emitted.payload.state, 'blocked');
    assert.equal(t.gitlab.deliveries.length, 0, 'delivered after the call returns');
    await t.gitlab.deliveriesSettled();
    const key = emitted.deliveries[0]?.idempotencyKey ?? '';
    t.gitlab.resendDelivery(key);
    await t.gitlab.deliveriesSettled();
    assert.deepEqual(
      receiver().received.map((request) => request.headers['idempotency-key']),
      [key, key],
    );
  });
});
