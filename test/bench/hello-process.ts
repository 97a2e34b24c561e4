/**
 * The CPU baseline: a bare Pothos + Yoga server answering `{ hello }`, with the Yoga options and the executor
 * `createGateway` uses, and none of its other plugins (so the difference to the gateway is the gateway's own
 * work: request limits, credentials, loaders, the upstream call, more fields and a larger answer).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import SchemaBuilder from '@pothos/core';
import { createYoga } from 'graphql-yoga';
import { useGraphQLJsExecution } from '../../src/plugins/use-graphql-js-execution.ts';
import { sampleProcess, serveBenchmark } from './protocol.ts';

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
  const server = createServer(yoga);
  let served = 0;
  server.on('request', () => served++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    measure: () => sampleProcess(served),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
