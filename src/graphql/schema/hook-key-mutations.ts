import type { InterfaceRef } from '@pothos/core';
import type { HookDto } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import { badUserInput } from '../errors.ts';
import type { RequestHooks } from '../loaders/hook-collections.ts';
import { builder } from './builder.ts';
import { parseGlobalId } from './global-id.ts';
import { idQueryForm } from './hook-fields.ts';
import type { HookRef, HookResource } from './hook-resource.ts';
import {
  clientMutationIdField,
  hookPayloadField,
  payloadType,
  relayClassicMutation,
  runMutation,
} from './mutation-helpers.ts';

/**
 * URL variables and custom headers are both secret key/value maps on a hook, each with a PUT and a DELETE
 * endpoint of the same shape in every scope (GitLab mounts one module under each). One definition makes their
 * four mutations, each taking any hook's global ID and calling the endpoint of that hook's scope.
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

export const KEYED_SECRETS: readonly KeyedSecret[] = [
  {
    typeName: 'UrlVariable',
    noun: 'URL variable',
    restPath: 'url_variables',
    set: 'setUrlVariable',
    remove: 'deleteUrlVariable',
  },
  {
    typeName: 'CustomHeader',
    noun: 'custom header',
    restPath: 'custom_headers',
    set: 'setCustomHeader',
    remove: 'deleteCustomHeader',
  },
];

/** The hook types the key mutations serve, the first (system hooks) named by a plain REST id. */
export interface KeyedHookTypes {
  readonly resources: readonly [HookResource, ...HookResource[]];
  /** `systemHook` in the payloads: the first resource's type. */
  readonly first: HookRef;
  readonly webhook: InterfaceRef<typeof builder.$inferSchemaTypes, HookDto>;
}

function checkKey(key: string, noun: string): string {
  // GitLab routes no empty path segment; without this the caller would get a confusing NOT_FOUND.
  if (key.length === 0) throw badUserInput(`The ${noun} key must not be empty`);
  return key;
}

/** The collection and REST id of the hook any scope's global ID names. */
function locateAnyHook(
  types: KeyedHookTypes,
  ctx: GatewayContext,
  value: string,
): { hooks: RequestHooks; id: number; model: string } {
  const byModel = new Map(types.resources.map((resource) => [resource.scope.model, resource]));
  const models = types.resources.map((resource) => resource.scope.model) as [string, ...string[]];
  const parsed = parseGlobalId(value, models, (model) => byModel.get(model)?.idParams ?? []);
  const resource = byModel.get(parsed.typename) as HookResource;
  return { hooks: resource.collectionOf(ctx, parsed.params), id: parsed.id, model: parsed.typename };
}

/** Runs a change of a hook's secret; GitLab answers 204, so the hook is read only if the payload selects it. */
function changeSecret(
  located: { hooks: RequestHooks; id: number; model: string },
  clientMutationId: string | null | undefined,
  change: () => Promise<void>,
) {
  const { hooks, id, model } = located;
  return runMutation(clientMutationId, change, () => {
    hooks.loader.forget(id);
    hooks.detail.forget(id);
    return { hookId: id, hooks, model };
  });
}

export function defineKeyedSecretMutations(types: KeyedHookTypes, secret: KeyedSecret): void {
  const [first] = types.resources;
  const { typeName, noun, restPath } = secret;
  const name = `Hook${typeName}`;
  const routes = (method: string) =>
    types.resources.map((resource) => `${method} /api/v4${resource.scope.route}/:hook_id/${restPath}/:key`);
  const forms = types.resources
    .map((resource) => `\`gid://gitlab/${resource.scope.model}/<id>${idQueryForm(resource.idParams ?? [])}\``)
    .join(', ');
  const hookIdDescription = `The hook: its global ID (${forms}), or a ${first.scope.noun}'s REST id.`;
  /** The payload both mutations of a secret return: the hook as GitLab holds it after the change. */
  const payload = (mutation: string) =>
    payloadType(mutation, (t) => ({
      [first.scope.model.charAt(0).toLowerCase() + first.scope.model.slice(1)]: hookPayloadField(
        t,
        first,
        types.first,
        `The hook after the change when it is a ${first.scope.noun}; null for other hooks and when GitLab rejected the change.`,
      ),
      webhook: hookPayloadField(
        t,
        undefined,
        types.webhook,
        'The hook after the change, of any scope; null when GitLab rejected it.',
      ),
    }));

  const SetInput = builder.inputType(`Set${name}Input`, {
    description: `The ${noun} to set on a hook.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      hookId: t.id({ required: true, description: hookIdDescription }),
      key: t.string({ required: true, description: `Name of the ${noun}.` }),
      value: t.string({
        required: true,
        description: `Secret value of the ${noun} (write-only; never returned).`,
      }),
    }),
  });
  relayClassicMutation(`set${name}`, {
    description: `Creates or overwrites a ${noun} of a hook of any scope. REST: ${routes('PUT').join(', ')}`,
    input: SetInput,
    payload: payload(`Set${name}`),
    resolve: (input, ctx) => {
      const located = locateAnyHook(types, ctx, String(input.hookId));
      return changeSecret(located, input.clientMutationId, () =>
        located.hooks.api[secret.set](located.id, checkKey(input.key, noun), input.value),
      );
    },
  });

  const DeleteInput = builder.inputType(`Delete${name}Input`, {
    description: `The ${noun} to remove from a hook.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      hookId: t.id({ required: true, description: hookIdDescription }),
      key: t.string({ required: true, description: `Name of the ${noun}.` }),
    }),
  });
  relayClassicMutation(`delete${name}`, {
    description: `Removes a ${noun} from a hook of any scope. REST: ${routes('DELETE').join(', ')}`,
    input: DeleteInput,
    payload: payload(`Delete${name}`),
    resolve: (input, ctx) => {
      const located = locateAnyHook(types, ctx, String(input.hookId));
      return changeSecret(located, input.clientMutationId, () =>
        located.hooks.api[secret.remove](located.id, checkKey(input.key, noun)),
      );
    },
  });
}
