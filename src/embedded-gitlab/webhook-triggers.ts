/**
 * The triggers of project and group hooks (gitlab-webhooks-api §2.1, §5.3): each event flag, the hook scope it
 * selects (`push_events` → `push_hooks`, the `trigger` of a log entry), and the `X-Gitlab-Event` header GitLab
 * derives from that scope.
 */
import type { TriggerScope } from './event-payloads.ts';

/** A project or group hook's scope (`ProjectHook.triggers`, `GroupHook.triggers`): what a delivery is for. */
export type WebHookTrigger = Exclude<TriggerScope, 'all' | 'repository_update_hooks'>;

/**
 * Event flag (REST parameter) → trigger, in `ProjectHook.triggers` order, then the group-only ones. The hook
 * scopes' tables take each flag's trigger from here (`eventFlag`), so it is written once.
 */
export const FLAG_TRIGGERS = {
  push_events: 'push_hooks',
  tag_push_events: 'tag_push_hooks',
  issues_events: 'issue_hooks',
  confidential_issues_events: 'confidential_issue_hooks',
  note_events: 'note_hooks',
  confidential_note_events: 'confidential_note_hooks',
  merge_requests_events: 'merge_request_hooks',
  job_events: 'job_hooks',
  pipeline_events: 'pipeline_hooks',
  wiki_page_events: 'wiki_page_hooks',
  deployment_events: 'deployment_hooks',
  feature_flag_events: 'feature_flag_hooks',
  releases_events: 'release_hooks',
  milestone_events: 'milestone_hooks',
  emoji_events: 'emoji_hooks',
  resource_access_token_events: 'resource_access_token_hooks',
  resource_deploy_token_events: 'resource_deploy_token_hooks',
  vulnerability_events: 'vulnerability_hooks',
  member_events: 'member_hooks',
  subgroup_events: 'subgroup_hooks',
  project_events: 'project_hooks',
} as const satisfies Record<string, WebHookTrigger>;

export type EventFlag = keyof typeof FLAG_TRIGGERS;

/**
 * The values `POST …/hooks/:hook_id/test/:trigger` accepts: `ProjectHook.triggers.values`, for group hooks too
 * (§1.3), so the group-only flags answer 400.
 */
export const TEST_TRIGGERS: readonly EventFlag[] = (Object.keys(FLAG_TRIGGERS) as EventFlag[]).filter(
  (flag) => !['member_events', 'subgroup_events', 'project_events'].includes(flag),
);

export const isTestTrigger = (value: string): value is EventFlag =>
  (TEST_TRIGGERS as readonly string[]).includes(value);

/** `hook_name.to_s.singularize.titleize`: `confidential_issue_hooks` → `Confidential Issue Hook`. */
export function eventHeaderOf(trigger: WebHookTrigger): string {
  return trigger
    .replace(/s$/, '')
    .split('_')
    .map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
    .join(' ');
}
