import type { InputFieldMap } from '@pothos/core';
import type { HookScopeTypes } from '../../upstream/hook-scope.ts';
import type { HookParamsDto } from '../../upstream/types.ts';
import type { RequestHooks } from '../loaders/hook-collections.ts';
import { builder } from './builder.ts';
import { encodeGlobalId } from './global-id.ts';
import { eventNoun, flagFieldName, WebhookBranchFilterStrategy } from './hook-fields.ts';
import { hookFieldName, restRoute } from './hook-names.ts';
import { type HookRef, type HookResource, locateHook } from './hook-resource.ts';
import {
  clientMutationIdField,
  hookIdField,
  hookPayload,
  hookPayloadField,
  type InputFieldBuilder,
  payloadType,
  relayClassicMutation,
  runMutation,
} from './mutation-helpers.ts';

/** Create, update, delete and test of a scope's hooks, each one GitLab call. */

const WebhookUrlVariableInput = builder.inputType('WebhookUrlVariableInput', {
  description:
    'A URL variable to set: its value replaces `{key}` in the URL at delivery and is never returned.',
  fields: (t) => ({
    key: t.string({ required: true, description: 'Name of the variable.' }),
    value: t.string({ required: true, description: 'Secret value of the variable (write-only).' }),
  }),
});

const WebhookCustomHeaderInput = builder.inputType('WebhookCustomHeaderInput', {
  description: 'A custom header to send with each delivery; its value is never returned.',
  fields: (t) => ({
    key: t.string({ required: true, description: 'Name of the header.' }),
    value: t.string({ required: true, description: 'Secret value of the header (write-only).' }),
  }),
});

/**
 * The hook parameters create and update take, in GitLab's camelCase: those every scope shares, and the scope's
 * event flags in the place GitLab declares them.
 */
function hookParameterFields(t: InputFieldBuilder, eventFlags: readonly string[]) {
  return {
    ...sharedParameterFields(t),
    ...eventFlagInputs(t, eventFlags),
    ...sharedSettingFields(t),
  };
}

function sharedParameterFields(t: InputFieldBuilder) {
  return {
    name: t.string({ description: 'Name of the hook.' }),
    description: t.string({ description: 'Description of the hook.' }),
    token: t.string({
      description:
        'Secret sent in the `X-Gitlab-Token` header of each delivery (write-only; never returned).',
    }),
    signingToken: t.string({
      description:
        'Key that signs each delivery (`webhook-signature`, Standard Webhooks): `whsec_` and the base64 of 32 random ' +
        'bytes (GitLab 19.0+; write-only, never returned).',
    }),
  };
}

function sharedSettingFields(t: InputFieldBuilder) {
  return {
    enableSslVerification: t.boolean({ description: 'Verify TLS certificates on delivery.' }),
    pushEventsBranchFilter: t.string({ description: 'Branches whose pushes trigger the hook.' }),
    branchFilterStrategy: t.field({
      type: WebhookBranchFilterStrategy,
      description: 'How `pushEventsBranchFilter` is matched.',
    }),
    urlVariables: t.field({
      type: [WebhookUrlVariableInput],
      description: 'URL variables to set (merged into the existing ones on update).',
    }),
    customHeaders: t.field({
      type: [WebhookCustomHeaderInput],
      description: 'Custom headers to set (merged into the existing ones on update).',
    }),
  };
}

/** An input field for each of the scope's event flags. */
function eventFlagInputs(t: InputFieldBuilder, flags: readonly string[]): InputFieldMap {
  const fields: InputFieldMap = {};
  for (const flag of flags) {
    fields[flagFieldName(flag)] = t.boolean({ description: `Trigger on ${eventNoun(flag)} events.` });
  }
  return fields;
}

/** Input fields that are not GitLab parameters of the hook. */
type NotAParameter = 'clientMutationId' | 'id';
const NOT_PARAMETERS: ReadonlySet<string> = new Set<NotAParameter>(['clientMutationId', 'id']);

/** GitLab's REST name of an input field: the same words in snake_case, as `restName` writes them. */
type RestName<Field extends string> = Field extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${RestName<Tail>}`
  : Field;
// A shared field added without a GitLab parameter of that name (in `HookParamsDto`) does not compile; the flags
// are parameters by their scope's type.
const EVERY_SHARED_FIELD_IS_A_PARAMETER: Exclude<
  RestName<
    (keyof ReturnType<typeof sharedParameterFields> | keyof ReturnType<typeof sharedSettingFields> | 'url') &
      string
  >,
  keyof HookParamsDto
> extends never
  ? true
  : never = true;
void EVERY_SHARED_FIELD_IS_A_PARAMETER;

function restName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** GitLab's REST parameters for an input; a field left out (or null) is not sent. */
function toHookParams<Params>(input: Readonly<Record<string, unknown>>): Params {
  const params: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input)) {
    if (!NOT_PARAMETERS.has(field) && value !== null && value !== undefined) params[restName(field)] = value;
  }
  return params as Params;
}

export function defineHookMutations<T extends HookScopeTypes>(resource: HookResource<T>, ref: HookRef): void {
  defineCreate(resource, ref);
  defineUpdate(resource, ref);
  defineDelete(resource);
  defineTest(resource, ref);
}

/** What create and update do with the hook GitLab answered: the request's loader learns it, the payload holds it. */
function primed<T extends HookScopeTypes>(hooks: RequestHooks<T>) {
  return (hook: T['hook']) => {
    hooks.loader.prime(hook);
    hooks.detail.prime(hook);
    return { hook };
  };
}

function defineCreate<T extends HookScopeTypes>(resource: HookResource<T>, ref: HookRef): void {
  const { scope } = resource;
  const Input = builder.inputType(`Create${scope.model}Input`, {
    description: `Parameters of a new ${scope.noun}. Left-out fields take GitLab defaults.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      ...resource.createIn?.fields(t),
      url: t.string({
        required: true,
        description: 'URL GitLab delivers to; may reference URL variables as `{key}`.',
      }),
      ...hookParameterFields(t, scope.eventFlags),
    }),
  });
  relayClassicMutation(`create${scope.model}`, {
    description: `Creates a ${scope.noun}. REST: ${restRoute(scope, 'POST')}`,
    input: Input,
    payload: hookPayload(
      resource,
      ref,
      `Create${scope.model}`,
      'The new hook; null when GitLab rejected the input.',
    ),
    resolve: (input, ctx) => {
      const hooks = resource.createIn
        ? resource.createIn.collection(ctx, input)
        : resource.collectionOf(ctx, {});
      return runMutation(
        input.clientMutationId,
        () => hooks.api.createHook(toHookParams<T['params']>(input)),
        primed(hooks),
      );
    },
  });
}

function defineUpdate<T extends HookScopeTypes>(resource: HookResource<T>, ref: HookRef): void {
  const { scope } = resource;
  const Input = builder.inputType(`Update${scope.model}Input`, {
    description:
      `Changes to a ${scope.noun}; left-out fields keep their values. As in GitLab, changing \`url\` without ` +
      'sending `token` clears the token, and a change of the delivered URL resets URL variables and custom headers.',
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      id: hookIdField(t, 'The hook to change.', scope.model),
      url: t.string({ description: 'URL GitLab delivers to; may reference URL variables as `{key}`.' }),
      ...hookParameterFields(t, scope.eventFlags),
    }),
  });
  relayClassicMutation(`update${scope.model}`, {
    description: `Changes a ${scope.noun}. REST: ${restRoute(scope, 'PUT', '/:id')}`,
    input: Input,
    payload: hookPayload(
      resource,
      ref,
      `Update${scope.model}`,
      'The hook as GitLab holds it after the change; null when it rejected it.',
    ),
    resolve: (input, ctx) => {
      const { hooks, id } = locateHook(resource, ctx, String(input.id));
      return runMutation(
        input.clientMutationId,
        () => hooks.api.updateHook(id, toHookParams<T['params']>(input)),
        primed(hooks),
      );
    },
  });
}

function defineDelete<T extends HookScopeTypes>(resource: HookResource<T>): void {
  const { scope } = resource;
  const Input = builder.inputType(`Delete${scope.model}Input`, {
    description: `The ${scope.noun} to delete.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      id: hookIdField(t, 'The hook to delete.', scope.model),
    }),
  });
  const Payload = payloadType(`Delete${scope.model}`, (t) => ({
    [`deleted${scope.model}Id`]: t.id({
      nullable: true,
      description: 'Global ID of the deleted hook.',
      resolve: (result) =>
        result.deletedHookId
          ? encodeGlobalId(scope.model, result.deletedHookId, result.deletedIdParams)
          : null,
    }),
  }));
  relayClassicMutation(`delete${scope.model}`, {
    description: `Deletes a ${scope.noun}. REST: ${restRoute(scope, 'DELETE', '/:id')}`,
    input: Input,
    payload: Payload,
    resolve: (input, ctx) => {
      const { hooks, id, params: deletedIdParams } = locateHook(resource, ctx, String(input.id));
      return runMutation(
        input.clientMutationId,
        () => hooks.api.deleteHook(id),
        () => {
          hooks.loader.primeMissing(id);
          hooks.detail.primeMissing(id);
          return { deletedHookId: id, deletedIdParams };
        },
      );
    },
  });
}

function defineTest<T extends HookScopeTypes>(resource: HookResource<T>, ref: HookRef): void {
  const { scope, test } = resource;
  const Input = builder.inputType(`Test${scope.model}Input`, {
    description: `The ${scope.noun} to test.`,
    fields: (t) => ({
      clientMutationId: clientMutationIdField(t),
      id: hookIdField(t, 'The hook to test.', scope.model),
      ...test.inputFields?.(t),
    }),
  });
  const Payload = payloadType(`Test${scope.model}`, (t) => ({
    [hookFieldName(scope)]: hookPayloadField(t, resource, ref, 'The tested hook.'),
    ...test.payloadFields?.(t),
  }));
  relayClassicMutation(`test${scope.model}`, {
    description: `${test.description} REST: ${restRoute(scope, 'POST', `/:id${scope.test.route}`)}`,
    input: Input,
    payload: Payload,
    resolve: (input, ctx) => {
      const { hooks, id } = locateHook(resource, ctx, String(input.id));
      const args = test.args(input);
      return runMutation(
        input.clientMutationId,
        () => hooks.api.testHook(id, ...args),
        // A test changes the hook's failure state (a success re-enables it): read it again if selected.
        (testAnswer) => {
          hooks.loader.forget(id);
          hooks.detail.forget(id);
          return { hookId: id, hooks, testAnswer };
        },
      );
    },
  });
}
