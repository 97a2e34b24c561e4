/**
 * `Hooks::TriggerTest` of project and group hooks (`POST …/hooks/:hook_id/test/:trigger`). Not served yet: the
 * endpoint answers as GitLab does for a route it does not have.
 */
import { routeNotFound } from './errors.ts';
import type { HookTestEndpoint } from './hook-scope.ts';

/** The test endpoint of the project or group hook scope. */
export function webhookTestEndpoint(_parent: 'project' | 'group'): HookTestEndpoint {
  return {
    path: 'test/:trigger',
    handle() {
      return Promise.reject(routeNotFound());
    },
  };
}
