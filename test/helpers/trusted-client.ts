import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { DocumentNode } from 'graphql';
import { graphqlHeaders } from './credentials.ts';
import type { GraphQLResponse } from './stack.ts';
import type { UntypedData } from './untyped.ts';

/**
 * A frontend's client in trusted-documents mode: it sends the hash that codegen put on each generated
 * document (`__meta__.hash`, `sha256:<hex>`), never the document's text.
 */

/** How the hash travels: GraphQL over HTTP's `documentId`, or the automatic-persisted-queries extension. */
export type HashForm = 'documentId' | 'persistedQuery';

/** The `sha256:<hex>` hash codegen gave a generated document. */
export function documentHash(document: DocumentNode): string {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string') throw new Error('the document has no __meta__.hash: run npm run codegen');
  return hash;
}

/** POSTs `body` as JSON to the gateway's GraphQL endpoint, with the admin token; the answer as a test reads it. */
export async function postGraphQL(url: string, body: unknown): Promise<GraphQLResponse<UntypedData>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: graphqlHeaders(),
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** Runs a generated operation by its hash alone, with typed variables and a typed result. */
export function requestByHash<Data, Variables>(
  url: string,
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  form: HashForm = 'documentId',
): Promise<GraphQLResponse<Data>> {
  const hash = documentHash(document);
  const body =
    form === 'documentId'
      ? { documentId: hash, variables }
      : {
          variables,
          extensions: { persistedQuery: { version: 1, sha256Hash: hash.slice('sha256:'.length) } },
        };
  return postGraphQL(url, body);
}
