import type { InputObjectRef, InterfaceRef, ObjectRef } from '@pothos/core';
import { isUpstreamError } from '../../upstream/errors.ts';
import type { HookScopeTypes } from '../../upstream/hook-scope.ts';
import type { HookDto } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import { upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { globalIdForm } from './global-id.ts';
import { hookFieldName, lowerFirst } from './hook-names.ts';
import type { HookResource } from './hook-resource.ts';

/**
 * What the mutation files share. Mutations are Relay-classic, as GitLab's are: one `input` argument carrying
 * `clientMutationId`, and a payload that echoes it and always carries `errors`, where GitLab's answers to bad
 * input land. They are declared with plain `mutationField`s rather than Pothos's `relayMutationField`, which
 * types `clientMutationId` as `ID` where GitLab's is a `String`.
 */

type Types = typeof builder.$inferSchemaTypes;
export type InputFieldBuilder = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;
export type PayloadFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<Types, MutationResult>;

/** What every mutation resolves to. */
export interface MutationResult {
  clientMutationId: string | null;
  errors: string[];
  /** The hook as GitLab returned it, when it did. */
  hook?: HookDto | null;
  /** A hook to read (through the request's loader) only if the payload's hook field is selected. */
  hookId?: number | null;
  /** The collection of `hook` or `hookId`: where the hook is read again, and which scope it is of. */
  hooks?: { readonly loader: { load(id: number): Promise<HookDto | null> } } | undefined;
  /** The scope model of `hooks` (`SystemHook`), for the payload fields that hold one scope's hooks. */
  model?: string | undefined;
  deletedHookId?: number | null;
  /** The parameters of the deleted hook's global ID (`project_id`). */
  deletedIdParams?: Readonly<Record<string, number>> | undefined;
  /** What a scope's test endpoint answered: the sample event, for system hooks. */
  testAnswer?: unknown;
}

export function clientMutationIdField(t: InputFieldBuilder) {
  return t.string({
    description: 'A unique identifier for the client performing the mutation, echoed in the payload.',
  });
}

/** The input field that names the hook a mutation changes, one of `typename`. */
export function hookIdField(t: InputFieldBuilder, description: string, typename: string) {
  return t.id({ required: true, description: `${description} ${globalIdForm(typename)}` });
}

/** Fields of a payload type. */
export type PayloadFields = Record<string, ReturnType<PayloadFieldBuilder['field']>>;

/**
 * Defines `<Mutation>Payload`, "Result of <mutation>.", with `clientMutationId` and `errors`, plus the fields
 * `fields` adds; `mutation` is the mutation's name with a capital (`CreateSystemHook`).
 */
export function payloadType(mutation: string, fields: (t: PayloadFieldBuilder) => PayloadFields) {
  return builder.objectRef<MutationResult>(`${mutation}Payload`).implement({
    description: `Result of ${lowerFirst(mutation)}.`,
    fields: (t) => ({
      clientMutationId: t.string({
        nullable: true,
        description: 'The `clientMutationId` of the input, echoed.',
        resolve: (result) => result.clientMutationId,
      }),
      errors: t.stringList({
        description: "Errors encountered during the mutation: GitLab's answers to bad input, as sentences.",
        resolve: (result) => result.errors,
      }),
      ...fields(t),
    }),
  });
}

/**
 * The payload's hook (`systemHook`), of `type`: the hook GitLab returned, or one read through the request's loader
 * after a change GitLab answered with 204.
 */
export function hookPayloadField<T extends HookScopeTypes>(
  t: PayloadFieldBuilder,
  resource: HookResource<T> | undefined,
  type: ObjectRef<Types, HookDto> | InterfaceRef<Types, HookDto>,
  description: string,
) {
  return t.field({
    type,
    nullable: true,
    description,
    // A read after a change GitLab answered with 204.
    extensions: upstreamCalls(1),
    resolve: (result) => payloadHook(result, resource?.scope.model),
  });
}

/** The payload's hook, when it is of the scope `model` names (any scope when undefined). */
export function payloadHook(
  result: MutationResult,
  model?: string,
): HookDto | null | Promise<HookDto | null> {
  if (model !== undefined && result.model !== undefined && result.model !== model) return null;
  if (result.hook) return result.hook;
  if (!result.hookId || !result.hooks) return null;
  return result.hooks.loader.load(result.hookId);
}

/** The payload of a mutation that returns one hook, in the member the scope names (`systemHook`). */
export function hookPayload<T extends HookScopeTypes>(
  resource: HookResource<T>,
  type: ObjectRef<Types, HookDto>,
  mutation: string,
  hookDescription: string,
) {
  return payloadType(mutation, (t) => ({
    [hookFieldName(resource.scope)]: hookPayloadField(t, resource, type, hookDescription),
  }));
}

/**
 * Runs a mutation's GitLab call. GitLab's answers to bad input (400, 412, 422) become the payload's `errors`,
 * with the resource fields null; any other failure is thrown, for the gateway's error masking to report.
 */
export async function runMutation<T>(
  clientMutationId: string | null | undefined,
  call: () => Promise<T>,
  onSuccess: (value: T) => Omit<MutationResult, 'clientMutationId' | 'errors'>,
): Promise<MutationResult> {
  const base = { clientMutationId: clientMutationId ?? null };
  let value: T;
  try {
    value = await call();
  } catch (error) {
    if (isUpstreamError(error) && error.isUserError) return { ...base, errors: error.messages };
    throw error;
  }
  return { ...base, errors: [], ...onSuccess(value) };
}

/**
 * Declares a mutation the Relay-classic way: one required `input` argument, resolving to its `payload`; `resolve`
 * gets the input and the request's context.
 */
export function relayClassicMutation<Input>(
  name: string,
  options: {
    description: string;
    input: InputObjectRef<Types, Input>;
    payload: ObjectRef<Types, MutationResult>;
    resolve: (input: Input, ctx: GatewayContext) => Promise<MutationResult>;
  },
): void {
  builder.mutationField(name, (t) =>
    t.field({
      type: options.payload,
      description: options.description,
      extensions: upstreamCalls(1),
      args: {
        input: t.arg({ type: options.input, required: true, description: 'Parameters of the mutation.' }),
      },
      // The argument is required, so it is the input's shape; TypeScript cannot narrow Pothos's mapped argument
      // type over a generic `Input` by itself.
      resolve: (_root, args, ctx) => options.resolve((args as { input: Input }).input, ctx),
    }),
  );
}
