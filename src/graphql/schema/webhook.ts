import type { HookDto } from '../../upstream/types.ts';
import { builder } from './builder.ts';
import { encodeGlobalId } from './global-id.ts';
import { baseHookFields } from './hook-fields.ts';

/**
 * `Webhook`: what every hook has, whatever its scope (GitLab's `Types::WebHooks::HookType`, the base of its
 * `ProjectHook` and `GroupHook`). Each hook type declares these fields itself, with its scope's descriptions;
 * the interface's own resolvers serve only as its declaration.
 */
export const Webhook = builder.interfaceRef<HookDto>('Webhook').implement({
  description:
    'A webhook of any scope: a system hook (instance-wide), a project hook or a group hook. Secrets (the token, ' +
    'URL-variable values and custom-header values) can be written but are never returned.',
  fields: (t) =>
    baseHookFields(t, {
      idForm: 'gid://gitlab/<SystemHook|ProjectHook|GroupHook>/<id>',
      globalId: (hook) => {
        if ('project_id' in hook)
          return encodeGlobalId('ProjectHook', hook.id, { project_id: Number(hook.project_id) });
        if ('group_id' in hook)
          return encodeGlobalId('GroupHook', hook.id, { group_id: Number(hook.group_id) });
        return encodeGlobalId('SystemHook', hook.id);
      },
      descriptions: {
        disabledUntil:
          'End of a temporary disablement after failed deliveries; null when the hook is not temporarily ' +
          'disabled (always for system hooks).',
        customWebhookTemplate: 'Custom payload template; null when GitLab sends its own payload.',
      },
    }),
});
