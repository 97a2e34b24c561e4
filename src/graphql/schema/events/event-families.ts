/** The families of system hook events, one `SystemHookEvent` implementation each: data only. */
import {
  deliverySentence,
  eventsOfFamily,
  type KnownSystemHookEventFamily,
} from '../../../events/catalogue.ts';
import { implementEventType, PAYLOAD_RULE } from './event-interface.ts';
import {
  MemberApprovalSystemHookEventAttributes,
  MergeRequestSystemHookEventAttributes,
  SystemHookEventCommit,
  SystemHookEventLabel,
  SystemHookEventPerson,
  SystemHookEventProject,
  SystemHookEventRefChange,
  SystemHookEventRepository,
  SystemHookEventUser,
} from './nested-types.ts';
import { type PayloadFields, payload } from './payload-fields.ts';

/** What a family's type says: its events, which hooks get them, how fields are read. */
function familyDescription(family: KnownSystemHookEventFamily, subject: string): string {
  const types = eventsOfFamily(family)
    .map((info) => `\`${info.type}\``)
    .join(', ');
  return `${subject}: ${types}. ${deliverySentence(family)} ${PAYLOAD_RULE}`;
}

const modelTimes = (model: string): PayloadFields => ({
  created_at: payload.time(`When the ${model} was created (the record's time, not the event's).`),
  updated_at: payload.time(`When the ${model} was last changed (the record's time, not the event's).`),
});

const memberFields: PayloadFields = {
  ...modelTimes('membership'),
  user_id: payload.gid('User', 'The member.'),
  user_username: payload.text('Username of the member.'),
  user_name: payload.text('Name of the member.'),
  user_email: payload.text("Member's public e-mail address; `[REDACTED]` when they have none."),
};

const pusherFields: PayloadFields = {
  user_id: payload.gid('User', 'Who pushed.'),
  user_name: payload.text('Name of who pushed.'),
  user_avatar: payload.text('Avatar URL of who pushed.'),
  project_id: payload.gid('Project', 'The project pushed to.'),
  project: payload.object(SystemHookEventProject, 'The project pushed to.'),
};

const pushFields: PayloadFields = {
  ...pusherFields,
  user_username: payload.text('Username of who pushed.'),
  user_email: payload.text('Public e-mail address of who pushed; null or empty when they have none.'),
  before: payload.text('SHA the ref pointed at before the push; 40 zeros when the ref was created.'),
  after: payload.text('SHA the ref points at after the push; 40 zeros when the ref was deleted.'),
  ref: payload.text('Full name of the ref, such as `refs/heads/main` or `refs/tags/v1.0`.'),
  ref_protected: payload.bool('Whether the ref is protected.'),
  checkout_sha: payload.text('SHA of the commit the ref now names; null when the ref was deleted.'),
  message: payload.text('Message of an annotated tag; null otherwise.'),
  commits: payload.objects(
    SystemHookEventCommit,
    'The newest commits pushed, at most 20 (some GitLab versions send none to system hooks).',
  ),
  total_commits_count: payload.int('Number of commits pushed, including those not in `commits`.'),
  push_options: payload.json('Push options (`git push -o`); empty when none were given.'),
  repository: payload.object(
    SystemHookEventRepository,
    'The repository (deprecated by GitLab: use `project`).',
  ),
};

/** One family's type: its subject, then its events, who receives them and how its fields are read. */
const defineEventFamily = (name: KnownSystemHookEventFamily, subject: string, spec: PayloadFields) =>
  implementEventType(name, familyDescription(name, subject), spec);

defineEventFamily('project', 'A project was created, deleted, renamed, transferred or changed', {
  ...modelTimes('project'),
  project_id: payload.gid('Project', 'The project.'),
  name: payload.text('Name of the project.'),
  path: payload.text('Path of the project within its namespace.'),
  path_with_namespace: payload.text('Full path of the project.'),
  project_namespace_id: payload.gid('Namespace', 'The namespace (user or group) the project belongs to.'),
  project_visibility: payload.text('Visibility: `private`, `internal` or `public`.'),
  owners: payload.objects(SystemHookEventPerson, 'Owners of the project, e-mails usually `[REDACTED]`.'),
  owner_name: payload.text(
    "Owner's name, the group's name for a group's project (deprecated by GitLab: use `owners`).",
  ),
  owner_email: payload.text(
    "Owner's e-mail, empty for a group's project (deprecated by GitLab: use `owners`).",
  ),
  old_path_with_namespace: payload.text('Full path before the change; renames and transfers only.'),
});

defineEventFamily('group', 'A group was created, removed or renamed', {
  ...modelTimes('group'),
  group_id: payload.gid('Group', 'The group.'),
  name: payload.text('Name of the group.'),
  path: payload.text('Path of the group.'),
  full_path: payload.text('Full path of the group, with its parents.'),
  old_path: payload.text('Path before the rename; renames only.'),
  old_full_path: payload.text('Full path before the rename; renames only.'),
});

defineEventFamily(
  'user',
  'A user account was created, deleted or renamed, or a blocked user tried to sign in',
  {
    ...modelTimes('user'),
    user_id: payload.gid('User', 'The user.'),
    name: payload.text('Name of the user.'),
    username: payload.text('Username.'),
    email: payload.text('Primary e-mail address of the user.'),
    old_username: payload.text('Username before the rename; renames only.'),
    state: payload.text('State of the account (`blocked`, `ldap_blocked`); failed logins only.'),
  },
);

defineEventFamily('key', 'An SSH key was added or removed', {
  ...modelTimes('key'),
  id: payload.gid(
    'Key',
    "The key (the payload's `id`; named `keyId` because the event is not the key).",
    'keyId',
  ),
  key: payload.text('The public key.'),
  username: payload.text('Username of the owner; null for a key that belongs to no user.'),
});

defineEventFamily('projectMember', "A project's membership changed or was requested", {
  ...memberFields,
  project_id: payload.gid('Project', 'The project.'),
  project_name: payload.text('Name of the project.'),
  project_path: payload.text('Path of the project.'),
  project_path_with_namespace: payload.text('Full path of the project.'),
  project_visibility: payload.text('Visibility of the project: `private`, `internal` or `public`.'),
  access_level: payload.text(
    'Role, as GitLab names it: `Guest`, `Reporter`, `Developer`, `Maintainer`, `Owner`, ...',
  ),
});

defineEventFamily('groupMember', "A group's membership changed or was requested", {
  ...memberFields,
  group_id: payload.gid('Group', 'The group.'),
  group_name: payload.text('Name of the group.'),
  group_path: payload.text('Path of the group.'),
  group_access: payload.text(
    'Role, as GitLab names it: `Guest`, `Reporter`, `Developer`, `Maintainer`, `Owner`, ...',
  ),
  expires_at: payload.time('When the membership expires; null when it does not.'),
});

defineEventFamily('push', 'Commits were pushed to a branch', pushFields);
defineEventFamily('tagPush', 'A tag was pushed or deleted', pushFields);

defineEventFamily('repositoryUpdate', 'A push changed a repository', {
  ...pusherFields,
  user_email: payload.text('Primary e-mail address of who pushed.'),
  changes: payload.objects(SystemHookEventRefChange, 'Every ref the push changed.'),
  refs: payload.texts('Full names of the refs the push changed.'),
});

defineEventFamily('mergeRequest', 'A merge request changed', {
  event_type: payload.text('`merge_request`.'),
  user: payload.object(SystemHookEventUser, 'Who made the change.'),
  project: payload.object(SystemHookEventProject, 'The target project.'),
  repository: payload.object(
    SystemHookEventRepository,
    'The target repository (deprecated by GitLab: use `project`).',
  ),
  object_attributes: payload.object(MergeRequestSystemHookEventAttributes, 'The merge request.'),
  labels: payload.objects(SystemHookEventLabel, 'Labels of the merge request.'),
  assignees: payload.objects(SystemHookEventUser, 'Assignees.'),
  reviewers: payload.objects(SystemHookEventUser, 'Reviewers.'),
  changes: payload.json(
    'What changed, `{ <attribute>: { previous, current } }` as GitLab sent it; may be empty. Values keep ' +
      "GitLab's formats.",
  ),
});

defineEventFamily('memberApproval', 'A role promotion was queued, approved or denied', {
  action: payload.text('`enqueue` (queued for approval), `approve` or `deny`.'),
  object_attributes: payload.object(MemberApprovalSystemHookEventAttributes, 'What the event is about.'),
  user_id: payload.gid('User', 'The user whose role is promoted.'),
  requested_by_user_id: payload.gid('User', 'Who requested the promotion; queued promotions.'),
  reviewed_by_user_id: payload.gid(
    'User',
    'The administrator who approved or denied; null when GitLab did it itself.',
  ),
  promotion_namespace_id: payload.gid('Namespace', 'Where the promotion applies; queued promotions.'),
  created_at: payload.time('When the request was queued.'),
  updated_at: payload.time('When the request last changed.'),
});

implementEventType(
  'unknown',
  'An event whose `eventName` this gateway does not know (type `UNKNOWN`), such as one a newer GitLab added, or ' +
    'a body with neither `event_name` nor `object_kind`. Delivered, never rejected: read it from `payload`.',
  {},
);
