/**
 * The events part of `npm run bench`, run with tiny settings: every case gets a figure in every round (every
 * subscriber received every event, over SSE and graphql-ws, in-process and through Redis), every target is
 * printed met or missed, and no process the part started outlives it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { eventsPart, renderEvents } from './events.ts';

/**
 * The processes this one started that are still alive: zombies are gone but for their status, and tsx's esbuild
 * service is this process's own.
 */
function children(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,stat=,args=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) => line !== '' && !/^\d+\s+Z/.test(line) && !line.includes('ps -o') && !line.includes('esbuild'),
    );
}

describe('the events benchmark', () => {
  it('measures every case side by side, prints each target, and stops its processes', {
    timeout: 90_000,
  }, async () => {
    const lines: string[] = [];
    const figures = await eventsPart({
      seconds: 0.3,
      rounds: 1,
      subscribers: 4,
      idleSubscriptions: 10,
      stalledSubscriber: false,
      profileDir: undefined,
      log: (line) => lines.push(line),
    });
    assert.deepEqual(children(), []);

    assert.deepEqual(
      figures.cases.map((c) => c.key),
      [
        'bare',
        'coalescing',
        'memory-sse',
        'memory-sse-10',
        'memory-ws',
        'redis-sse',
        'redis-sse-10',
        'redis-ws',
        'ungrouped-sse',
      ],
    );
    for (const c of figures.cases) {
      assert.deepEqual(
        c.rounds.map((r) => r.problem),
        [null],
        c.name,
      );
      assert.ok((c.deliveriesPerSecond ?? 0) > 0, c.name);
      assert.ok(c.overBaseline.median !== null, c.name);
      if (c.server !== 'bare' && c.server !== 'coalescing') {
        assert.equal(c.latency?.problem, null, c.name);
        assert.equal(c.latency?.deliveries, Math.round(c.latency.rate * 0.3) * 4, c.name);
      }
    }
    assert.ok(figures.groupedOverUngrouped.median !== null);
    assert.equal(figures.receiverOnly.memory.problem, null);
    assert.equal(figures.receiverOnly.redis.problem, null);
    assert.deepEqual(
      figures.idleMemory.map((m) => m.transport),
      ['sse', 'ws'],
    );

    const printed = renderEvents(figures);
    // The targets: in-process twice, Redis, 10 selections, WebSocket twice, six p99s, idle twice.
    assert.equal(figures.targets.length, 14);
    for (const target of figures.targets)
      assert.match(
        printed,
        new RegExp(`(met   |MISSED)  ${target.target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
    assert.match(printed, /coalescing fan-out \(baseline\), 4 SSE/);
    if (process.env.BENCH_SMOKE_PRINT) console.log(printed);
  });
});
