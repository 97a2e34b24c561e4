/**
 * Group hooks (`/groups/:id/hooks`) against the embedded GitLab, through REST: the cases every parent shares
 * (`parent-hooks-suite.ts`), with an Owner's token.
 */
import { describeParentHooks } from './parent-hooks-suite.ts';

describeParentHooks({
  collection: 'groups',
  parentField: 'group_id',
  parent: (world) => world.subgroup.id,
  foreignParent: (world) => world.otherGroup.id,
  fullPath: (world) => encodeURIComponent(world.subgroup.full_path),
  manager: (world) => world.owner.token,
  falseFlags: [
    'tag_push_events',
    'merge_requests_events',
    'issues_events',
    'confidential_issues_events',
    'note_events',
    'pipeline_events',
    'wiki_page_events',
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
  absentFlags: ['resource_deploy_token_events', 'project_id'],
  listOmitsKeyValues: false,
  planLimit: { count: 50, message: 'Maximum number of group hooks (50) exceeded' },
});
