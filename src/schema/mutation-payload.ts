import { type GatewayContext, type UpstreamCall, UserErrors } from '../context.ts';
import type { HookDto } from '../upstream/types.ts';
import { builder } from './builder.ts';
import { SystemHook } from './system-hook.ts';

/**
 * What every mutation resolves to. Relay-classic, as GitLab's mutations are: the payload echoes
 * `clientMutationId` and always carries `errors`, where GitLab's answers to bad input land.
 */
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

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
export type PayloadFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<Types, MutationResult>;

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
    resolve: (result, _args, ctx) => {
      if (result.hook) return result.hook;
      return result.hookId ? ctx.loadHook(result.hookId) : null;
    },
  });
}

/** Runs a mutation's upstream call; GitLab's user errors become the payload's `errors`. */
export async function runMutation<T>(
  ctx: GatewayContext,
  clientMutationId: string | null | undefined,
  call: UpstreamCall<T>,
  onSuccess: (value: T) => Omit<MutationResult, 'clientMutationId' | 'errors'>,
): Promise<MutationResult> {
  const outcome = await ctx.mutate(call);
  const base = { clientMutationId: clientMutationId ?? null };
  if (outcome instanceof UserErrors) return { ...base, errors: outcome.messages };
  return { ...base, errors: [], ...onSuccess(outcome) };
}
