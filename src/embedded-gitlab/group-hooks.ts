/**
 * Group hooks (EE: `ee/lib/api/group_hooks.rb`, `ee/app/models/hooks/group_hook.rb`): the hooks of one group,
 * read and managed by its Owners (and administrators), with the project hooks' flags less the deploy-token one,
 * plus `member_events`, `subgroup_events` and `project_events`, and at most 50 per group
 * (`plan_limits.group_hooks`). Unlike project hooks, the list keeps `url_variables` and `custom_headers`.
 */
import { eventFlag } from './hook-attributes.ts';
import type { HookScope } from './hook-scope.ts';
import {
  SHARED_FLAGS as f,
  LEADING_ATTRIBUTES,
  LEADING_ENTITY_FLAGS,
  LEADING_FLAGS,
  TRAILING_ATTRIBUTES,
  validatesWebHookUrl,
} from './project-hooks.ts';
import { webhookTestEndpoint } from './webhook-test.ts';
import { OWNER } from './world.ts';

export const GROUP_HOOKS: HookScope = {
  model: 'GroupHook',
  path: 'groups/:id/hooks',
  /**
   * `milestone_events` is exposed by the newest group entity; that the group API declares it as a parameter is
   * UNCONFIRMED, and it is taken here, as for project hooks.
   */
  attributes: [
    ...LEADING_ATTRIBUTES,
    ...LEADING_FLAGS,
    eventFlag('subgroup_events', 'subgroupEvents', false),
    f.emoji,
    f.resourceAccessToken,
    eventFlag('member_events', 'memberEvents', false),
    f.vulnerability,
    eventFlag('project_events', 'projectEvents', false, '17.6'),
    ...TRAILING_ATTRIBUTES,
  ],
  parent: 'group',
  managerAccess: OWNER,
  validations: [validatesWebHookUrl],
  inOrganization: false,
  parentField: 'group_id',
  listOmitsKeyValues: false,
  /** `API::Entities::GroupHook`'s exposures after the base entity's. */
  entityFlags: [
    ...LEADING_ENTITY_FLAGS,
    'job_events',
    'deployment_events',
    'feature_flag_events',
    'releases_events',
    'milestone_events',
    'subgroup_events',
    'emoji_events',
    'resource_access_token_events',
    'member_events',
    'vulnerability_events',
    'project_events',
  ],
  planLimit: { name: 'group hooks', count: 50 },
  test: webhookTestEndpoint('group'),
};
