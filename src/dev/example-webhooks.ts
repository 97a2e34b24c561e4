/**
 * Seeds `npm start`'s embedded GitLab with a group, a project in it, a project hook and a group hook, and a
 * second project hook that delivers to the example receiver, through GitLab's own REST calls with the
 * administrator's token, as a newcomer would set up a real GitLab: what the embedded GitLab refuses here, a real
 * one would refuse too.
 */
import {
  EXAMPLE_GROUP,
  EXAMPLE_GROUP_HOOK,
  EXAMPLE_PROJECT,
  EXAMPLE_PROJECT_HOOK,
  exampleReceiverHook,
} from './example-hooks.ts';

/** What was made, for the start-up log and GraphiQL's examples. */
export interface ExampleWebhooks {
  groupId: number;
  groupPath: string;
  projectId: number;
  projectPath: string;
  projectHookId: number;
  groupHookId: number;
  /** The project hook that delivers to the example receiver. */
  receiverHookId: number;
}

/**
 * A `POST` (or `PUT`) to the embedded GitLab's API; throws with GitLab's status (never the token) unless it
 * answers 201 (200).
 */
async function rest(
  baseUrl: string,
  token: string,
  path: string,
  body: unknown,
  method: 'POST' | 'PUT' = 'POST',
): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/api/v4${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'private-token': token },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== (method === 'POST' ? 201 : 200)) {
    throw new Error(
      `embedded GitLab refused the example ${method} ${path}: ${response.status} ${JSON.stringify(answer)}`,
    );
  }
  return answer;
}

export async function seedExampleWebhooks(
  baseUrl: string,
  adminToken: string,
  receiverUrl: string,
): Promise<ExampleWebhooks> {
  const group = await rest(baseUrl, adminToken, '/groups', EXAMPLE_GROUP);
  const project = await rest(baseUrl, adminToken, '/projects', {
    ...EXAMPLE_PROJECT,
    namespace_id: group.id,
  });
  const projectHook = await rest(baseUrl, adminToken, `/projects/${project.id}/hooks`, EXAMPLE_PROJECT_HOOK);
  const groupHook = await rest(baseUrl, adminToken, `/groups/${group.id}/hooks`, EXAMPLE_GROUP_HOOK);
  await rest(
    baseUrl,
    adminToken,
    '/application/settings',
    { allow_local_requests_from_web_hooks_and_services: true },
    'PUT',
  );
  const receiverHook = await rest(
    baseUrl,
    adminToken,
    `/projects/${project.id}/hooks`,
    exampleReceiverHook(receiverUrl),
  );
  return {
    groupId: group.id as number,
    groupPath: group.full_path as string,
    projectId: project.id as number,
    projectPath: project.path_with_namespace as string,
    projectHookId: projectHook.id as number,
    groupHookId: groupHook.id as number,
    receiverHookId: receiverHook.id as number,
  };
}
