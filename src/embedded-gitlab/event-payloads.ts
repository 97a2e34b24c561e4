/**
 * GitLab's system hook event catalogue (docs/gitlab-events-contract.md §1): each event name, the hook setting that
 * selects it, and a realistic payload in the shape GitLab's builders produce. Timestamps are the builders'
 * `xmlschema` (ISO 8601 UTC, no fraction), member and owner e-mails are `[REDACTED]` as `User#webhook_email`
 * gives them to a user without a public e-mail, and every id is new and larger than the ones before.
 */
import { createHash } from 'node:crypto';

/**
 * Which hooks an event goes to (`SystemHooksService#execute_hooks(data, hooks_scope)`): `all` hooks, or those
 * whose flag for the scope is set.
 */
export type TriggerScope =
  | 'all'
  | 'push_hooks'
  | 'tag_push_hooks'
  | 'merge_request_hooks'
  | 'repository_update_hooks'
  // Project and group hooks' scopes (`TriggerableHooks`, `ee/app/models/concerns/ee/triggerable_hooks.rb`).
  | 'issue_hooks'
  | 'confidential_issue_hooks'
  | 'note_hooks'
  | 'confidential_note_hooks'
  | 'job_hooks'
  | 'pipeline_hooks'
  | 'wiki_page_hooks'
  | 'deployment_hooks'
  | 'feature_flag_hooks'
  | 'release_hooks'
  | 'milestone_hooks'
  | 'emoji_hooks'
  | 'resource_access_token_hooks'
  | 'resource_deploy_token_hooks'
  | 'vulnerability_hooks'
  | 'member_hooks'
  | 'subgroup_hooks'
  | 'project_hooks';

type Payload = Record<string, unknown>;

/** What a payload builder draws on: a clock, an id sequence, the instance's URL and the ref of a push. */
export interface PayloadContext {
  /** `created_at`/`updated_at` as GitLab's builders write them. */
  timestamp: string;
  /** The next id of the sequence. */
  nextId(): number;
  /** The instance's base URL, for project URLs. */
  instanceUrl: string;
  /** The full ref of a push, tag push or repository update (`refs/heads/main`). */
  ref: string;
}

interface CatalogueEntry {
  scope: TriggerScope;
  /** The ref a generated payload uses when the caller gives none. */
  defaultRef?: string;
  build(context: PayloadContext): Payload;
}

const REDACTED_EMAIL = '[REDACTED]';
const USER = { name: 'Jane Smith', username: 'jsmith', email: 'jane.smith@example.com' };
const GROUP = { name: 'Platform', path: 'platform' };
const ZERO_SHA = '0000000000000000000000000000000000000000';

/** A commit SHA derived from an id, so that payloads differ from each other. */
const sha = (id: number): string => createHash('sha1').update(`commit ${id}`).digest('hex');

function projectNames(id: number) {
  const path = `project-${id}`;
  return { name: `Project ${id}`, path, pathWithNamespace: `${USER.username}/${path}` };
}

/** `Gitlab::HookData::ProjectBuilder` with `include_deprecated_owner: true`. */
function projectEvent(eventName: string, renamed: boolean): CatalogueEntry['build'] {
  return ({ timestamp, nextId }) => {
    const id = nextId();
    const project = projectNames(id);
    return {
      created_at: timestamp,
      updated_at: timestamp,
      event_name: eventName,
      name: project.name,
      owner_email: REDACTED_EMAIL,
      owner_name: USER.name,
      owners: [{ name: USER.name, email: REDACTED_EMAIL }],
      path: project.path,
      path_with_namespace: project.pathWithNamespace,
      project_id: id,
      project_namespace_id: nextId(),
      project_visibility: 'private',
      ...(renamed ? { old_path_with_namespace: `${USER.username}/${project.path}-old` } : {}),
    };
  };
}

/** `Gitlab::HookData::GroupBuilder`. */
function groupEvent(eventName: string, renamed: boolean): CatalogueEntry['build'] {
  return ({ timestamp, nextId }) => {
    const id = nextId();
    const path = `group-${id}`;
    return {
      created_at: timestamp,
      updated_at: timestamp,
      event_name: eventName,
      name: `Group ${id}`,
      path,
      ...(renamed ? { full_path: `${GROUP.path}/${path}` } : {}),
      group_id: id,
      ...(renamed ? { old_path: `${path}-old`, old_full_path: `${GROUP.path}/${path}-old` } : {}),
    };
  };
}

/** `Gitlab::HookData::KeyBuilder`. */
function keyEvent(eventName: string): CatalogueEntry['build'] {
  return ({ timestamp, nextId }) => {
    const id = nextId();
    return {
      event_name: eventName,
      created_at: timestamp,
      updated_at: timestamp,
      username: USER.username,
      key: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${sha(id).slice(0, 32)} ${USER.username}@example.com`,
      id,
    };
  };
}

/** `Gitlab::HookData::UserBuilder`: user events carry the primary address, not the redacted one. */
function userEvent(eventName: string, extra: (id: number) => Payload = () => ({})): CatalogueEntry['build'] {
  return ({ timestamp, nextId }) => {
    const id = nextId();
    return {
      created_at: timestamp,
      updated_at: timestamp,
      email: `user${id}@example.com`,
      event_name: eventName,
      name: `User ${id}`,
      username: `user${id}`,
      user_id: id,
      ...extra(id),
    };
  };
}

/** `Gitlab::HookData::ProjectMemberBuilder`. */
function projectMemberEvent(eventName: string): CatalogueEntry['build'] {
  return ({ timestamp, nextId }) => {
    const projectId = nextId();
    const userId = nextId();
    const project = projectNames(projectId);
    return {
      created_at: timestamp,
      updated_at: timestamp,
      event_name: eventName,
      access_level: 'Developer',
      project_id: projectId,
      project_name: project.name,
      project_path: project.path,
      project_path_with_namespace: project.pathWithNamespace,
      user_email: REDACTED_EMAIL,
      user_name: `User ${userId}`,
      user_username: `user${userId}`,
      user_id: userId,
      project_visibility: 'private',
    };
  };
}

/** `Gitlab::HookData::GroupMemberBuilder`. */
function groupMemberEvent(eventName: string): CatalogueEntry['build'] {
  return ({ timestamp, nextId }) => {
    const groupId = nextId();
    const userId = nextId();
    return {
      created_at: timestamp,
      updated_at: timestamp,
      event_name: eventName,
      group_access: 'Developer',
      group_id: groupId,
      group_name: `Group ${groupId}`,
      group_path: `group-${groupId}`,
      user_email: REDACTED_EMAIL,
      user_name: `User ${userId}`,
      user_username: `user${userId}`,
      user_id: userId,
    };
  };
}

/** `Project#hook_attrs`, with the deprecated aliases GitLab still sends. */
function projectAttributes(id: number, instanceUrl: string): Payload {
  const project = projectNames(id);
  const webUrl = `${instanceUrl}/${project.pathWithNamespace}`;
  const host = new URL(instanceUrl).host;
  const sshUrl = `git@${host}:${project.pathWithNamespace}.git`;
  return {
    id,
    name: project.name,
    description: '',
    web_url: webUrl,
    avatar_url: null,
    git_ssh_url: sshUrl,
    git_http_url: `${webUrl}.git`,
    namespace: USER.name,
    visibility_level: 0,
    path_with_namespace: project.pathWithNamespace,
    default_branch: 'main',
    ci_config_path: null,
    homepage: webUrl,
    url: sshUrl,
    ssh_url: sshUrl,
    http_url: `${webUrl}.git`,
  };
}

function repositoryAttributes(project: Payload): Payload {
  return {
    name: project.name,
    url: project.url,
    description: project.description,
    homepage: project.homepage,
    git_http_url: project.git_http_url,
    git_ssh_url: project.git_ssh_url,
    visibility_level: project.visibility_level,
  };
}

const AVATAR = 'https://www.gravatar.com/avatar/00000000000000000000000000000000?s=80&d=identicon';

/** `Commit#hook_attrs`: the author comes from the commit itself (whether GitLab redacts it is UNCONFIRMED). */
function commitAttributes(id: string, title: string, project: Payload, timestamp: string): Payload {
  return {
    id,
    message: `${title}\n`,
    title,
    timestamp: timestamp.replace(/Z$/, '+00:00'),
    url: `${project.web_url}/-/commit/${id}`,
    author: { name: USER.name, email: USER.email },
  };
}

/** `Gitlab::DataBuilder::Push.build`, the same data project hooks get: one delivery per branch or tag. */
function pushEvent(kind: 'push' | 'tag_push'): CatalogueEntry['build'] {
  return ({ nextId, instanceUrl, ref, timestamp }) => {
    const projectId = nextId();
    const userId = nextId();
    const project = projectAttributes(projectId, instanceUrl);
    const after = sha(nextId());
    const commit = {
      ...commitAttributes(after, 'Update the README', project, timestamp),
      added: [],
      modified: ['README.md'],
      removed: [],
    };
    const isTag = kind === 'tag_push';
    return {
      object_kind: kind,
      event_name: kind,
      before: isTag ? ZERO_SHA : sha(nextId()),
      after,
      ref,
      ref_protected: ref === 'refs/heads/main',
      checkout_sha: after,
      message: null,
      user_id: userId,
      user_name: `User ${userId}`,
      user_username: `user${userId}`,
      user_email: '',
      user_avatar: AVATAR,
      project_id: projectId,
      project,
      commits: isTag ? [] : [commit],
      total_commits_count: isTag ? 0 : 1,
      push_options: {},
      repository: repositoryAttributes(project),
    };
  };
}

/** `Gitlab::DataBuilder::Repository.update`: once per push, with every changed ref. */
const repositoryUpdateEvent: CatalogueEntry['build'] = ({ nextId, instanceUrl, ref }) => {
  const userId = nextId();
  const projectId = nextId();
  return {
    event_name: 'repository_update',
    user_id: userId,
    user_name: `User ${userId}`,
    user_email: `user${userId}@example.com`,
    user_avatar: AVATAR,
    project_id: projectId,
    project: projectAttributes(projectId, instanceUrl),
    changes: [{ before: sha(nextId()), after: sha(nextId()), ref }],
    refs: [ref],
  };
};

/** `MergeRequest#to_hook_data` for an opened merge request. */
const mergeRequestEvent: CatalogueEntry['build'] = ({ nextId, instanceUrl, timestamp }) => {
  const userId = nextId();
  const projectId = nextId();
  const id = nextId();
  const project = projectAttributes(projectId, instanceUrl);
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: {
      id: userId,
      name: `User ${userId}`,
      username: `user${userId}`,
      avatar_url: AVATAR,
      email: REDACTED_EMAIL,
    },
    project,
    object_attributes: {
      id,
      iid: 1,
      target_branch: 'main',
      source_branch: `feature-${id}`,
      source_project_id: projectId,
      target_project_id: projectId,
      author_id: userId,
      assignee_id: null,
      title: `Feature ${id}`,
      description: '',
      created_at: timestamp,
      updated_at: timestamp,
      state: 'opened',
      merge_status: 'unchecked',
      draft: false,
      work_in_progress: false,
      url: `${project.web_url}/-/merge_requests/1`,
      source: project,
      target: project,
      last_commit: commitAttributes(sha(nextId()), 'Add the feature', project, timestamp),
      action: 'open',
    },
    labels: [],
    changes: {},
    repository: {
      name: project.name,
      url: project.url,
      description: project.description,
      homepage: project.homepage,
    },
  };
};

/** EE's `MemberApprovalBuilder`: a role promotion queued for an administrator's approval. */
const memberApprovalEvent: CatalogueEntry['build'] = ({ nextId, timestamp }) => ({
  object_kind: 'gitlab_subscription_member_approval',
  action: 'enqueue',
  object_attributes: { new_access_level: 30, old_access_level: 10, existing_member_id: nextId() },
  user_id: nextId(),
  requested_by_user_id: nextId(),
  promotion_namespace_id: nextId(),
  created_at: timestamp,
  updated_at: timestamp,
});

/** EE's `MemberApprovalBuilder`: the administrator approved the queued promotions. */
const memberApprovalsEvent: CatalogueEntry['build'] = ({ nextId, timestamp }) => ({
  object_kind: 'gitlab_subscription_member_approvals',
  action: 'approve',
  object_attributes: { promotion_request_ids_that_failed_to_apply: [], status: 'success' },
  reviewed_by_user_id: nextId(),
  user_id: nextId(),
  updated_at: timestamp,
});

const lifecycle = (build: CatalogueEntry['build']): CatalogueEntry => ({ scope: 'all', build });

/** Every event name (or `object_kind`) of the catalogue. */
export const SYSTEM_HOOK_EVENTS: Readonly<Record<string, CatalogueEntry>> = {
  project_create: lifecycle(projectEvent('project_create', false)),
  project_destroy: lifecycle(projectEvent('project_destroy', false)),
  project_rename: lifecycle(projectEvent('project_rename', true)),
  project_transfer: lifecycle(projectEvent('project_transfer', true)),
  project_update: lifecycle(projectEvent('project_update', false)),
  group_create: lifecycle(groupEvent('group_create', false)),
  group_destroy: lifecycle(groupEvent('group_destroy', false)),
  group_rename: lifecycle(groupEvent('group_rename', true)),
  key_create: lifecycle(keyEvent('key_create')),
  key_destroy: lifecycle(keyEvent('key_destroy')),
  user_create: lifecycle(userEvent('user_create')),
  user_destroy: lifecycle(userEvent('user_destroy')),
  user_rename: lifecycle(userEvent('user_rename', (id) => ({ old_username: `user${id}-old` }))),
  user_failed_login: lifecycle(userEvent('user_failed_login', () => ({ state: 'blocked' }))),
  user_add_to_team: lifecycle(projectMemberEvent('user_add_to_team')),
  user_remove_from_team: lifecycle(projectMemberEvent('user_remove_from_team')),
  user_update_for_team: lifecycle(projectMemberEvent('user_update_for_team')),
  user_access_request_to_project: lifecycle(projectMemberEvent('user_access_request_to_project')),
  user_access_request_revoked_for_project: lifecycle(
    projectMemberEvent('user_access_request_revoked_for_project'),
  ),
  user_add_to_group: lifecycle(groupMemberEvent('user_add_to_group')),
  user_remove_from_group: lifecycle(groupMemberEvent('user_remove_from_group')),
  user_update_for_group: lifecycle(groupMemberEvent('user_update_for_group')),
  user_access_request_to_group: lifecycle(groupMemberEvent('user_access_request_to_group')),
  user_access_request_revoked_for_group: lifecycle(groupMemberEvent('user_access_request_revoked_for_group')),
  push: { scope: 'push_hooks', defaultRef: 'refs/heads/main', build: pushEvent('push') },
  tag_push: { scope: 'tag_push_hooks', defaultRef: 'refs/tags/v1.0.0', build: pushEvent('tag_push') },
  repository_update: {
    scope: 'repository_update_hooks',
    defaultRef: 'refs/heads/main',
    build: repositoryUpdateEvent,
  },
  merge_request: { scope: 'merge_request_hooks', build: mergeRequestEvent },
  // EE's `member_approval_hooks` scope reads a `member_approval_events` flag the REST API does not declare, so
  // this server treats it as set on every hook.
  gitlab_subscription_member_approval: lifecycle(memberApprovalEvent),
  gitlab_subscription_member_approvals: lifecycle(memberApprovalsEvent),
};

/** The scope of any event name; a name outside the catalogue goes to every hook, as lifecycle events do. */
export function scopeOf(eventName: string): TriggerScope {
  return Object.hasOwn(SYSTEM_HOOK_EVENTS, eventName)
    ? (SYSTEM_HOOK_EVENTS[eventName] as CatalogueEntry).scope
    : 'all';
}

/** `Time#xmlschema` in UTC: ISO 8601 without a fraction. */
export function xmlschema(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
