/**
 * An embedded GitLab set up for project and group hook deliveries, the way a user sets up a real one: the
 * `createWorld` world (`acme`, `acme/platform`, `acme/platform/api` and their members) and local requests allowed
 * for web hooks (the receivers are on 127.0.0.1), through GitLab's REST calls. Its clock stands still until the
 * test moves it.
 */
import { after, before } from 'node:test';
import type { EmbeddedGitLabOptions } from '../../src/embedded-gitlab/index.ts';
import { type Receiver, type ReceiverOptions, startReceiver } from '../helpers/receiver.ts';
import {
  type Answer,
  type CallOptions,
  createWorld,
  type World as Members,
  postControlPath,
  type TestGitLab,
  useEmbeddedGitLab,
} from './helpers.ts';

/** A clock the test moves: it starts at the real time and stands still. */
export class TestClock {
  now = Date.now();
  advance(ms: number): void {
    this.now += ms;
  }
  readonly read = (): number => this.now;
}

/** The ids the tests use most, and the whole world. */
export interface World {
  groupId: number;
  subgroupId: number;
  projectId: number;
  members: Members;
}

export interface WebhookGitLab extends Omit<TestGitLab, 'createHook'> {
  readonly clock: TestClock;
  readonly world: World;
  /** Creates a hook through `POST /<parent>/:id/hooks`, failing loudly if GitLab refuses it. */
  createHook(
    params: Record<string, unknown>,
    parent?: { projects: number } | { groups: number },
  ): Promise<{ id: number } & Record<string, unknown>>;
  /** `POST /-/embedded-gitlab/webhook-events`. */
  fire(body: unknown, options?: CallOptions): Promise<Answer>;
}

async function expectCreated(
  answer: Answer,
  what: string,
): Promise<{ id: number } & Record<string, unknown>> {
  if (answer.status !== 201) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer.body;
}

export function useWebhookGitLab(options: Partial<EmbeddedGitLabOptions> = {}): WebhookGitLab {
  const clock = new TestClock();
  const t = useEmbeddedGitLab({ clock: clock.read, deliveryTimeoutMs: 2_000, ...options });
  const world = { groupId: 0, subgroupId: 0, projectId: 0 } as World;
  before(async () => {
    const settings = await t.call('PUT', '/application/settings', {
      json: { allow_local_requests_from_web_hooks_and_services: true },
    });
    if (settings.status !== 200) throw new Error(`settings: ${settings.status} ${settings.text}`);
    const members = await createWorld(t);
    Object.assign(world, {
      groupId: members.group.id,
      subgroupId: members.subgroup.id,
      projectId: members.project.id,
      members,
    });
  });

  return {
    ...t,
    clock,
    world,
    async createHook(params, parent = { projects: world.projectId }) {
      const path =
        'projects' in parent ? `/projects/${parent.projects}/hooks` : `/groups/${parent.groups}/hooks`;
      return expectCreated(await t.call('POST', path, { json: params }), 'hook');
    },
    fire: (body, callOptions) => postControlPath(t.gitlab, 'webhook-events', body, callOptions),
  };
}

/** A receiver on 127.0.0.1 for the tests of the enclosing `describe`, started before them and closed after. */
export function useReceiver(options: ReceiverOptions = {}): Receiver {
  let started: Receiver | undefined;
  before(async () => {
    started = await startReceiver(options);
  });
  after(() => started?.close());
  const current = (): Receiver => {
    if (started === undefined) throw new Error('the receiver starts in before()');
    return started;
  };
  return {
    get origin() {
      return current().origin;
    },
    get port() {
      return current().port;
    },
    get received() {
      return current().received;
    },
    close: () => current().close(),
  };
}
