import type { FieldMap, InputFieldMap, InterfaceRef, ObjectRef } from '@pothos/core';
import type { HookScope, HookScopeTypes } from '../../upstream/hook-scope.ts';
import { GITLAB_MAX_PER_PAGE, type HookDto } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import type { RequestHooks } from '../loaders/hook-collections.ts';
import { upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { hookReferenceResolver } from './federation.ts';
import { encodeGlobalId, globalIdForm, parseGlobalId } from './global-id.ts';
import { COUNT_LIMIT, resolveHookPage } from './hook-connection.ts';
import { type HookFieldBuilder, hookFields } from './hook-fields.ts';
import { defineHookMutations } from './hook-mutations.ts';
import { hookFieldName, restRoute } from './hook-names.ts';
import type { InputFieldBuilder, PayloadFieldBuilder, PayloadFields } from './mutation-helpers.ts';
import { defineNodeFields, registerNodeType } from './node.ts';
import { DEFAULT_PAGE_SIZE } from './page-window.ts';

type Types = typeof builder.$inferSchemaTypes;
/** A scope's hook object type; its hooks are `HookDto`s with the fields the scope adds. */
export type HookRef = ObjectRef<Types, HookDto>;

/**
 * What the schema says of one hook scope beyond its upstream value (`upstream/hook-scope.ts`): where a request
 * reaches its hooks, its descriptions, the fields only its hooks have, and its test mutation. Its object type,
 * queries, connection, mutations and key mutations, its Federation entity and its place in `node` are written
 * once, in `defineHookResource`, and named from the scope's GitLab model: `SystemHook`, `systemHooks`,
 * `createSystemHook`, `deletedSystemHookId`.
 */
export interface HookResource<T extends HookScopeTypes = HookScopeTypes> {
  /** The scope: its REST paths, its GitLab model (the type's and its global IDs' name), its event flags. */
  readonly scope: HookScope<T>;
  /**
   * The parameters its global IDs carry, which name the parent REST reads the hook under:
   * `gid://gitlab/ProjectHook/7?project_id=3`. @default none
   */
  readonly idParams?: readonly string[];
  /**
   * This request's collection that a global ID's parameters name; a `BAD_USER_INPUT` error when they name
   * none. System hooks take none.
   */
  collectionOf(ctx: GatewayContext, params: Readonly<Record<string, number>>): RequestHooks<T>;
  /** The parameters of a hook's global ID, from its entity. @default none */
  idParamsOf?(hook: T['hook']): Readonly<Record<string, number>>;
  /** The object type's description, before the sentence on secrets every hook type ends with. */
  readonly description: string;
  /** The base fields whose descriptions say something of the scope. */
  readonly descriptions: { readonly disabledUntil: string; readonly customWebhookTemplate: string };
  /** Fields only this scope's hooks have (`organizationId`). @default none */
  readonly fields?: (t: HookFieldBuilder) => FieldMap;
  /** Whether a value is one of this scope's hooks, for the `Node` interface's resolution of its type. */
  isTypeOf(value: unknown): boolean;
  /**
   * Where a create goes: the input fields that name the parent (`projectPath`), and the collection they name.
   * @default none: the scope's one collection (system hooks)
   */
  readonly createIn?: {
    readonly fields: (t: InputFieldBuilder) => InputFieldMap;
    collection(ctx: GatewayContext, input: Readonly<Record<string, unknown>>): RequestHooks<T>;
  };
  /**
   * The hook read whole (`GET …/hooks/:id`), for the URL variables and custom headers that a list leaves out
   * (a project's). @default none: every entity of the scope carries them
   */
  whole?(hook: HookDto, ctx: GatewayContext): Promise<HookDto | null>;
  /** Whether the scope has the root query fields `systemHook` and `systemHooks`. @default false */
  readonly rootQueries?: boolean;
  readonly test: HookTestMutation<T>;
}

/** A scope's test mutation, `test<Model>`, over its test endpoint. */
export interface HookTestMutation<T extends HookScopeTypes> {
  /** What it does, before its REST route. */
  readonly description: string;
  /** Its input fields besides `clientMutationId` and `id`. @default none */
  readonly inputFields?: (t: InputFieldBuilder) => InputFieldMap;
  /** The test endpoint's arguments, from the input. */
  args(input: Readonly<Record<string, unknown>>): T['testArgs'];
  /** Its payload fields besides `clientMutationId`, `errors` and the hook; they read `testAnswer`. @default none */
  readonly payloadFields?: (t: PayloadFieldBuilder) => PayloadFields;
}

/**
 * Defines a scope's hooks in the schema: the object type, a Relay node and a Federation entity keyed by its
 * global ID; the query of one hook and the connection of all; create, update, delete and test; and the
 * URL-variable and custom-header mutations.
 */
export function defineHookResource<T extends HookScopeTypes>(
  resource: HookResource<T>,
  webhook: InterfaceRef<Types, HookDto>,
): HookRef {
  const { scope } = resource;
  const ref: HookRef = builder.objectRef<HookDto>(scope.model);
  // A Relay node declared as an object implementing `Node`, not with `builder.node`: that one resolves `id`
  // asynchronously, which makes graphql-js await every hook of a list (a promise per object); encoding the
  // global ID needs no await.
  builder.objectType(ref, {
    description:
      `${resource.description} Secrets (the token, URL-variable values and custom-header values) can be written ` +
      'but are never returned.',
    interfaces: [builder.nodeInterfaceRef(), webhook],
    isTypeOf: (value) => resource.isTypeOf(value),
    fields: (t) => hookFields(t, resource),
  });
  // A Federation entity keyed by its global ID; other subgraphs extend it, and `_entities` reads it like `nodes`.
  builder.asEntity(ref, {
    key: builder.selection<{ id: string }>('id'),
    resolveReference: hookReferenceResolver(resource),
  });
  registerNodeType({
    typename: scope.model,
    route: restRoute(scope, 'GET', scope.parent ? '/:hook_id' : '/:id'),
    params: resource.idParams ?? [],
    load: (ctx, id) => resource.collectionOf(ctx, id.params).loader.load(id.id),
  });
  if (resource.rootQueries) defineHookQueries(resource, ref);
  defineHookMutations(resource, ref);
  return ref;
}

/** A hook's global ID: `gid://gitlab/SystemHook/7`, `gid://gitlab/ProjectHook/7?project_id=3`. */
export function hookGlobalId<T extends HookScopeTypes>(resource: HookResource<T>, hook: T['hook']): string {
  return encodeGlobalId(resource.scope.model, hook.id, resource.idParamsOf?.(hook));
}

/** The request's collection and REST id of the hook a global ID (or a plain REST id) names. */
export function locateHook<T extends HookScopeTypes>(
  resource: HookResource<T>,
  ctx: GatewayContext,
  value: string,
): { hooks: RequestHooks<T>; id: number; params: Readonly<Record<string, number>> } {
  const { id, params } = parseGlobalId(value, [resource.scope.model], () => resource.idParams ?? []);
  return { hooks: resource.collectionOf(ctx, params), id, params };
}

/** The query of one hook by id, and the connection of all of them. */
function defineHookQueries<T extends HookScopeTypes>(resource: HookResource<T>, ref: HookRef): void {
  const { scope } = resource;
  const field = hookFieldName(scope);
  const plural = `${scope.noun}s`;
  builder.queryField(field, (t) =>
    t.field({
      type: ref,
      nullable: true,
      description:
        `One ${scope.noun} by global ID (or REST id); null when it does not exist. ` +
        `REST: ${restRoute(scope, 'GET', '/:id')}`,
      extensions: upstreamCalls(1),
      args: { id: t.arg.id({ required: true, description: globalIdForm(scope.model) }) },
      resolve: (_root, args, ctx): Promise<HookDto | null> => {
        const { hooks, id } = locateHook(resource, ctx, String(args.id));
        return hooks.loader.load(id);
      },
    }),
  );
  defineNodeFields();

  builder.queryField(`${field}s`, (t) =>
    t.connection(
      {
        type: ref,
        description:
          `${plural.charAt(0).toUpperCase()}${plural.slice(1)} in creation (id) order; pages of at most ` +
          `${GITLAB_MAX_PER_PAGE}, ${DEFAULT_PAGE_SIZE} by default. REST: ${restRoute(scope, 'GET')}`,
        // Two pages, and one more to learn the list's length for `last` without `before`.
        extensions: upstreamCalls(3),
        resolve: (_root, args, ctx) => resolveHookPage(resource.collectionOf(ctx, {}), args),
      },
      ...hookConnectionTypes(scope),
    ),
  );
}

/** The connection and edge types of a scope's hooks (`SystemHookConnection` with `count`, `SystemHookEdge`). */
export function hookConnectionTypes(scope: HookScope) {
  const plural = `${scope.noun}s`;
  return [
    {
      name: `${scope.model}Connection`,
      description: `A page of ${plural}.`,
      fields: (c: PothosSchemaTypes.ObjectFieldBuilder<Types, { count: number }>) => ({
        count: c.int({
          description: `Number of ${plural} in all (REST: \`X-Total\`); ${COUNT_LIMIT + 1} when GitLab reports more than ${COUNT_LIMIT}.`,
          resolve: (connection) => connection.count,
        }),
      }),
    },
    { name: `${scope.model}Edge`, description: `A ${scope.noun} and its cursor.` },
  ] as const;
}
