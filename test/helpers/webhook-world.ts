import { after, before } from 'node:test';
import {
  type Answer,
  type CallOptions,
  callerFor,
  createWorld,
  type World,
} from '../embedded-gitlab/helpers.ts';
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
