import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Kind, parse } from 'graphql';
import { parseTrustedDocumentsManifest } from '../../src/graphql/plugins/use-trusted-documents.ts';
import { graphqlHeaders } from '../helpers/credentials.ts';
import { type Observed, parseExposition, startObservedStack } from '../helpers/observed-stack.ts';
import { gid, type Stack, seedHooks } from '../helpers/stack.ts';

const MANIFEST = readFileSync(new URL('../generated/persisted-documents.json', import.meta.url), 'utf8');

const random = () => randomBytes(6).toString('hex');

/** The distinct series of each family in an exposition text, by their labels (`le` left out), sorted. */
function seriesByFamily(text: string): Map<string, string[]> {
  const series = new Map<string, Set<string>>();
  for (const sample of parseExposition(text)) {
    const name = sample.name.replace(/_(bucket|sum|count)$/, '');
    const { le: _, ...labels } = sample.labels;
    const set = series.get(name) ?? new Set<string>();
    set.add(JSON.stringify(Object.entries(labels).sort()));
    series.set(name, set);
  }
  return new Map([...series].map(([name, set]) => [name, [...set].sort()]));
}

/**
 * One request of a random kind, its every client-chosen part random: the operation name, the query string, the
 * path, the hook id (found or not, or malformed), and a list whose errors have indices in their paths.
 */
async function randomRequest(stack: Stack, i: number): Promise<void> {
  const name = `Op_${random()}`;
  const id = gid(1 + Math.floor(Math.random() * 1_000_000));
  const send = (path: string, body: unknown) =>
    fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: graphqlHeaders(),
      body: JSON.stringify(body),
    }).then((response) => response.body?.cancel());
  switch (i % 6) {
    case 0:
      return send(`/graphql?x=${random()}`, { query: `query ${name} { systemHook(id: "${id}") { id } }` });
    case 1:
      return send('/graphql', { query: `query ${name} { systemHook(id: "${random()}") { id } }` });
    case 2:
      return send('/graphql', {
        query: `query ${name} { nodes(ids: ["${id}", "${random()}", "${gid(1)}"]) { id } }`,
        operationName: name,
      });
    case 3:
      return send(`/${random()}/${random()}?q=${random()}`, { query: '{ __typename }' });
    case 4:
      return send(`/graphql?operationName=${name}`, {
        query: `mutation ${name} { deleteSystemHook(input: { id: "${id}" }) { errors } }`,
      });
    default:
      return send('/graphql', {
        query: `query ${name} { systemHooks(first: ${1 + (i % 50)}) { nodes { id } } }`,
      });
  }
}

describe('metric cardinality', () => {
  let stack: Stack & Observed;

  before(async () => {
    stack = await startObservedStack({ tracing: false, logLevel: 'silent' });
    await seedHooks(stack.gitlab, 3);
  });
  after(() => stack.close());

  it('does not grow with random operation names, paths, ids and query strings', async () => {
    // Every kind of request once, and then some: each label combination the gateway can produce is seen.
    for (let i = 0; i < 60; i++) await randomRequest(stack, i);
    // And a hook that exists, read alone: its successful GET is a series of its own, which the requests above
    // reach only when a random hex id happens to be all digits (a valid REST id, about one `nodes` in 280).
    await stack.requestText(`{ systemHook(id: "${gid(1)}") { id } }`);
    const first = seriesByFamily(await stack.metricsText());
    for (let i = 0; i < 300; i++) await randomRequest(stack, i);
    const text = await stack.metricsText();
    assert.deepEqual(seriesByFamily(text), first);
    assert.doesNotMatch(text, /Op_[0-9a-f]{12}/);
  });
});

describe('metric cardinality with trusted documents', () => {
  let stack: Stack & Observed;
  const documents = parseTrustedDocumentsManifest(MANIFEST);
  const names = new Set(
    [...documents.values()].flatMap((text) =>
      parse(text).definitions.flatMap((definition) =>
        definition.kind === Kind.OPERATION_DEFINITION ? [definition.name?.value ?? 'Anonymous'] : [],
      ),
    ),
  );

  before(async () => {
    stack = await startObservedStack({
      tracing: false,
      logLevel: 'silent',
      gateway: { trustedDocuments: documents },
    });
  });
  after(() => stack.close());

  it('labels operations with the names of the manifest only, whatever name the request claims', async () => {
    // The manifest's keys are the hashes' hex digits.
    const hashes = [...documents.keys()];
    for (let i = 0; i < 120; i++) {
      const response = await fetch(`${stack.url}/graphql`, {
        method: 'POST',
        headers: graphqlHeaders(),
        body: JSON.stringify({
          documentId: `sha256:${hashes[i % hashes.length]}`,
          operationName: i % 2 === 0 ? `Claimed_${random()}` : undefined,
          variables: { id: gid(1), first: 1 },
        }),
      });
      await response.body?.cancel();
    }
    const labelled = parseExposition(await stack.metricsText())
      .map((sample) => sample.labels.operationName)
      .filter((name) => name !== undefined);
    assert.ok(labelled.length > 0, 'operation names are labels with trusted documents');
    for (const name of labelled) assert.ok(names.has(name) || name === 'Anonymous', name);
  });
});
