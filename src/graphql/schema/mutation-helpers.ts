import type { InputObjectRef, ObjectRef } from '@pothos/core';
import { isUpstreamError } from '../../upstream/errors.ts';
import { SYSTEM_HOOKS } from '../../upstream/hook-scope.ts';
import type { HookDto } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import { upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { SystemHook } from './system-hook.ts';

/**
 * What the mutation files share. Mutations are Relay-classic, as GitLab's are: one `input` argument carrying
 * `clientMutationId`, and a payload that echoes it and always carries `errors`, where GitLab's answers to bad
 * input land. They are declared with plain `mutationField`s rather than Pothos's `relayMutationField`, which
 * types `clientMutationId` as `ID` where GitLab's is a `String`.
 */

type Types = typeof builder.$inferSchemaTypes;
export type InputFieldBuilder = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;
type PayloadFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<Types, MutationResult>;

/** What every mutation resolves to. */
export interface MutationResult {
  clientMutationId: string | null;
  errors: string[];
  /** The hook as GitLab returned it, when it did. */
  hook?: HookDto | null;
  /** A hook to read (through the request's loader) only if the payload's `systemHook` is selected. */
  hookId?: number | null;
  deletedHookId?: number | null;
  mockData?: Record<string, unknown> | null;
}

export function clientMutationIdField(t: InputFieldBuilder) {
  return t.string({
    description: 'A unique identifier for the client performing the mutation, echoed in the payload.',
  });
}

export function hookIdField(t: InputFieldBuilder, description: string) {
  return t.id({
    required: true,
    description: `${description} Global ID \`gid://gitlab/SystemHook/<id>\`, or the REST id.`,
  });
}

/** Defines `<Mutation>Payload` with `clientMutationId` and `errors`, plus the fields `fields` adds. */
export function payloadType(
  name: string,
  description: string,
  fields: (t: PayloadFieldBuilder) => Record<string, ReturnType<PayloadFieldBuilder['field']>>,
) {
  return builder.objectRef<MutationResult>(name).implement({
    description,
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

/** The payload's `systemHook`: the hook GitLab returned, or one read after a change GitLab answered with 204. */
export function systemHookPayloadField(t: PayloadFieldBuilder, description: string) {
  return t.field({
    type: SystemHook,
    nullable: true,
    description,
    // A read after a change GitLab answered with 204.
    extensions: upstreamCalls(1),
    resolve: (result, _args, ctx) => {
      if (result.hook) return result.hook;
      return result.hookId ? ctx.hooks(SYSTEM_HOOKS).loader.load(result.hookId) : null;
    },
  });
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
