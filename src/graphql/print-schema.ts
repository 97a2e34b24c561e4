import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './schema/index.ts';

/** The SDL checked in as `schema.graphql`; the drift test compares against the same function. */
export function printGatewaySchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(new URL('../../schema.graphql', import.meta.url), printGatewaySchema());
  console.log('wrote schema.graphql');
}
