import { PROJECT_HOOKS } from '../../upstream/hook-scope.ts';
import { defineParentScope } from './parent-scope.ts';
import { Webhook } from './webhook.ts';

/** Project hooks (`/projects/:id/hooks`) and `Project`, over the project scope. */
export const PROJECT_SCOPE = defineParentScope(
  {
    scope: PROJECT_HOOKS,
    queryField: 'project',
    pathInput: 'projectPath',
    hookDescription:
      "A project's webhook, which GitLab calls on the project's events. Maintainers and Owners of the project " +
      'may read and manage it.',
    parentDescription:
      'A GitLab project, with its webhooks. The gateway reads it only for the fields that need it: a project ' +
      'reached for its hooks alone costs no call of its own.',
    managers: 'Maintainers and Owners of the project',
    listOmitsKeys: true,
  },
  Webhook,
);
