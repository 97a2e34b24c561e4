import { SYSTEM_HOOKS, type SystemHookTypes } from '../../upstream/hook-scope.ts';
import { isHookUnder } from './hook-fields.ts';
import { defineHookResource, type HookResource } from './hook-resource.ts';
import { Webhook } from './webhook.ts';

/**
 * System hooks in the schema. Each scope is a value like this one, over its upstream scope, and one
 * `defineHookResource` call (`project-hook.ts`, `group-hook.ts`).
 */
export const SYSTEM_HOOK_RESOURCE: HookResource<SystemHookTypes> = {
  scope: SYSTEM_HOOKS,
  collectionOf: (ctx) => ctx.hooks(SYSTEM_HOOKS),
  rootQueries: true,
  description: 'An instance-wide webhook (system hook) that GitLab calls on system events.',
  descriptions: {
    disabledUntil: 'End of a temporary disablement; null for system hooks, which are never disabled.',
    customWebhookTemplate: 'Custom payload template; not settable through the system hooks API.',
  },
  // GitLab's entity has it for system hooks only (`if: ->(hook) { hook.is_a?(SystemHook) }`).
  fields: (t) => ({
    organizationId: t.int({
      nullable: true,
      description: 'Organization the hook was created in (GitLab 18+).',
      resolve: (h) => h.organization_id ?? null,
    }),
  }),
  isTypeOf: (value) => isHookUnder(value, undefined),
  test: {
    description: 'Makes GitLab deliver a sample event to a system hook now.',
    args: () => [],
    payloadFields: (t) => ({
      mockData: t.field({
        type: 'JSONObject',
        description:
          'The sample `project_create` event GitLab delivered to the hook. GitLab answers with this mock data ' +
          'whether or not the receiver accepted the delivery: it says nothing about the receiver.',
        resolve: (result) => (result.testAnswer as Record<string, unknown> | null | undefined) ?? {},
      }),
    }),
  },
};

export const SystemHook = defineHookResource(SYSTEM_HOOK_RESOURCE, Webhook);
