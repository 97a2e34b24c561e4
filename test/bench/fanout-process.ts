/**
 * The events part's baselines: a bare `node:http` server that does the least a receiver with SSE subscribers can
 * do, with none of the gateway's layers (no Yoga, no GraphQL execution, no event store). It takes any
 * `text/event-stream` request as a subscription, and for each delivery posted to the receiver's path it checks
 * the token, parses the body and serializes once the answer the gateway gives `BENCH_SUBSCRIPTION`. Then, as
 * the gateway's SSE responses did before grouping, it writes that event to every subscription as it arrives
 * (one chunked write per event and subscriber); or, with `coalesce`, it gathers the events of one turn of the
 * event loop and writes them to each subscription in one write (what a grouped, coalescing gateway can reach:
 * the baseline of the ratios). What they reach is what this machine and the benchmark's own processes
 * allow; the gateway's figures are to be read against them, as the GraphQL part's are against `{ hello }`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROUTES } from '../../src/http/routes.ts';
import { serveBenchmark, serveHandler } from './protocol.ts';

export interface FanoutProcessOptions {
  secretToken: string;
  /** Gather each turn's events into one write per subscriber. @default false: one write per event */
  coalesce?: boolean;
}

type Push = {
  ref?: string;
  checkout_sha?: string;
  total_commits_count?: number;
  project?: { path_with_namespace?: string };
};

serveBenchmark(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as FanoutProcessOptions;
  const token = Buffer.from(options.secretToken);
  const subscriptions = new Set<ServerResponse>();
  let sequence = 0;
  let pending: string[] = [];
  const flush = () => {
    const frames = pending.join('');
    pending = [];
    for (const subscription of subscriptions) subscription.write(frames);
  };
  const publish = options.coalesce
    ? (message: string) => {
        // setImmediate runs after the turn's I/O callbacks: every delivery read in this turn is in `pending`.
        if (pending.push(message) === 1) setImmediate(flush);
      }
    : (message: string) => {
        for (const subscription of subscriptions) subscription.write(message);
      };

  const subscribe = (request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(':\n\n');
    subscriptions.add(response);
    response.on('close', () => subscriptions.delete(response));
  };

  const receive = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const given = Buffer.from(String(request.headers['x-gitlab-token'] ?? ''));
    if (given.length !== token.length || !timingSafeEqual(given, token)) {
      response.writeHead(401).end();
      return;
    }
    const push = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Push;
    const event = {
      cursor: String(sequence++),
      type: 'PUSH',
      deliveryId: request.headers['idempotency-key'],
      receivedAt: new Date().toISOString(),
      ref: push.ref,
      checkoutSha: push.checkout_sha,
      totalCommitsCount: push.total_commits_count,
      project: { pathWithNamespace: push.project?.path_with_namespace },
    };
    const message = `event: next\ndata: ${JSON.stringify({ data: { systemHookEventReceived: event } })}\n\n`;
    publish(message);
    response.writeHead(204).end();
  };

  const served = await serveHandler((request, response) => {
    if (request.headers.accept?.includes('text/event-stream')) subscribe(request, response);
    else if (request.method === 'POST' && request.url === ROUTES.receiver)
      receive(request, response).catch(() => response.destroy());
    else response.writeHead(404).end();
  });
  return { ...served, measure: () => ({ ...served.measure(), eventSubscribers: subscriptions.size }) };
});
