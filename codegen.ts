import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the operations in test/operations, generated from the checked-in schema.graphql: the
 * tests use them as a frontend would, so a schema change that breaks a client breaks the tests first.
 * `npm run codegen -- --check` (in `npm test`) fails when the generated files are out of date.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/operations/*.graphql'],
  importExtension: '.ts',
  generates: {
    'test/generated/': {
      preset: 'client',
      // persistedDocuments: each document carries `__meta__.hash` (SHA-256 of its printed text), and
      // persisted-documents.json maps hash to document: the manifest of the gateway's trusted-documents mode.
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: {
        strictScalars: true,
        // `_Any` is Federation's entity representation, `{ __typename, ...key fields }`.
        scalars: {
          DateTime: 'string',
          JSONObject: 'Record<string, unknown>',
          _Any: 'Record<string, unknown>',
        },
        useTypeImports: true,
        enumsAsTypes: true,
        skipTypename: true,
      },
    },
  },
};

export default config;
