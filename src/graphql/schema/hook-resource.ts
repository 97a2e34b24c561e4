import type { FieldMap, InputFieldMap, ObjectRef } from '@pothos/core';
import type { HookScope, HookScopeTypes } from '../../upstream/hook-scope.ts';
import { GITLAB_MAX_PER_PAGE, type HookDto } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import type { RequestHooks } from '../loaders/hook-collections.ts';
import { upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { hookReferenceResolver } from './federation.ts';
import { globalIdForm, parseHookId } from './global-id.ts';
import { COUNT_LIMIT, resolveHookPage } from './hook-connection.ts';
import { type HookFieldBuilder, hookFields } from './hook-fields.ts';
import { defineKeyedSecretMutations } from './hook-key-mutations.ts';
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
   * This request's hooks of the scope. A scope whose hooks live under a parent also says where the parent
   * comes from; system hooks have none.
   */
  hooksOf(ctx: GatewayContext): RequestHooks<T>;
  /** The object type's description, before the sentence on secrets every hook type ends with. */
  readonly description: string;
  /** The base fields whose descriptions say something of the scope. */
  readonly descriptions: { readonly disabledUntil: string; readonly customWebhookTemplate: string };
  /** Fields only this scope's hooks have (`organizationId`). @default none */
  readonly fields?: (t: HookFieldBuilder) => FieldMap;
  /** Whether a value is one of this scope's hooks, for the `Node` interface's resolution of its type. */
  isTypeOf(value: unknown): boolean;
  /**
   * What the names of the URL-variable and custom-header mutations start with after the verb: `Hook` for system
   * hooks, the first scope (`setHookUrlVariable`).
   */
  readonly keyMutationPrefix: string;
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
export function defineHookResource<T extends HookScopeTypes>(resource: HookResource<T>): HookRef {
  const { scope } = resource;
  const ref: HookRef = builder.objectRef<HookDto>(scope.model);
  // A Relay node declared as an object implementing `Node`, not with `builder.node`: that one resolves `id`
  // asynchronously, which makes graphql-js await every hook of a list (a promise per object); encoding the
  // global ID needs no await.
  builder.objectType(ref, {
    description:
      `${resource.description} Secrets (the token, URL-variable values and custom-header values) can be written ` +
      'but are never returned.',
    interfaces: [builder.nodeInterfaceRef()],
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
    route: restRoute(scope, 'GET', '/:id'),
    load: loaderOf(resource),
  });
  defineHookQueries(resource, ref);
  defineHookMutations(resource, ref);
  defineKeyedSecretMutations(resource, ref, {
    typeName: 'UrlVariable',
    noun: 'URL variable',
    restPath: 'url_variables',
    set: 'setUrlVariable',
    remove: 'deleteUrlVariable',
  });
  defineKeyedSecretMutations(resource, ref, {
    typeName: 'CustomHeader',
    noun: 'custom header',
    restPath: 'custom_headers',
    set: 'setCustomHeader',
    remove: 'deleteCustomHeader',
  });
  return ref;
}

/** A read of one of the scope's hooks by REST id, through the request's loader. */
function loaderOf<T extends HookScopeTypes>(resource: HookResource<T>) {
  return (ctx: GatewayContext, id: number): Promise<HookDto | null> => resource.hooksOf(ctx).loader.load(id);
}

/** The query of one hook by id, and the connection of all of them. */
function defineHookQueries<T extends HookScopeTypes>(resource: HookResource<T>, ref: HookRef): void {
  const { scope } = resource;
  const load = loaderOf(resource);
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
      resolve: (_root, args, ctx) => load(ctx, parseHookId(String(args.id), scope.model)),
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
        resolve: (_root, args, ctx) => resolveHookPage(resource.hooksOf(ctx), args),
      },
      {
        name: `${scope.model}Connection`,
        description: `A page of ${plural}.`,
        fields: (c) => ({
          count: c.int({
            description: `Number of ${plural} in all (REST: \`X-Total\`); ${COUNT_LIMIT + 1} when GitLab reports more than ${COUNT_LIMIT}.`,
            resolve: (connection) => connection.count,
          }),
        }),
      },
      { name: `${scope.model}Edge`, description: `A ${scope.noun} and its cursor.` },
    ),
  );
}
