import type { ObjectRef, SchemaTypes } from '@pothos/core';
import {
  deliverySentence,
  eventsOfFamily,
  type KnownSystemHookEventFamily,
  SYSTEM_HOOK_EVENTS,
  type SystemHookEventFamily,
  type SystemHookEventType as SystemHookEventTypeValue,
  systemHookEventFamily,
  systemHookEventType,
} from '../../events/catalogue.ts';
import type { SystemHookEventSource } from '../../events/types.ts';
import { everyItem } from '../../upstream/json.ts';
import type { GatewayContext } from '../context.ts';
import { gatewayError } from '../errors.ts';
import { builder } from './builder.ts';
import { encodeGlobalId } from './global-id.ts';

/**
 * System hook deliveries as typed subscription events. Every typed field reads the payload defensively: a field
 * an older GitLab does not send, or one of an unexpected JSON type, is null and never an error, so that one odd
 * delivery cannot break a subscriber's stream. `payload` keeps the whole body as GitLab sent it.
 */

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;
type Json = Record<string, unknown>;

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Values of a payload, as GraphQL may return them: the value when it has the field's type, null otherwise.

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function stringValue(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** GraphQL's Int is 32-bit: a larger number would fail serialization, so it is null like any other misfit. */
function intValue(value: unknown): number | null {
  return Number.isInteger(value) && (value as number) >= INT_MIN && (value as number) <= INT_MAX
    ? (value as number)
    : null;
}

function booleanValue(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

function positiveId(value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : null;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;
// Ruby's `Time#to_s`, which older GitLab versions wrote (`2014-08-18 18:45:16 UTC`).
const RUBY_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (?:UTC|([+-]\d{2})(\d{2}))$/;

/** Whether the fields of an ISO 8601 match name a real instant (Date.parse rolls `02-30` over to March). */
function isRealTime(match: RegExpExecArray): boolean {
  // Absent offset groups read as 0 (UTC).
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] =
    match.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return (
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offsetHours < 24 &&
    offsetMinutes < 60
  );
}

/**
 * A GitLab time as `DateTime` returns it (`toISOString`, UTC): ISO 8601 with `Z` or an offset, or Ruby's
 * `YYYY-MM-DD HH:MM:SS UTC`; null for anything else.
 */
function gitlabTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ruby = RUBY_TIME.exec(value);
  const iso = ruby ? `${ruby[1]}T${ruby[2]}${ruby[3] === undefined ? 'Z' : `${ruby[3]}:${ruby[4]}`}` : value;
  const match = ISO_TIME.exec(iso);
  if (!match || !isRealTime(match)) return null;
  return new Date(Date.parse(iso)).toISOString();
}

/** A list whose every item reads as a value, or null: one bad item makes the whole field null. */
function listOf<T>(value: unknown, item: (element: unknown) => T | null): T[] | null {
  return everyItem(value, (element) => item(element) ?? undefined) ?? null;
}

/** The model name of a global ID: fixed, or read from the record that holds the id (labels carry their class). */
type Model = string | ((record: Json) => string);

function globalIdOf(model: Model, record: Json, value: unknown): string | null {
  const id = positiveId(value);
  return id === null ? null : encodeGlobalId(typeof model === 'string' ? model : model(record), id);
}

// A declarative description of a type's payload fields. Keys are the payload's; the GraphQL field is the key in
// camelCase unless `name` says otherwise, so the naming rule holds by construction.

type PayloadField = { description: string; name?: string } & (
  | { kind: 'String' | 'Int' | 'Boolean' | 'DateTime' | 'JSONObject' | '[String]' | '[Int]' }
  | { kind: 'ID' | '[ID]'; model: Model }
  | { kind: 'object' | '[object]'; ref: ObjectRef<Types, Json> }
);
type PayloadFields = Record<string, PayloadField>;

const text = (description: string): PayloadField => ({ kind: 'String', description });
const int = (description: string): PayloadField => ({ kind: 'Int', description });
const bool = (description: string): PayloadField => ({ kind: 'Boolean', description });
const time = (description: string): PayloadField => ({ kind: 'DateTime', description });
const json = (description: string): PayloadField => ({ kind: 'JSONObject', description });
const texts = (description: string): PayloadField => ({ kind: '[String]', description });
const ints = (description: string): PayloadField => ({ kind: '[Int]', description });
const object = (ref: ObjectRef<Types, Json>, description: string): PayloadField => ({
  kind: 'object',
  ref,
  description,
});
const objects = (ref: ObjectRef<Types, Json>, description: string): PayloadField => ({
  kind: '[object]',
  ref,
  description,
});
const GID_NOTE = 'the numeric REST id is in `payload`';
const gid = (model: Model, description: string, name?: string): PayloadField => ({
  kind: 'ID',
  model,
  name,
  description: `${description} A global ID${typeof model === 'string' ? `, \`gid://gitlab/${model}/<id>\`` : ''}; ${GID_NOTE}.`,
});
const gids = (model: string, description: string): PayloadField => ({
  kind: '[ID]',
  model,
  description: `${description} Global IDs, \`gid://gitlab/${model}/<id>\`; ${GID_NOTE}.`,
});

function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** The Pothos fields of `spec`, read from the record `recordOf` finds in the parent (the payload, or a nested object). */
function payloadFields<Parent>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, Parent>,
  recordOf: (parent: Parent) => Json,
  spec: PayloadFields,
) {
  return Object.fromEntries(
    Object.entries(spec).map(([key, field]) => {
      const at = (parent: Parent) => recordOf(parent)[key];
      return [field.name ?? camelCase(key), payloadField(t, field, at, recordOf)];
    }),
  );
}

function payloadField<Parent>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, Parent>,
  field: PayloadField,
  at: (parent: Parent) => unknown,
  recordOf: (parent: Parent) => Json,
) {
  const { description } = field;
  const nullable = true;
  switch (field.kind) {
    case 'String':
      return t.string({ nullable, description, resolve: (p) => stringValue(at(p)) });
    case 'Int':
      return t.int({ nullable, description, resolve: (p) => intValue(at(p)) });
    case 'Boolean':
      return t.boolean({ nullable, description, resolve: (p) => booleanValue(at(p)) });
    case 'DateTime':
      return t.field({ type: 'DateTime', nullable, description, resolve: (p) => gitlabTime(at(p)) });
    case 'JSONObject':
      return t.field({ type: 'JSONObject', nullable, description, resolve: (p) => jsonObjectValue(at(p)) });
    case '[String]':
      return t.stringList({ nullable, description, resolve: (p) => listOf(at(p), stringValue) });
    case '[Int]':
      return t.intList({ nullable, description, resolve: (p) => listOf(at(p), intValue) });
    case 'ID':
      return t.id({ nullable, description, resolve: (p) => globalIdOf(field.model, recordOf(p), at(p)) });
    case '[ID]':
      return t.idList({
        nullable,
        description,
        resolve: (p) => listOf(at(p), (id) => globalIdOf(field.model, recordOf(p), id)),
      });
    case 'object':
      return t.field({ type: field.ref, nullable, description, resolve: (p) => jsonObjectValue(at(p)) });
    case '[object]':
      return t.field({
        type: [field.ref],
        nullable,
        description,
        resolve: (p) => listOf(at(p), jsonObjectValue),
      });
  }
}

function jsonObjectValue(value: unknown): Json | null {
  return isJsonObject(value) ? value : null;
}

/** An object type nested in payloads, whose fields are all read from its own JSON object. */
function nestedType(name: string, description: string, spec: () => PayloadFields): ObjectRef<Types, Json> {
  return builder.objectRef<Json>(name).implement({
    description,
    fields: (t) => payloadFields(t, (record) => record, spec()),
  });
}

// Shapes nested in payloads, shared by several families.

const SystemHookEventPerson = nestedType(
  'SystemHookEventPerson',
  'A person as a payload names them: a project owner or a commit author.',
  () => ({
    name: text('Name.'),
    email: text('E-mail address; `[REDACTED]` when GitLab withholds it (a user without a public e-mail).'),
  }),
);

const SystemHookEventUser = nestedType(
  'SystemHookEventUser',
  'A user as a merge request payload describes them.',
  () => ({
    id: gid('User', 'The user.'),
    name: text('Name of the user.'),
    username: text('Username.'),
    avatar_url: text('URL of the avatar.'),
    email: text('E-mail address; `[REDACTED]` when GitLab withholds it.'),
  }),
);

const projectRefFields = (): PayloadFields => ({
  name: text('Name of the project.'),
  description: text('Description of the project.'),
  homepage: text('Web URL of the project.'),
  url: text('Clone URL.'),
  git_http_url: text('HTTP clone URL.'),
  git_ssh_url: text('SSH clone URL.'),
  visibility_level: int('Visibility: 0 private, 10 internal, 20 public.'),
});

const SystemHookEventRepository = nestedType(
  'SystemHookEventRepository',
  "The repository of a push or merge request payload (deprecated by GitLab, which repeats the project's fields).",
  projectRefFields,
);

const SystemHookEventProject = nestedType(
  'SystemHookEventProject',
  'A project as push, repository update and merge request payloads describe it (`hook_attrs`).',
  () => ({
    id: gid('Project', 'The project.'),
    ...projectRefFields(),
    homepage: text('Web URL of the project (deprecated by GitLab: use `webUrl`).'),
    url: text('Clone URL (deprecated by GitLab: use `gitSshUrl` or `gitHttpUrl`).'),
    web_url: text('Web URL of the project.'),
    avatar_url: text('URL of the avatar.'),
    namespace: text('Name of the namespace.'),
    path_with_namespace: text('Full path of the project.'),
    default_branch: text('Default branch.'),
    ci_config_path: text('Path of the CI/CD configuration file.'),
    ssh_url: text('SSH clone URL (deprecated by GitLab).'),
    http_url: text('HTTP clone URL (deprecated by GitLab).'),
  }),
);

const SystemHookEventCommit = nestedType('SystemHookEventCommit', 'A commit of a push.', () => ({
  id: text('SHA of the commit.'),
  message: text('Full message.'),
  title: text('First line of the message.'),
  timestamp: time('Author time.'),
  url: text('Web URL of the commit.'),
  author: object(SystemHookEventPerson, 'Author as written in the commit.'),
  added: texts('Paths added.'),
  modified: texts('Paths modified.'),
  removed: texts('Paths removed.'),
}));

const SystemHookEventRefChange = nestedType(
  'SystemHookEventRefChange',
  'One ref a push changed; `before` is 40 zeros for a created ref, `after` for a deleted one.',
  () => ({
    before: text('SHA the ref pointed at before the push.'),
    after: text('SHA the ref points at after the push.'),
    ref: text('Full name of the ref, such as `refs/heads/main`.'),
  }),
);

const labelModel = (record: Json) =>
  record.type === 'ProjectLabel' || record.type === 'GroupLabel' ? record.type : 'Label';

const SystemHookEventLabel = nestedType('SystemHookEventLabel', 'A label of a merge request.', () => ({
  id: gid(
    labelModel,
    'The label, `gid://gitlab/ProjectLabel/<id>` or `gid://gitlab/GroupLabel/<id>` by its `type`.',
  ),
  title: text('Title.'),
  color: text('Background colour, `#rrggbb`.'),
  description: text('Description.'),
  type: text('`ProjectLabel` or `GroupLabel`.'),
  template: bool('Whether the label is a template.'),
  project_id: gid('Project', 'Project of a project label.'),
  group_id: gid('Group', 'Group of a group label.'),
  created_at: time('When the label was created.'),
  updated_at: time('When the label was last changed.'),
}));

const MergeRequestSystemHookEventAttributes = nestedType(
  'MergeRequestSystemHookEventAttributes',
  'The merge request of a merge request event, as it is after the change (`object_attributes`).',
  () => ({
    id: gid('MergeRequest', 'The merge request.'),
    iid: int('Number of the merge request within its target project.'),
    title: text('Title.'),
    description: text('Description.'),
    action: text(
      'What happened: `open`, `close`, `reopen`, `update`, `approved`, `unapproved`, `approval`, `unapproval` or `merge`.',
    ),
    state: text('State: `opened`, `closed`, `merged` or `locked`.'),
    state_id: int('State as a number.'),
    source_branch: text('Source branch.'),
    target_branch: text('Target branch.'),
    source_project_id: gid('Project', 'Source project.'),
    target_project_id: gid('Project', 'Target project.'),
    author_id: gid('User', 'Author.'),
    assignee_id: gid('User', 'First assignee (deprecated by GitLab: use `assigneeIds`).'),
    assignee_ids: gids('User', 'Assignees.'),
    reviewer_ids: gids('User', 'Reviewers.'),
    milestone_id: gid('Milestone', 'Milestone, if any.'),
    merge_status: text('Mergeability (deprecated by GitLab: use `detailedMergeStatus`).'),
    detailed_merge_status: text('Mergeability, in detail.'),
    draft: bool('Whether the merge request is a draft.'),
    work_in_progress: bool('Whether the merge request is a draft (deprecated by GitLab: use `draft`).'),
    first_contribution: bool("Whether this is the author's first contribution to the project."),
    url: text('Web URL of the merge request.'),
    oldrev: text('Previous head SHA of the source branch, sent only when code changed.'),
    created_at: time('When the merge request was created.'),
    updated_at: time('When the merge request was last changed.'),
    prepared_at: time('When GitLab finished preparing the merge request (diffs, pipelines).'),
    source: object(SystemHookEventProject, 'Source project.'),
    target: object(SystemHookEventProject, 'Target project.'),
    last_commit: object(SystemHookEventCommit, 'Head commit of the source branch.'),
    assignee: object(SystemHookEventUser, 'First assignee (deprecated by GitLab).'),
  }),
);

const MemberApprovalSystemHookEventAttributes = nestedType(
  'MemberApprovalSystemHookEventAttributes',
  'What a member approval event is about (`object_attributes`); which fields are set depends on `action`.',
  () => ({
    new_access_level: int('Requested access level (10 Guest … 50 Owner); queued promotions.'),
    old_access_level: int('Access level before the promotion; queued promotions.'),
    existing_member_id: gid('Member', 'Membership to promote; queued promotions.'),
    status: text('Outcome of an approval or denial: `success` or `failed`.'),
    promotion_request_ids_that_failed_to_apply: ints(
      'Promotion requests that could not be applied; approvals.',
    ),
  }),
);

// The interface.

type EnumValues = Record<SystemHookEventTypeValue, { value: SystemHookEventTypeValue; description: string }>;

const eventTypeValues = {
  ...Object.fromEntries(
    SYSTEM_HOOK_EVENTS.map((info) => [
      info.type,
      {
        value: info.type,
        description: `${info.description} (\`${info.name}\`) ${deliverySentence(info.family)}`,
      },
    ]),
  ),
  UNKNOWN: {
    value: 'UNKNOWN',
    description:
      'An event this gateway does not know, such as one a newer GitLab added; delivered as it came.',
  },
} as EnumValues;

export const SystemHookEventType = builder.enumType('SystemHookEventType', {
  description:
    "The type of a system hook event: GitLab's `event_name` (or `object_kind`) in UPPER_SNAKE, `UNKNOWN` for a " +
    'name this gateway does not know.',
  values: eventTypeValues,
});

export const WebhookVerification = builder.enumType('WebhookVerification', {
  description: 'How the receiver authenticated a delivery.',
  values: {
    TOKEN: {
      value: 'TOKEN',
      description: 'Its `X-Gitlab-Token` matched one of the configured secret tokens.',
    },
    SIGNATURE: {
      value: 'SIGNATURE',
      description: 'Its Standard Webhooks signature (`webhook-signature`, GitLab 19.0+) verified.',
    },
  } as const,
});

const TYPE_NAMES = {
  project: 'ProjectSystemHookEvent',
  group: 'GroupSystemHookEvent',
  user: 'UserSystemHookEvent',
  key: 'KeySystemHookEvent',
  projectMember: 'ProjectMemberSystemHookEvent',
  groupMember: 'GroupMemberSystemHookEvent',
  push: 'PushSystemHookEvent',
  tagPush: 'TagPushSystemHookEvent',
  repositoryUpdate: 'RepositoryUpdateSystemHookEvent',
  mergeRequest: 'MergeRequestSystemHookEvent',
  memberApproval: 'MemberApprovalSystemHookEvent',
  unknown: 'UnknownSystemHookEvent',
} as const satisfies Record<SystemHookEventFamily, string>;

const PAYLOAD_RULE =
  'Typed fields are read from `payload`: null when the payload lacks them (an older GitLab) or holds a value of ' +
  'another JSON type. Times are returned in UTC, whether GitLab wrote ISO 8601 or its older ' +
  '`YYYY-MM-DD HH:MM:SS UTC`.';

export const SystemHookEvent = builder.interfaceRef<SystemHookEventSource>('SystemHookEvent').implement({
  description:
    'A system hook delivery that the gateway received, verified and kept. One implementation per family of ' +
    `events; \`UnknownSystemHookEvent\` for a name this gateway does not know. ${PAYLOAD_RULE}`,
  resolveType: (event) => TYPE_NAMES[systemHookEventFamily(systemHookEventType(event.payload))],
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: 'Position of the event in the retained stream: pass it as `after` to resume after it.',
    }),
    type: t.field({
      type: SystemHookEventType,
      description:
        'The type of the event, from `eventName`; `UNKNOWN` for a name this gateway does not know.',
      resolve: (event) => systemHookEventType(event.payload),
    }),
    eventName: t.exposeString('eventName', {
      description: "GitLab's `event_name`, else its `object_kind`, as sent.",
    }),
    deliveryId: t.exposeString('deliveryId', {
      description:
        'Identity of the delivery: its `webhook-id`, else its `Idempotency-Key` (GitLab 17.4+). Without either, ' +
        '`attempt-sha256:` and a hash of its `X-Gitlab-Webhook-UUID` and body (the same HTTP attempt received ' +
        'twice), else `unidentified:` and a random UUID. A delivery received twice is published once.',
    }),
    receivedAt: t.field({
      type: 'DateTime',
      description: 'When the receiver accepted the delivery.',
      resolve: (event) => event.receivedAt,
    }),
    verifiedBy: t.field({
      type: WebhookVerification,
      description: 'How the delivery was authenticated.',
      resolve: (event) => event.verifiedBy,
    }),
    instance: t.exposeString('instance', {
      nullable: true,
      description: 'The sending GitLab instance (`X-Gitlab-Instance`); null when not sent.',
    }),
    gitlabVersion: t.exposeString('gitlabVersion', {
      nullable: true,
      description: "GitLab's version, from the delivery's `User-Agent`; null when not sent.",
    }),
    payload: t.field({
      type: 'JSONObject',
      description: 'The whole body of the delivery, as GitLab sent it, typed fields or not.',
      resolve: (event) => event.payload,
    }),
  }),
});

/** An implementation of `SystemHookEvent` whose fields are read from the payload. */
function eventType(family: SystemHookEventFamily, description: string, spec: PayloadFields) {
  return builder.objectRef<SystemHookEventSource>(TYPE_NAMES[family]).implement({
    description,
    interfaces: [SystemHookEvent],
    fields: (t) => payloadFields(t, (event) => event.payload, spec),
  });
}

/** What a family's type says: its events, which hooks get them, how fields are read. */
function familyDescription(family: KnownSystemHookEventFamily, subject: string): string {
  const types = eventsOfFamily(family)
    .map((info) => `\`${info.type}\``)
    .join(', ');
  return `${subject}: ${types}. ${deliverySentence(family)} ${PAYLOAD_RULE}`;
}

const modelTimes = (model: string): PayloadFields => ({
  created_at: time(`When the ${model} was created (the record's time, not the event's).`),
  updated_at: time(`When the ${model} was last changed (the record's time, not the event's).`),
});

const memberFields: PayloadFields = {
  ...modelTimes('membership'),
  user_id: gid('User', 'The member.'),
  user_username: text('Username of the member.'),
  user_name: text('Name of the member.'),
  user_email: text("Member's public e-mail address; `[REDACTED]` when they have none."),
};

const pusherFields: PayloadFields = {
  user_id: gid('User', 'Who pushed.'),
  user_name: text('Name of who pushed.'),
  user_avatar: text('Avatar URL of who pushed.'),
  project_id: gid('Project', 'The project pushed to.'),
  project: object(SystemHookEventProject, 'The project pushed to.'),
};

const pushFields: PayloadFields = {
  ...pusherFields,
  user_username: text('Username of who pushed.'),
  user_email: text('Public e-mail address of who pushed; null or empty when they have none.'),
  before: text('SHA the ref pointed at before the push; 40 zeros when the ref was created.'),
  after: text('SHA the ref points at after the push; 40 zeros when the ref was deleted.'),
  ref: text('Full name of the ref, such as `refs/heads/main` or `refs/tags/v1.0`.'),
  ref_protected: bool('Whether the ref is protected.'),
  checkout_sha: text('SHA of the commit the ref now names; null when the ref was deleted.'),
  message: text('Message of an annotated tag; null otherwise.'),
  commits: objects(
    SystemHookEventCommit,
    'The newest commits pushed, at most 20 (some GitLab versions send none to system hooks).',
  ),
  total_commits_count: int('Number of commits pushed, including those not in `commits`.'),
  push_options: json('Push options (`git push -o`); empty when none were given.'),
  repository: object(SystemHookEventRepository, 'The repository (deprecated by GitLab: use `project`).'),
};

const family = (name: KnownSystemHookEventFamily, subject: string, spec: PayloadFields) =>
  eventType(name, familyDescription(name, subject), spec);

family('project', 'A project was created, deleted, renamed, transferred or changed', {
  ...modelTimes('project'),
  project_id: gid('Project', 'The project.'),
  name: text('Name of the project.'),
  path: text('Path of the project within its namespace.'),
  path_with_namespace: text('Full path of the project.'),
  project_namespace_id: gid('Namespace', 'The namespace (user or group) the project belongs to.'),
  project_visibility: text('Visibility: `private`, `internal` or `public`.'),
  owners: objects(SystemHookEventPerson, 'Owners of the project, e-mails usually `[REDACTED]`.'),
  owner_name: text(
    "Owner's name, the group's name for a group's project (deprecated by GitLab: use `owners`).",
  ),
  owner_email: text("Owner's e-mail, empty for a group's project (deprecated by GitLab: use `owners`)."),
  old_path_with_namespace: text('Full path before the change; renames and transfers only.'),
});

family('group', 'A group was created, removed or renamed', {
  ...modelTimes('group'),
  group_id: gid('Group', 'The group.'),
  name: text('Name of the group.'),
  path: text('Path of the group.'),
  full_path: text('Full path of the group, with its parents.'),
  old_path: text('Path before the rename; renames only.'),
  old_full_path: text('Full path before the rename; renames only.'),
});

family('user', 'A user account was created, deleted or renamed, or a blocked user tried to sign in', {
  ...modelTimes('user'),
  user_id: gid('User', 'The user.'),
  name: text('Name of the user.'),
  username: text('Username.'),
  email: text('Primary e-mail address of the user.'),
  old_username: text('Username before the rename; renames only.'),
  state: text('State of the account (`blocked`, `ldap_blocked`); failed logins only.'),
});

family('key', 'An SSH key was added or removed', {
  ...modelTimes('key'),
  id: gid('Key', "The key (the payload's `id`; named `keyId` because the event is not the key).", 'keyId'),
  key: text('The public key.'),
  username: text('Username of the owner; null for a key that belongs to no user.'),
});

family('projectMember', "A project's membership changed or was requested", {
  ...memberFields,
  project_id: gid('Project', 'The project.'),
  project_name: text('Name of the project.'),
  project_path: text('Path of the project.'),
  project_path_with_namespace: text('Full path of the project.'),
  project_visibility: text('Visibility of the project: `private`, `internal` or `public`.'),
  access_level: text(
    'Role, as GitLab names it: `Guest`, `Reporter`, `Developer`, `Maintainer`, `Owner`, ...',
  ),
});

family('groupMember', "A group's membership changed or was requested", {
  ...memberFields,
  group_id: gid('Group', 'The group.'),
  group_name: text('Name of the group.'),
  group_path: text('Path of the group.'),
  group_access: text(
    'Role, as GitLab names it: `Guest`, `Reporter`, `Developer`, `Maintainer`, `Owner`, ...',
  ),
  expires_at: time('When the membership expires; null when it does not.'),
});

family('push', 'Commits were pushed to a branch', pushFields);
family('tagPush', 'A tag was pushed or deleted', pushFields);

family('repositoryUpdate', 'A push changed a repository', {
  ...pusherFields,
  user_email: text('Primary e-mail address of who pushed.'),
  changes: objects(SystemHookEventRefChange, 'Every ref the push changed.'),
  refs: texts('Full names of the refs the push changed.'),
});

family('mergeRequest', 'A merge request changed', {
  event_type: text('`merge_request`.'),
  user: object(SystemHookEventUser, 'Who made the change.'),
  project: object(SystemHookEventProject, 'The target project.'),
  repository: object(
    SystemHookEventRepository,
    'The target repository (deprecated by GitLab: use `project`).',
  ),
  object_attributes: object(MergeRequestSystemHookEventAttributes, 'The merge request.'),
  labels: objects(SystemHookEventLabel, 'Labels of the merge request.'),
  assignees: objects(SystemHookEventUser, 'Assignees.'),
  reviewers: objects(SystemHookEventUser, 'Reviewers.'),
  changes: json(
    'What changed, `{ <attribute>: { previous, current } }` as GitLab sent it; may be empty. Values keep ' +
      "GitLab's formats.",
  ),
});

family('memberApproval', 'A role promotion was queued, approved or denied', {
  action: text('`enqueue` (queued for approval), `approve` or `deny`.'),
  object_attributes: object(MemberApprovalSystemHookEventAttributes, 'What the event is about.'),
  user_id: gid('User', 'The user whose role is promoted.'),
  requested_by_user_id: gid('User', 'Who requested the promotion; queued promotions.'),
  reviewed_by_user_id: gid(
    'User',
    'The administrator who approved or denied; null when GitLab did it itself.',
  ),
  promotion_namespace_id: gid('Namespace', 'Where the promotion applies; queued promotions.'),
  created_at: time('When the request was queued.'),
  updated_at: time('When the request last changed.'),
});

eventType(
  'unknown',
  'An event whose `eventName` this gateway does not know (type `UNKNOWN`), such as one a newer GitLab added, or ' +
    'a body with neither `event_name` nor `object_kind`. Delivered, never rejected: read it from `payload`.',
  {},
);

// The subscription.

type EventSource = NonNullable<GatewayContext['events']>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The source's events, with a signal that aborts as soon as the subscriber leaves. The source filters by type
 * itself (before an unwanted event costs anything); this only passes its events on. `return()` aborts at once,
 * also while the source waits for an event that may never come, so an idle subscription a client closes
 * releases what it holds.
 */
async function untilSubscriberLeaves(
  source: EventSource,
  args: { types: readonly string[] | null; after: string | null },
): Promise<AsyncIterableIterator<SystemHookEventSource>> {
  const left = new AbortController();
  const events = (await source.subscribe(args, left.signal))[Symbol.asyncIterator]();
  const leave = async (): Promise<IteratorResult<SystemHookEventSource>> => {
    left.abort();
    return (await events.return?.()) ?? DONE;
  };
  const stream: AsyncIterableIterator<SystemHookEventSource> = {
    [Symbol.asyncIterator]: () => stream,
    next: () => events.next(),
    return: leave,
    async throw(error) {
      await leave();
      throw error;
    },
  };
  return stream;
}

builder.subscriptionType({
  description:
    'Watch events as they happen. Subscriptions are served over SSE and over WebSocket on `/graphql`.',
});

builder.subscriptionField('systemHookEventReceived', (t) =>
  t.field({
    type: SystemHookEvent,
    nullable: true,
    description:
      "Each system hook delivery that the gateway's receiver (`POST /webhooks/system-hooks`) accepts, typed by " +
      'event. Administrators only (events carry e-mail addresses): `UNAUTHENTICATED` or `FORBIDDEN` otherwise, ' +
      'also when a credential stops working mid-stream, and `EVENT_CREDENTIAL_UNCONFIRMED` when GitLab could not ' +
      'confirm it for longer than `EVENT_AUTH_MAX_STALENESS_SECONDS`. `SUBSCRIPTION_LIMIT_EXCEEDED` past ' +
      '`MAX_SUBSCRIPTIONS_PER_CREDENTIAL` or `MAX_SUBSCRIPTIONS`. Over SSE and over WebSocket (`graphql-transport-ws`), ' +
      'both on `/graphql`. Resumable: pass the last `cursor` received as `after` to replay the retained events ' +
      'after it, then continue live; a cursor no longer retained fails with `EVENT_CURSOR_EXPIRED`. ' +
      '`EVENTS_DISABLED` when this gateway receives no system hook deliveries.',
    args: {
      types: t.arg({
        type: [SystemHookEventType],
        description: 'Only events of these types; null or empty for all.',
      }),
      after: t.arg.string({
        description: 'Resume after this `cursor`: retained events after it are replayed first.',
      }),
    },
    subscribe: (_root, args, ctx) => {
      if (!ctx.events) {
        throw gatewayError('EVENTS_DISABLED', 'System hook events are not enabled on this gateway');
      }
      const types: readonly string[] | null = args.types?.length ? args.types : null;
      return untilSubscriberLeaves(ctx.events, { types, after: args.after ?? null });
    },
    resolve: (event) => event,
  }),
);
