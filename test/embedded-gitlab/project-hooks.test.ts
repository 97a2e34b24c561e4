/**
 * Project hooks (`/projects/:id/hooks`) against the embedded GitLab, through REST: the cases every parent shares
 * (`parent-hooks-suite.ts`), with a Maintainer's token.
 */
import { describeParentHooks, SHARED_FALSE_FLAGS } from './parent-hooks-suite.ts';

describeParentHooks({
  collection: 'projects',
  parentField: 'project_id',
  parent: (world) => world.project.id,
  foreignParent: (world) => world.otherProject.id,
  fullPath: (world) => encodeURIComponent(world.project.path_with_namespace),
  manager: (world) => world.maintainer.token,
  falseFlags: [...SHARED_FALSE_FLAGS],
  // `resource_deploy_token_events` is GitLab 18.10's; the REST tests play 18.6.
  absentFlags: ['member_events', 'subgroup_events', 'project_events', 'resource_deploy_token_events'],
  listOmitsKeyValues: true,
  planLimit: { count: 100, message: 'Maximum number of project hooks (100) exceeded' },
});
