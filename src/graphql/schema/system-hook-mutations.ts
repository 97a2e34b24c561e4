import { SYSTEM_HOOKS } from '../../upstream/hook-scope.ts';
import type { HookParamsDto } from '../../upstream/types.ts';
import { builder } from './builder.ts';
import { encodeGlobalId, parseSystemHookId } from './global-id.ts';
import {
  clientMutationIdField,
  hookIdField,
  type InputFieldBuilder,
  payloadType,
  relayClassicMutation,
  runMutation,
  systemHookPayloadField,
} from './mutation-helpers.ts';
import { WebhookBranchFilterStrategy } from './system-hook.ts';

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

/** The hook parameters create and update share, in GitLab's camelCase. */
function hookParameterFields(t: InputFieldBuilder) {
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
    pushEvents: t.boolean({ description: 'Trigger on push events.' }),
    tagPushEvents: t.boolean({ description: 'Trigger on tag push events.' }),
    mergeRequestsEvents: t.boolean({ description: 'Trigger on merge request events.' }),
    repositoryUpdateEvents: t.boolean({ description: 'Trigger on repository update events.' }),
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

const CreateSystemHookInput = builder.inputType('CreateSystemHookInput', {
  description: 'Parameters of a new system hook. Left-out fields take GitLab defaults.',
  fields: (t) => ({
    clientMutationId: clientMutationIdField(t),
    url: t.string({
      required: true,
      description: 'URL GitLab delivers to; may reference URL variables as `{key}`.',
    }),
    ...hookParameterFields(t),
  }),
});

const CreateSystemHookPayload = payloadType(
  'CreateSystemHookPayload',
  'Result of createSystemHook.',
  (t) => ({
    systemHook: systemHookPayloadField(t, 'The new hook; null when GitLab rejected the input.'),
  }),
);

relayClassicMutation('createSystemHook', {
  description: 'Creates a system hook. REST: POST /api/v4/hooks',
  input: CreateSystemHookInput,
  payload: CreateSystemHookPayload,
  resolve: (input, ctx) =>
    runMutation(
      input.clientMutationId,
      () => ctx.hooks(SYSTEM_HOOKS).api.createHook(toHookParams(input)),
      (hook) => {
        ctx.hooks(SYSTEM_HOOKS).loader.prime(hook);
        return { hook };
      },
    ),
});

const UpdateSystemHookInput = builder.inputType('UpdateSystemHookInput', {
  description:
    'Changes to a system hook; left-out fields keep their values. As in GitLab, changing `url` without sending ' +
    '`token` clears the token, and a change of the delivered URL resets URL variables and custom headers.',
  fields: (t) => ({
    clientMutationId: clientMutationIdField(t),
    id: hookIdField(t, 'The hook to change.'),
    url: t.string({ description: 'URL GitLab delivers to; may reference URL variables as `{key}`.' }),
    ...hookParameterFields(t),
  }),
});

const UpdateSystemHookPayload = payloadType(
  'UpdateSystemHookPayload',
  'Result of updateSystemHook.',
  (t) => ({
    systemHook: systemHookPayloadField(
      t,
      'The hook as GitLab holds it after the change; null when it rejected it.',
    ),
  }),
);

relayClassicMutation('updateSystemHook', {
  description: 'Changes a system hook. REST: PUT /api/v4/hooks/:id',
  input: UpdateSystemHookInput,
  payload: UpdateSystemHookPayload,
  resolve: (input, ctx) => {
    const id = parseSystemHookId(String(input.id));
    return runMutation(
      input.clientMutationId,
      () => ctx.hooks(SYSTEM_HOOKS).api.updateHook(id, toHookParams(input)),
      (hook) => {
        ctx.hooks(SYSTEM_HOOKS).loader.prime(hook);
        return { hook };
      },
    );
  },
});

const DeleteSystemHookInput = builder.inputType('DeleteSystemHookInput', {
  description: 'The system hook to delete.',
  fields: (t) => ({
    clientMutationId: clientMutationIdField(t),
    id: hookIdField(t, 'The hook to delete.'),
  }),
});

const DeleteSystemHookPayload = payloadType(
  'DeleteSystemHookPayload',
  'Result of deleteSystemHook.',
  (t) => ({
    deletedSystemHookId: t.id({
      nullable: true,
      description: 'Global ID of the deleted hook.',
      resolve: (result) => (result.deletedHookId ? encodeGlobalId('SystemHook', result.deletedHookId) : null),
    }),
  }),
);

relayClassicMutation('deleteSystemHook', {
  description: 'Deletes a system hook. REST: DELETE /api/v4/hooks/:id',
  input: DeleteSystemHookInput,
  payload: DeleteSystemHookPayload,
  resolve: (input, ctx) => {
    const id = parseSystemHookId(String(input.id));
    return runMutation(
      input.clientMutationId,
      () => ctx.hooks(SYSTEM_HOOKS).api.deleteHook(id),
      () => {
        ctx.hooks(SYSTEM_HOOKS).loader.primeMissing(id);
        return { deletedHookId: id };
      },
    );
  },
});

const TestSystemHookInput = builder.inputType('TestSystemHookInput', {
  description: 'The system hook to test.',
  fields: (t) => ({
    clientMutationId: clientMutationIdField(t),
    id: hookIdField(t, 'The hook to test.'),
  }),
});

const TestSystemHookPayload = payloadType('TestSystemHookPayload', 'Result of testSystemHook.', (t) => ({
  systemHook: systemHookPayloadField(t, 'The tested hook.'),
  mockData: t.field({
    type: 'JSONObject',
    description:
      'The sample `project_create` event GitLab delivered to the hook. GitLab answers with this mock data whether ' +
      'or not the receiver accepted the delivery: it says nothing about the receiver.',
    resolve: (result) => result.mockData ?? {},
  }),
}));

relayClassicMutation('testSystemHook', {
  description: 'Makes GitLab deliver a sample event to a system hook now. REST: POST /api/v4/hooks/:id',
  input: TestSystemHookInput,
  payload: TestSystemHookPayload,
  resolve: (input, ctx) => {
    const id = parseSystemHookId(String(input.id));
    return runMutation(
      input.clientMutationId,
      () => ctx.hooks(SYSTEM_HOOKS).api.testHook(id),
      (mockData) => ({ hookId: id, mockData }),
    );
  },
});

type HookInput = typeof CreateSystemHookInput.$inferInput | typeof UpdateSystemHookInput.$inferInput;
/** Input fields that are not GitLab parameters of the hook. */
type NotAParameter = 'clientMutationId' | 'id';
const NOT_PARAMETERS: ReadonlySet<string> = new Set<NotAParameter>(['clientMutationId', 'id']);

/** GitLab's REST name of an input field: the same words in snake_case, as `restName` writes them. */
type RestName<Field extends string> = Field extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${RestName<Tail>}`
  : Field;
type Parameter<Input> = Exclude<keyof Input, NotAParameter> & string;
// A field added to an input without a GitLab parameter of that name (in `HookParamsDto`) does not compile.
const EVERY_INPUT_FIELD_IS_A_PARAMETER: [
  Exclude<RestName<Parameter<typeof CreateSystemHookInput.$inferInput>>, keyof HookParamsDto>,
  Exclude<RestName<Parameter<typeof UpdateSystemHookInput.$inferInput>>, keyof HookParamsDto>,
] extends [never, never]
  ? true
  : never = true;
void EVERY_INPUT_FIELD_IS_A_PARAMETER;

function restName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** GitLab's REST parameters for an input; a field left out (or null) is not sent. */
function toHookParams(input: HookInput): HookParamsDto {
  const params: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input)) {
    if (!NOT_PARAMETERS.has(field) && value !== null && value !== undefined) params[restName(field)] = value;
  }
  return params as HookParamsDto;
}
