/**
 * The CPU baseline: a bare Pothos + Yoga server answering `{ hello }`, with the Yoga options and the executor
 * `createGateway` uses, and none of its other plugins (so the difference to the gateway is the gateway's own
 * work: request limits, credentials, loaders, the upstream call, more fields and a larger answer).
 */
import SchemaBuilder from '@pothos/core';
import { createYoga } from 'graphql-yoga';
import { useGraphQLJsExecution } from '../../src/graphql/plugins/use-graphql-js-execution.ts';
import { serveBenchmark, serveHandler } from './protocol.ts';

serveBenchmark(async () => {
  const builder = new SchemaBuilder({});
  builder.queryType({ fields: (t) => ({ hello: t.string({ resolve: () => 'world' }) }) });
  const yoga = createYoga({
    schema: builder.toSchema(),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    maskedErrors: true,
    logging: false,
    graphiql: { title: 'hello' },
    plugins: [useGraphQLJsExecution()],
  });
  return serveHandler(yoga);
});
