/**
 * Project hooks (`/projects/:id/hooks`) against the embedded GitLab, through REST: the cases every parent shares
 * (`parent-hooks-suite.ts`), with a Maintainer's token.
 */
import { describeParentHooks } from './parent-hooks-suite.ts';

describeParentHooks({
  collection: 'projects',
  parentField: 'project_id',
  parent: (world) => world.project.id,
  foreignParent: (world) => world.otherProject.id,
  fullPath: (world) => encodeURIComponent(world.project.path_with_namespace),
  manager: (world) => world.maintainer.token,
  falseFlags: [
    'tag_push_events',
    'merge_requests_events',
    'issues_events',
    'confidential_issues_events',
    'note_events',
    'pipeline_events',
    'wiki_page_events',
    'deployment_events',
    'feature_flag_events',
    'job_events',
    'releases_events',
    'milestone_events',
    'emoji_events',
    'resource_access_token_events',
    'vulnerability_events',
  ],
  // `resource_deploy_token_events` is GitLab 18.10's; the REST tests play 18.6.
  absentFlags: ['member_events', 'subgroup_events', 'project_events', 'resource_deploy_token_events'],
  listOmitsKeyValues: true,
  planLimit: { count: 100, message: 'Maximum number of project hooks (100) exceeded' },
});
