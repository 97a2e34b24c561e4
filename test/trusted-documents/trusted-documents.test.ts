import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { print } from 'graphql';
import { loadConfig } from '../../src/config/index.ts';
import * as generated from '../generated/graphql.ts';
import { CreateSystemHookDocument, SystemHookDocument, SystemHooksDocument } from '../generated/graphql.ts';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { startProgram } from '../helpers/npm-start.ts';
import { gid, type Stack, seedHooks, startStack } from '../helpers/stack.ts';
import { documentHash, postGraphQL, requestByHash } from '../helpers/trusted-client.ts';

const MANIFEST = fileURLToPath(new URL('../generated/persisted-documents.json', import.meta.url));
const UNKNOWN_HASH = `sha256:${'0'.repeat(64)}`;

function trustedDocuments() {
  const { trustedDocuments } = loadConfig({ TRUSTED_DOCUMENTS_FILE: MANIFEST });
  assert.ok(trustedDocuments);
  return trustedDocuments;
}

describe('the generated manifest', () => {
  it('holds every generated document under the hash the typed client sends', () => {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
    const documents = Object.entries(generated).filter(([name]) => name.endsWith('Document'));
    assert.ok(documents.length >= 10, `${documents.length} generated documents`);
    for (const [name, document] of documents)
      assert.ok(documentHash(document) in manifest, `${name} is in the manifest`);
    assert.equal(trustedDocuments().size, Object.keys(manifest).length);
  });
});

describe('trusted-documents mode (TRUSTED_DOCUMENTS_FILE)', () => {
  let stack: Stack;
  let ids: number[];

  before(async () => {
    stack = await startStack({ gateway: { trustedDocuments: trustedDocuments() } });
    ids = await seedHooks(stack.gitlab, 3);
  });
  after(() => stack.close());
  beforeEach(() => stack.gitlab.resetRequestLog());

  /** A refusal is a 400 request error with `code` whose message matches `message`, and GitLab is not called. */
  function assertRefused(
    result: Awaited<ReturnType<typeof postGraphQL>>,
    code: string,
    message: RegExp,
  ): void {
    assert.equal(result.status, 400, JSON.stringify(result));
    assert.equal(result.data, undefined);
    assert.equal(result.errors?.length, 1, JSON.stringify(result.errors));
    assert.equal(result.errors?.[0]?.extensions?.code, code);
    assert.match(result.errors?.[0]?.message ?? '', message);
    assert.equal(stack.upstreamRequests().length, 0, 'GitLab is not called');
  }

  it('runs a typed query sent as its documentId alone, with typed variables and result', async () => {
    const result = await requestByHash(stack.url, SystemHooksDocument, { first: 2 });
    assert.equal(result.errors, undefined);
    assert.equal(result.data?.systemHooks.count, 3);
    assert.deepEqual(
      result.data?.systemHooks.nodes.map((hook) => hook.name),
      ['hook 1', 'hook 2'],
    );
    assert.equal(result.data?.systemHooks.pageInfo.hasNextPage, true);
  });

  it('runs a query sent as extensions.persistedQuery.sha256Hash, the APQ shape Apollo Client and urql send', async () => {
    const result = await requestByHash(
      stack.url,
      SystemHookDocument,
      { id: gid(ids[1] as number) },
      'persistedQuery',
    );
    assert.equal(result.errors, undefined);
    assert.equal(result.data?.systemHook?.url, 'https://hooks.example.com/2');
  });

  it('runs a query by hash over GET, in the extensions form (documentId is a POST body field)', async () => {
    const hex = documentHash(SystemHooksDocument).slice('sha256:'.length);
    const search = new URLSearchParams({
      variables: JSON.stringify({ first: 1 }),
      extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hex } }),
    });
    const response = await fetch(`${stack.url}/graphql?${search}`, {
      headers: { accept: 'application/graphql-response+json', 'private-token': ADMIN_TOKEN },
    });
    const body = (await response.json()) as { data?: { systemHooks: { count: number } }; errors?: unknown };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.data?.systemHooks.count, 3);
  });

  it('runs a trusted mutation by hash', async () => {
    const result = await requestByHash(stack.url, CreateSystemHookDocument, {
      input: { url: 'https://trusted.example.com/events', name: 'Trusted', clientMutationId: 'pq-1' },
    });
    assert.equal(result.errors, undefined);
    assert.deepEqual(result.data?.createSystemHook.errors, []);
    assert.equal(result.data?.createSystemHook.clientMutationId, 'pq-1');
    assert.equal(result.data?.createSystemHook.systemHook?.name, 'Trusted');
    assert.deepEqual(
      stack.upstreamRequests().map((request) => request.method),
      ['POST'],
    );
  });

  it('refuses an arbitrary document, saying that only trusted documents run and how to send one', async () => {
    const result = await postGraphQL(stack.url, { query: '{ systemHooks { count } }' });
    assertRefused(result, 'PERSISTED_QUERY_ID_REQUIRED', /only trusted documents.*documentId/);
  });

  it("refuses even a trusted document's text: the hash is what is trusted", async () => {
    const result = await postGraphQL(stack.url, {
      query: print(SystemHooksDocument),
      variables: { first: 1 },
    });
    assertRefused(result, 'PERSISTED_QUERY_ID_REQUIRED', /does not accept a document's text/);
  });

  it('refuses a request with neither a hash nor a document', async () => {
    const result = await postGraphQL(stack.url, { variables: {} });
    assertRefused(result, 'PERSISTED_QUERY_ID_REQUIRED', /only trusted documents/);
  });

  it('answers PersistedQueryNotFound for a well-formed hash that is not in the manifest, in either form', async () => {
    assertRefused(
      await postGraphQL(stack.url, { documentId: UNKNOWN_HASH }),
      'PERSISTED_QUERY_NOT_IN_LIST',
      new RegExp(`^PersistedQueryNotFound: no trusted document has the hash ${UNKNOWN_HASH}$`),
    );
    assertRefused(
      await postGraphQL(stack.url, {
        extensions: { persistedQuery: { version: 1, sha256Hash: 'F'.repeat(64) } },
      }),
      'PERSISTED_QUERY_NOT_IN_LIST',
      new RegExp(`no trusted document has the hash sha256:${'f'.repeat(64)}$`),
    );
  });

  it('refuses a malformed documentId as bad input, without looking it up or quoting it', async () => {
    const hex = documentHash(SystemHooksDocument).slice('sha256:'.length);
    for (const documentId of [
      'sha256:abc',
      hex, // the hex without its algorithm
      `sha1:${hex.slice(0, 40)}`,
      `sha256:${hex}0`,
      `sha256:${'g'.repeat(64)}`,
      `sha256:${'a'.repeat(100_000)}`,
      '',
      42,
      { sha256: hex },
    ]) {
      const result = await postGraphQL(stack.url, { documentId });
      assertRefused(result, 'BAD_USER_INPUT', /^documentId must be "sha256:" followed by the 64 hexadecimal/);
      assert.ok(JSON.stringify(result).length < 1_000, 'the value is not echoed');
    }
  });

  it('refuses a malformed extensions.persistedQuery as bad input', async () => {
    const hex = documentHash(SystemHooksDocument).slice('sha256:'.length);
    for (const persistedQuery of [
      { version: 1, sha256Hash: 'zz' },
      { version: 1, sha256Hash: `sha256:${hex}` },
      { version: 2, sha256Hash: hex },
      { version: 1 },
      { version: 1, sha256Hash: 7 },
      'hash',
    ]) {
      const result = await postGraphQL(stack.url, { extensions: { persistedQuery } });
      assertRefused(result, 'BAD_USER_INPUT', /^extensions\.persistedQuery must be/);
    }
  });

  it('refuses a documentId and a persistedQuery hash that name different documents', async () => {
    const result = await postGraphQL(stack.url, {
      documentId: documentHash(SystemHooksDocument),
      extensions: { persistedQuery: { version: 1, sha256Hash: '1'.repeat(64) } },
    });
    assertRefused(result, 'BAD_USER_INPUT', /name different documents/);
  });

  it('still validates variables of a trusted document', async () => {
    const result = await postGraphQL(stack.url, {
      documentId: documentHash(SystemHookDocument),
      variables: {},
    });
    assert.equal(result.errors?.[0]?.message, 'Variable "$id" of required type "ID!" was not provided.');
    assert.equal(stack.upstreamRequests().length, 0);
  });
});

describe('without TRUSTED_DOCUMENTS_FILE', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await seedHooks(stack.gitlab, 2);
  });
  after(() => stack.close());

  it('runs any valid document, typed or not', async () => {
    const typed = await stack.request(SystemHooksDocument, { first: 5 });
    assert.equal(typed.data?.systemHooks.count, 2);
    const untyped = await stack.requestText('{ systemHooks { nodes { name } } }');
    assert.deepEqual(untyped.data, { systemHooks: { nodes: [{ name: 'hook 1' }, { name: 'hook 2' }] } });
  });

  it('does not take a documentId: the parameter is unknown outside the mode', async () => {
    const result = await postGraphQL(stack.url, { documentId: documentHash(SystemHooksDocument) });
    assert.equal(result.status, 400);
    assert.match(result.errors?.[0]?.message ?? '', /Unexpected parameter "documentId"/);
  });
});

describe('npm start with TRUSTED_DOCUMENTS_FILE', () => {
  const EMBEDDED_MODE = { PORT: '0', EMBEDDED_GITLAB_PORT: '0', EMBEDDED_GITLAB_ADMIN_TOKEN: ADMIN_TOKEN };

  it('runs the manifest documents by hash and refuses text', async () => {
    const program = await startProgram({ ...EMBEDDED_MODE, TRUSTED_DOCUMENTS_FILE: MANIFEST });
    try {
      const result = await requestByHash(program.url, SystemHooksDocument, { first: 5 });
      assert.equal(result.errors, undefined);
      // The three example hooks, and the one that delivers to the gateway's own receiver.
      assert.equal(result.data?.systemHooks.count, 4, 'the hooks npm start seeds');
      const text = await postGraphQL(program.url, { query: '{ __typename }' });
      assert.equal(text.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_ID_REQUIRED');
    } finally {
      await program.stop();
    }
  });

  it('does not start with a manifest it cannot read, and says why', async () => {
    await assert.rejects(
      startProgram({ ...EMBEDDED_MODE, TRUSTED_DOCUMENTS_FILE: 'no/such/manifest.json' }),
      /exited with 1 before listening:[\s\S]*TRUSTED_DOCUMENTS_FILE "no\/such\/manifest\.json" cannot be read \(ENOENT\)/,
    );
  });
});
