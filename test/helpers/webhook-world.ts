import { after, before } from 'node:test';
import { type Answer, type CallOptions, createWorld, type World } from '../embedded-gitlab/helpers.ts';
import { ADMIN_TOKEN } from './credentials.ts';
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
    const rest = async (method: string, path: string, call: CallOptions = {}): Promise<Answer> => {
      const token = call.token === undefined ? ADMIN_TOKEN : call.token;
      const headers: Record<string, string> = { ...call.headers };
      if (token !== null) headers['PRIVATE-TOKEN'] = token;
      if (call.json !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${stack.gitlab.url}/api/v4${path}`, {
        method,
        headers,
        body: call.json === undefined ? undefined : JSON.stringify(call.json),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      const body: unknown =
        text !== '' && response.headers.get('content-type') === 'application/json'
          ? JSON.parse(text)
          : undefined;
      return { status: response.status, headers: response.headers, text, body };
    };
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
