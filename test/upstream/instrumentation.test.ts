import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { CircuitState } from '../../src/upstream/circuit-breaker.ts';
import { createGitLabClient } from '../../src/upstream/client.ts';
import type {
  CallObserver,
  InstrumentedClient,
  ObservedCall,
  UpstreamInstrumentation,
} from '../../src/upstream/instrumentation.ts';
import type { CallOptions, UpstreamTally } from '../../src/upstream/types.ts';
import { json, type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { hookJson } from './fixtures.ts';

const HOOK = hookJson(1);

/** An instrumentation that writes down everything it is told, as lines such as `attempt 0 sent`. */
function recorder() {
  const lines: string[] = [];
  let attached: InstrumentedClient | undefined;
  const instrumentation: UpstreamInstrumentation = {
    attach: (client) => {
      attached = client;
    },
    circuitChanged: (state: CircuitState) => lines.push(`circuit ${state}`),
    startCall(call: ObservedCall, options: CallOptions): CallObserver {
      lines.push(`call ${call.route} id=${options.headers?.['x-request-id'] ?? '-'}`);
      return {
        startAttempt(attempt) {
          lines.push(`attempt ${attempt}`);
          return {
            headers: { 'x-attempt': String(attempt) },
            responded: (status, headers) =>
              lines.push(`responded ${status} ${headers['x-request-id'] ?? '-'}`),
            finish: (error) => lines.push(`attempt end ${error === undefined ? 'ok' : 'failed'}`),
          };
        },
        circuitOpen: () => lines.push('circuit refused'),
        retrying: (_error, delayMs) => lines.push(`retry after ${delayMs >= 0 ? 'a delay' : '?'}`),
        end: (error, durationMs) =>
          lines.push(`call end ${error === undefined ? 'ok' : 'failed'} ${durationMs >= 0 ? 'timed' : '?'}`),
      };
    },
  };
  return { lines, instrumentation, attached: () => attached };
}

describe('the upstream instrumentation seam', () => {
  let server: ScriptedServer;

  before(async () => {
    server = await startScriptedServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('is attached once with the origin, the path prefix and no breaker state without a breaker', () => {
    const { instrumentation, attached } = recorder();
    const client = createGitLabClient({ baseUrl: `${server.url}/gitlab`, instrumentation });
    assert.equal(attached()?.origin.host, `127.0.0.1:${server.port}`);
    assert.equal(attached()?.pathPrefix, '/gitlab/api/v4');
    assert.equal(attached()?.circuitState, undefined);
    return client.close();
  });

  it('reports a call, each attempt with its status and GitLab correlation id, the retry, and the end', async () => {
    let served = 0;
    server.setScript(() =>
      served++ === 0 ? json(502, {}) : json(200, HOOK, { 'x-request-id': 'gitlab-correlation-1' }),
    );
    const { lines, instrumentation } = recorder();
    const client = createGitLabClient({
      baseUrl: server.url,
      instrumentation,
      retry: { retries: 1, baseDelayMs: 1 },
    });
    const tally: UpstreamTally = { upstreamCalls: 0, upstreamMs: 0 };
    await client.getHook(1, { headers: { 'x-request-id': 'req-1' }, tally });
    await client.close();
    assert.deepEqual(lines, [
      'call GET /hooks/:hook_id id=req-1',
      'attempt 0',
      'responded 502 -',
      'attempt end failed',
      'retry after a delay',
      'attempt 1',
      'responded 200 gitlab-correlation-1',
      'attempt end ok',
      'call end ok timed',
    ]);
    assert.equal(tally.upstreamCalls, 1);
    assert.ok(tally.upstreamMs > 0);
  });

  it("sends each attempt's own headers besides the call's", async () => {
    let served = 0;
    server.setScript(() => (served++ === 0 ? json(503, {}) : json(200, HOOK)));
    const { instrumentation } = recorder();
    const client = createGitLabClient({
      baseUrl: server.url,
      instrumentation,
      retry: { retries: 1, baseDelayMs: 1 },
    });
    await client.getHook(1, { headers: { 'x-request-id': 'req-2' } });
    await client.close();
    assert.deepEqual(
      server.requests.map((request) => [request.headers['x-attempt'], request.headers['x-request-id']]),
      [
        ['0', 'req-2'],
        ['1', 'req-2'],
      ],
    );
  });

  it('reports the breaker opening, refusing, letting a probe through and closing', async () => {
    server.setScript(() => json(500, {}));
    const { lines, instrumentation, attached } = recorder();
    const client = createGitLabClient({
      baseUrl: server.url,
      instrumentation,
      retry: { retries: 0 },
      circuitBreaker: { failureThreshold: 1, coolDownMs: 50 },
    });
    await assert.rejects(client.getHook(1, {}));
    assert.equal(attached()?.circuitState?.(), 'open');
    await assert.rejects(client.getHook(1, {}));
    await waitUntil('the cool-down is over', () => attached()?.circuitState?.() === 'half-open');
    server.setScript(() => json(200, HOOK));
    await client.getHook(1, {});
    await client.close();
    assert.deepEqual(
      lines.filter((line) => line.startsWith('circuit')),
      ['circuit open', 'circuit refused', 'circuit half-open', 'circuit closed'],
    );
    assert.equal(attached()?.circuitState?.(), 'closed');
  });

  it('counts a failed call in the tally too', async () => {
    server.setScript(() => json(404, { message: '404 Not found' }));
    const client = createGitLabClient({ baseUrl: server.url });
    const tally: UpstreamTally = { upstreamCalls: 0, upstreamMs: 0 };
    await assert.rejects(client.getHook(1, { tally }));
    await assert.rejects(client.getHook(2, { tally }));
    await client.close();
    assert.equal(tally.upstreamCalls, 2);
  });
});
