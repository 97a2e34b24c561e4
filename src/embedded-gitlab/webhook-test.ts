/**
 * `Hooks::TriggerTest` of project and group hooks (`POST …/hooks/:hook_id/test/:trigger`, gitlab-webhooks-api
 * §1.3): the trigger must be one of `ProjectHook.triggers`, for group hooks too; the rest (rate limit, sample
 * data, forced delivery, answer) is `WebHookDeliveries#test`.
 */
import type { HookTestEndpoint } from './hook-scope.ts';
import { triggeringEventUuid } from './system-hook-events.ts';
import { isTestTrigger } from './webhook-triggers.ts';

/** The test endpoint of the project or group hook scope. */
export function webhookTestEndpoint(parent: 'project' | 'group'): HookTestEndpoint {
  return {
    path: 'test/:trigger',
    declare(path, errors) {
      if (!isTestTrigger(path.trigger ?? '')) errors.add('trigger does not have a valid value');
    },
    handle(hook, request, context, path, caller) {
      const trigger = path.trigger ?? '';
      // `declare` has run: an invalid trigger never gets here.
      if (!isTestTrigger(trigger)) throw new TypeError('trigger was not declared');
      const eventUuid = triggeringEventUuid(request.headers);
      return context.webhooks.test(hook, parent, trigger, caller.userId, eventUuid);
    },
  };
}
