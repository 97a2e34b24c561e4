import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { callerFor, createWorld, type World } from '../embedded-gitlab/helpers.ts';
import { type Observed, startObservedStack } from '../helpers/observed-stack.ts';
import type { Stack } from '../helpers/stack.ts';

const CANARY = `canary${randomBytes(8).toString('hex')}`;
const HOOK_TOKEN = `${CANARY}-hook-token`;
const VARIABLE_VALUE = `${CANARY}-variable-value`;
const HEADER_VALUE = `${CANARY}-header-value`;

/**
 * Secrets on the project and group hook paths (hook tokens, URL-variable and custom-header values, the callers'
 * tokens) through successes, payload errors, refusals and bad IDs, with the gateway at its most verbose: they
 * reach GitLab and no answer, log line, span or metric.
 */
describe('secrets of project and group hooks in answers and telemetry', () => {
  let stack: Stack & Observed;
  let world: World;
  const answers: string[] = [];

  before(async () => {
    stack = await startObservedStack({ logLevel: 'trace', yogaDebug: true });
    world = await createWorld({ call: callerFor(stack.gitlab) });
  });
  after(() => stack.close());

  async function send(query: string, variables: Record<string, unknown>, token: string | null) {
    const answer = await stack.requestText(query, variables, { token });
    answers.push(JSON.stringify(answer));
    return answer;
  }

  it('sends the secrets through every project and group hook mutation, as each role', async () => {
    const secrets = {
      token: HOOK_TOKEN,
      urlVariables: [{ key: 'v', value: VARIABLE_VALUE }],
      customHeaders: [{ key: 'X-Secret', value: HEADER_VALUE }],
    };
    const ids: string[] = [];
    for (const token of [
      world.owner.token,
      world.maintainer.token,
      world.developer.token,
      world.outsider.token,
      `glpat-${CANARY}-unknown`,
    ]) {
      const project = await send(
        'mutation ($input: CreateProjectHookInput!) { createProjectHook(input: $input) { errors projectHook { id } } }',
        {
          input: {
            projectPath: world.project.path_with_namespace,
            url: 'https://hooks.example.com/{v}',
            ...secrets,
          },
        },
        token,
      );
      const group = await send(
        'mutation ($input: CreateGroupHookInput!) { createGroupHook(input: $input) { errors groupHook { id } } }',
        { input: { groupPath: world.group.full_path, url: 'https://hooks.example.com/{v}', ...secrets } },
        token,
      );
      // A local URL GitLab refuses, and a URL variable the URL does not use: payload errors.
      await send(
        'mutation ($input: CreateProjectHookInput!) { createProjectHook(input: $input) { errors } }',
        {
          input: {
            projectPath: world.project.path_with_namespace,
            url: 'http://127.0.0.1:1/{v}',
            ...secrets,
          },
        },
        token,
      );
      for (const answer of [
        project.data?.createProjectHook?.projectHook,
        group.data?.createGroupHook?.groupHook,
      ]) {
        if (answer?.id) ids.push(answer.id);
      }
    }
    assert.equal(ids.length, 3, 'the Owner made both, the Maintainer the project hook');
    const badIds = ['gid://gitlab/ProjectHook/1?project_id=x', 'gid://gitlab/GroupHook/1'];
    for (const id of [...ids, ...badIds]) {
      for (const token of [world.owner.token, world.developer.token]) {
        await send(
          `mutation ($id: ID!, $token: String!, $value: String!) {
            u: updateProjectHook(input: { id: $id, token: $token, url: "https://hooks.example.com/{v}" }) { errors }
            g: updateGroupHook(input: { id: $id, token: $token }) { errors }
            setHookUrlVariable(input: { hookId: $id, key: "v", value: $value }) { errors }
            setHookCustomHeader(input: { hookId: $id, key: "X-Secret", value: $value }) { errors }
          }`,
          { id, token: HOOK_TOKEN, value: VARIABLE_VALUE },
          token,
        );
      }
    }
    await send(
      'query ($p: ID!) { project(fullPath: $p) { webhooks { nodes { urlVariables { key } customHeaders { key } } } } }',
      { p: world.project.path_with_namespace },
      world.owner.token,
    );
  });

  it('sent the secrets to GitLab (the searches below would find them)', async () => {
    const hooks = await callerFor(stack.gitlab)('GET', `/groups/${world.group.id}/hooks`);
    assert.deepEqual(
      hooks.body.map((hook: { url_variables: unknown; custom_headers: unknown }) => [
        hook.url_variables,
        hook.custom_headers,
      ]),
      [[[{ key: 'v' }], [{ key: 'X-Secret' }]]],
    );
    assert.ok(stack.logs.length > 50, 'the gateway logged');
    assert.ok(stack.spans().length > 20, 'the gateway traced');
  });

  const tokens = () => [
    world.owner.token,
    world.maintainer.token,
    world.developer.token,
    world.outsider.token,
  ];

  it('finds them in no answer, error message included', () => {
    const text = answers.join('\n');
    for (const secret of [HOOK_TOKEN, VARIABLE_VALUE, HEADER_VALUE, ...tokens()]) {
      assert.ok(
        !text.includes(secret),
        text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 50),
      );
    }
  });

  it('finds them in no log line', () => {
    const leaks = stack
      .logText()
      .split('\n')
      .filter((line) => line.includes(CANARY) || tokens().some((token) => line.includes(token)));
    assert.deepEqual(leaks, []);
  });

  it('finds them in no span and no metric', async () => {
    const spans = JSON.stringify(
      stack.spans().map((span) => [span.name, span.attributes, span.events.map((e) => e.attributes)]),
    );
    const metrics = await stack.metricsText();
    for (const text of [spans, metrics]) {
      for (const secret of [CANARY, ...tokens()]) {
        assert.ok(
          !text.includes(secret),
          text.slice(Math.max(0, text.indexOf(secret) - 300), text.indexOf(secret) + 50),
        );
      }
    }
  });
});
