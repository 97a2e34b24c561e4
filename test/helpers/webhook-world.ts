import { after, before, beforeEach } from 'node:test';
import {
  type Answer,
  type CallOptions,
  callerFor,
  createWorld,
  type World,
} from '../embedded-gitlab/helpers.ts';
import { type Receiver, startReceiver } from './receiver.ts';
import { type Stack, type StackOptions, startStack } from './stack.ts';

/**
 * A stack whose embedded GitLab holds the world of `createWorld` (a group `acme`, its subgroup `acme/platform`,
 * the project `acme/platform/api`, another group and project; an Owner, a Maintainer and a Developer of `acme`, a
 * Guest of the project and an outsider, each with a token), made through GitLab's own REST calls.
 */
export interface WebhookStack {
  stack: Stack;
  world: World;
  /** A REST call to the embedded GitLab, with the administrator's token unless `options.token` says otherwise. */
  rest(method: string, path: string, options?: CallOptions): Promise<Answer>;
}

/** Registers `before`/`after` that start the stack with its world and stop it; read the fields from `before` on. */
export function useWebhookStack(options: StackOptions = {}): WebhookStack {
  const handle = {} as WebhookStack;
  before(async () => {
    const stack = await startStack(options);
    const rest = callerFor(stack.gitlab);
    handle.stack = stack;
    handle.rest = rest;
    handle.world = await createWorld({ call: rest });
  });
  after(() => handle.stack?.close());
  return handle;
}

/** A hook's global ID as the gateway forms it: `gid://gitlab/ProjectHook/7?project_id=3`. */
export function projectHookGid(hookId: number, projectId: number): string {
  return `gid://gitlab/ProjectHook/${hookId}?project_id=${projectId}`;
}

export function groupHookGid(hookId: number, groupId: number): string {
  return `gid://gitlab/GroupHook/${hookId}?group_id=${groupId}`;
}

/** A {@link WebhookStack} whose hooks can deliver to a local receiver, with the embedded GitLab on a test clock. */
export interface DeliveryStack extends WebhookStack {
  /** Answers every delivery with `status`, `x-receiver: yes`, and `ok` or `refused with <status>`. */
  receiver: Receiver;
  /** The status the receiver answers with; 200 again at the start of each test. */
  status: number;
  /** Moves the embedded GitLab's clock on (its rate limits count per minute). */
  advance(ms: number): void;
}

/**
 * A stack for tests, the delivery log and resend: local receivers allowed (`PUT /application/settings`), and
 * each test in a fresh rate-limit window, since the clock moves a minute before each; the request log is reset.
 */
export function useDeliveryStack(): DeliveryStack {
  let now = Date.UTC(2026, 11, 7, 12, 0, 0);
  const handle = useWebhookStack({ gitlab: { clock: () => now } }) as DeliveryStack;
  handle.status = 200;
  handle.advance = (ms) => {
    now += ms;
  };
  before(async () => {
    handle.receiver = await startReceiver({
      answer: (_request, res) => {
        res.writeHead(handle.status, { 'content-type': 'text/plain', 'x-receiver': 'yes' });
        res.end(handle.status < 300 ? 'ok' : `refused with ${handle.status}`);
      },
    });
    const settings = await handle.rest('PUT', '/application/settings', {
      json: { allow_local_requests_from_web_hooks_and_services: true },
    });
    if (settings.status !== 200) throw new Error(`allow local requests: ${settings.status} ${settings.text}`);
  });
  after(() => handle.receiver?.close());
  beforeEach(() => {
    now += 60_000;
    handle.status = 200;
    handle.stack.gitlab.resetRequestLog();
  });
  return handle;
}
