import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { printSubgraphSchema } from '@apollo/subgraph';
import { schema } from './schema/index.ts';

/**
 * The subgraph SDL checked in as `subgraph.graphql`: what `_service { sdl }` answers and a supergraph
 * composes, the schema with its `@link`, `@key` and `@shareable`, which `printSchema` would drop.
 */
export function printGatewaySubgraph(): string {
  return `${printSubgraphSchema(schema)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(new URL('../../subgraph.graphql', import.meta.url), printGatewaySubgraph());
  console.log('wrote subgraph.graphql');
}
