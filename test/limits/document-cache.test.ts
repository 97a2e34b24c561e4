import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import SchemaBuilder from '@pothos/core';
import { createYoga, type Plugin } from 'graphql-yoga';
import {
  createDocumentCache,
  type DocumentCacheOptions,
  useValidationCache,
} from '../../src/graphql/plugins/use-document-cache.ts';
import { listen } from '../helpers/stack.ts';

/** How often documents were really parsed and validated: wraps graphql-js's functions behind the cache. */
function countingPlugin(counts: { parse: number; validate: number }): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        counts.parse++;
        return parseFn(source, options);
      });
    },
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn((...args) => {
        counts.validate++;
        return validateFn(...args);
      });
    },
  };
}

/** A Yoga server with the gateway's caches in place of Yoga's own, on a loopback port. */
async function startServer(options: DocumentCacheOptions) {
  const builder = new SchemaBuilder({});
  builder.queryType({ fields: (t) => ({ hello: t.string({ resolve: () => 'world' }) }) });
  const counts = { parse: 0, validate: 0 };
  const yoga = createYoga({
    schema: builder.toSchema(),
    logging: false,
    parserAndValidationCache: createDocumentCache(options),
    plugins: [useValidationCache(), countingPlugin(counts)],
  });
  const server = createServer(yoga);
  const url = await listen(server);
  const post = async (query: string) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { data?: unknown; errors?: { message: string }[] };
  };
  return { counts, post, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('document cache', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  // The last test's documents are 12 characters each: three fit in 40 characters, a fourth evicts the oldest.
  before(async () => {
    server = await startServer({ maxCachedCharacters: 40, maxDocumentCharacters: 30 });
  });
  after(() => server.close());

  it('parses and validates a document once, however often it comes', async () => {
    const before = { ...server.counts };
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await server.post('{ hello }'), { data: { hello: 'world' } });
    assert.deepEqual(server.counts, { parse: before.parse + 1, validate: before.validate + 1 });
  });

  it('keeps a parse error like a document, and answers it the same each time', async () => {
    const before = { ...server.counts };
    const first = await server.post('{ hello ');
    const second = await server.post('{ hello ');
    assert.match(first.errors?.[0]?.message ?? '', /Syntax Error/);
    assert.deepEqual(second, first);
    assert.equal(server.counts.parse, before.parse + 1);
  });

  it('keeps the parse error of an empty document', async () => {
    const before = server.counts.parse;
    const first = await server.post('');
    assert.match(first.errors?.[0]?.message ?? '', /Syntax Error: Unexpected <EOF>/);
    assert.deepEqual(await server.post(''), first);
    assert.equal(server.counts.parse, before + 1);
  });

  it('keeps a validation error, and answers it the same each time', async () => {
    const before = { ...server.counts };
    const first = await server.post('{ goodbye }');
    const second = await server.post('{ goodbye }');
    assert.match(first.errors?.[0]?.message ?? '', /Cannot query field "goodbye"/);
    assert.deepEqual(second, first);
    assert.deepEqual(server.counts, { parse: before.parse + 1, validate: before.validate + 1 });
  });

  it('parses a document longer than maxDocumentCharacters each time', async () => {
    const long = `{ hello ${' '.repeat(30)}}`;
    const before = server.counts.parse;
    await server.post(long);
    await server.post(long);
    assert.equal(server.counts.parse, before + 2);
  });

  it('drops the least recently used documents past maxCachedCharacters', async () => {
    const documents = ['{ a: hello }', '{ b: hello }', '{ c: hello }', '{ d: hello }'];
    for (const document of documents) await server.post(document);
    const before = server.counts.parse;
    // The last three are still cached; the first was dropped to make room for the fourth.
    for (const document of documents.slice(1)) await server.post(document);
    assert.equal(server.counts.parse, before);
    await server.post(documents[0] as string);
    assert.equal(server.counts.parse, before + 1);
  });

  it('drops the least recently used documents past maxCachedDocuments, however short', async () => {
    const few = await startServer({ maxCachedDocuments: 2 });
    try {
      const documents = ['{a:hello}', '{b:hello}', '{c:hello}'];
      for (const document of documents) await few.post(document);
      const before = few.counts.parse;
      for (const document of documents.slice(1)) await few.post(document);
      assert.equal(few.counts.parse, before, 'the last two are cached');
      await few.post(documents[0] as string);
      assert.equal(few.counts.parse, before + 1, 'the first was dropped');
    } finally {
      await few.close();
    }
  });
});
