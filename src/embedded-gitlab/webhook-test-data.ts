/**
 * The sample data of `POST …/hooks/:hook_id/test/:trigger` (`TestHooks::ProjectService`,
 * `Integrations::ProjectTestData`, gitlab-webhooks-api §1.3): GitLab builds it from the project's newest
 * records, and answers 422 with its message when the project has none. This server's projects have a repository
 * (so push samples always exist) and have the records that events fired at them through the control path left
 * (the newest issue, note, merge request, job, pipeline, wiki page and release); nothing else.
 */
import { type PayloadContext, type PayloadProject, projectSample } from './webhook-payloads.ts';
import type { EventFlag } from './webhook-triggers.ts';

type Payload = Record<string, unknown>;

/** The kinds of record a test draws on, and the fired event names that leave one. */
export const RECORD_KINDS = {
  issue: ['issue', 'confidential_issue'],
  note: ['note_commit', 'note_merge_request', 'note_issue', 'note_snippet', 'confidential_note'],
  merge_request: ['merge_request'],
  job: ['job'],
  pipeline: ['pipeline'],
  wiki_page: ['wiki_page'],
  release: ['release'],
} as const;

export type RecordKind = keyof typeof RECORD_KINDS;

/** The record kind a fired event leaves, if any. */
export function recordKindOf(eventName: string): RecordKind | undefined {
  return (Object.keys(RECORD_KINDS) as RecordKind[]).find((kind) =>
    (RECORD_KINDS[kind] as readonly string[]).includes(eventName),
  );
}

/** The newest payload of each kind of record per project. */
export class ProjectRecords {
  readonly #latest = new Map<string, Payload>();

  remember(projectId: number, kind: RecordKind, payload: Payload): void {
    this.#latest.set(`${projectId}:${kind}`, payload);
  }

  latest(projectId: number, kind: RecordKind): Payload | undefined {
    const payload = this.#latest.get(`${projectId}:${kind}`);
    return payload === undefined ? undefined : structuredClone(payload);
  }
}

export type TestData = { data: Payload } | { error: string };

const NOT_AVAILABLE = 'Testing not available for this hook';

/** A record's hook data with the action a test gives it (`issue.to_hook_data(user, action: 'open')`). */
function withAction(payload: Payload, action: string, where: 'object_attributes' | 'top'): Payload {
  if (where === 'top') return { ...payload, action };
  const attributes = payload.object_attributes;
  if (typeof attributes !== 'object' || attributes === null) return payload;
  return { ...payload, object_attributes: { ...attributes, action } };
}

interface RecordTest {
  kind: RecordKind;
  missing: string;
  shape?: (payload: Payload) => Payload;
}

/** The triggers whose data is the project's newest record of a kind, and GitLab's message when it has none. */
const RECORD_TESTS: Partial<Record<EventFlag, RecordTest>> = {
  note_events: { kind: 'note', missing: 'Ensure the project has notes.' },
  issues_events: {
    kind: 'issue',
    missing: 'Ensure the project has issues.',
    shape: (p) => withAction(p, 'open', 'object_attributes'),
  },
  confidential_issues_events: {
    kind: 'issue',
    missing: 'Ensure the project has issues.',
    shape: (p) => withAction(p, 'open', 'object_attributes'),
  },
  merge_requests_events: {
    kind: 'merge_request',
    missing: 'Ensure the project has merge requests.',
    shape: (p) => withAction(p, 'open', 'object_attributes'),
  },
  job_events: { kind: 'job', missing: 'Ensure the project has CI jobs.' },
  pipeline_events: { kind: 'pipeline', missing: 'Ensure the project has CI pipelines.' },
  wiki_page_events: { kind: 'wiki_page', missing: 'Ensure the wiki is enabled and has pages.' },
  releases_events: {
    kind: 'release',
    missing: 'Ensure the project has releases.',
    shape: (p) => withAction(p, 'create', 'top'),
  },
};

/** `Gitlab::DataBuilder::Push.build_sample`: the default branch's newest commits, or a tag of it. */
function pushSample(
  project: PayloadProject,
  context: Omit<PayloadContext, 'subject'>,
  tag: boolean,
): Payload {
  const data = projectSample(tag ? 'tag_push' : 'push', project, context);
  if (!tag) data.ref = `refs/heads/${project.defaultBranch}`;
  return data;
}

/** The synthetic `pat_for_webhook_event` token, expiring in two days. */
function accessTokenSample(project: PayloadProject, context: Omit<PayloadContext, 'subject'>): Payload {
  const data = projectSample('resource_access_token_project', project, context);
  const created = new Date(context.now)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
  data.object_attributes = {
    user_id: context.user.id,
    created_at: created,
    id: 1,
    name: 'pat_for_webhook_event',
    expires_at: new Date(context.now + 2 * 86_400_000).toISOString().slice(0, 10),
    last_used_at: null,
  };
  return data;
}

/**
 * The data a test of `trigger` sends for `project`, or GitLab's message when there is none. `records` are the
 * project's newest records.
 */
export function testDataFor(
  trigger: EventFlag,
  project: PayloadProject,
  records: ProjectRecords,
  context: Omit<PayloadContext, 'subject'>,
): TestData {
  const recordTest = RECORD_TESTS[trigger];
  if (recordTest !== undefined) {
    const record = records.latest(project.id, recordTest.kind);
    if (record === undefined) return { error: recordTest.missing };
    return { data: recordTest.shape ? recordTest.shape(record) : record };
  }
  switch (trigger) {
    case 'push_events':
      return { data: pushSample(project, context, false) };
    case 'tag_push_events':
      return { data: pushSample(project, context, true) };
    case 'emoji_events': {
      // A synthetic thumbs-up on the newest note.
      if (records.latest(project.id, 'note') === undefined) return { error: 'Ensure the project has notes.' };
      return { data: projectSample('emoji', project, context) };
    }
    case 'resource_access_token_events':
      return { data: accessTokenSample(project, context) };
    case 'vulnerability_events':
      return { data: projectSample('vulnerability', project, context) };
    default:
      // `confidential_note_events`, `deployment_events`, `feature_flag_events`, and the newer
      // `milestone_events` and `resource_deploy_token_events`, whose test data GitLab's code read has none of.
      return { error: NOT_AVAILABLE };
  }
}
