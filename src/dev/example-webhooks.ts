/**
 * Seeds `npm start`'s embedded GitLab with a group, a project in it, a project hook and a group hook, through
 * GitLab's own REST calls with the administrator's token, as a newcomer would set up a real GitLab: what the
 * embedded GitLab refuses here, a real one would refuse too.
 */
import { EXAMPLE_GROUP, EXAMPLE_GROUP_HOOK, EXAMPLE_PROJECT, EXAMPLE_PROJECT_HOOK } from './example-hooks.ts';

/** What was made, for the start-up log and GraphiQL's examples. */
export interface ExampleWebhooks {
  groupId: number;
  groupPath: string;
  projectId: number;
  projectPath: string;
  projectHookId: number;
  groupHookId: number;
}

/** `POST` to the embedded GitLab's API; throws with GitLab's status (never the token) when it refuses. */
async function post(
  baseUrl: string,
  token: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/api/v4${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'private-token': token },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) {
    throw new Error(
      `embedded GitLab refused the example POST ${path}: ${response.status} ${JSON.stringify(answer)}`,
    );
  }
  return answer;
}

export async function seedExampleWebhooks(baseUrl: string, adminToken: string): Promise<ExampleWebhooks> {
  const group = await post(baseUrl, adminToken, '/groups', EXAMPLE_GROUP);
  const project = await post(baseUrl, adminToken, '/projects', {
    ...EXAMPLE_PROJECT,
    namespace_id: group.id,
  });
  const projectHook = await post(baseUrl, adminToken, `/projects/${project.id}/hooks`, EXAMPLE_PROJECT_HOOK);
  const groupHook = await post(baseUrl, adminToken, `/groups/${group.id}/hooks`, EXAMPLE_GROUP_HOOK);
  return {
    groupId: group.id as number,
    groupPath: group.full_path as string,
    projectId: project.id as number,
    projectPath: project.path_with_namespace as string,
    projectHookId: projectHook.id as number,
    groupHookId: groupHook.id as number,
  };
}
