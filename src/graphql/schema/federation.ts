import {
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  GraphQLObjectType,
  GraphQLSchema,
  isUnionType,
} from 'graphql';
import type { HookScopeTypes } from '../../upstream/hook-scope.ts';
import { isRecord } from '../../upstream/json.ts';
import { GITLAB_MAX_PER_PAGE, type HookDto } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import { badUserInput } from '../errors.ts';
import { type CallsOfItem, upstreamCalls } from '../plugins/use-query-limits.ts';
import { quoteValue } from './global-id.ts';
import { type HookResource, locateHook } from './hook-resource.ts';
import { NODE_CALLS, nodeRoutes } from './node.ts';

/**
 * The gateway as an Apollo Federation 2 subgraph. The federation plugin adds `_service` and `_entities`;
 * this module states what they accept. A federating gateway sends `_entities` the representations it
 * collected from other subgraphs, so they are checked as strictly as the arguments of `nodes`: bounded in
 * number, each an entity this subgraph owns, each with an `id` that names a hook of its type.
 */

/** The most representations one `_entities` call resolves, as many as `nodes` takes IDs (same reason). */
const MAX_REPRESENTATIONS = GITLAB_MAX_PER_PAGE;

/** A representation keyed by a global ID costs what `node` of that ID does (a log entry scans pages); others 1. */
const ENTITY_CALLS: CallsOfItem = {
  most: NODE_CALLS.most,
  of: (item) => (isRecord(item) && typeof item.id === 'string' ? NODE_CALLS.of(item.id) : 1),
};

/** The SDL a gateway composes declares Federation 2.6, which Apollo Router and Hive Gateway both compose. */
export const FEDERATION_LINK_URL = 'https://specs.apollo.dev/federation/v2.6';

type Representation = Record<string, unknown>;

/**
 * How a representation of the scope's type is resolved: the hook its `id` names, read through the request's
 * loader, so a batch of representations is batched like `nodes`. Async on purpose: a bad key fails its own
 * entity (an error at `_entities.<index>`), not the others of the call, and costs no upstream request.
 */
export function hookReferenceResolver<T extends HookScopeTypes>(resource: HookResource<T>) {
  const { model } = resource.scope;
  return async (representation: Representation, ctx: GatewayContext): Promise<HookDto | null> => {
    const { id } = representation;
    if (id === undefined || id === null) {
      throw badUserInput(`A ${model} representation needs its key field "id"`);
    }
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw badUserInput(`The "id" of a ${model} representation must be a global ID or a REST id`);
    }
    const { hooks, id: restId } = locateHook(resource, ctx, String(id));
    return hooks.loader.load(restId);
  };
}

/**
 * Rejects a whole `_entities` call that is malformed as a call: too many representations, or one that is not
 * an entity of this subgraph (a supergraph that disagrees with this subgraph's SDL, or a hand-made request).
 * Every representation is checked before any is resolved, so such a call never reaches GitLab.
 */
function checkRepresentations(representations: readonly unknown[], entityTypes: ReadonlySet<string>): void {
  if (representations.length > MAX_REPRESENTATIONS) {
    throw badUserInput(
      `_entities takes at most ${MAX_REPRESENTATIONS} representations, got ${representations.length}`,
    );
  }
  const owned = [...entityTypes].join(', ');
  for (const [index, representation] of representations.entries()) {
    const typename = isRecord(representation) ? representation.__typename : undefined;
    if (typeof typename !== 'string') {
      throw badUserInput(`Representation ${index} is not an object with a string __typename`);
    }
    if (!entityTypes.has(typename)) {
      throw badUserInput(
        `Representation ${index} has __typename ${quoteValue(typename)}, which is not an entity of this ` +
          `subgraph (its entities: ${owned})`,
      );
    }
  }
}

/** The representations a call may carry, for the argument's description: `{ __typename: "SystemHook", id }`. */
function representationForms(entityTypes: ReadonlySet<string>): string {
  return [...entityTypes].map((typename) => `\`{ __typename: "${typename}", id }\``).join(', ');
}

/**
 * The subgraph schema with `_entities` guarded by `checkRepresentations` and both federation root fields
 * described. The Query type is rebuilt rather than patched, so the schema the plugin built stays as it was.
 */
export function guardFederationFields(subgraph: GraphQLSchema): GraphQLSchema {
  const query = subgraph.getQueryType();
  const entityUnion = subgraph.getType('_Entity');
  const queryConfig = query?.toConfig();
  const entities = queryConfig?.fields._entities;
  const service = queryConfig?.fields._service;
  const representationsArg = entities?.args?.representations;
  if (
    !query ||
    !queryConfig ||
    !entities?.resolve ||
    !service ||
    !representationsArg ||
    !isUnionType(entityUnion)
  ) {
    throw new Error('Not a subgraph schema with entities: build it with builder.toSubGraphSchema');
  }
  const entityTypes: ReadonlySet<string> = new Set(entityUnion.getTypes().map((type) => type.name));
  const resolveEntities: GraphQLFieldResolver<unknown, GatewayContext> = entities.resolve;

  const guardedEntities: GraphQLFieldConfig<unknown, GatewayContext> = {
    ...entities,
    // Like `nodes`: a representation whose id is above 10,000 is read alone.
    extensions: {
      ...entities.extensions,
      ...upstreamCalls({ perItemOf: 'representations', max: MAX_REPRESENTATIONS, each: ENTITY_CALLS }),
    },
    description:
      `Federation: the entities that the representations name, in their order, null for each that does not ` +
      `exist; at most ${MAX_REPRESENTATIONS}. Batched like \`nodes\`. REST: ${nodeRoutes()}, batched`,
    args: {
      representations: {
        ...representationsArg,
        description: `Entity representations, ${representationForms(entityTypes)}, at most ${MAX_REPRESENTATIONS}.`,
      },
    },
    resolve: (source, args, ctx, info) => {
      checkRepresentations(args.representations as readonly unknown[], entityTypes);
      return resolveEntities(source, args, ctx, info);
    },
  };
  const guardedQuery = new GraphQLObjectType({
    ...queryConfig,
    fields: {
      ...queryConfig.fields,
      _entities: guardedEntities,
      _service: {
        ...service,
        description:
          'Federation: this subgraph, as the SDL with federation directives that a gateway composes.',
      },
    },
  });
  const schemaConfig = subgraph.toConfig();
  return new GraphQLSchema({
    ...schemaConfig,
    query: guardedQuery,
    types: schemaConfig.types.map((type) => (type === query ? guardedQuery : type)),
  });
}
