import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { printGatewaySubgraph } from '../../src/graphql/print-subgraph.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { composeSupergraph } from './supergraph.ts';

describe('subgraph.graphql', () => {
  it('matches the subgraph SDL printed from the Pothos types (run `npm run print:subgraph` after a change)', () => {
    const checkedIn = readFileSync(new URL('../../subgraph.graphql', import.meta.url), 'utf8');
    assert.equal(checkedIn, printGatewaySubgraph());
  });

  it('links Federation 2, keys SystemHook by id and shares PageInfo', () => {
    const sdl = printGatewaySubgraph();
    assert.match(
      sdl,
      /^extend schema\s+@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+", import: \["@key", "@shareable"\]\)/,
    );
    assert.match(sdl, /^type SystemHook implements Node & Webhook\s+@key\(fields: "id"\)\s*\{/m);
    assert.match(sdl, /^type PageInfo\s+@shareable\s*\{/m);
    // The federation plumbing is the gateway's business, not part of the SDL it composes.
    assert.doesNotMatch(sdl, /_entities|_service|_Any|_Entity/);
  });

  it('composes into a supergraph on its own', () => {
    const supergraph = composeSupergraph([
      { name: 'system-hooks', url: 'http://127.0.0.1:1/graphql', sdl: printGatewaySubgraph() },
    ]);
    assert.match(
      supergraph,
      /type SystemHook implements Node & Webhook\s+@join__implements\(graph: SYSTEM_HOOKS, interface: "Node"\)\s+@join__implements\(graph: SYSTEM_HOOKS, interface: "Webhook"\)\s+@join__type\(graph: SYSTEM_HOOKS, key: "id"\)/,
    );
  });
});

describe('_service', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('answers the checked-in subgraph SDL to a caller without a token, without calling GitLab', async () => {
    // Composition tools (`rover subgraph introspect`, IntrospectAndCompose) ask with no GitLab credential.
    const result = await stack.requestText('{ _service { sdl } }', {}, { token: null });
    assert.equal(result.errors, undefined);
    assert.equal(`${result.data._service.sdl}\n`, printGatewaySubgraph());
    assert.deepEqual(stack.upstreamRequests(), []);
  });
});
