import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import {
  createEmbeddedGitLab,
  type EmbeddedGitLab,
  type EmbeddedGitLabOptions,
} from '../../src/embedded-gitlab/index.ts';
import { createGateway, type GatewayOptions } from '../../src/server.ts';
import {
  createGitLabClient,
  type GitLabClient,
  type GitLabClientOptions,
} from '../../src/upstream/client.ts';
import { ADMIN_TOKEN, graphqlHeaders, USER_TOKEN } from './credentials.ts';
import type { UntypedData } from './untyped.ts';

export interface GraphQLErrorJson {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLResponse<Data> {
  status: number;
  data?: Data | null;
  errors?: GraphQLErrorJson[];
}

export interface RequestOptions {
  /** `PRIVATE-TOKEN` to send; `null` sends no credential. @default the admin token */
  token?: string | null;
  headers?: Record<string, string>;
}

/** A gateway on a real loopback port, and a typed client for it. */
export interface GatewayHandle {
  url: string;
  client: GitLabClient;
  request<Data, Variables>(
    document: TypedDocumentNode<Data, Variables>,
    variables?: Variables,
    options?: RequestOptions,
  ): Promise<GraphQLResponse<Data>>;
  /** An untyped document, for shapes no generated operation has (aliases, invalid documents). */
  requestText(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<GraphQLResponse<UntypedData>>;
  close(): Promise<void>;
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export async function startGateway(
  gitlabUrl: string,
  options: { upstream?: Partial<GitLabClientOptions>; gateway?: Partial<GatewayOptions> } = {},
): Promise<GatewayHandle> {
  const client = createGitLabClient({ baseUrl: gitlabUrl, timeoutMs: 2_000, ...options.upstream });
  const gateway = createGateway({ api: client, logging: false, ...options.gateway });
  const server = createServer(gateway);
  const url = await listen(server);

  const requestText = async (
    query: string,
    variables?: Record<string, unknown>,
    opts: RequestOptions = {},
  ) => {
    const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { ...graphqlHeaders(token), ...opts.headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<unknown>, 'status'>;
    return { status: response.status, ...body };
  };

  return {
    url,
    client,
    request: (document, variables, opts) =>
      requestText(print(document), variables as Record<string, unknown> | undefined, opts) as never,
    requestText,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
    },
  };
}

/** The embedded GitLab and a gateway in front of it, as every GraphQL test needs them. */
export interface Stack extends GatewayHandle {
  gitlab: EmbeddedGitLab;
  /** Upstream requests served since the last `resetRequestLog()`, as the embedded GitLab counts them. */
  upstreamRequests(): readonly { method: string; path: string; query: string; status: number }[];
}

export async function startStack(
  options: {
    gitlab?: Partial<EmbeddedGitLabOptions>;
    upstream?: Partial<GitLabClientOptions>;
    gateway?: Partial<GatewayOptions>;
  } = {},
): Promise<Stack> {
  const gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN, ...options.gitlab });
  const gitlabUrl = await gitlab.listen();
  const gateway = await startGateway(gitlabUrl, options);
  return {
    ...gateway,
    gitlab,
    upstreamRequests: () => gitlab.requests,
    close: async () => {
      await gateway.close();
      await gitlab.close();
    },
  };
}

/** `count` hooks created through the embedded GitLab's own validation; returns their REST ids. */
export function seedHooks(gitlab: EmbeddedGitLab, count: number): Promise<number[]> {
  return gitlab.seed(
    Array.from({ length: count }, (_, i) => ({
      url: `https://hooks.example.com/${i + 1}`,
      name: `hook ${i + 1}`,
    })),
  );
}

export const gid = (id: number) => `gid://gitlab/SystemHook/${id}`;
