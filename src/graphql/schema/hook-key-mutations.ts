import { SYSTEM_HOOKS } from '../../upstream/hook-scope.ts';
import type { GatewayContext } from '../context.ts';
import { badUserInput } from '../errors.ts';
import { builder } from './builder.ts';
import { parseSystemHookId } from './global-id.ts';
import {
  clientMutationIdField,
  hookIdField,
  payloadType,
  relayClassicMutation,
  runMutation,
  systemHookPayloadField,
} from './mutation-helpers.ts';

/**
 * URL variables and custom headers are both secret key/value maps on a hook, each with a PUT and a DELETE
 * endpoint of the same shape; one definition makes their four mutations.
 */
interface KeyedSecret {
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

/** The payload both mutations of a secret return: the hook as GitLab holds it after the change. */
function keyedSecretPayload(name: string) {
  return payloadType(`${name}Payload`, `Result of ${name.charAt(0).toLowerCase()}${name.slice(1)}.`, (t) => ({
    systemHook: systemHookPayloadField(t, 'The hook after the change; null when GitLab rejected it.'),
  }));
}

/** Runs a change of a hook's secret; GitLab answers 204, so the hook is read only if the payload selects it. */
function changeSecret(
  ctx: GatewayContext,
  input: { clientMutationId?: string | null | undefined; hookId: string | number },
  change: (id: number) => Promise<void>,
) {
  const id = parseSystemHookId(String(input.hookId));
  return runMutation(
    input.clientMutationId,
    () => change(id),
    () => {
      ctx.hooks(SYSTEM_HOOKS).loader.forget(id);
      return { hookId: id };
    },
  );
}

function defineKeyedSecretMutations(secret: KeyedSecret) {
  const { typeName, noun, restPath } = secret;

  const SetInput = builder.inputType(`SetHook${typeName}Input`, {
    description: `The ${noun} to set on a system hook.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      hookId: hookIdField(t, 'The hook.'),
      key: t.string({ required: true, description: `Name of the ${noun}.` }),
      value: t.string({
        required: true,
        description: `Secret value of the ${noun} (write-only; never returned).`,
      }),
    }),
  });
  relayClassicMutation(`setHook${typeName}`, {
    description: `Creates or overwrites a ${noun} of a system hook. REST: PUT /api/v4/hooks/:id/${restPath}/:key`,
    input: SetInput,
    payload: keyedSecretPayload(`SetHook${typeName}`),
    resolve: (input, ctx) =>
      changeSecret(ctx, input, (id) =>
        ctx.hooks(SYSTEM_HOOKS).api[secret.set](id, checkKey(input.key, noun), input.value),
      ),
  });

  const DeleteInput = builder.inputType(`DeleteHook${typeName}Input`, {
    description: `The ${noun} to remove from a system hook.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      hookId: hookIdField(t, 'The hook.'),
      key: t.string({ required: true, description: `Name of the ${noun}.` }),
    }),
  });
  relayClassicMutation(`deleteHook${typeName}`, {
    description: `Removes a ${noun} from a system hook. REST: DELETE /api/v4/hooks/:id/${restPath}/:key`,
    input: DeleteInput,
    payload: keyedSecretPayload(`DeleteHook${typeName}`),
    resolve: (input, ctx) =>
      changeSecret(ctx, input, (id) =>
        ctx.hooks(SYSTEM_HOOKS).api[secret.remove](id, checkKey(input.key, noun)),
      ),
  });
}

defineKeyedSecretMutations({
  typeName: 'UrlVariable',
  noun: 'URL variable',
  restPath: 'url_variables',
  set: 'setUrlVariable',
  remove: 'deleteUrlVariable',
});

defineKeyedSecretMutations({
  typeName: 'CustomHeader',
  noun: 'custom header',
  restPath: 'custom_headers',
  set: 'setCustomHeader',
  remove: 'deleteCustomHeader',
});
