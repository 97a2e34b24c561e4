import { GROUP_HOOKS } from '../../upstream/hook-scope.ts';
import { defineParentScope } from './parent-scope.ts';
import { Webhook } from './webhook.ts';

/** Group hooks (`/groups/:id/hooks`, GitLab Premium) and `Group`, over the group scope. */
export const GROUP_SCOPE = defineParentScope(
  {
    scope: GROUP_HOOKS,
    queryField: 'group',
    pathInput: 'groupPath',
    hookDescription:
      "A group's webhook (GitLab Premium), which GitLab calls on events of the group and of every project and " +
      'subgroup below it. Owners of the group may read and manage it.',
    parentDescription:
      'A GitLab group, with its webhooks. The gateway reads it only for the fields that need it: a group ' +
      'reached for its hooks alone costs no call of its own.',
    managers: 'Owners of the group',
    listOmitsKeys: false,
  },
  Webhook,
);
