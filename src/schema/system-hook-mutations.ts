import type { HookParamsDto, KeyValueDto } from '../upstream/types.ts';
import { builder } from './builder.ts';
import { encodeGlobalId, parseSystemHookId } from './global-id.ts';
import { payloadType, runMutation, systemHookPayloadField } from './mutation-payload.ts';
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

type HookInputFieldBuilder = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];

/** The hook parameters create and update share, in GitLab's camelCase. */
function hookParameterFields(t: HookInputFieldBuilder) {
  return {
    name: t.string({ description: 'Name of the hook.' }),
    description: t.string({ description: 'Description of the hook.' }),
    token: t.string({
      description:
        'Secret sent in the `X-Gitlab-Token` header of each delivery (write-only; never returned).',
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

interface HookParameterInput {
  url?: string | null | undefined;
  name?: string | null | undefined;
  description?: string | null | undefined;
  token?: string | null | undefined;
  pushEvents?: boolean | null | undefined;
  tagPushEvents?: boolean | null | undefined;
  mergeRequestsEvents?: boolean | null | undefined;
  repositoryUpdateEvents?: boolean | null | undefined;
  enableSslVerification?: boolean | null | undefined;
  pushEventsBranchFilter?: string | null | undefined;
  branchFilterStrategy?: HookParamsDto['branch_filter_strategy'] | null | undefined;
  urlVariables?: readonly KeyValueDto[] | null | undefined;
  customHeaders?: readonly KeyValueDto[] | null | undefined;
}

/** GitLab's REST parameters for an input; a field left out (or null) is not sent. */
function toHookParams(input: HookParameterInput): HookParamsDto {
  const params: Record<string, unknown> = {
    url: input.url,
    name: input.name,
    description: input.description,
    token: input.token,
    push_events: input.pushEvents,
    tag_push_events: input.tagPushEvents,
    merge_requests_events: input.mergeRequestsEvents,
    repository_update_events: input.repositoryUpdateEvents,
    enable_ssl_verification: input.enableSslVerification,
    push_events_branch_filter: input.pushEventsBranchFilter,
    branch_filter_strategy: input.branchFilterStrategy,
    url_variables: input.urlVariables?.map(({ key, value }) => ({ key, value })),
    custom_headers: input.customHeaders?.map(({ key, value }) => ({ key, value })),
  };
  for (const [key, value] of Object.entries(params))
    if (value === null || value === undefined) delete params[key];
  return params as HookParamsDto;
}

const clientMutationIdField = (t: HookInputFieldBuilder) =>
  t.string({
    description: 'A unique identifier for the client performing the mutation, echoed in the payload.',
  });

const hookIdField = (t: HookInputFieldBuilder, description: string) =>
  t.id({
    required: true,
    description: `${description} Global ID \`gid://gitlab/SystemHook/<id>\`, or the REST id.`,
  });

// createSystemHook

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

builder.mutationField('createSystemHook', (t) =>
  t.field({
    type: CreateSystemHookPayload,
    description: 'Creates a system hook. REST: POST /api/v4/hooks',
    args: {
      input: t.arg({
        type: CreateSystemHookInput,
        required: true,
        description: 'Parameters of the mutation.',
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(
        ctx,
        input.clientMutationId,
        (api, options) => api.createHook(toHookParams(input), options),
        (hook) => {
          ctx.loaders.hookById.prime(hook);
          return { hook };
        },
      ),
  }),
);

// updateSystemHook

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

builder.mutationField('updateSystemHook', (t) =>
  t.field({
    type: UpdateSystemHookPayload,
    description: 'Changes a system hook. REST: PUT /api/v4/hooks/:id',
    args: {
      input: t.arg({
        type: UpdateSystemHookInput,
        required: true,
        description: 'Parameters of the mutation.',
      }),
    },
    resolve: (_root, { input }, ctx) => {
      const id = parseSystemHookId(String(input.id));
      return runMutation(
        ctx,
        input.clientMutationId,
        (api, options) => api.updateHook(id, toHookParams(input), options),
        (hook) => {
          ctx.loaders.hookById.prime(hook);
          return { hook };
        },
      );
    },
  }),
);

// deleteSystemHook

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

builder.mutationField('deleteSystemHook', (t) =>
  t.field({
    type: DeleteSystemHookPayload,
    description: 'Deletes a system hook. REST: DELETE /api/v4/hooks/:id',
    args: {
      input: t.arg({
        type: DeleteSystemHookInput,
        required: true,
        description: 'Parameters of the mutation.',
      }),
    },
    resolve: (_root, { input }, ctx) => {
      const id = parseSystemHookId(String(input.id));
      return runMutation(
        ctx,
        input.clientMutationId,
        (api, options) => api.deleteHook(id, options),
        () => {
          ctx.loaders.hookById.primeMissing(id);
          return { deletedHookId: id };
        },
      );
    },
  }),
);

// testSystemHook

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

builder.mutationField('testSystemHook', (t) =>
  t.field({
    type: TestSystemHookPayload,
    description: 'Makes GitLab deliver a sample event to a system hook now. REST: POST /api/v4/hooks/:id',
    args: {
      input: t.arg({ type: TestSystemHookInput, required: true, description: 'Parameters of the mutation.' }),
    },
    resolve: (_root, { input }, ctx) => {
      const id = parseSystemHookId(String(input.id));
      return runMutation(
        ctx,
        input.clientMutationId,
        (api, options) => api.testHook(id, options),
        (mockData) => ({ hookId: id, mockData }),
      );
    },
  }),
);

export { clientMutationIdField, type HookInputFieldBuilder, hookIdField };
