import type { InterfaceRef, ObjectRef } from '@pothos/core';
import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import { isParentNotFound } from '../../upstream/errors.ts';
import {
  type HookScope,
  type HookScopeTypes,
  isWellFormedPath,
  type ParentRef,
  TEST_TRIGGERS,
} from '../../upstream/hook-scope.ts';
import type { HookDto } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import { badUserInput } from '../errors.ts';
import { type RequestHooks, WHOLE_LIST } from '../loaders/hook-collections.ts';
import { upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { encodeGlobalId, parseGlobalId, quoteValue } from './global-id.ts';
import { resolveParentHookPage } from './hook-connection.ts';
import { idQueryForm, isHookUnder } from './hook-fields.ts';
import { defineHookResource, type HookRef, type HookResource, hookConnectionTypes } from './hook-resource.ts';
import { DEFAULT_PAGE_SIZE } from './page-window.ts';
import { defineWebhookEvents } from './webhook-event.ts';

/**
 * A scope whose hooks live under a parent (a project, a group): its hook type, and the parent's type with the
 * hooks as fields, `Query.project(fullPath) { webhooks webhook(id) }` as GitLab's GraphQL has them. Written once
 * over the scope; `project-hook.ts` and `group-hook.ts` are its two uses.
 */

type Types = typeof builder.$inferSchemaTypes;

/** A project or group as the schema holds it: how REST names it, and its entity once read. */
export interface ParentObject {
  readonly parent: ParentRef;
}

export type ParentObjectRef = ObjectRef<Types, ParentObject>;

/** What a scope with a parent says beyond its upstream value. */
export interface ParentScopeOptions<T extends HookScopeTypes & { parent: ParentRef }> {
  readonly scope: HookScope<T>;
  /** The root field that reads a parent by full path: `project`. */
  readonly queryField: string;
  /** The create input's field naming the parent: `projectPath`. */
  readonly pathInput: string;
  /** The hook type's description. */
  readonly hookDescription: string;
  /** The parent type's description. */
  readonly parentDescription: string;
  /** Who may read and manage the hooks, for descriptions: `Maintainers and Owners of the project`. */
  readonly managers: string;
  /** Whether the parent's list leaves out URL variables and custom headers (a project's, §3.4). */
  readonly listOmitsKeys: boolean;
}

/** The parent a full path or numeric id names; a `BAD_USER_INPUT` error for one GitLab's route cannot take. */
export function parentRefOf(value: string, noun: string): ParentRef {
  if (/^[0-9]{1,15}$/.test(value) && Number(value) > 0) return Number(value);
  if (!isWellFormedPath(value)) throw badUserInput(`${quoteValue(value)} is not a ${noun}'s full path or id`);
  return value;
}

export function defineParentScope<T extends HookScopeTypes & { parent: ParentRef }>(
  options: ParentScopeOptions<T>,
  webhook: InterfaceRef<Types, HookDto>,
): { resource: HookResource<T>; hook: HookRef; parentType: ParentObjectRef } {
  const { scope } = options;
  const parent = scope.parent;
  if (!parent) throw new Error(`${scope.model} has no parent`);
  const { idField, noun } = parent;
  const parentType: ParentObjectRef = builder.objectRef<ParentObject>(parent.model);
  const collection = (ctx: GatewayContext, ref: ParentRef): RequestHooks<T> => hooksUnder(ctx, scope, ref);

  const resource: HookResource<T> = {
    scope,
    idParams: [idField],
    collectionOf: (ctx, params) => {
      const id = params[idField];
      if (id === undefined) {
        throw badUserInput(
          `A ${scope.model} ID must name its ${noun}: gid://gitlab/${scope.model}/<id>?${idField}=<${idField}>`,
        );
      }
      return collection(ctx, id);
    },
    idParamsOf: (hook) => ({ [idField]: parentIdOf(hook, idField) }),
    description: options.hookDescription,
    descriptions: {
      disabledUntil:
        'End of a temporary disablement after failed deliveries; while it lies ahead, `alertStatus` is ' +
        '`TEMPORARILY_DISABLED`. GitLab keeps it after it passes, until a delivery succeeds.',
      customWebhookTemplate:
        'Custom payload template (`{{field}}` placeholders); null when GitLab sends its own.',
    },
    fields: (t) => ({
      [noun]: t.field({
        type: parentType,
        description: `The ${noun} the hook belongs to.`,
        resolve: (hook) => ({ parent: parentIdOf(hook, idField) }),
      }),
    }),
    isTypeOf: (value) => isHookUnder(value, idField),
    createIn: {
      fields: (t) => ({
        [options.pathInput]: t.id({
          required: true,
          description: `The ${noun}: its full path (\`group/${noun === 'project' ? 'project' : 'subgroup'}\`) or numeric id.`,
        }),
      }),
      collection: (ctx, input) => collection(ctx, parentRefOf(String(input[options.pathInput]), noun)),
    },
    ...(options.listOmitsKeys
      ? {
          whole: (hook: HookDto, ctx: GatewayContext) =>
            (ctx.hooks.originOf(hook) ?? collection(ctx, parentIdOf(hook, idField))).detail.load(hook.id),
        }
      : {}),
    test: {
      description:
        `Makes GitLab deliver its sample event of a trigger to a ${scope.noun} now. GitLab answers with success ` +
        "only when the receiver answered 2xx; otherwise the payload carries its message (the receiver's body, or " +
        'why there is nothing to send, such as "Ensure the project has issues.").',
      inputFields: (t) => ({
        trigger: t.field({ type: WebhookTestTrigger, required: true, description: 'The event to send.' }),
      }),
      args: (input) => [String(input.trigger)] as T['testArgs'],
    },
  };
  const hook = defineHookResource(resource, webhook);
  defineWebhookEvents(resource, hook);
  defineParentType(options, parentType, hook, resource);
  return { resource, hook, parentType };
}

/** The request's hooks of `scope` under `parent`. */
function hooksUnder<T extends HookScopeTypes>(
  ctx: GatewayContext,
  scope: HookScope<T>,
  parent: ParentRef,
): RequestHooks<T> {
  // `T['parent']` is `ParentRef` for every scope this module takes, which `ParentArgs<T>` cannot see.
  return (ctx.hooks as unknown as (s: HookScope<T>, p: ParentRef) => RequestHooks<T>)(scope, parent);
}

/** The numeric id of a hook's parent, from its entity (checked by the wire reader). */
export function parentIdOf(hook: HookDto, idField: string): number {
  return (hook as unknown as Record<string, number>)[idField] as number;
}

export const WebhookTestTrigger = builder.enumType('WebhookTestTrigger', {
  // Values GitLab has no sample data for are offered too: GitLab answers them with 422, a payload error.
  description:
    "The events a project or group hook can be tested with, GitLab's trigger names in upper case " +
    "(`PUSH_EVENTS` is REST's `push_events`).",
  values: Object.fromEntries(
    TEST_TRIGGERS.map((trigger) => [
      trigger.toUpperCase(),
      { value: trigger, description: `REST: \`${trigger}\`.` },
    ]),
  ),
});

function defineParentType<T extends HookScopeTypes & { parent: ParentRef }>(
  options: ParentScopeOptions<T>,
  parentType: ParentObjectRef,
  hook: HookRef,
  resource: HookResource<T>,
): void {
  const { scope } = options;
  const parent = scope.parent as NonNullable<HookScope<T>['parent']>;
  const { noun, model } = parent;
  const collection = (ctx: GatewayContext, object: ParentObject) => hooksUnder(ctx, scope, object.parent);
  const entity = (ctx: GatewayContext, object: ParentObject) => collection(ctx, object).api.getParent();
  const restOf = `GET /api/v4${parent.route}`;
  const hookIdForm = `gid://gitlab/${scope.model}/<id>${idQueryForm(resource.idParams ?? [])}`;

  builder.objectType(parentType, {
    description: options.parentDescription,
    fields: (t) => ({
      id: t.id({
        // Other subgraphs that own the parent serve these too.
        shareable: true,
        description: `Global ID of the ${noun}, \`gid://gitlab/${model}/<id>\`. REST: ${restOf} when reached by path.`,
        resolve: async (object, _args, ctx) =>
          encodeGlobalId(
            model,
            typeof object.parent === 'number' ? object.parent : (await entity(ctx, object)).id,
          ),
      }),
      fullPath: t.id({
        shareable: true,
        description: `Full path of the ${noun} (\`group/${noun}\`). REST: ${restOf} when reached by id.`,
        resolve: async (object, _args, ctx) =>
          typeof object.parent === 'string' ? object.parent : (await entity(ctx, object)).full_path,
      }),
      name: t.string({
        shareable: true,
        description: `Name of the ${noun}. REST: ${restOf}`,
        resolve: async (object, _args, ctx) => (await entity(ctx, object)).name,
      }),
      webUrl: t.string({
        shareable: true,
        description: `Web URL of the ${noun}. REST: ${restOf}`,
        resolve: async (object, _args, ctx) => (await entity(ctx, object)).web_url,
      }),
      webhooks: t.connection(
        {
          type: hook,
          description:
            `The ${noun}'s hooks in creation (id) order, ${DEFAULT_PAGE_SIZE} by default; ${options.managers} ` +
            `may read them (\`FORBIDDEN\` for others who can see the ${noun}). ` +
            `REST: GET /api/v4${scope.route}`,
          // The whole list is one call; a list longer than a page (a raised plan limit) is paged in up to three.
          extensions: upstreamCalls(3),
          resolve: (object, args, ctx) => resolveParentHookPage(collection(ctx, object), args),
        },
        ...hookConnectionTypes(scope as unknown as HookScope),
      ),
      webhook: t.field({
        type: hook,
        nullable: true,
        description:
          `One of the ${noun}'s hooks by global ID or REST id; null when the ${noun} has no such hook (a hook of ` +
          `another ${noun} included). REST: GET /api/v4${scope.route}/:hook_id`,
        extensions: upstreamCalls(1),
        args: {
          id: t.arg.id({
            required: true,
            description: `Global ID \`${hookIdForm}\` (or GitLab's \`gid://gitlab/${scope.model}/<id>\`), or the REST id.`,
          }),
        },
        resolve: (object, args, ctx) => readHookUnder(ctx, resource, object, String(args.id)),
      }),
    }),
  });

  builder.asEntity(parentType, {
    key: [builder.selection<{ id: string }>('id'), builder.selection<{ fullPath: string }>('fullPath')],
    // No call: the other subgraph knows the parent exists; its hooks are read when selected.
    resolveReference: (representation) => parentFromRepresentation(representation, model, noun),
  });

  builder.queryField(options.queryField, (t) =>
    t.field({
      type: parentType,
      nullable: true,
      description:
        `A ${noun} by full path (or numeric id); null when it does not exist or the caller cannot see it. Reached ` +
        `only for its hooks, it costs no call of its own: the first read of its hooks tells whether it is visible. ` +
        `REST: ${restOf} (only for the fields that need it)`,
      extensions: upstreamCalls(1),
      args: {
        fullPath: t.arg.id({ required: true, description: `Full path of the ${noun}, or its numeric id.` }),
      },
      resolve: (_root, args, ctx, info) => {
        const object: ParentObject = { parent: parentRefOf(String(args.fullPath), noun) };
        return visibleOrNull(object, collection(ctx, object), resource, info);
      },
    }),
  );
}

/** A parent from a Federation representation: its global ID or its full path. */
function parentFromRepresentation(
  representation: { id?: unknown; fullPath?: unknown },
  model: string,
  noun: string,
): ParentObject {
  if (typeof representation.id === 'string' || typeof representation.id === 'number') {
    return { parent: parseGlobalId(String(representation.id), [model]).id };
  }
  if (typeof representation.fullPath === 'string')
    return { parent: parentRefOf(representation.fullPath, noun) };
  throw badUserInput(`A ${model} representation needs its key field "id" or "fullPath"`);
}

/**
 * A hook of the parent by the ID a query gives: GitLab's plain forms are taken, since the parent is known; a
 * parent named in the ID too must be this one, else the hook is not this parent's and reads as null.
 */
async function readHookUnder<T extends HookScopeTypes & { parent: ParentRef }>(
  ctx: GatewayContext,
  resource: HookResource<T>,
  object: ParentObject,
  value: string,
): Promise<HookDto | null> {
  const idField = resource.scope.parent?.idField as string;
  const { id, params } = parseGlobalId(value, [resource.scope.model], () => [idField]);
  const named = params[idField];
  if (named !== undefined && typeof object.parent === 'number' && named !== object.parent) return null;
  const hook = await hooksUnder(ctx, resource.scope, object.parent).detail.load(id);
  if (hook && named !== undefined && parentIdOf(hook, idField) !== named) return null;
  return hook;
}

/**
 * The parent, or null when GitLab says it does not exist or is hidden from the caller, learnt from the first
 * call the selection makes anyway: the list of hooks when `webhooks` is selected, the hook when only
 * `webhook(id)` is, and `GET /projects/:id` only when a field needs the parent's own entity. Any other failure
 * is left to the fields that share the call, so a Developer's 403 is `FORBIDDEN` at `webhooks`, not here.
 */
async function visibleOrNull<T extends HookScopeTypes>(
  object: ParentObject,
  hooks: RequestHooks<T>,
  resource: HookResource<T>,
  info: GraphQLResolveInfo,
): Promise<ParentObject | null> {
  try {
    await probeOf(object, hooks, resource, info);
  } catch (error) {
    if (isParentNotFound(error)) return null;
  }
  return object;
}

/** Fields of the parent that its own entity serves. */
const ENTITY_FIELDS = new Set(['name', 'webUrl']);

function probeOf<T extends HookScopeTypes>(
  object: ParentObject,
  hooks: RequestHooks<T>,
  resource: HookResource<T>,
  info: GraphQLResolveInfo,
): Promise<unknown> {
  const fields = selectedFields(info);
  const needsEntity = fields.some(
    (field) =>
      ENTITY_FIELDS.has(field.name.value) ||
      (field.name.value === 'id' && typeof object.parent === 'string') ||
      (field.name.value === 'fullPath' && typeof object.parent === 'number'),
  );
  if (!needsEntity) {
    if (fields.some((field) => field.name.value === 'webhooks')) return hooks.api.listHooks(WHOLE_LIST);
    const hookIds = fields
      .filter((field) => field.name.value === 'webhook')
      .map((field) => hookIdArgument(field, info, resource));
    // A bad ID is the field's BAD_USER_INPUT, and costs no call here either.
    if (hookIds.includes(null)) return Promise.resolve();
    const hookId = hookIds.find((id): id is number => typeof id === 'number');
    if (hookId !== undefined) return hooks.detail.load(hookId);
  }
  return hooks.api.getParent();
}

/**
 * The REST id a `webhook(id)` selection names, when it can be read before the field runs; null for one the field
 * will refuse.
 */
function hookIdArgument<T extends HookScopeTypes>(
  field: FieldNode,
  info: GraphQLResolveInfo,
  resource: HookResource<T>,
): number | null | undefined {
  const value = field.arguments?.find((arg) => arg.name.value === 'id')?.value;
  let text: unknown;
  if (value?.kind === Kind.STRING || value?.kind === Kind.INT) text = value.value;
  else if (value?.kind === Kind.VARIABLE) text = info.variableValues[value.name.value];
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  try {
    return parseGlobalId(String(text), [resource.scope.model], () => resource.idParams ?? []).id;
  } catch {
    // The field itself reports the bad ID.
    return null;
  }
}

/** The fields selected on the field being resolved, through fragments, without descending further. */
function selectedFields(info: GraphQLResolveInfo): FieldNode[] {
  const fields: FieldNode[] = [];
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        walk(info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return fields;
}
