/**
 * GitLab's system hook events: every `event_name` (or `object_kind`) the gateway knows, the family whose payload
 * shape it has, and the hook setting that makes GitLab send it. One table; the GraphQL enum, the family of each
 * type and the descriptions are all derived from it. No GraphQL here: the receiver and the embedded GitLab can use
 * it too.
 */

/** A hook's REST setting that selects a family of events; `null`: sent to every system hook. */
export type HookSetting =
  | 'push_events'
  | 'tag_push_events'
  | 'merge_requests_events'
  | 'repository_update_events'
  | 'member_approval_events';

interface FamilyEntry {
  /** The setting a hook needs to receive these events; `null` for lifecycle events, which every hook receives. */
  readonly hookSetting: HookSetting | null;
  /** What the family is about, as a noun phrase. */
  readonly subject: string;
  /** Each `event_name` (or `object_kind`) of the family and what happened, as one sentence. */
  readonly events: Readonly<Record<string, string>>;
}

/** The catalogue (docs/gitlab-events-contract.md §1.1). */
export const SYSTEM_HOOK_EVENT_FAMILIES = {
  project: {
    hookSetting: null,
    subject: 'A project lifecycle event',
    events: {
      project_create: 'A project was created.',
      project_destroy: 'A project was deleted.',
      project_rename: 'A project was renamed: its path or name changed within its namespace.',
      project_transfer: 'A project was moved to another namespace.',
      project_update: 'A project was changed, other than in its path.',
    },
  },
  group: {
    hookSetting: null,
    subject: 'A group lifecycle event',
    events: {
      group_create: 'A group was created.',
      group_destroy: 'A group was removed.',
      group_rename: 'A group was renamed: its path or name changed.',
    },
  },
  user: {
    hookSetting: null,
    subject: 'A user account event',
    events: {
      user_create: 'A user account was created.',
      user_destroy: 'A user account was deleted.',
      user_rename: 'A user changed their username.',
      user_failed_login: 'A blocked user tried to sign in.',
    },
  },
  key: {
    hookSetting: null,
    subject: 'An SSH key event',
    events: {
      key_create: 'An SSH key was added.',
      key_destroy: 'An SSH key was removed.',
    },
  },
  projectMember: {
    hookSetting: null,
    subject: 'A project membership event',
    events: {
      user_add_to_team: 'A user was added to a project.',
      user_remove_from_team: 'A user was removed from a project.',
      user_update_for_team: "A project member's role changed.",
      user_access_request_to_project: 'A user requested access to a project.',
      user_access_request_revoked_for_project: 'A request for access to a project was withdrawn or denied.',
    },
  },
  groupMember: {
    hookSetting: null,
    subject: 'A group membership event',
    events: {
      user_add_to_group: 'A user was added to a group.',
      user_remove_from_group: 'A user was removed from a group.',
      user_update_for_group: "A group member's role changed.",
      user_access_request_to_group: 'A user requested access to a group.',
      user_access_request_revoked_for_group: 'A request for access to a group was withdrawn or denied.',
    },
  },
  push: {
    hookSetting: 'push_events',
    subject: 'A branch push',
    events: {
      push: 'Commits were pushed to a branch, or a branch was created or deleted; one event per branch.',
    },
  },
  tagPush: {
    hookSetting: 'tag_push_events',
    subject: 'A tag push',
    events: { tag_push: 'A tag was created or deleted; one event per tag.' },
  },
  repositoryUpdate: {
    hookSetting: 'repository_update_events',
    subject: 'A repository update',
    events: {
      repository_update: 'A push changed a repository; one event per push, branches and tags together.',
    },
  },
  mergeRequest: {
    hookSetting: 'merge_requests_events',
    subject: 'A merge request event',
    events: {
      merge_request:
        'A merge request was opened, changed, approved, merged, closed or reopened, or its source branch got a commit.',
    },
  },
  memberApproval: {
    hookSetting: 'member_approval_events',
    subject: 'A member approval event (GitLab EE, administrator approval of role promotions)',
    events: {
      gitlab_subscription_member_approval: 'A role promotion was queued for an administrator to approve.',
      gitlab_subscription_member_approvals: 'An administrator approved or denied queued role promotions.',
    },
  },
} as const satisfies Record<string, FamilyEntry>;

type Families = typeof SYSTEM_HOOK_EVENT_FAMILIES;

/** A family of known events: events of one family share one payload shape. */
export type KnownSystemHookEventFamily = keyof Families;
/** The family of an event, `unknown` for a name the catalogue does not have. */
export type SystemHookEventFamily = KnownSystemHookEventFamily | 'unknown';
/** A known `event_name` / `object_kind`. */
export type SystemHookEventName = {
  [F in KnownSystemHookEventFamily]: keyof Families[F]['events'];
}[KnownSystemHookEventFamily];
/** The GraphQL enum value of an event: its name in UPPER_SNAKE, or `UNKNOWN`. */
export type SystemHookEventType = Uppercase<SystemHookEventName> | 'UNKNOWN';

/** One known event, as the table states it. */
export interface SystemHookEventInfo {
  readonly name: SystemHookEventName;
  readonly type: Exclude<SystemHookEventType, 'UNKNOWN'>;
  readonly family: KnownSystemHookEventFamily;
  readonly hookSetting: HookSetting | null;
  readonly description: string;
}

/** Every known event, in the table's order. */
export const SYSTEM_HOOK_EVENTS: readonly SystemHookEventInfo[] = Object.entries(
  SYSTEM_HOOK_EVENT_FAMILIES,
).flatMap(([family, entry]: [string, FamilyEntry]) =>
  Object.entries(entry.events).map(([name, description]) => ({
    name: name as SystemHookEventName,
    type: name.toUpperCase() as Exclude<SystemHookEventType, 'UNKNOWN'>,
    family: family as KnownSystemHookEventFamily,
    hookSetting: entry.hookSetting,
    description,
  })),
);

// Maps, not objects: a payload chooses the name, and `constructor` or `__proto__` must not find anything.
const BY_NAME: ReadonlyMap<string, SystemHookEventInfo> = new Map(
  SYSTEM_HOOK_EVENTS.map((info) => [info.name, info]),
);
const BY_TYPE: ReadonlyMap<string, SystemHookEventInfo> = new Map(
  SYSTEM_HOOK_EVENTS.map((info) => [info.type, info]),
);

/**
 * GitLab's discriminator, `event_name ?? object_kind` (`merge_request` and the member approval events have only
 * `object_kind`); `null` when that value is missing or not a string.
 */
export function eventNameOf(payload: Readonly<Record<string, unknown>>): string | null {
  const name = payload.event_name ?? payload.object_kind;
  return typeof name === 'string' ? name : null;
}

/** The known event a name denotes, or `undefined`. Names are case-sensitive, as GitLab writes them. */
export function systemHookEventInfo(name: string): SystemHookEventInfo | undefined {
  return BY_NAME.get(name);
}

/** The type of a payload: its known event's, or `UNKNOWN`. A new GitLab event is unknown, never an error. */
export function systemHookEventType(payload: Readonly<Record<string, unknown>>): SystemHookEventType {
  const name = eventNameOf(payload);
  return (name === null ? undefined : BY_NAME.get(name))?.type ?? 'UNKNOWN';
}

/** The family of a type; `unknown` for `UNKNOWN` (and any string that is not a known type). */
export function systemHookEventFamily(type: string): SystemHookEventFamily {
  return BY_TYPE.get(type)?.family ?? 'unknown';
}

/** The events of one family, in the table's order. */
export function eventsOfFamily(family: KnownSystemHookEventFamily): readonly SystemHookEventInfo[] {
  return SYSTEM_HOOK_EVENTS.filter((info) => info.family === family);
}

/** The REST setting and `SystemHook` field that select an event, and GitLab's default for it. */
const HOOK_SETTINGS: Readonly<
  Record<HookSetting, { field: string | null; defaultOn: boolean; enterpriseOnly: boolean }>
> = {
  push_events: { field: 'pushEvents', defaultOn: false, enterpriseOnly: false },
  tag_push_events: { field: 'tagPushEvents', defaultOn: false, enterpriseOnly: false },
  merge_requests_events: { field: 'mergeRequestsEvents', defaultOn: false, enterpriseOnly: false },
  repository_update_events: { field: 'repositoryUpdateEvents', defaultOn: true, enterpriseOnly: false },
  // Not among the settings GitLab documents for the system hooks REST API, so `SystemHook` has no field for it.
  member_approval_events: { field: null, defaultOn: false, enterpriseOnly: true },
};

/** Which hooks GitLab sends a family's events to, as one sentence for descriptions and docs. */
export function deliverySentence(family: KnownSystemHookEventFamily): string {
  const setting: HookSetting | null = SYSTEM_HOOK_EVENT_FAMILIES[family].hookSetting;
  if (setting === null) {
    return 'A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off.';
  }
  const { field, defaultOn, enterpriseOnly } = HOOK_SETTINGS[setting];
  const where = field === null ? '' : ` (\`${field}\` on \`SystemHook\`)`;
  return (
    `Sent only to hooks with \`${setting}\` enabled${where}${enterpriseOnly ? ' (GitLab EE)' : ''}; ` +
    `${defaultOn ? 'on' : 'off'} by default for a new hook.`
  );
}
