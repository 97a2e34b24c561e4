import type { HookScopeTypes } from '../../upstream/hook-scope.ts';
import { badUserInput } from '../errors.ts';
import type { RequestHooks } from '../loaders/hook-collections.ts';
import { builder } from './builder.ts';
import { parseHookId } from './global-id.ts';
import { restRoute } from './hook-names.ts';
import type { HookRef, HookResource } from './hook-resource.ts';
import {
  clientMutationIdField,
  hookIdField,
  hookPayload,
  relayClassicMutation,
  runMutation,
} from './mutation-helpers.ts';

/**
 * URL variables and custom headers are both secret key/value maps on a hook, each with a PUT and a DELETE
 * endpoint of the same shape in every scope; one definition makes their four mutations for a scope.
 */
export interface KeyedSecret {
  /** `UrlVariable` or `CustomHeader`, as in the mutation names. */
  typeName: string;
  /** What a user calls it, in descriptions. */
  noun: string;
  restPath: string;
  /** The PUT and DELETE endpoints, as methods of the bound API. */
  set: 'setUrlVariable' | 'setCustomHeader';
  remove: 'deleteUrlVariable' | 'deleteCustomHeader';
}

function checkKey(key: string, noun: string): string {
  // GitLab routes no empty path segment; without this the caller would get a confusing NOT_FOUND.
  if (key.length === 0) throw badUserInput(`The ${noun} key must not be empty`);
  return key;
}

/** Runs a change of a hook's secret; GitLab answers 204, so the hook is read only if the payload selects it. */
function changeSecret<T extends HookScopeTypes>(
  hooks: RequestHooks<T>,
  id: number,
  clientMutationId: string | null | undefined,
  change: () => Promise<void>,
) {
  return runMutation(clientMutationId, change, () => {
    hooks.loader.forget(id);
    return { hookId: id };
  });
}

export function defineKeyedSecretMutations<T extends HookScopeTypes>(
  resource: HookResource<T>,
  ref: HookRef,
  secret: KeyedSecret,
): void {
  const { scope } = resource;
  const { typeName, noun, restPath } = secret;
  const name = `${resource.keyMutationPrefix}${typeName}`;
  const route = (method: string) => restRoute(scope, method, `/:id/${restPath}/:key`);
  /** The payload both mutations of a secret return: the hook as GitLab holds it after the change. */
  const payload = (mutation: string) =>
    hookPayload(resource, ref, mutation, 'The hook after the change; null when GitLab rejected it.');

  const SetInput = builder.inputType(`Set${name}Input`, {
    description: `The ${noun} to set on a ${scope.noun}.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      hookId: hookIdField(t, 'The hook.', scope.model),
      key: t.string({ required: true, description: `Name of the ${noun}.` }),
      value: t.string({
        required: true,
        description: `Secret value of the ${noun} (write-only; never returned).`,
      }),
    }),
  });
  relayClassicMutation(`set${name}`, {
    description: `Creates or overwrites a ${noun} of a ${scope.noun}. REST: ${route('PUT')}`,
    input: SetInput,
    payload: payload(`Set${name}`),
    resolve: (input, ctx) => {
      const id = parseHookId(String(input.hookId), scope.model);
      const hooks = resource.hooksOf(ctx);
      return changeSecret(hooks, id, input.clientMutationId, () =>
        hooks.api[secret.set](id, checkKey(input.key, noun), input.value),
      );
    },
  });

  const DeleteInput = builder.inputType(`Delete${name}Input`, {
    description: `The ${noun} to remove from a ${scope.noun}.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      hookId: hookIdField(t, 'The hook.', scope.model),
      key: t.string({ required: true, description: `Name of the ${noun}.` }),
    }),
  });
  relayClassicMutation(`delete${name}`, {
    description: `Removes a ${noun} from a ${scope.noun}. REST: ${route('DELETE')}`,
    input: DeleteInput,
    payload: payload(`Delete${name}`),
    resolve: (input, ctx) => {
      const id = parseHookId(String(input.hookId), scope.model);
      const hooks = resource.hooksOf(ctx);
      return changeSecret(hooks, id, input.clientMutationId, () =>
        hooks.api[secret.remove](id, checkKey(input.key, noun)),
      );
    },
  });
}
