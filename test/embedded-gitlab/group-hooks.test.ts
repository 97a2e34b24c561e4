/**
 * Group hooks (`/groups/:id/hooks`) against the embedded GitLab, through REST: the cases every parent shares
 * (`parent-hooks-suite.ts`), with an Owner's token.
 */
import { describeParentHooks, SHARED_FALSE_FLAGS } from './parent-hooks-suite.ts';

describeParentHooks({
  collection: 'groups',
  parentField: 'group_id',
  parent: (world) => world.subgroup.id,
  foreignParent: (world) => world.otherGroup.id,
  fullPath: (world) => encodeURIComponent(world.subgroup.full_path),
  manager: (world) => world.owner.token,
  falseFlags: [...SHARED_FALSE_FLAGS, 'subgroup_events', 'member_events', 'project_events'],
  absentFlags: ['resource_deploy_token_events', 'project_id'],
  listOmitsKeyValues: false,
  planLimit: { count: 50, message: 'Maximum number of group hooks (50) exceeded' },
});
