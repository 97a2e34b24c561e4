/**
 * The hooks `npm start` seeds into the embedded GitLab, so that a newcomer's first query returns something.
 * REST parameters, as `POST /api/v4/hooks` takes them. Their hosts are reserved example domains: a test
 * delivery to them fails, and GitLab (like the embedded server) still answers with the mock data.
 */
export const EXAMPLE_HOOKS: Record<string, unknown>[] = [
  {
    url: 'https://ci.example.com/gitlab/system-events',
    name: 'CI provisioning',
    description: 'Creates CI runners for new projects.',
    token: 'example-shared-secret',
    repository_update_events: true,
  },
  {
    url: 'https://audit.example.org/{tenant}/events',
    name: 'Audit trail',
    description: 'Copies every system event to the audit store; the tenant is a URL variable.',
    push_events: true,
    tag_push_events: true,
    merge_requests_events: true,
    url_variables: [{ key: 'tenant', value: 'acme' }],
    custom_headers: [{ key: 'X-Audit-Source', value: 'gitlab-system-hooks' }],
  },
  {
    url: 'https://chat.example.net/hooks/releases',
    name: 'Release notifications',
    push_events: true,
    push_events_branch_filter: 'release/*',
    branch_filter_strategy: 'wildcard',
    enable_ssl_verification: true,
  },
];

/**
 * The group, project and their hooks `npm start` makes, through the embedded GitLab's REST calls as a user would
 * (`POST /groups`, `POST /projects`, `POST /projects/:id/hooks`, `POST /groups/:id/hooks`). Reserved example
 * domains again: GitLab refuses local URLs for these hooks by default.
 */
export const EXAMPLE_GROUP = { name: 'Example Group', path: 'example-group', visibility: 'private' };
export const EXAMPLE_PROJECT = { name: 'Example Project', path: 'example-project' };
export const EXAMPLE_PROJECT_HOOK: Record<string, unknown> = {
  url: 'https://ci.example.com/gitlab/project-events',
  name: 'CI trigger',
  description: 'Starts a pipeline on pushes to main and on merge requests.',
  token: 'example-project-secret',
  push_events: true,
  push_events_branch_filter: 'main',
  merge_requests_events: true,
};
export const EXAMPLE_GROUP_HOOK: Record<string, unknown> = {
  url: 'https://chat.example.net/hooks/{channel}',
  name: 'Team chat',
  description:
    "Posts the group's issues and merge requests to the team channel; the channel is a URL variable.",
  push_events: false,
  issues_events: true,
  merge_requests_events: true,
  url_variables: [{ key: 'channel', value: 'platform' }],
};
/**
 * The project hook that delivers to `npm start`'s example receiver on loopback (`example-receiver.ts`), so that
 * its test and resends succeed. GitLab refuses local URLs for project hooks unless an administrator turns on
 * `allow_local_requests_from_web_hooks_and_services`, which `npm start` does, as one would on a development GitLab.
 */
export function exampleReceiverHook(receiverUrl: string): Record<string, unknown> {
  return {
    url: receiverUrl,
    name: 'Example receiver',
    description: "Delivers to npm start's example receiver on this machine, which accepts every delivery.",
    token: 'example-receiver-secret',
    push_events: true,
    tag_push_events: true,
    merge_requests_events: true,
    issues_events: true,
  };
}
