/**
 * Project hooks (`lib/api/project_hooks.rb`, `app/models/hooks/project_hook.rb`): the hooks of one project, read
 * and managed by its Maintainers and Owners (and administrators), with every event flag of `ProjectHook` and its
 * EE additions, local URLs refused unless `allow_local_requests_from_web_hooks_and_services` is on, and at most
 * 100 per project (`plan_limits.project_hooks`).
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
import { webhookTestEndpoint } from './webhook-test.ts';
import { MAINTAINER } from './world.ts';

/** `validates :url, public_url: true, unless: url_variables?` under the web hooks' setting (off by default). */
export const validatesWebHookUrl = publicUrlValidation('allowLocalRequestsFromWebHooksAndServices');

/**
 * The flags both project and group hooks have, with their defaults (`push_events` true, `confidential_note_events`
 * nil, every other false) and the version that added each.
 */
export const SHARED_FLAGS = {
  push: eventFlag('push_events', 'pushEvents', true),
  tagPush: eventFlag('tag_push_events', 'tagPushEvents', false),
  issues: eventFlag('issues_events', 'issuesEvents', false),
  confidentialIssues: eventFlag('confidential_issues_events', 'confidentialIssuesEvents', false),
  mergeRequests: eventFlag('merge_requests_events', 'mergeRequestsEvents', false),
  note: eventFlag('note_events', 'noteEvents', false),
  confidentialNote: eventFlag('confidential_note_events', 'confidentialNoteEvents', null),
  job: eventFlag('job_events', 'jobEvents', false),
  pipeline: eventFlag('pipeline_events', 'pipelineEvents', false),
  wikiPage: eventFlag('wiki_page_events', 'wikiPageEvents', false),
  deployment: eventFlag('deployment_events', 'deploymentEvents', false),
  featureFlag: eventFlag('feature_flag_events', 'featureFlagEvents', false),
  releases: eventFlag('releases_events', 'releasesEvents', false),
  milestone: eventFlag('milestone_events', 'milestoneEvents', false, '18.2'),
  emoji: eventFlag('emoji_events', 'emojiEvents', false, '16.2'),
  resourceAccessToken: eventFlag('resource_access_token_events', 'resourceAccessTokenEvents', false, '16.10'),
  vulnerability: eventFlag('vulnerability_events', 'vulnerabilityEvents', false, '17.7'),
} as const;

/** The attributes before the event flags, as `use :requires_url` and `params :hook_parameters` begin. */
export const LEADING_ATTRIBUTES = [
  URL_ATTRIBUTE,
  NAME_ATTRIBUTE,
  DESCRIPTION_ATTRIBUTE,
  TOKEN_ATTRIBUTE,
  SIGNING_TOKEN_ATTRIBUTE,
] as const;

/** The attributes after the event flags. */
export const TRAILING_ATTRIBUTES = [
  ENABLE_SSL_VERIFICATION_ATTRIBUTE,
  PUSH_EVENTS_BRANCH_FILTER_ATTRIBUTE,
  BRANCH_FILTER_STRATEGY_ATTRIBUTE,
  URL_VARIABLES_ATTRIBUTE,
  CUSTOM_HEADERS_ATTRIBUTE,
] as const;

const f = SHARED_FLAGS;

/** The flags both scopes declare first, in the same order. */
export const LEADING_FLAGS = [
  f.push,
  f.tagPush,
  f.issues,
  f.confidentialIssues,
  f.mergeRequests,
  f.note,
  f.confidentialNote,
  f.job,
  f.pipeline,
  f.wikiPage,
  f.deployment,
  f.featureFlag,
  f.releases,
  f.milestone,
] as const;

/** The flags both entities expose first after the base entity's, in the same order. */
export const LEADING_ENTITY_FLAGS = [
  'issues_events',
  'confidential_issues_events',
  'note_events',
  'confidential_note_events',
  'pipeline_events',
  'wiki_page_events',
] as const;

export const PROJECT_HOOKS: HookScope = {
  model: 'ProjectHook',
  path: 'projects/:id/hooks',
  /**
   * In the order of `project_hooks.rb`'s `hook_parameters` as far as it matters (the order of Grape's messages);
   * `resource_deploy_token_events` is 18.10's column.
   */
  attributes: [
    ...LEADING_ATTRIBUTES,
    ...LEADING_FLAGS,
    f.emoji,
    f.resourceAccessToken,
    eventFlag('resource_deploy_token_events', 'resourceDeployTokenEvents', false, '18.10'),
    f.vulnerability,
    ...TRAILING_ATTRIBUTES,
  ],
  parent: 'project',
  managerAccess: MAINTAINER,
  validations: [validatesWebHookUrl],
  inOrganization: false,
  parentField: 'project_id',
  listOmitsKeyValues: true,
  /** `API::Entities::ProjectHook`'s exposures after the base entity's. */
  entityFlags: [
    ...LEADING_ENTITY_FLAGS,
    'deployment_events',
    'feature_flag_events',
    'job_events',
    'releases_events',
    'milestone_events',
    'emoji_events',
    'resource_access_token_events',
    'resource_deploy_token_events',
    'vulnerability_events',
  ],
  planLimit: { name: 'project hooks', count: 100 },
  test: webhookTestEndpoint('project'),
};
