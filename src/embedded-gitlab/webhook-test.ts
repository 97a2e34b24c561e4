/**
 * `Hooks::TriggerTest` of project and group hooks (`POST …/hooks/:hook_id/test/:trigger`, gitlab-webhooks-api
 * §1.3): the trigger must be one of `ProjectHook.triggers`, for group hooks too; the rest (rate limit, sample
 * data, forced delivery, answer) is `WebHookDeliveries#test`.
 */
import { atLeast } from './gitlab-version.ts';
import type { HookTestEndpoint } from './hook-scope.ts';
import type { RouteContext } from './routes.ts';
import { triggeringEventUuid } from './system-hook-events.ts';
import { type EventFlag, isTestTrigger } from './webhook-triggers.ts';

/**
 * Whether `ProjectHook.triggers` of the version played has the trigger: a flag newer than the version (such as
 * 18.10's `resource_deploy_token_events`) is not one of its values.
 */
function knownTrigger(trigger: string, context: RouteContext): trigger is EventFlag {
  if (!isTestTrigger(trigger)) return false;
  const projectHooks = [...context.stores.keys()].find((scope) => scope.model === 'ProjectHook');
  const since = projectHooks?.attributes.find((attribute) => attribute.param === trigger)?.since;
  return since === undefined || atLeast(context.version, since);
}

/** The test endpoint of the project or group hook scope. */
export function webhookTestEndpoint(parent: 'project' | 'group'): HookTestEndpoint {
  return {
    path: 'test/:trigger',
    declare(path, errors, context) {
      if (!knownTrigger(path.trigger ?? '', context)) errors.add('trigger does not have a valid value');
    },
    handle(hook, request, context, path, caller) {
      const trigger = path.trigger ?? '';
      // `declare` has run: an invalid trigger never gets here.
      if (!knownTrigger(trigger, context)) throw new TypeError('trigger was not declared');
      const eventUuid = triggeringEventUuid(request.headers);
      return context.webhooks.test(hook, parent, trigger, caller.userId, eventUuid);
    },
  };
}
