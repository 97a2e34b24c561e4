import { badUserInput } from '../errors.ts';
import { builder } from './builder.ts';
import { parseSystemHookId } from './global-id.ts';
import {
  clientMutationIdField,
  hookIdField,
  payloadType,
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
  const SetPayload = payloadType(`SetHook${typeName}Payload`, `Result of setHook${typeName}.`, (t) => ({
    systemHook: systemHookPayloadField(t, `The hook after the change; null when GitLab rejected it.`),
  }));
  builder.mutationField(`setHook${typeName}`, (t) =>
    t.field({
      type: SetPayload,
      description: `Creates or overwrites a ${noun} of a system hook. REST: PUT /api/v4/hooks/:id/${restPath}/:key`,
      args: { input: t.arg({ type: SetInput, required: true, description: 'Parameters of the mutation.' }) },
      resolve: (_root, { input }, ctx) => {
        const id = parseSystemHookId(String(input.hookId));
        const key = checkKey(input.key, noun);
        return runMutation(
          input.clientMutationId,
          () => ctx.gitlab[secret.set](id, key, input.value),
          () => {
            ctx.loaders.hookById.forget(id);
            return { hookId: id };
          },
        );
      },
    }),
  );

  const DeleteInput = builder.inputType(`DeleteHook${typeName}Input`, {
    description: `The ${noun} to remove from a system hook.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      hookId: hookIdField(t, 'The hook.'),
      key: t.string({ required: true, description: `Name of the ${noun}.` }),
    }),
  });
  const DeletePayload = payloadType(
    `DeleteHook${typeName}Payload`,
    `Result of deleteHook${typeName}.`,
    (t) => ({
      systemHook: systemHookPayloadField(t, `The hook after the change; null when GitLab rejected it.`),
    }),
  );
  builder.mutationField(`deleteHook${typeName}`, (t) =>
    t.field({
      type: DeletePayload,
      description: `Removes a ${noun} from a system hook. REST: DELETE /api/v4/hooks/:id/${restPath}/:key`,
      args: {
        input: t.arg({ type: DeleteInput, required: true, description: 'Parameters of the mutation.' }),
      },
      resolve: (_root, { input }, ctx) => {
        const id = parseSystemHookId(String(input.hookId));
        const key = checkKey(input.key, noun);
        return runMutation(
          input.clientMutationId,
          () => ctx.gitlab[secret.remove](id, key),
          () => {
            ctx.loaders.hookById.forget(id);
            return { hookId: id };
          },
        );
      },
    }),
  );
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
