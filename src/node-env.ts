/**
 * `NODE_ENV=production` unless the operator set NODE_ENV. The entry point imports this module before any other,
 * because graphql-js reads NODE_ENV once, when it is first loaded: outside production it double-checks every
 * `instanceof` on its own types for a copy of graphql-js from another realm, about 1 % of the gateway's CPU
 * per request in the benchmark's profile.
 */
process.env.NODE_ENV ??= 'production';
