import { writeFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import { schema } from './schema/index.ts';

/**
 * The subgraph SDL checked in as `subgraph.graphql`: what `_service { sdl }` answers and a supergraph
 * composes, the schema with its `@link`, `@key` and `@shareable`, which `printSchema` would drop.
 */
export function printGatewaySubgraph(): string {
  return `${printSubgraphSchema(schema)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('../subgraph.graphql', import.meta.url), printGatewaySubgraph());
  console.log('wrote subgraph.graphql');
}
