/**
 * `NODE_ENV=production` unless the operator set NODE_ENV. The entry point imports this module before any other,
 * because graphql-js reads NODE_ENV once, when it is first loaded: outside production it double-checks every
 * `instanceof` on its own types for a copy of graphql-js from another realm, a cost paid on every request
 * (docs/performance.md).
 */
process.env.NODE_ENV ??= 'production';
