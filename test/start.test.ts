import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN } from './helpers/credentials.ts';
import { graphiqlDefaultDocument, type StartedProgram, startProgram } from './helpers/npm-start.ts';
import { connectRaw, send, upgradeRequest } from './helpers/raw-http.ts';
import { waitUntil, within } from './helpers/wait-until.ts';

const ROOT = new URL('..', import.meta.url);

/** The GraphQL examples of `docs/examples.md`, in order, as printed. */
function documentedExamples(): string[] {
  const page = readFileSync(new URL('docs/examples.md', ROOT), 'utf8');
  return [...page.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

/**
 * Runs `query` (the operation `operationName` of it) as the administrator, and returns its `data` after checking
 * that the answer carries no error: none at the top level, and an empty `errors` in every mutation payload.
 */
async function runWithoutErrors(
  url: string,
  query: string,
  operationName?: string,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'private-token': ADMIN_TOKEN },
    body: JSON.stringify({ query, operationName }),
  });
  const body = (await response.json()) as {
    data?: Record<string, { errors?: string[] } | null>;
    errors?: unknown;
  };
  assert.equal(body.errors, undefined, `${query}\n${JSON.stringify(body.errors)}`);
  for (const payload of Object.values(body.data ?? {})) {
    if (payload && 'errors' in payload) assert.deepEqual(payload.errors, [], query);
  }
  return body.data ?? {};
}

describe('npm start (embedded mode)', () => {
  let server: StartedProgram;

  before(async () => {
    server = await startProgram({
      PORT: '0',
      EMBEDDED_GITLAB_PORT: '0',
      EMBEDDED_GITLAB_ADMIN_TOKEN: ADMIN_TOKEN,
    });
  });
  after(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('prints where the embedded GitLab and the gateway listen, and names (not prints) a configured token', () => {
    assert.match(server.output(), /Embedded GitLab listening on http:\/\/127\.0\.0\.1:\d+\/api\/v4/);
    assert.ok(!server.output().includes(ADMIN_TOKEN));
    assert.match(server.output(), /EMBEDDED_GITLAB_ADMIN_TOKEN/);
  });

  it('seeds a group, a project in it, project hooks and a group hook, and prints them', async () => {
    assert.match(
      server.output(),
      /Embedded GitLab example group example-group with project example-group\/example-project, project hook \d+ and group hook \d+/,
    );
    const gitlab = /Embedded GitLab listening on (http:\/\/127\.0\.0\.1:\d+)\/api\/v4/.exec(
      server.output(),
    )?.[1];
    const get = async (path: string) => {
      const response = await fetch(`${gitlab}/api/v4${path}`, { headers: { 'private-token': ADMIN_TOKEN } });
      assert.equal(response.status, 200, path);
      return (await response.json()) as Record<string, unknown>[];
    };
    const projectHooks = await get(`/projects/${encodeURIComponent('example-group/example-project')}/hooks`);
    assert.deepEqual(
      projectHooks.map((hook) => hook.name),
      ['CI trigger', 'Example receiver'],
    );
    const receiver =
      /project hook (\d+) delivers to the example receiver, (http:\/\/127\.0\.0\.1:\d+\/\S+),/.exec(
        server.output(),
      );
    assert.ok(receiver, server.output());
    assert.deepEqual(
      projectHooks.map((hook) => [hook.id, hook.url]),
      [
        [4, 'https://ci.example.com/gitlab/project-events'],
        [Number(receiver[1]), receiver[2]],
      ],
    );
    const groupHooks = await get('/groups/example-group/hooks');
    assert.deepEqual(
      groupHooks.map((hook) => hook.name),
      ['Team chat'],
    );
  });

  it("serves GraphiQL without the operator's admin token, and says at start how to paste it", async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await response.text();
    assert.equal(response.status, 200);
    assert.match(html, /GitLab System Hooks/);
    assert.ok(!html.includes(ADMIN_TOKEN), 'a token the operator chose is never put in the page');
    assert.match(
      server.output(),
      /"level":"WARN".*GraphiQL starts without the embedded GitLab's admin token: it comes from EMBEDDED_GITLAB_ADMIN_TOKEN.*paste \{\\"PRIVATE-TOKEN\\": \\"<the token>\\"\} into GraphiQL's headers pane/,
    );
  });

  it('runs every example of docs/examples.md as printed, without errors', async () => {
    const examples = documentedExamples();
    assert.ok(examples.length >= 20, `docs/examples.md has ${examples.length} examples`);
    const answers = new Map<string, Record<string, unknown>>();
    for (const query of examples) {
      const data = await runWithoutErrors(server.url, query);
      answers.set(/^(?:query|mutation) (\w+)/.exec(query)?.[1] ?? query, data);
    }
    // The test reached the example receiver, and its delivery log (read before the resend) shows it.
    await waitUntil('the example receiver logged the test delivery', () =>
      server.output().includes('Example receiver accepted a delivery: Push Hook'),
    );
    const log = answers.get('DeliveryLog') as {
      project: { webhook: { webhookEvents: { count: number; nodes: { responseStatus: string }[] } } };
    };
    assert.equal(log.project.webhook.webhookEvents.count, 1);
    assert.equal(log.project.webhook.webhookEvents.nodes[0]?.responseStatus, '200');
    assert.deepEqual(answers.get('ResendDelivery'), {
      resendWebhookEvent: { errors: [], responseStatus: 200 },
    });
    assert.deepEqual(answers.get('DeleteProjectHook'), {
      deleteProjectHook: { errors: [], deletedProjectHookId: 'gid://gitlab/ProjectHook/9?project_id=2' },
    });
  });

  it("runs GraphiQL's project and group webhooks example, and its test of the example receiver's hook", async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    const document = graphiqlDefaultDocument(await response.text());
    type Listed = {
      project: {
        fullPath: string;
        webhooks: { nodes: { name: string; webhookEvents: { count: number } }[] };
      };
      group: { webhooks: { nodes: unknown[] } };
    };
    const list = async () =>
      (await runWithoutErrors(server.url, document, 'ProjectAndGroupWebhooks')) as Listed;
    const deliveries = (listed: Listed) =>
      listed.project.webhooks.nodes.map((hook) => [hook.name, hook.webhookEvents.count]);
    const read = await list();
    assert.equal(read.project.fullPath, 'example-group/example-project');
    // The examples page's test and resend delivered to the example receiver; the CI trigger's was never tested.
    assert.deepEqual(deliveries(read), [
      ['CI trigger', 0],
      ['Example receiver', 2],
    ]);
    assert.deepEqual(read.group.webhooks.nodes, [
      {
        id: 'gid://gitlab/GroupHook/5?group_id=1',
        name: 'Team chat',
        url: 'https://chat.example.net/hooks/{channel}',
        urlVariables: [{ key: 'channel' }],
        memberEvents: false,
        subgroupEvents: false,
      },
    ]);
    const tested = (await runWithoutErrors(server.url, document, 'TestProjectHook')) as {
      testProjectHook: { projectHook: { name: string } };
    };
    assert.equal(tested.testProjectHook.projectHook.name, 'Example receiver');
    assert.deepEqual(deliveries(await list()), [
      ['CI trigger', 0],
      ['Example receiver', 3],
    ]);
  });

  it('runs an example receiver that accepts deliveries and refuses what is not one, logging no secret', async () => {
    const url = /delivers to the example receiver, (http:\/\/127\.0\.0\.1:\d+\/\S+),/.exec(
      server.output(),
    )?.[1];
    assert.ok(url, server.output());
    const post = (body: string, headers: Record<string, string> = {}, target = url) =>
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const secret = 'receiver-test-secret-value';
    const accepted = await post('{"object_kind":"push"}', {
      'x-gitlab-event': 'Tag Push Hook',
      'x-gitlab-token': secret,
      'x-custom': secret,
    });
    assert.equal(accepted.status, 200);
    assert.deepEqual(await accepted.json(), { received: true });
    await waitUntil('the receiver logged the delivery', () =>
      server.output().includes('Example receiver accepted a delivery: Tag Push Hook'),
    );
    // An event header that is not one of GitLab's names is not copied into the log.
    const odd = await post('{}', { 'x-gitlab-event': `Push Hook ${'x'.repeat(100)}` });
    assert.equal(odd.status, 200);
    await odd.arrayBuffer();
    await waitUntil('the receiver logged the odd delivery', () =>
      server.output().includes('Example receiver accepted a delivery: unknown'),
    );
    assert.ok(!server.output().includes('x'.repeat(100)));
    assert.ok(!server.output().includes(secret), 'a delivery token or custom header is never logged');

    const tooLarge = await post(' '.repeat(1024 * 1024 + 1));
    assert.equal(tooLarge.status, 413);
    assert.match(((await tooLarge.json()) as { message: string }).message, /over 1048576 bytes/);
    const elsewhere = await post('{}', {}, new URL('/other', url).href);
    assert.equal(elsewhere.status, 404);
    assert.match(await elsewhere.text(), /deliveries go to POST \/project-events/);
    const read = await fetch(url);
    assert.equal(read.status, 404);
    await read.arrayBuffer();
  });

  it('serves through the edge: a foreign Host is refused, an upgrade to another path is answered and closed', async () => {
    const { host, port } = new URL(server.url);
    const refused = await send(`${server.url}/graphql`, { headers: { host: `rebind.example:${port}` } });
    assert.equal(refused.status, 421);
    const connection = await connectRaw(server.url, upgradeRequest('/not-graphql', { host }));
    assert.match(await within(connection.closed, 'the upgrade was answered and closed'), /^HTTP\/1\.1 404 /);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0);
  });
});

describe('start-up with a bad environment', () => {
  it('reports every problem and exits 1', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: 'x',
        GITLAB_URL: 'ftp://nope',
        GITLAB_TOKEN: 'a b',
        COMPILED_QUERIES: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(stderr, /PORT/);
    assert.match(stderr, /GITLAB_URL/);
    assert.match(stderr, /GITLAB_TOKEN/);
    assert.match(stderr, /COMPILED_QUERIES is no longer supported/);
    assert.ok(!stderr.includes('a b'));
  });
});
