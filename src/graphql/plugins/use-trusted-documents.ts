import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { type GraphQLError, parse } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { type GatewayErrorCode, gatewayError } from '../errors.ts';

/**
 * Trusted documents: the gateway executes only the documents its operator shipped with the frontend, named by
 * hash, as a manifest `{ "sha256:<hex>": "<document>" }` (what the codegen client preset writes to
 * `persisted-documents.json`). Anything else is refused before it is parsed.
 */

/** The manifest, keyed by the lower-case hex SHA-256 of each document's text. */
export type TrustedDocuments = ReadonlyMap<string, string>;

/** The body field of the GraphQL-over-HTTP persisted-documents appendix, which the client preset's hashes fit. */
export const DOCUMENT_ID_PARAM = 'documentId';

const DOCUMENT_ID = /^sha256:([0-9a-f]{64})$/i;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** The manifest is broken; every problem found, so the operator fixes them in one go. */
export class TrustedDocumentsManifestError extends Error {
  override readonly name = 'TrustedDocumentsManifestError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/**
 * Reads a manifest. Every key must be `sha256:` and the SHA-256 of its document's text (so a manifest edited by
 * hand, or built for other documents, is caught at start rather than as "not found" in production), and every
 * document must parse.
 */
export function parseTrustedDocumentsManifest(text: string): TrustedDocuments {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TrustedDocumentsManifestError([`it is not JSON (${(error as Error).message})`]);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new TrustedDocumentsManifestError([
      'it must be a JSON object mapping "sha256:<hash>" to a GraphQL document',
    ]);
  const problems: string[] = [];
  const documents = new Map<string, string>();
  for (const [key, document] of Object.entries(json)) {
    const shown = JSON.stringify(key.slice(0, 80));
    const hash = DOCUMENT_ID.exec(key)?.[1]?.toLowerCase();
    if (hash === undefined) {
      problems.push(`key ${shown} is not "sha256:" followed by 64 hexadecimal characters`);
      continue;
    }
    if (typeof document !== 'string') {
      problems.push(`the value of ${shown} is not a string`);
      continue;
    }
    if (sha256Hex(document) !== hash) {
      problems.push(`key ${shown} is not the SHA-256 of its document`);
      continue;
    }
    try {
      parse(document, { noLocation: true });
    } catch (error) {
      problems.push(`the document of ${shown} does not parse: ${(error as Error).message}`);
      continue;
    }
    documents.set(hash, document);
  }
  if (documents.size === 0 && problems.length === 0) problems.push('it has no documents');
  if (problems.length > 0) throw new TrustedDocumentsManifestError(problems);
  return documents;
}

/** At most this many manifest problems are listed; the rest are counted. */
const MANIFEST_PROBLEMS_SHOWN = 5;

/**
 * The manifest in the file at `path` (`TRUSTED_DOCUMENTS_FILE`; `undefined`: unset, any document runs), or why it
 * cannot be used: the file cannot be read, or is no manifest (its first problems, and how many more).
 */
export function readTrustedDocumentsFile(
  path: string | undefined,
  variable = 'TRUSTED_DOCUMENTS_FILE',
): { value: TrustedDocuments | undefined; problems: string[] } {
  if (path === undefined) return { value: undefined, problems: [] };
  const where = `${variable} ${JSON.stringify(path)}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return { value: undefined, problems: [`${where} cannot be read (${code})`] };
  }
  try {
    return { value: parseTrustedDocumentsManifest(text), problems: [] };
  } catch (error) {
    if (!(error instanceof TrustedDocumentsManifestError)) throw error;
    const shown = error.problems.slice(0, MANIFEST_PROBLEMS_SHOWN);
    const more = error.problems.length - shown.length;
    const problem = `${where} is not a trusted-documents manifest: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
    return { value: undefined, problems: [problem] };
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function requestError(message: string, code: GatewayErrorCode): GraphQLError {
  return gatewayError(code, message, { http: { status: 400 } });
}

const HOW_TO_SEND =
  'send the hash of a document from its manifest, as "documentId": "sha256:<hex>" or as ' +
  '"extensions": { "persistedQuery": { "version": 1, "sha256Hash": "<hex>" } }';

/**
 * The document's hash from the request: `documentId` (`sha256:<hex>`, GraphQL over HTTP) or
 * `extensions.persistedQuery.sha256Hash` (`<hex>`, the automatic-persisted-queries shape Apollo Client and
 * urql send). A value that cannot be a SHA-256 is an input error, never looked up, never echoed.
 */
function extractDocumentHash(params: GraphQLParams): string | null {
  const documentId: unknown = (params as Record<string, unknown>)[DOCUMENT_ID_PARAM];
  const persistedQuery: unknown = params.extensions?.persistedQuery;
  let fromId: string | undefined;
  let fromExtensions: string | undefined;
  if (documentId !== undefined && documentId !== null) {
    fromId = typeof documentId === 'string' ? DOCUMENT_ID.exec(documentId)?.[1]?.toLowerCase() : undefined;
    if (fromId === undefined)
      throw requestError(
        'documentId must be "sha256:" followed by the 64 hexadecimal characters of a SHA-256 hash',
        'BAD_USER_INPUT',
      );
  }
  if (persistedQuery !== undefined && persistedQuery !== null) {
    const { version, sha256Hash } = persistedQuery as { version?: unknown; sha256Hash?: unknown };
    if (version !== 1 || typeof sha256Hash !== 'string' || !SHA256_HEX.test(sha256Hash))
      throw requestError(
        'extensions.persistedQuery must be { "version": 1, "sha256Hash": <64 hexadecimal characters> }',
        'BAD_USER_INPUT',
      );
    fromExtensions = sha256Hash.toLowerCase();
  }
  if (fromId !== undefined && fromExtensions !== undefined && fromId !== fromExtensions)
    throw requestError(
      'documentId and extensions.persistedQuery.sha256Hash name different documents; send one',
      'BAD_USER_INPUT',
    );
  return fromId ?? fromExtensions ?? null;
}

export interface TrustedDocumentsOptions {
  /** The manifest; only these documents run. */
  documents: TrustedDocuments;
}

const documentTextRefused = () =>
  requestError(
    `This gateway runs only trusted documents and does not accept a document's text: ${HOW_TO_SEND}`,
    'PERSISTED_QUERY_ID_REQUIRED',
  );
const noHash = () =>
  requestError(`This gateway runs only trusted documents: ${HOW_TO_SEND}`, 'PERSISTED_QUERY_ID_REQUIRED');
const notInList = (hash: string | null) =>
  requestError(
    `PersistedQueryNotFound: no trusted document has the hash sha256:${hash}`,
    'PERSISTED_QUERY_NOT_IN_LIST',
  );

/**
 * Runs only documents from the manifest, named by hash. A request with a document's text (even a trusted one),
 * without a hash, or with a hash the manifest lacks is refused with a request error (HTTP 400) that says what
 * to send. The caller must also accept the `documentId` body field (Yoga's `extraParamNames`).
 */
export function useTrustedDocuments({ documents }: TrustedDocumentsOptions): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    extractPersistedOperationId: extractDocumentHash,
    getPersistedOperation: (hash) => documents.get(hash) ?? null,
    customErrors: {
      persistedQueryOnly: documentTextRefused,
      keyNotFound: noHash,
      notFound: ({ params }) => notInList(extractDocumentHash(params)),
    },
  });
}

/**
 * The trusted document a request names, for transports outside Yoga's HTTP pipeline (GraphQL over WebSocket),
 * with the same rules and errors as `useTrustedDocuments`: a document's text is refused, and so is a hash the
 * manifest lacks.
 */
export function trustedDocumentOf(params: GraphQLParams, documents: TrustedDocuments): string {
  const hash = extractDocumentHash(params);
  if (params.query) throw documentTextRefused();
  if (hash === null) throw noHash();
  const document = documents.get(hash);
  if (document === undefined) throw notInList(hash);
  return document;
}
