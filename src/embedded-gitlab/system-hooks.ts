/**
 * System hooks (`lib/api/system_hooks.rb`, `app/models/hooks/system_hook.rb`): instance-wide, under no parent,
 * managed by administrators only, tested with a fixed `project_create` event.
 */
import {
  BRANCH_FILTER_STRATEGY_ATTRIBUTE,
  CUSTOM_HEADERS_ATTRIBUTE,
  DESCRIPTION_ATTRIBUTE,
  ENABLE_SSL_VERIFICATION_ATTRIBUTE,
  eventFlag,
  NAME_ATTRIBUTE,
  PUSH_EVENTS_BRANCH_FILTER_ATTRIBUTE,
  SIGNING_TOKEN_ATTRIBUTE,
  TOKEN_ATTRIBUTE,
  URL_ATTRIBUTE,
  URL_VARIABLES_ATTRIBUTE,
} from './hook-attributes.ts';
import { publicUrlValidation } from './hook-model.ts';
import type { HookScope } from './hook-scope.ts';
import { triggeringEventUuid } from './system-hook-events.ts';

/** SystemHook's `validates :url, system_hook_url: true, unless: url_variables?`. */
const validatesSystemHookUrl = publicUrlValidation('allowLocalRequestsFromSystemHooks');

/** The mock payload `Hooks::Test` is mounted with for system hooks, in its Ruby hash order. */
function systemHookTestData(): Record<string, unknown> {
  return {
    event_name: 'project_create',
    name: 'Ruby',
    path: 'ruby',
    project_id: 1,
    owner_name: 'Someone',
    owner_email: 'example@gitlabhq.com',
  };
}

export const SYSTEM_HOOKS: HookScope = {
  model: 'SystemHook',
  path: 'hooks',
  /**
   * `use :requires_url` / `use :optional_url`, then `params :hook_parameters`, in GitLab's order (the place of
   * 19.0's `signing_token` is UNCONFIRMED; it sits with `token`). The defaults are SystemHook's (the request
   * spec's "sets default values for events").
   */
  attributes: [
    URL_ATTRIBUTE,
    NAME_ATTRIBUTE,
    DESCRIPTION_ATTRIBUTE,
    TOKEN_ATTRIBUTE,
    SIGNING_TOKEN_ATTRIBUTE,
    eventFlag('push_events', 'pushEvents', false),
    eventFlag('tag_push_events', 'tagPushEvents', false),
    eventFlag('merge_requests_events', 'mergeRequestsEvents', false),
    eventFlag('repository_update_events', 'repositoryUpdateEvents', true),
    ENABLE_SSL_VERIFICATION_ATTRIBUTE,
    PUSH_EVENTS_BRANCH_FILTER_ATTRIBUTE,
    BRANCH_FILTER_STRATEGY_ATTRIBUTE,
    URL_VARIABLES_ATTRIBUTE,
    CUSTOM_HEADERS_ATTRIBUTE,
  ],
  parent: null,
  managerAccess: null,
  validations: [validatesSystemHookUrl],
  inOrganization: true,
  test: {
    path: '',
    /**
     * A synchronous delivery whose result GitLab ignores; the answer is always the mock data. A request that
     * carries `X-Gitlab-Event-UUID` (it came from a webhook receiver) passes it on, as GitLab's recursion
     * detection does.
     */
    async handle(hook, request, context) {
      const data = systemHookTestData();
      await context.emitter.test(hook, data, triggeringEventUuid(request.headers));
      return { status: 201, json: data };
    },
  },
};
