import { GROUP_SCOPE } from './group-hook.ts';
import { defineKeyedSecretMutations, KEYED_SECRETS } from './hook-key-mutations.ts';
import type { HookResource } from './hook-resource.ts';
import { PROJECT_SCOPE } from './project-hook.ts';
import { SYSTEM_HOOK_RESOURCE, SystemHook } from './system-hook.ts';
import { Webhook } from './webhook.ts';
import { defineWebhookEventRoots } from './webhook-event.ts';

/**
 * What spans the scopes: the URL-variable and custom-header mutations, which take any hook's ID, and the
 * delivery log's `node` and `resendWebhookEvent`, which take any logged delivery's.
 */
for (const secret of KEYED_SECRETS) {
  defineKeyedSecretMutations(
    {
      // Each resource is taken as any scope's: the mutations read only what every scope has.
      resources: [SYSTEM_HOOK_RESOURCE, PROJECT_SCOPE.resource, GROUP_SCOPE.resource] as unknown as [
        HookResource,
        ...HookResource[],
      ],
      first: SystemHook,
      webhook: Webhook,
    },
    secret,
  );
}

defineWebhookEventRoots([PROJECT_SCOPE.resource, GROUP_SCOPE.resource] as unknown as HookResource[]);
