import { GITLAB_MAX_PER_PAGE } from '../../upstream/types.ts';
import type { GatewayContext } from '../context.ts';
import { badUserInput } from '../errors.ts';
import { type CallsOfItem, upstreamCalls } from '../plugins/use-query-limits.ts';
import { builder } from './builder.ts';
import { type ParsedGlobalId, parseGlobalId } from './global-id.ts';

/**
 * `node` and `nodes`, which read any object by global ID: each type that implements `Node` registers how a
 * request reads one by its REST id, and the global ID's type picks it. They are defined here rather than by the
 * relay plugin so that ID errors and list bounds are the gateway's to state.
 */

interface NodeType {
  /** The type, as global IDs name it. */
  readonly typename: string;
  /** Its REST read, as descriptions quote it: `GET /api/v4/hooks/:id`. */
  readonly route: string;
  /** The parameters its global IDs carry (`project_id`). @default none */
  readonly params?: readonly string[];
  /** Reads one through the request's loader; null when it does not exist. */
  load(ctx: GatewayContext, id: ParsedGlobalId): Promise<unknown>;
  /** The calls to GitLab reading one may make at most (a log entry scans pages). @default 1 */
  readonly calls?: number;
}

const NODE_TYPES = new Map<string, NodeType>();
/** Their names in the order they were added; the first is the type a plain REST id names. */
const TYPENAMES: string[] = [];

/** Adds a type to `node` and `nodes`. */
export function registerNodeType(type: NodeType): void {
  if (!NODE_TYPES.has(type.typename)) TYPENAMES.push(type.typename);
  NODE_TYPES.set(type.typename, type);
}

function typenames(): [string, ...string[]] {
  if (TYPENAMES.length === 0) throw new Error('No type implements Node: define a hook resource first');
  return TYPENAMES as [string, ...string[]];
}

/** The REST reads behind `node`, for descriptions: `GET /api/v4/hooks/:id`. */
export function nodeRoutes(): string {
  return typenames()
    .map((typename) => NODE_TYPES.get(typename)?.route)
    .join(', ');
}

/** The parameters a registered type's global IDs carry. */
export function nodeParams(typename: string): readonly string[] {
  return NODE_TYPES.get(typename)?.params ?? [];
}

/**
 * What reading an object by global ID costs, for the call estimate: its type's calls; 1 for a value that names
 * no type (it is refused before any call, and counting it keeps the estimate what it was).
 */
export const NODE_CALLS: CallsOfItem = {
  most: () => Math.max(1, ...[...NODE_TYPES.values()].map((type) => type.calls ?? 1)),
  of: (item) => {
    if (typeof item !== 'string') return NODE_CALLS.most();
    try {
      return parseNodeId(item).type.calls ?? 1;
    } catch {
      return 1;
    }
  },
};

/** The type and REST id of a global ID, checked against the registered types. */
function parseNodeId(value: string): { type: NodeType; id: ParsedGlobalId } {
  const id = parseGlobalId(value, typenames(), nodeParams);
  return { type: NODE_TYPES.get(id.typename) as NodeType, id };
}

let defined = false;

/**
 * Defines `node` and `nodes`, once: the first hook scope's definition calls it after its query of one hook, where
 * the subgraph's SDL, which keeps the order fields are declared in, has always had them.
 */
export function defineNodeFields(): void {
  if (defined) return;
  defined = true;
  builder.queryField('node', (t) =>
    t.field({
      type: builder.nodeInterfaceRef(),
      nullable: true,
      description: `Any object by global ID; null when it does not exist. REST: ${nodeRoutes()}`,
      extensions: upstreamCalls({ perItemOf: 'id', max: 1, each: NODE_CALLS }),
      args: { id: t.arg.id({ required: true, description: 'A global ID.' }) },
      resolve: (_root, args, ctx) => {
        const { type, id } = parseNodeId(String(args.id));
        return type.load(ctx, id);
      },
    }),
  );

  builder.queryField('nodes', (t) =>
    t.field({
      type: [builder.nodeInterfaceRef()],
      nullable: { list: false, items: true },
      description:
        `Objects by global ID, in the order asked, null for each that does not exist; at most ${GITLAB_MAX_PER_PAGE} IDs. ` +
        `Batched: the fewest upstream calls cover them all. REST: ${nodeRoutes()}, batched`,
      // Ids above 10,000 are read one call each: the walk of the list would need more pages than ids.
      extensions: upstreamCalls({ perItemOf: 'ids', max: GITLAB_MAX_PER_PAGE, each: NODE_CALLS }),
      args: {
        ids: t.arg.idList({ required: true, description: `Global IDs, at most ${GITLAB_MAX_PER_PAGE}.` }),
      },
      resolve: (_root, args, ctx) => {
        if (args.ids.length > GITLAB_MAX_PER_PAGE) {
          throw badUserInput(`nodes takes at most ${GITLAB_MAX_PER_PAGE} IDs, got ${args.ids.length}`);
        }
        // Every ID is checked before any is loaded, so one bad ID costs no upstream call.
        const ids = args.ids.map((id) => parseNodeId(String(id)));
        return ids.map(({ type, id }) => type.load(ctx, id));
      },
    }),
  );
}
