/**
 * The `SystemHookEvent` interface, its two enums, and how an implementation is made: one object type per family
 * of events, its fields read from the payload (`event-families.ts` defines them).
 */
import {
  deliverySentence,
  SYSTEM_HOOK_EVENTS,
  type SystemHookEventFamily,
  type SystemHookEventType as SystemHookEventTypeValue,
  systemHookEventFamily,
  systemHookEventType,
} from '../../../events/catalogue.ts';
import type { SystemHookEventSource } from '../../../events/types.ts';
import { builder } from '../builder.ts';
import { type PayloadFields, payloadFields } from './payload-fields.ts';

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

export const PAYLOAD_RULE =
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

/** Implements `SystemHookEvent` for one family: an object type whose fields are read from the payload. */
export function implementEventType(family: SystemHookEventFamily, description: string, spec: PayloadFields) {
  return builder.objectRef<SystemHookEventSource>(TYPE_NAMES[family]).implement({
    description,
    interfaces: [SystemHookEvent],
    fields: (t) => payloadFields(t, (event) => event.payload, spec),
  });
}
