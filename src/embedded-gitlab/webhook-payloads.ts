/**
 * Payloads of project and group hook events (gitlab-webhooks-api §5.3): GitLab's documented example of each
 * kind (`webhook-payloads/*.json`, copied from its webhook events page) made about a real project or group of
 * this server: its ids, names, paths and URLs, the acting user (e-mail `[REDACTED]`, as `User#webhook_email`
 * gives it without a public address) and the time of the event.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { xmlschema } from './event-payloads.ts';
import type { WebHookTrigger } from './webhook-triggers.ts';

type Payload = Record<string, unknown>;

/** What a payload says about a project. */
export interface PayloadProject {
  id: number;
  name: string;
  description: string | null;
  /** `group/sub/project`. */
  fullPath: string;
  /** The name of its namespace (`namespace.name`). */
  namespaceName: string;
  /** The project namespace's id (`project_namespace_id`). */
  projectNamespaceId: number;
  visibility: 'private' | 'internal' | 'public';
  defaultBranch: string;
}

/** What a payload says about a group. */
export interface PayloadGroup {
  id: number;
  name: string;
  path: string;
  fullPath: string;
  parent: { id: number; name: string; path: string; fullPath: string } | null;
}

export interface PayloadUser {
  id: number;
  name: string;
  username: string;
}

/** The subject of an event: a project (with its group, if any) or a group. */
export type PayloadSubject =
  | { kind: 'project'; project: PayloadProject }
  | { kind: 'group'; group: PayloadGroup };

export interface PayloadContext {
  subject: PayloadSubject;
  user: PayloadUser;
  instanceUrl: string;
  now: number;
}

/** Which hooks an event is for, and what is built for it. */
export interface WebHookEventKind {
  trigger: WebHookTrigger;
  /** `project`: a project's hooks and its groups'; `group`: a group's hooks and its ancestors'. */
  subject: 'project' | 'group';
  build(context: PayloadContext): Payload;
}

const REDACTED = '[REDACTED]';
const VISIBILITY_LEVELS = { private: 0, internal: 10, public: 20 } as const;

function template(name: string): Payload {
  const file = new URL(`./webhook-payloads/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as Payload;
}

/** Each template once, parsed at first use; every build works on a deep copy. */
const templates = new Map<string, Payload>();
function copyOf(name: string): Payload {
  let parsed = templates.get(name);
  if (parsed === undefined) {
    parsed = template(name);
    templates.set(name, parsed);
  }
  return structuredClone(parsed);
}

const isObject = (value: unknown): value is Payload =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `Project#hook_attrs` with the backward-compatible keys, in its order. */
export function projectHookAttrs(project: PayloadProject, instanceUrl: string): Payload {
  const webUrl = `${instanceUrl}/${project.fullPath}`;
  const host = new URL(instanceUrl).hostname;
  const sshUrl = `git@${host}:${project.fullPath}.git`;
  const httpUrl = `${webUrl}.git`;
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    web_url: webUrl,
    avatar_url: null,
    git_ssh_url: sshUrl,
    git_http_url: httpUrl,
    namespace: project.namespaceName,
    visibility_level: VISIBILITY_LEVELS[project.visibility],
    path_with_namespace: project.fullPath,
    default_branch: project.defaultBranch,
    ci_config_path: null,
    homepage: webUrl,
    url: sshUrl,
    ssh_url: sshUrl,
    http_url: httpUrl,
  };
}

/** The template's keys with our values, in the template's order; keys we have no value for are kept. */
function overlay(target: Payload, values: Payload): Payload {
  const result: Payload = {};
  for (const [key, value] of Object.entries(target))
    result[key] = Object.hasOwn(values, key) ? values[key] : value;
  return result;
}

function gravatar(user: PayloadUser): string {
  const hash = createHash('md5').update(`${user.username}@users.noreply`).digest('hex');
  return `https://www.gravatar.com/avatar/${hash}?s=80&d=identicon`;
}

/** `User#hook_attrs`. */
const userAttrs = (user: PayloadUser): Payload => ({
  id: user.id,
  name: user.name,
  username: user.username,
  avatar_url: gravatar(user),
  email: REDACTED,
});

/** Replaces every string occurrence of the template's URLs and paths with ours. */
function replaceInStrings(value: unknown, replacements: readonly [string, string][]): unknown {
  if (typeof value === 'string') {
    return replacements.reduce((text, [from, to]) => (from === '' ? text : text.replaceAll(from, to)), value);
  }
  if (Array.isArray(value)) return value.map((item) => replaceInStrings(item, replacements));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceInStrings(v, replacements)]));
  }
  return value;
}

/** The template project's URLs and path, each with ours, longest first so that a URL wins over its path. */
function urlReplacements(templateProject: Payload, ours: Payload): [string, string][] {
  const keys = ['web_url', 'git_ssh_url', 'git_http_url', 'path_with_namespace'];
  return keys
    .filter((key) => typeof templateProject[key] === 'string' && typeof ours[key] === 'string')
    .map((key): [string, string] => [templateProject[key] as string, ours[key] as string])
    .sort(([a], [b]) => b.length - a.length);
}

const TOP_LEVEL_USER_KEYS = (user: PayloadUser): Payload => ({
  user_id: user.id,
  user_name: user.name,
  user_username: user.username,
  user_email: REDACTED,
  user_avatar: gravatar(user),
});

/** Walks an object: the `project`, `repository` and `user` objects become ours. */
function personalizeObject(value: Payload, project: Payload, user: PayloadUser): Payload {
  const result: Payload = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'project' && isObject(inner) && 'path_with_namespace' in inner) {
      result[key] = overlay(inner, project);
    } else if (key === 'repository' && isObject(inner) && 'homepage' in inner) {
      result[key] = overlay(inner, project);
    } else if (key === 'user' && isObject(inner) && 'username' in inner) {
      result[key] = overlay(inner, userAttrs(user));
    } else if (key === 'project_id' && typeof inner === 'number') {
      result[key] = project.id;
    } else if (isObject(inner)) {
      result[key] = personalizeObject(inner, project, user);
    } else {
      result[key] = inner;
    }
  }
  return result;
}

/** A project event's template made about `project`. */
function projectPayload(name: string, project: PayloadProject, context: PayloadContext): Payload {
  const data = copyOf(name);
  const ours = projectHookAttrs(project, context.instanceUrl);
  // The vulnerability example has no project object, only URLs of this one.
  const templateProject = isObject(data.project)
    ? data.project
    : { web_url: 'https://example.com/flightjs/Flight' };
  const replaced = replaceInStrings(data, urlReplacements(templateProject, ours)) as Payload;
  const personalized = personalizeObject(replaced, ours, context.user);
  const topLevel = overlay(personalized, {
    ...TOP_LEVEL_USER_KEYS(context.user),
    project_name: project.name,
  });
  if (isObject(topLevel.object_attributes) && 'project_id' in topLevel.object_attributes) {
    topLevel.object_attributes = { ...topLevel.object_attributes, project_id: project.id };
  }
  return topLevel;
}

/** `created_at` and `updated_at` of a builder's payload: the event's time, as the builders write it. */
function stamped(now: number): Payload {
  const time = xmlschema(new Date(now));
  return { created_at: time, updated_at: time };
}

/** `Gitlab::HookData::GroupMemberBuilder`: the member is the acting user. */
function memberPayload(name: string, group: PayloadGroup, context: PayloadContext): Payload {
  return overlay(copyOf(name), {
    ...stamped(context.now),
    group_name: group.name,
    group_path: group.path,
    group_id: group.id,
    ...TOP_LEVEL_USER_KEYS(context.user),
  });
}

/** `Gitlab::HookData::SubgroupBuilder`: the subject is the new (or removed) subgroup, sent to its parent. */
function subgroupPayload(name: string, group: PayloadGroup, context: PayloadContext): Payload {
  const parent = group.parent;
  return overlay(copyOf(name), {
    ...stamped(context.now),
    name: group.name,
    path: group.path,
    full_path: group.fullPath,
    group_id: group.id,
    parent_group_id: parent?.id ?? null,
    parent_name: parent?.name ?? null,
    parent_path: parent?.path ?? null,
    parent_full_path: parent?.fullPath ?? null,
  });
}

/** `Gitlab::HookData::ProjectBuilder` as group hooks get it. */
function projectLifecyclePayload(name: string, project: PayloadProject, context: PayloadContext): Payload {
  return overlay(copyOf(name), {
    ...stamped(context.now),
    name: project.name,
    path: project.fullPath.split('/').pop(),
    path_with_namespace: project.fullPath,
    project_id: project.id,
    project_namespace_id: project.projectNamespaceId,
    owners: [{ name: context.user.name, email: REDACTED }],
    project_visibility: project.visibility,
  });
}

function groupAccessTokenPayload(group: PayloadGroup): Payload {
  const data = copyOf('resource_access_token_group');
  data.group = {
    group_name: group.name,
    group_path: group.path,
    group_id: group.id,
    full_path: group.fullPath,
  };
  return data;
}

const projectOf = (context: PayloadContext): PayloadProject => {
  if (context.subject.kind !== 'project') throw new TypeError('a project event needs a project');
  return context.subject.project;
};
const groupOf = (context: PayloadContext): PayloadGroup => {
  if (context.subject.kind !== 'group') throw new TypeError('a group event needs a group');
  return context.subject.group;
};

function projectKind(
  trigger: WebHookTrigger,
  name: string,
  edit?: (data: Payload) => void,
): WebHookEventKind {
  return {
    trigger,
    subject: 'project',
    build(context) {
      const data = projectPayload(name, projectOf(context), context);
      edit?.(data);
      return data;
    },
  };
}

function groupKind(
  trigger: WebHookTrigger,
  build: (group: PayloadGroup, context: PayloadContext) => Payload,
): WebHookEventKind {
  return { trigger, subject: 'group', build: (context) => build(groupOf(context), context) };
}

/** `confidential_#{object_kind}` (`Gitlab::DataBuilder::Issuable#event_type`), the issue marked so. */
function markConfidential(eventType: string, target: 'object_attributes' | 'issue') {
  return (data: Payload) => {
    data.event_type = eventType;
    const attributes = data[target];
    if (isObject(attributes)) attributes.confidential = true;
  };
}

const member = (name: string) =>
  groupKind('member_hooks', (group, context) => memberPayload(name, group, context));
const subgroup = (name: string) =>
  groupKind('subgroup_hooks', (group, context) => subgroupPayload(name, group, context));
const projectLifecycle = (name: string): WebHookEventKind => ({
  trigger: 'project_hooks',
  subject: 'project',
  build: (context) => projectLifecyclePayload(name, projectOf(context), context),
});

/**
 * The event names the control path takes: the documented example of each kind (its file name), and the
 * confidential variants the documentation has no example of.
 */
export const WEBHOOK_EVENTS: Readonly<Record<string, WebHookEventKind>> = {
  push: projectKind('push_hooks', 'push'),
  tag_push: projectKind('tag_push_hooks', 'tag_push'),
  issue: projectKind('issue_hooks', 'issue'),
  confidential_issue: projectKind(
    'confidential_issue_hooks',
    'issue',
    markConfidential('confidential_issue', 'object_attributes'),
  ),
  note_commit: projectKind('note_hooks', 'note_commit'),
  note_merge_request: projectKind('note_hooks', 'note_merge_request'),
  note_issue: projectKind('note_hooks', 'note_issue'),
  note_snippet: projectKind('note_hooks', 'note_snippet'),
  confidential_note: projectKind(
    'confidential_note_hooks',
    'note_issue',
    markConfidential('confidential_note', 'issue'),
  ),
  merge_request: projectKind('merge_request_hooks', 'merge_request'),
  wiki_page: projectKind('wiki_page_hooks', 'wiki_page'),
  pipeline: projectKind('pipeline_hooks', 'pipeline'),
  job: projectKind('job_hooks', 'job'),
  deployment: projectKind('deployment_hooks', 'deployment'),
  deployment_approval: projectKind('deployment_hooks', 'deployment_approval'),
  feature_flag: projectKind('feature_flag_hooks', 'feature_flag'),
  release: projectKind('release_hooks', 'release'),
  milestone: projectKind('milestone_hooks', 'milestone'),
  emoji: projectKind('emoji_hooks', 'emoji'),
  resource_access_token_project: projectKind('resource_access_token_hooks', 'resource_access_token_project'),
  resource_access_token_group: groupKind('resource_access_token_hooks', groupAccessTokenPayload),
  resource_deploy_token_project: projectKind('resource_deploy_token_hooks', 'resource_deploy_token_project'),
  vulnerability: projectKind('vulnerability_hooks', 'vulnerability'),
  group_member_add: member('group_member_add'),
  group_member_update: member('group_member_update'),
  group_member_remove: member('group_member_remove'),
  group_member_access_request: member('group_member_access_request'),
  group_member_access_request_denied: member('group_member_access_request_denied'),
  project_create: projectLifecycle('project_create'),
  project_destroy: projectLifecycle('project_destroy'),
  subgroup_create: subgroup('subgroup_create'),
  subgroup_destroy: subgroup('subgroup_destroy'),
};

/** A payload of a documented kind made about a project, for the test endpoint's sample data. */
export function projectSample(
  name: string,
  project: PayloadProject,
  context: Omit<PayloadContext, 'subject'>,
) {
  return projectPayload(name, project, { ...context, subject: { kind: 'project', project } });
}
