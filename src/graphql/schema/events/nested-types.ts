/** Shapes nested in system hook payloads, shared by several families of events. */

import { nestedType, type PayloadFields, payload } from './payload-fields.ts';
import type { Json } from './payload-readers.ts';

export const SystemHookEventPerson = nestedType(
  'SystemHookEventPerson',
  'A person as a payload names them: a project owner or a commit author.',
  () => ({
    name: payload.text('Name.'),
    email: payload.text(
      'E-mail address; `[REDACTED]` when GitLab withholds it (a user without a public e-mail).',
    ),
  }),
);

export const SystemHookEventUser = nestedType(
  'SystemHookEventUser',
  'A user as a merge request payload describes them.',
  () => ({
    id: payload.gid('User', 'The user.'),
    name: payload.text('Name of the user.'),
    username: payload.text('Username.'),
    avatar_url: payload.text('URL of the avatar.'),
    email: payload.text('E-mail address; `[REDACTED]` when GitLab withholds it.'),
  }),
);

const projectRefFields = (): PayloadFields => ({
  name: payload.text('Name of the project.'),
  description: payload.text('Description of the project.'),
  homepage: payload.text('Web URL of the project.'),
  url: payload.text('Clone URL.'),
  git_http_url: payload.text('HTTP clone URL.'),
  git_ssh_url: payload.text('SSH clone URL.'),
  visibility_level: payload.int('Visibility: 0 private, 10 internal, 20 public.'),
});

export const SystemHookEventRepository = nestedType(
  'SystemHookEventRepository',
  "The repository of a push or merge request payload (deprecated by GitLab, which repeats the project's fields).",
  projectRefFields,
);

export const SystemHookEventProject = nestedType(
  'SystemHookEventProject',
  'A project as push, repository update and merge request payloads describe it (`hook_attrs`).',
  () => ({
    id: payload.gid('Project', 'The project.'),
    ...projectRefFields(),
    homepage: payload.text('Web URL of the project (deprecated by GitLab: use `webUrl`).'),
    url: payload.text('Clone URL (deprecated by GitLab: use `gitSshUrl` or `gitHttpUrl`).'),
    web_url: payload.text('Web URL of the project.'),
    avatar_url: payload.text('URL of the avatar.'),
    namespace: payload.text('Name of the namespace.'),
    path_with_namespace: payload.text('Full path of the project.'),
    default_branch: payload.text('Default branch.'),
    ci_config_path: payload.text('Path of the CI/CD configuration file.'),
    ssh_url: payload.text('SSH clone URL (deprecated by GitLab).'),
    http_url: payload.text('HTTP clone URL (deprecated by GitLab).'),
  }),
);

export const SystemHookEventCommit = nestedType('SystemHookEventCommit', 'A commit of a push.', () => ({
  id: payload.text('SHA of the commit.'),
  message: payload.text('Full message.'),
  title: payload.text('First line of the message.'),
  timestamp: payload.time('Author time.'),
  url: payload.text('Web URL of the commit.'),
  author: payload.object(SystemHookEventPerson, 'Author as written in the commit.'),
  added: payload.texts('Paths added.'),
  modified: payload.texts('Paths modified.'),
  removed: payload.texts('Paths removed.'),
}));

export const SystemHookEventRefChange = nestedType(
  'SystemHookEventRefChange',
  'One ref a push changed; `before` is 40 zeros for a created ref, `after` for a deleted one.',
  () => ({
    before: payload.text('SHA the ref pointed at before the push.'),
    after: payload.text('SHA the ref points at after the push.'),
    ref: payload.text('Full name of the ref, such as `refs/heads/main`.'),
  }),
);

const labelModel = (record: Json) =>
  record.type === 'ProjectLabel' || record.type === 'GroupLabel' ? record.type : 'Label';

export const SystemHookEventLabel = nestedType('SystemHookEventLabel', 'A label of a merge request.', () => ({
  id: payload.gid(
    labelModel,
    'The label, `gid://gitlab/ProjectLabel/<id>` or `gid://gitlab/GroupLabel/<id>` by its `type`.',
  ),
  title: payload.text('Title.'),
  color: payload.text('Background colour, `#rrggbb`.'),
  description: payload.text('Description.'),
  type: payload.text('`ProjectLabel` or `GroupLabel`.'),
  template: payload.bool('Whether the label is a template.'),
  project_id: payload.gid('Project', 'Project of a project label.'),
  group_id: payload.gid('Group', 'Group of a group label.'),
  created_at: payload.time('When the label was created.'),
  updated_at: payload.time('When the label was last changed.'),
}));

export const MergeRequestSystemHookEventAttributes = nestedType(
  'MergeRequestSystemHookEventAttributes',
  'The merge request of a merge request event, as it is after the change (`object_attributes`).',
  () => ({
    id: payload.gid('MergeRequest', 'The merge request.'),
    iid: payload.int('Number of the merge request within its target project.'),
    title: payload.text('Title.'),
    description: payload.text('Description.'),
    action: payload.text(
      'What happened: `open`, `close`, `reopen`, `update`, `approved`, `unapproved`, `approval`, `unapproval` or `merge`.',
    ),
    state: payload.text('State: `opened`, `closed`, `merged` or `locked`.'),
    state_id: payload.int('State as a number.'),
    source_branch: payload.text('Source branch.'),
    target_branch: payload.text('Target branch.'),
    source_project_id: payload.gid('Project', 'Source project.'),
    target_project_id: payload.gid('Project', 'Target project.'),
    author_id: payload.gid('User', 'Author.'),
    assignee_id: payload.gid('User', 'First assignee (deprecated by GitLab: use `assigneeIds`).'),
    assignee_ids: payload.gids('User', 'Assignees.'),
    reviewer_ids: payload.gids('User', 'Reviewers.'),
    milestone_id: payload.gid('Milestone', 'Milestone, if any.'),
    merge_status: payload.text('Mergeability (deprecated by GitLab: use `detailedMergeStatus`).'),
    detailed_merge_status: payload.text('Mergeability, in detail.'),
    draft: payload.bool('Whether the merge request is a draft.'),
    work_in_progress: payload.bool(
      'Whether the merge request is a draft (deprecated by GitLab: use `draft`).',
    ),
    first_contribution: payload.bool("Whether this is the author's first contribution to the project."),
    url: payload.text('Web URL of the merge request.'),
    oldrev: payload.text('Previous head SHA of the source branch, sent only when code changed.'),
    created_at: payload.time('When the merge request was created.'),
    updated_at: payload.time('When the merge request was last changed.'),
    prepared_at: payload.time('When GitLab finished preparing the merge request (diffs, pipelines).'),
    source: payload.object(SystemHookEventProject, 'Source project.'),
    target: payload.object(SystemHookEventProject, 'Target project.'),
    last_commit: payload.object(SystemHookEventCommit, 'Head commit of the source branch.'),
    assignee: payload.object(SystemHookEventUser, 'First assignee (deprecated by GitLab).'),
  }),
);

export const MemberApprovalSystemHookEventAttributes = nestedType(
  'MemberApprovalSystemHookEventAttributes',
  'What a member approval event is about (`object_attributes`); which fields are set depends on `action`.',
  () => ({
    new_access_level: payload.int('Requested access level (10 Guest … 50 Owner); queued promotions.'),
    old_access_level: payload.int('Access level before the promotion; queued promotions.'),
    existing_member_id: payload.gid('Member', 'Membership to promote; queued promotions.'),
    status: payload.text('Outcome of an approval or denial: `success` or `failed`.'),
    promotion_request_ids_that_failed_to_apply: payload.ints(
      'Promotion requests that could not be applied; approvals.',
    ),
  }),
);
