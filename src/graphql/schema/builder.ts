import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import type { GatewayContext } from '../context.ts';
import { encodeGlobalId } from './global-id.ts';

/** The one schema builder. It defines no types: each type file adds its own, and `index.ts` builds. */
export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  Scalars: {
    ID: { Input: string; Output: string | number };
    DateTime: { Input: Date; Output: Date | string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  // `SystemHookConnection.count`, from GitLab's `X-Total`.
  Connection: { count: number };
}>({
  // Federation after any plugin that wraps resolvers, as its docs ask: entities resolve through them too.
  plugins: [RelayPlugin, DirectivePlugin, FederationPlugin],
  // Output fields are non-null unless they say otherwise, as in GitLab's schema.
  defaultFieldNullability: false,
  relay: {
    cursorType: 'String',
    // `node` and `nodes` are defined in node.ts so that ID errors and list bounds are ours to state.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    nodeTypeOptions: { description: 'An object with a global ID, `gid://gitlab/<Type>/<id>`.' },
    idFieldOptions: { description: 'Global ID of the object.' },
    pageInfoTypeOptions: {
      // Every Relay subgraph of a supergraph defines this PageInfo; Federation 2 needs it declared shared.
      shareable: true,
      description: 'Where a page sits in its list, for moving to the next or previous one.',
    },
    hasNextPageFieldOptions: { description: 'Whether items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'Whether items precede this page.' },
    startCursorFieldOptions: { description: 'Cursor of the first item of the page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of the page.' },
    firstArgOptions: { description: 'Return the first n items (0 to 100).' },
    afterArgOptions: { description: 'Return items after this cursor.' },
    lastArgOptions: { description: 'Return the last n items (0 to 100).' },
    beforeArgOptions: { description: 'Return items before this cursor.' },
    edgesFieldOptions: { nullable: false, description: 'The items of the page with their cursors.' },
    nodesOnConnection: { description: 'The items of the page.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the list.' },
    cursorFieldOptions: { description: 'Cursor of the item, for `after` and `before`.' },
    nodeFieldOptions: { nullable: false, description: 'The item.' },
    encodeGlobalID: (typename, id) => encodeGlobalId(typename, id),
    decodeGlobalID: () => {
      throw new Error('Global IDs are parsed by parseGlobalId, not by the relay plugin');
    },
  },
});

builder.queryType({
  description:
    "Read a GitLab instance's webhooks: system hooks (instance-wide), and project and group hooks with their deliveries.",
});
builder.mutationType({ description: 'Change webhooks of any scope. Each mutation is one GitLab REST call.' });
