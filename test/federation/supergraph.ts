import { createServer, type IncomingHttpHeaders } from 'node:http';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { graphqlHeaders } from '../helpers/credentials.ts';
import { listen } from '../helpers/stack.ts';
import type { UntypedData } from '../helpers/untyped.ts';

/**
 * A supergraph around the gateway, as a platform team would run it: a second subgraph that extends
 * SystemHook, composed with the gateway's SDL by @apollo/composition, behind Apollo Gateway or the Hive
 * gateway runtime.
 */

/** A small subgraph of another team: who owns each hook, and an audit log that points at hooks. */
const OWNERSHIP_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])

  type Query {
    "The latest changes to system hooks, newest first."
    hookAuditLog(first: Int!): AuditEventConnection!
  }

  "A system hook, extended with its owner."
  type SystemHook @key(fields: "id") {
    id: ID!
    "The team that owns the hook; null when no team claimed it."
    ownerTeam: String
  }

  type AuditEventConnection {
    nodes: [AuditEvent!]!
    pageInfo: PageInfo!
  }

  type AuditEvent implements Node {
    id: ID!
    action: String!
    systemHook: SystemHook!
  }

  "Relay's Node and PageInfo, which the gateway's subgraph defines too."
  interface Node {
    id: ID!
  }

  type PageInfo @shareable {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
`;

export interface OwnershipSubgraph {
  name: 'ownership';
  url: string;
  sdl: string;
  /** GraphQL requests this subgraph answered. */
  requests: number;
  close(): Promise<void>;
}

/** The ownership subgraph on loopback; `owners` maps a hook's global ID to its team, in audit-log order. */
export async function startOwnershipSubgraph(
  owners: ReadonlyMap<string, string>,
): Promise<OwnershipSubgraph> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(OWNERSHIP_SDL),
    resolvers: {
      Query: {
        hookAuditLog: (_root: unknown, { first }: { first: number }) => ({
          nodes: [...owners.keys()]
            .slice(0, first)
            .map((id, i) => ({ id: `audit-${i}`, action: 'updated', systemHook: { id } })),
          pageInfo: {
            hasNextPage: first < owners.size,
            hasPreviousPage: false,
            startCursor: null,
            endCursor: null,
          },
        }),
      },
      SystemHook: {
        __resolveReference: (reference: { id: string }) => reference,
        ownerTeam: (hook: { id: string }) => owners.get(hook.id) ?? null,
      },
    },
  });
  const yoga = createYoga({ schema, logging: false });
  const subgraph: OwnershipSubgraph = {
    name: 'ownership',
    url: '',
    sdl: OWNERSHIP_SDL,
    requests: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    subgraph.requests += 1;
    void yoga(req, res);
  });
  subgraph.url = `${await listen(server)}/graphql`;
  return subgraph;
}

export interface SubgraphEndpoint {
  name: string;
  url: string;
  sdl: string;
}

/** The supergraph SDL of the subgraphs; composition errors fail the caller with their messages. */
export function composeSupergraph(subgraphs: readonly SubgraphEndpoint[]): string {
  const result = composeServices(
    subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
  );
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

/** The headers a caller authenticates with, which every subgraph fetch must carry on to the gateway. */
const CREDENTIAL_HEADERS = ['private-token', 'authorization'] as const;

export interface RunningGateway {
  /** The GraphQL endpoint. */
  url: string;
  close(): Promise<void>;
}

interface ApolloContext {
  credentials: Record<string, string>;
}

function credentialsOf(headers: IncomingHttpHeaders): Record<string, string> {
  const credentials: Record<string, string> = {};
  for (const name of CREDENTIAL_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') credentials[name] = value;
  }
  return credentials;
}

/** Apollo Gateway with a static supergraph, served by Apollo Server, forwarding the caller's credential. */
export async function startApolloGateway(supergraphSdl: string): Promise<RunningGateway> {
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<ApolloContext>({
        url,
        willSendRequest(options) {
          // Only a caller's operation has a caller; schema loads and health checks carry no credential.
          if (!('incomingRequestContext' in options)) return;
          for (const [name, value] of Object.entries(options.context.credentials)) {
            options.request.http?.headers.set(name, value);
          }
        },
      }),
  });
  const server = new ApolloServer<ApolloContext>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ credentials: credentialsOf(req.headers) }),
  });
  return { url, close: () => server.stop() };
}

/** The Hive gateway runtime with a static supergraph, on node:http, forwarding the caller's credential. */
export async function startHiveGateway(supergraphSdl: string): Promise<RunningGateway> {
  const runtime = createGatewayRuntime({
    supergraph: supergraphSdl,
    logging: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) =>
        Object.fromEntries(CREDENTIAL_HEADERS.map((name) => [name, request.headers.get(name)])),
    },
  });
  const server = createServer(runtime);
  const origin = await listen(server);
  return {
    url: `${origin}/graphql`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.dispose();
    },
  };
}

export interface GraphQLResult {
  status: number;
  data?: UntypedData;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

/** A POST of one operation; `token` goes in `PRIVATE-TOKEN`, `null` sends no credential. */
export async function postGraphQL(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
): Promise<GraphQLResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: graphqlHeaders(token),
    body: JSON.stringify({ query, variables }),
  });
  // Read over HTTP, so Apollo Gateway's null-prototype result objects arrive as plain JSON, comparable as is.
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResult, 'status'>) };
}
