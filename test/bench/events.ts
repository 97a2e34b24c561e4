/**
 * The events part of `npm run bench`: system hook deliveries through the gateway's receiver to subscribers over
 * SSE and graphql-ws, every figure side by side in one run.
 *
 * Processes, each its own so that each CPU figure is one process's: the embedded GitLab (a subscription starts
 * with a check that the caller is an administrator), two bare fan-out servers (`fanout-process.ts`: one write
 * per event and subscriber, and the coalescing one, one write per turn and subscriber: the baseline), three
 * gateways (`gateway-process.ts` with events on: `WEBHOOK_SECRET_TOKENS`; for the second `REDIS_URL` to a
 * `redis-server` of its own on a free loopback port; the third in-process with `groupSubscriptions: false`, the
 * fan-out as it was before issue 20), the subscribers (`subscribers-process.ts`: real SSE and
 * WebSocket subscriptions that count frames without parsing them) and this process, which posts the deliveries.
 *
 * With every server up at once and the subscriptions of every case open, each round measures in turn the
 * throughput of every case: the two bare servers with 100 SSE subscribers, and each gateway with 100 SSE
 * subscribers of one selection, 100 spread over 10 selections, and 100 graphql-ws subscribers, and the ungrouped
 * gateway with 100 SSE subscribers of one selection. A ratio is taken
 * within each round (so that the machine's drift falls on both sides alike) and its median over the rounds is
 * the figure. Then, for each gateway case, the latency from sending a delivery to its arrival at a subscriber,
 * p50 and p99 over every (event, subscriber) pair, at half the rate the case sustained; and, with the in-process
 * store, the gateway's memory with 1,000 idle subscriptions (SSE, then WebSocket) and with a subscriber that
 * never reads while events flow (it must be dropped, and memory must stay flat).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { type BenchChild, startChild } from './children.ts';
import {
  DeliveryPoster,
  type DrainResult,
  type LatencySummary,
  type PostResult,
  type SubscriberCounts,
  type SubscribersCommand,
} from './events-load.ts';
import type { GatewayProcessOptions } from './gateway-process.ts';
import type { ProcessSample } from './protocol.ts';
import { formatTable, formatTargets, type Target } from './report.ts';
import { median } from './side-by-side.ts';

/** Deliveries in flight at once while measuring throughput. */
const POST_CONNECTIONS = 8;
/** At most this many events in flight past the slowest subscriber: half the default `EVENT_RETENTION`. */
const WINDOW = 500;
/** The latency is measured at this fraction of the rate the case sustained, and at least at the floor. */
const LATENCY_LOAD = 0.5;
const LATENCY_MIN_RATE = 10;
/** The rate at which events flow past the subscriber that never reads, and the longest it may take to drop it. */
const STALLED_RATE = 1000;
const STALLED_MAX_SECONDS = 20;
/** How long events flow to a reading subscriber alone before the stalled one comes, and after it was dropped. */
const STALLED_CONTROL_SECONDS = 2;
const STALLED_STEP_SECONDS = 0.25;
/** What a full collection leaves may grow this much over the phase: nothing is kept for the stalled subscriber. */
const STALLED_MEMORY_BOUND_BYTES = 4e6;
/** Every subscriber must have every event within this after the last delivery was accepted. */
const CATCH_UP_MS = 15_000;
const PROGRESS_POLL_MS = 10;
const OPEN_TIMEOUT_MS = 120_000;
/** Each case is loaded this long (at most a third of a measurement) before the rounds: V8 optimizes its hot paths. */
const WARM_SECONDS = 1;

/** The targets of issue 20, item 4. */
const GOALS = {
  inProcessDeliveriesPerSecond: 2000,
  inProcessOverBaseline: 0.5,
  redisOverBaseline: 0.35,
  selectionsOverBaseline: 0.35,
  webSocketOverSse: 0.8,
  p99Ms: { memory: 50, redis: 100 },
  idleBytes: 10 * 1024,
};

/** What the subscribers ask for: the common fields, a few of the push event's own. */
export const BENCH_SUBSCRIPTION = `subscription BenchEvents {
  systemHookEventReceived {
    cursor
    type
    deliveryId
    receivedAt
    ... on PushSystemHookEvent { ref checkoutSha totalCommitsCount project { pathWithNamespace } }
  }
}`;

/**
 * `count` documents that differ in their bytes (an alias of their own) and so in their answers: subscribers of
 * different documents share no execution.
 */
export function benchSelections(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i === 0
      ? BENCH_SUBSCRIPTION
      : BENCH_SUBSCRIPTION.replace('    type\n', `    type\n    selection${i}: type\n`),
  );
}

/** The subscriber that never reads asks for the whole payload too, so that its buffers fill sooner. */
const STALLED_SUBSCRIPTION = 'subscription Stalled { systemHookEventReceived { cursor payload } }';

/** `ungrouped`: in-process, every subscriber executed and written on its own, as before issue 20. */
type Server = 'bare' | 'coalescing' | 'memory' | 'redis' | 'ungrouped';
type Store = 'memory' | 'redis';

/** One thing measured in every round: a server, and its subscribers. */
interface Case {
  key: string;
  server: Server;
  transport: 'sse' | 'ws';
  selections: number;
}

const STORE_NAMES: Record<Store, string> = { memory: 'in-process', redis: 'through Redis' };

const CASES: Case[] = [
  { key: 'bare', server: 'bare', transport: 'sse', selections: 1 },
  { key: 'coalescing', server: 'coalescing', transport: 'sse', selections: 1 },
  ...(['memory', 'redis'] as const).flatMap((store): Case[] => [
    { key: `${store}-sse`, server: store, transport: 'sse', selections: 1 },
    { key: `${store}-sse-10`, server: store, transport: 'sse', selections: 10 },
    { key: `${store}-ws`, server: store, transport: 'ws', selections: 1 },
  ]),
  { key: 'ungrouped-sse', server: 'ungrouped', transport: 'sse', selections: 1 },
];

function caseName(c: Case, subscribers: number): string {
  if (c.server === 'bare') return `bare fan-out, ${subscribers} SSE`;
  if (c.server === 'coalescing') return `coalescing fan-out (baseline), ${subscribers} SSE`;
  if (c.server === 'ungrouped') return `in-process not grouped (as before), ${subscribers} SSE, 1 selection`;
  const what =
    c.transport === 'ws'
      ? `${subscribers} graphql-ws`
      : c.selections === 1
        ? `${subscribers} SSE, 1 selection`
        : `${subscribers} SSE, ${c.selections} selections`;
  return `${STORE_NAMES[c.server]}, ${what}`;
}

interface Throughput {
  accepted: number;
  /** From the first delivery sent to the last event's arrival at the last subscriber. */
  seconds: number;
  deliveriesPerSecond: number;
  /** Events received by the subscribers per second (deliveries times subscribers). */
  eventsPerSecond: number;
  /** Server CPU (user + system, all its threads) per accepted delivery, and in cores over the phase. */
  serverCpuMicrosPerDelivery: number;
  serverCores: number;
  subscribersCores: number;
  /** This process, which posts the deliveries. */
  posterCores: number;
  /** Null when every subscriber received every accepted delivery once and none was dropped; else why not. */
  problem: string | null;
}

export interface CaseFigures {
  key: string;
  name: string;
  server: Server;
  transport: 'sse' | 'ws';
  selections: number;
  subscribers: number;
  /** One per round, in order. */
  rounds: Throughput[];
  /** The median over the rounds that have a figure; null if none has. */
  deliveriesPerSecond: number | null;
  serverCpuMicrosPerDelivery: number | null;
  /** Over the coalescing baseline, per round (null: either side had no figure), and their median. */
  overBaseline: { perRound: (number | null)[]; median: number | null };
  /** Gateway cases only: at half the sustained rate. */
  latency?: LatencySummary & { rate: number; problem: string | null };
}

interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  /** V8's heap, in use or not: what of RSS is V8's sizing of its heap. */
  heapTotalBytes: number;
  /** Outside the V8 heap, held by JS objects (`Buffer`s of sockets and streams). */
  externalBytes: number;
}

export interface IdleMemory {
  transport: 'sse' | 'ws';
  subscriptions: number;
  /** After a full collection, before and with the subscriptions open. */
  before: MemorySample;
  after: MemorySample;
  /** Heap used plus external, over the subscriptions: the figure held to the target. */
  bytesPerSubscription: number;
  rssBytesPerSubscription: number;
}

export interface EventFigures {
  meta: {
    date: string;
    node: string;
    cores: number;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    secondsPerMeasurement: number;
    rounds: number;
    subscribers: number;
    subscription: string;
    profileDir: string | undefined;
  };
  /** With no subscriber: what the receiver and the store alone accept. */
  receiverOnly: Record<Store, Throughput>;
  cases: CaseFigures[];
  /** graphql-ws over SSE (one selection), per round, and the median: per store. */
  webSocketOverSse: Record<Store, { perRound: (number | null)[]; median: number | null }>;
  /** In-process, 100 SSE subscribers of one selection: grouped over not grouped, per round, and the median. */
  groupedOverUngrouped: { perRound: (number | null)[]; median: number | null };
  idleMemory: IdleMemory[];
  stalledSubscriber: StalledFigures | undefined;
  targets: Target[];
}

interface StalledFigures {
  rate: number;
  /** After a full collection, before the events flowed and after. */
  before: MemorySample;
  after: MemorySample;
  /**
   * The gateway every quarter second while events flowed: to the reading subscriber alone, with the stalled
   * one lagging, and after the gateway dropped it.
   */
  series: (MemorySample & { seconds: number; phase: StalledPhase })[];
  /** The highest RSS of each phase, and of V8's heap (in use or not). */
  maxRssBytes: Record<StalledPhase, number>;
  maxHeapTotalBytes: Record<StalledPhase, number>;
  /** Deliveries accepted from its start until the gateway was seen to have dropped it; null if it never did. */
  deliveriesUntilDropped: number | null;
  /** What it received once it read again: the events kept in socket buffers, then the error. */
  drained: DrainResult;
}

export interface EventsPartOptions {
  seconds: number;
  /** Where each gateway writes its CPU profile (a folder per gateway), or undefined. */
  profileDir: string | undefined;
  log: (line: string) => void;
  /** Rounds of every case. @default 3 */
  rounds?: number;
  /** Subscribers of each case. @default 100 */
  subscribers?: number;
  /** Idle subscriptions opened for the memory figure, per transport. @default 1000 */
  idleSubscriptions?: number;
  /** Whether to measure the subscriber that never reads (about 10 s). @default true */
  stalledSubscriber?: boolean;
}

/** The subscribers process, with its commands typed. */
interface Subscribers {
  run<T>(command: SubscribersCommand, timeoutMs?: number): Promise<T>;
  sample(): Promise<ProcessSample>;
}

/** A server under test, the poster of deliveries to it, and how many subscriptions it should hold now. */
interface Served {
  server: BenchChild;
  poster: DeliveryPoster;
  open: number;
}

/** What every measurement needs: the servers by name, the subscribers, the settings. */
interface Bench {
  targets: Record<Server, Served>;
  subscribers: Subscribers;
  seconds: number;
  count: number;
}

async function subscribersOf(server: BenchChild): Promise<number> {
  return (await server.sample()).eventSubscribers ?? 0;
}

async function holds(target: Served, what: string): Promise<void> {
  let counted = -1;
  await waitUntil(
    () => `${what}: the server holds ${target.open} subscriptions; it counts ${counted}`,
    async () => {
      counted = await subscribersOf(target.server);
      return counted === target.open;
    },
    { withinMs: 10_000, everyMs: 20 },
  );
}

async function openGroup(
  bench: Bench,
  group: string,
  target: Served,
  spec: { transport: 'sse' | 'ws'; queries: string[]; count: number; paused?: boolean },
): Promise<void> {
  const counts = await bench.subscribers.run<SubscriberCounts>(
    { op: 'open', group, gatewayUrl: target.server.url, ...spec },
    OPEN_TIMEOUT_MS,
  );
  target.open += spec.count;
  if (counts.open !== spec.count)
    throw new Error(`${group}: ${spec.count} subscriptions wanted; ${counts.open} open`);
  await holds(target, group);
}

async function closeGroup(bench: Bench, group: string, target: Served, count: number): Promise<void> {
  await bench.subscribers.run({ op: 'close', group });
  target.open -= count;
  await holds(target, `${group} closed`);
}

const openCase = (bench: Bench, c: Case) =>
  openGroup(bench, c.key, bench.targets[c.server], {
    transport: c.transport,
    queries: benchSelections(c.selections),
    count: bench.count,
  });

/** Keeps the slowest reading subscriber's count of `group` at hand, until stopped. */
function watchProgress(subscribers: Subscribers, group: string) {
  let current: SubscriberCounts | undefined;
  let running = true;
  const loop = (async () => {
    while (running) {
      current = await subscribers.run<SubscriberCounts>({ op: 'counts', group });
      await delay(PROGRESS_POLL_MS);
    }
  })();
  return {
    min: () => current?.min ?? 0,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * Waits until every reading subscriber of `group` has received each delivery `posted` accepted (it had `base`
 * events before); null when they all have, each once, with none dropped; else what went wrong.
 */
async function catchUp(
  subscribers: Subscribers,
  group: string,
  posted: PostResult,
  base: number,
): Promise<string | null> {
  let counts = await subscribers.run<SubscriberCounts>({ op: 'counts', group });
  // A subscriber that never caught up is reported below, from the counts, rather than as a timeout.
  await waitUntil(
    'every subscriber catches up',
    async () => {
      counts = await subscribers.run<SubscriberCounts>({ op: 'counts', group });
      return counts.min - base >= posted.accepted || counts.open < counts.opened || counts.errors.length > 0;
    },
    { withinMs: CATCH_UP_MS, everyMs: 20 },
  ).catch(() => {});
  if (posted.failures > 0) return `${posted.failures} deliveries not accepted`;
  if (counts.errors.length > 0) return `a subscriber got ${counts.errors[0]}`;
  if (counts.open < counts.opened) return `${counts.opened - counts.open} subscribers dropped`;
  if (counts.min - base < posted.accepted)
    return `the slowest subscriber got ${counts.min - base} of ${posted.accepted} events`;
  if (counts.max - base > posted.accepted)
    return `a subscriber got ${counts.max - base} events for ${posted.accepted} deliveries`;
  return null;
}

/** As many deliveries as every subscriber of `group` keeps up with (none: `subscribed` 0), for `seconds`. */
async function throughput(
  { server, poster }: Served,
  subscribers: Subscribers,
  seconds: number,
  group: string,
  subscribed: number,
): Promise<Throughput> {
  const base = (await subscribers.run<SubscriberCounts>({ op: 'counts', group })).min;
  const progress = watchProgress(subscribers, group);
  const [serverBefore, subscribersBefore] = await Promise.all([server.sample(), subscribers.sample()]);
  const started = performance.now();
  const posterBefore = process.cpuUsage();
  const posted = await poster.flood({
    seconds,
    connections: POST_CONNECTIONS,
    window: subscribed > 0 ? WINDOW : Number.POSITIVE_INFINITY,
    delivered: () => progress.min() - base,
  });
  await progress.stop();
  const problem =
    subscribed > 0
      ? await catchUp(subscribers, group, posted, base)
      : posted.failures > 0
        ? `${posted.failures} deliveries not accepted`
        : null;
  const wall = (performance.now() - started) / 1000;
  const posterCpu = process.cpuUsage(posterBefore);
  const [serverAfter, subscribersAfter] = await Promise.all([server.sample(), subscribers.sample()]);
  const serverCpu = serverAfter.cpuMicros - serverBefore.cpuMicros;
  return {
    accepted: posted.accepted,
    seconds: wall,
    deliveriesPerSecond: posted.accepted / wall,
    eventsPerSecond: (posted.accepted * subscribed) / wall,
    serverCpuMicrosPerDelivery: serverCpu / posted.accepted,
    serverCores: serverCpu / 1e6 / wall,
    subscribersCores: (subscribersAfter.cpuMicros - subscribersBefore.cpuMicros) / 1e6 / wall,
    posterCores: (posterCpu.user + posterCpu.system) / 1e6 / wall,
    problem,
  };
}

/** Delivery-to-subscriber latency over every (event, subscriber) pair of `group` at `rate`, for `seconds`. */
async function latency(
  { poster }: Served,
  subscribers: Subscribers,
  group: string,
  subscribed: number,
  rate: number,
  seconds: number,
): Promise<NonNullable<CaseFigures['latency']>> {
  await subscribers.run({ op: 'latency', record: true });
  const base = (await subscribers.run<SubscriberCounts>({ op: 'counts', group })).min;
  const posted = await poster.steady({ rate, seconds });
  const lost = await catchUp(subscribers, group, posted, base);
  const summary = await subscribers.run<LatencySummary>({ op: 'latency', record: false });
  const problem =
    lost ??
    (summary.deliveries === posted.accepted * subscribed
      ? null
      : `${summary.deliveries} arrivals timed for ${posted.accepted * subscribed}`);
  return { ...summary, rate, problem };
}

const ratio = (a: Throughput | undefined, b: Throughput | undefined): number | null =>
  a && b && a.problem === null && b.problem === null ? a.deliveriesPerSecond / b.deliveriesPerSecond : null;

function medianOf(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : median(present);
}

function perRoundRatio(a: Throughput[], b: Throughput[]) {
  const perRound = a.map((round, i) => ratio(round, b[i]));
  return { perRound, median: medianOf(perRound) };
}

/**
 * `run` with the subscribers of `c` open, and only them on its server: every subscription on a gateway gets
 * every event, so that another case's would add to the work measured.
 */
async function withCase<T>(bench: Bench, c: Case, run: () => Promise<T>): Promise<T> {
  await openCase(bench, c);
  try {
    return await run();
  } finally {
    await closeGroup(bench, c.key, bench.targets[c.server], bench.count);
  }
}

/** Every case, once to warm it and then `rounds` times, one after the other within a round. */
async function measureRounds(bench: Bench, rounds: number, log: (line: string) => void) {
  const measured = new Map<string, Throughput[]>(CASES.map((c) => [c.key, []]));
  const once = (c: Case, seconds: number) =>
    withCase(bench, c, () =>
      throughput(bench.targets[c.server], bench.subscribers, seconds, c.key, bench.count),
    );
  for (const c of CASES) await once(c, Math.min(WARM_SECONDS, bench.seconds / 3));
  for (let round = 0; round < rounds; round++) {
    for (const c of CASES) measured.get(c.key)?.push(await once(c, bench.seconds));
    log(`  round ${round + 1} of ${rounds}: done`);
  }
  return measured;
}

function caseFigures(c: Case, rounds: Throughput[], baseline: Throughput[], count: number): CaseFigures {
  const present = rounds.filter((r) => r.problem === null);
  return {
    key: c.key,
    name: caseName(c, count),
    server: c.server,
    transport: c.transport,
    selections: c.selections,
    subscribers: count,
    rounds,
    deliveriesPerSecond: medianOf(present.map((r) => r.deliveriesPerSecond)),
    serverCpuMicrosPerDelivery: medianOf(present.map((r) => r.serverCpuMicrosPerDelivery)),
    overBaseline: perRoundRatio(rounds, baseline),
  };
}

/** Each gateway case at half the rate it sustained. */
async function measureLatencies(bench: Bench, cases: CaseFigures[]): Promise<void> {
  for (const figures of cases) {
    const c = CASES.find((each) => each.key === figures.key) as Case;
    if (c.server === 'bare' || c.server === 'coalescing') continue;
    const rate = Math.max(LATENCY_MIN_RATE, Math.round((figures.deliveriesPerSecond ?? 0) * LATENCY_LOAD));
    const target = bench.targets[c.server];
    figures.latency = await withCase(bench, c, () =>
      latency(target, bench.subscribers, c.key, bench.count, rate, bench.seconds),
    );
  }
}

const memoryOf = ({
  rssBytes,
  heapUsedBytes,
  heapTotalBytes,
  externalBytes,
}: ProcessSample): MemorySample => ({
  rssBytes,
  heapUsedBytes,
  heapTotalBytes,
  externalBytes,
});

/**
 * The gateway's memory before and with `count` idle subscriptions over `transport`, after a full collection
 * each time. First in the gateway's life, after a few subscriptions and events have loaded the code they run,
 * so that the memory before is not a high-water mark left by the load of another phase.
 */
async function measureIdleMemory(bench: Bench, transport: 'sse' | 'ws', count: number): Promise<IdleMemory> {
  const target = bench.targets.memory;
  const queries = [BENCH_SUBSCRIPTION];
  await openGroup(bench, 'idle-warm', target, { transport, queries, count: 10 });
  await target.poster.steady({ rate: 100, seconds: 0.2 });
  await closeGroup(bench, 'idle-warm', target, 10);
  const before = memoryOf(await target.server.sample({ gc: true }));
  await openGroup(bench, 'idle', target, { transport, queries, count });
  const after = memoryOf(await target.server.sample({ gc: true }));
  await closeGroup(bench, 'idle', target, count);
  const held = (m: MemorySample) => m.heapUsedBytes + m.externalBytes;
  return {
    transport,
    subscriptions: count,
    before,
    after,
    bytesPerSubscription: (held(after) - held(before)) / count,
    rssBytesPerSubscription: (after.rssBytes - before.rssBytes) / count,
  };
}

type StalledPhase = 'alone' | 'lagging' | 'dropped';

/**
 * Events flow at `STALLED_RATE` to one subscription that reads: alone for a while (the control), then beside
 * one that never reads (its socket paused after the first bytes) until the gateway drops it for falling behind
 * the retained events, then alone again for a while. The gateway's RSS must be no higher while the stalled
 * subscriber lags than with the same flow and no stalled subscriber, and what a full collection leaves must not
 * have grown: nothing it did not read is kept for it.
 */
async function measureStalledSubscriber(bench: Bench): Promise<StalledFigures> {
  const target = bench.targets.memory;
  const { server, poster } = target;
  await openGroup(bench, 'stalled-reader', target, {
    transport: 'sse',
    queries: [BENCH_SUBSCRIPTION],
    count: 1,
  });
  const before = memoryOf(await server.sample({ gc: true }));
  const series: StalledFigures['series'] = [];
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let accepted = 0;
  let deliveriesUntilDropped: number | null = null;
  const flow = async (phase: StalledPhase, until: () => boolean) => {
    const phaseStarted = elapsed();
    while (!until() && elapsed() - phaseStarted < STALLED_MAX_SECONDS) {
      accepted += (await poster.steady({ rate: STALLED_RATE, seconds: STALLED_STEP_SECONDS })).accepted;
      const sample = await server.sample();
      series.push({ seconds: elapsed(), phase, ...memoryOf(sample) });
      if (phase === 'lagging' && (sample.eventSubscribers ?? 0) < 2) deliveriesUntilDropped = accepted;
    }
  };
  const lasting = (seconds: number) => {
    const end = elapsed() + seconds;
    return () => elapsed() >= end;
  };
  await flow('alone', lasting(STALLED_CONTROL_SECONDS));
  const acceptedBeforeStall = accepted;
  await bench.subscribers.run(
    {
      op: 'open',
      group: 'stalled',
      transport: 'sse',
      gatewayUrl: server.url,
      queries: [STALLED_SUBSCRIPTION],
      count: 1,
      paused: true,
    },
    OPEN_TIMEOUT_MS,
  );
  await flow('lagging', () => deliveriesUntilDropped !== null);
  if (deliveriesUntilDropped !== null) await flow('dropped', lasting(STALLED_CONTROL_SECONDS));
  const after = memoryOf(await server.sample({ gc: true }));
  const drained = await bench.subscribers.run<DrainResult>({ op: 'drain', waitMs: 5000 }, 15_000);
  await bench.subscribers.run({ op: 'close' });
  target.open = 0;
  const highest = (phase: StalledPhase, of: (s: MemorySample) => number) =>
    Math.max(...series.filter((s) => s.phase === phase).map(of));
  const highestOf = (of: (s: MemorySample) => number) => ({
    alone: highest('alone', of),
    lagging: highest('lagging', of),
    dropped: highest('dropped', of),
  });
  return {
    rate: STALLED_RATE,
    before,
    after,
    series,
    deliveriesUntilDropped:
      deliveriesUntilDropped === null ? null : deliveriesUntilDropped - acceptedBeforeStall,
    drained,
    maxRssBytes: highestOf((s) => s.rssBytes),
    maxHeapTotalBytes: highestOf((s) => s.heapTotalBytes),
  };
}

/** Every process of the part, started at once; `stop` stops whichever of them started, also on failure. */
async function startProcesses(options: EventsPartOptions, secretToken: string, adminToken: string) {
  const children: BenchChild[] = [];
  const posters: DeliveryPoster[] = [];
  let redis: RedisServer | undefined;
  const start = async (name: string, file: string, childOptions: unknown, flags: string[] = []) => {
    const child = await startChild(name, file, childOptions, flags);
    children.push(child);
    return child;
  };
  const target = (server: BenchChild): Served => {
    const poster = new DeliveryPoster(server.url, secretToken, POST_CONNECTIONS);
    posters.push(poster);
    return { server, poster, open: 0 };
  };
  const profileFlags = (server: Server) =>
    options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}/events-${server}`] : [];
  // Room for every case's subscriptions and the idle ones at once, all of one administrator.
  const caps = { MAX_SUBSCRIPTIONS: '100000', MAX_SUBSCRIPTIONS_PER_CREDENTIAL: '100000' };
  const stop = async () => {
    await Promise.allSettled(posters.map((poster) => poster.close()));
    await Promise.allSettled(children.map((child) => child.stop()));
    await redis?.close();
  };
  // Settled, not raced: a child that starts after a sibling failed must still be stopped.
  const settled = async <T extends readonly unknown[]>(starting: { [K in keyof T]: Promise<T[K]> }) => {
    const results = await Promise.allSettled(starting);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      await stop();
      throw failed.reason;
    }
    return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  };
  const [gitlab, subscribers, bare, coalescing, redisServer] = await settled<
    [BenchChild, BenchChild, BenchChild, BenchChild, RedisServer]
  >([
    start('embedded GitLab', './gitlab-process.ts', {
      adminToken,
      userToken: `${adminToken}-user`,
      hooks: 1,
    }),
    start('subscribers', './subscribers-process.ts', { adminToken }),
    start('bare SSE fan-out', './fanout-process.ts', { secretToken }),
    start('coalescing SSE fan-out', './fanout-process.ts', { secretToken, coalesce: true }),
    startRedisServer().then((server) => {
      redis = server;
      return server;
    }),
  ]);
  const gateway = (server: Server, redisUrl?: string) =>
    start(
      `gateway (events ${server})`,
      './gateway-process.ts',
      {
        gitlabUrl: gitlab.url,
        events: { secretToken, redisUrl },
        env: caps,
        groupSubscriptions: server !== 'ungrouped',
      } satisfies GatewayProcessOptions,
      ['--expose-gc', ...profileFlags(server)],
    );
  const [memory, shared, ungrouped] = await settled<[BenchChild, BenchChild, BenchChild]>([
    gateway('memory'),
    gateway('redis', redisServer.url),
    gateway('ungrouped'),
  ]);
  return {
    stop,
    subscribers: {
      run: (command, timeoutMs) => subscribers.command(command, timeoutMs),
      sample: () => subscribers.sample(),
    } satisfies Subscribers,
    targets: {
      bare: target(bare),
      coalescing: target(coalescing),
      memory: target(memory),
      redis: target(shared),
      ungrouped: target(ungrouped),
    },
  };
}

export async function eventsPart(options: EventsPartOptions): Promise<EventFigures> {
  const { seconds, log } = options;
  const rounds = options.rounds ?? 3;
  const count = options.subscribers ?? 100;
  const idleCount = options.idleSubscriptions ?? 1000;
  const loadAverageBefore = os.loadavg();
  const adminToken = `glpat-bench-${randomBytes(12).toString('hex')}`;
  const secretToken = randomBytes(24).toString('base64url');
  log(
    `Events: ${seconds} s per measurement, ${rounds} rounds, load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const processes = await startProcesses(options, secretToken, adminToken);
  try {
    const bench: Bench = { targets: processes.targets, subscribers: processes.subscribers, seconds, count };
    const idleMemory = [
      await measureIdleMemory(bench, 'sse', idleCount),
      await measureIdleMemory(bench, 'ws', idleCount),
    ];
    log(`  ${idleCount} idle subscriptions, SSE and WebSocket: done`);
    const receiverOnly = {
      memory: await throughput(bench.targets.memory, bench.subscribers, seconds, 'none', 0),
      redis: await throughput(bench.targets.redis, bench.subscribers, seconds, 'none', 0),
    };
    const measured = await measureRounds(bench, rounds, log);
    const baseline = measured.get('coalescing') ?? [];
    const cases = CASES.map((c) => caseFigures(c, measured.get(c.key) ?? [], baseline, count));
    await measureLatencies(bench, cases);
    log('  latency at half the sustained rates: done');
    const stalledSubscriber =
      options.stalledSubscriber === false ? undefined : await measureStalledSubscriber(bench);
    if (stalledSubscriber) log('  a subscriber that never reads: done');
    const byKey = (key: string) => measured.get(key) ?? [];
    const webSocketOverSse = {
      memory: perRoundRatio(byKey('memory-ws'), byKey('memory-sse')),
      redis: perRoundRatio(byKey('redis-ws'), byKey('redis-sse')),
    };
    const figures: Omit<EventFigures, 'targets'> = {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        cores: os.availableParallelism(),
        loadAverageBefore,
        loadAverageAfter: os.loadavg(),
        secondsPerMeasurement: seconds,
        rounds,
        subscribers: count,
        subscription: BENCH_SUBSCRIPTION,
        profileDir: options.profileDir,
      },
      receiverOnly,
      cases,
      webSocketOverSse,
      groupedOverUngrouped: perRoundRatio(byKey('memory-sse'), byKey('ungrouped-sse')),
      idleMemory,
      stalledSubscriber,
    };
    return { ...figures, targets: eventTargets(figures) };
  } finally {
    await processes.stop();
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`;
const phases = (bytes: Record<StalledPhase, number>) =>
  `${mb(bytes.alone)} / ${mb(bytes.lagging)} / ${mb(bytes.dropped)}`;
const times = (value: number | null) => (value === null ? 'no figure' : `${value.toFixed(2)} x`);
const roundsOf = (values: (number | null)[]) =>
  values.map((v) => (v === null ? '-' : v.toFixed(2))).join(', ');

/** `figure >= goal`, with the rounds it is the median of, or why there is no figure. */
function ratioTarget(
  target: string,
  figure: { perRound: (number | null)[]; median: number | null },
  goal: number,
): Target {
  return {
    target: `${target} >= ${goal} x`,
    value:
      figure.median === null
        ? 'no figure: no round measured both sides'
        : `${times(figure.median)} (median of rounds ${roundsOf(figure.perRound)})`,
    met: figure.median !== null && figure.median >= goal,
  };
}

function firstProblem(figures: CaseFigures): string {
  return figures.rounds.find((r) => r.problem !== null)?.problem ?? 'no round';
}

function throughputTargets(
  cases: CaseFigures[],
  webSocketOverSse: EventFigures['webSocketOverSse'],
): Target[] {
  const of = (key: string) => cases.find((c) => c.key === key) as CaseFigures;
  const memory = of('memory-sse');
  const list: Target[] = [
    {
      target: `${memory.name}: deliveries/s, each subscriber receiving every event >= ${GOALS.inProcessDeliveriesPerSecond}`,
      value:
        memory.deliveriesPerSecond === null
          ? `no figure: ${firstProblem(memory)}`
          : `${memory.deliveriesPerSecond.toFixed(0)}/s (median of ${memory.rounds.length} rounds)`,
      met:
        memory.deliveriesPerSecond !== null &&
        memory.deliveriesPerSecond >= GOALS.inProcessDeliveriesPerSecond,
    },
    ratioTarget(`${memory.name} over the baseline`, memory.overBaseline, GOALS.inProcessOverBaseline),
    ratioTarget(
      `${of('redis-sse').name} over the baseline`,
      of('redis-sse').overBaseline,
      GOALS.redisOverBaseline,
    ),
    ratioTarget(
      `${of('memory-sse-10').name} over the baseline`,
      of('memory-sse-10').overBaseline,
      GOALS.selectionsOverBaseline,
    ),
  ];
  for (const store of ['memory', 'redis'] as const)
    list.push(
      ratioTarget(
        `${STORE_NAMES[store]}: graphql-ws over SSE`,
        webSocketOverSse[store],
        GOALS.webSocketOverSse,
      ),
    );
  return list;
}

function eventTargets(figures: Omit<EventFigures, 'targets'>): Target[] {
  const list = throughputTargets(figures.cases, figures.webSocketOverSse);
  for (const c of figures.cases) {
    const l = c.latency;
    if (!l || (c.server !== 'memory' && c.server !== 'redis')) continue;
    const goal = GOALS.p99Ms[c.server];
    list.push({
      target: `${c.name}: delivery-to-subscriber p99 at half the sustained rate (${l.rate}/s) < ${goal} ms`,
      value: l.problem === null ? `${l.p99Ms.toFixed(1)} ms` : `no figure: ${l.problem}`,
      met: l.problem === null && l.p99Ms < goal,
    });
  }
  for (const idle of figures.idleMemory)
    list.push({
      target: `memory per idle ${idle.transport === 'ws' ? 'graphql-ws' : 'SSE'} subscription (${idle.subscriptions} open, heap + external after GC) < ${kb(GOALS.idleBytes)}`,
      value: `${kb(idle.bytesPerSubscription)} (RSS ${kb(idle.rssBytesPerSubscription)})`,
      met: idle.bytesPerSubscription < GOALS.idleBytes,
    });
  const stalled = figures.stalledSubscriber;
  if (stalled) {
    const heapGrowth = stalled.after.heapUsedBytes - stalled.before.heapUsedBytes;
    list.push({
      target: `a subscriber that never reads is dropped, nothing kept for it: heap after GC within ${mb(STALLED_MEMORY_BOUND_BYTES)}`,
      value:
        stalled.deliveriesUntilDropped === null
          ? `not dropped within ${STALLED_MAX_SECONDS} s`
          : `dropped within ${stalled.deliveriesUntilDropped} deliveries, heap after GC ${signedMb(heapGrowth)}`,
      met: stalled.deliveriesUntilDropped !== null && heapGrowth < STALLED_MEMORY_BOUND_BYTES,
    });
  }
  return list;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const medianCell = (values: number[], digits: number) =>
  values.length === 0 ? '' : median(values).toFixed(digits);

function caseRow(c: CaseFigures): string[] {
  const present = c.rounds.filter((r) => r.problem === null);
  const rates = present.map((r) => r.deliveriesPerSecond);
  const l = c.latency;
  return [
    c.name,
    c.deliveriesPerSecond === null ? 'no figure' : c.deliveriesPerSecond.toFixed(0),
    rates.length === 0 ? '' : `${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)}`,
    c.key === 'coalescing' ? '1' : c.overBaseline.median === null ? '' : c.overBaseline.median.toFixed(2),
    c.serverCpuMicrosPerDelivery === null ? '' : `${c.serverCpuMicrosPerDelivery.toFixed(0)} us`,
    medianCell(
      present.map((r) => r.serverCores),
      2,
    ),
    medianCell(
      present.map((r) => r.subscribersCores),
      2,
    ),
    medianCell(
      present.map((r) => r.posterCores),
      2,
    ),
    l ? `${l.rate}` : '',
    l && l.problem === null ? ms(l.p50Ms) : '',
    l && l.problem === null ? ms(l.p99Ms) : '',
    l && l.problem === null ? ms(l.maxMs) : '',
  ];
}

function throughputTable(figures: EventFigures): string[] {
  const header = [
    'case',
    'deliveries/s',
    'rounds',
    'x baseline',
    'server CPU/delivery',
    'server cores',
    'subscribers cores',
    'poster cores',
    'latency rate',
    'p50',
    'p99',
    'max',
  ];
  const none = (store: Store) => {
    const r = figures.receiverOnly[store];
    return [
      `${STORE_NAMES[store]}, no subscriber`,
      r.problem === null ? r.deliveriesPerSecond.toFixed(0) : 'no figure',
      '',
      '',
      `${r.serverCpuMicrosPerDelivery.toFixed(0)} us`,
      r.serverCores.toFixed(2),
      '',
      r.posterCores.toFixed(2),
      '',
      '',
      '',
      '',
    ];
  };
  const problems = figures.cases.flatMap((c) => [
    ...c.rounds.flatMap((r, i) => (r.problem ? [`  ${c.name}, round ${i + 1}: ${r.problem}`] : [])),
    ...(c.latency?.problem ? [`  ${c.name}, latency: ${c.latency.problem}`] : []),
  ]);
  const receiverProblems = (['memory', 'redis'] as const).flatMap((store) => {
    const problem = figures.receiverOnly[store].problem;
    return problem ? [`  ${STORE_NAMES[store]}, no subscriber: ${problem}`] : [];
  });
  return [
    ...formatTable([header, none('memory'), none('redis'), ...figures.cases.map(caseRow)]),
    ...receiverProblems,
    ...problems,
  ];
}

function memoryLines(figures: EventFigures): string[] {
  const stalled = figures.stalledSubscriber;
  return [
    ...figures.idleMemory.map(
      (idle) =>
        `${idle.subscriptions} idle ${idle.transport === 'ws' ? 'graphql-ws' : 'SSE'} subscriptions (after a full GC): ` +
        `heap used + external ${mb(idle.before.heapUsedBytes + idle.before.externalBytes)} -> ` +
        `${mb(idle.after.heapUsedBytes + idle.after.externalBytes)} (${kb(idle.bytesPerSubscription)} each), ` +
        `RSS ${mb(idle.before.rssBytes)} -> ${mb(idle.after.rssBytes)} (${kb(idle.rssBytesPerSubscription)} each)`,
    ),
    ...(stalled
      ? [
          `A subscriber that never reads, events at ${stalled.rate}/s: ` +
            (stalled.deliveriesUntilDropped === null
              ? 'NOT dropped. '
              : `dropped within its first ${stalled.deliveriesUntilDropped} deliveries. `) +
            `Reading again, it got ${stalled.drained.events} events (${mb(stalled.drained.bytes)}) kept in socket ` +
            `buffers, then ${stalled.drained.errorCodes.join(', ') || 'no error'}` +
            `${stalled.drained.ended ? ' and the end of the stream' : ' (the stream did not end)'}.`,
          `  gateway, highest with the flow to a reading subscriber alone / while the stalled one lagged / once it was dropped: RSS ${phases(stalled.maxRssBytes)}, V8 heap ${phases(stalled.maxHeapTotalBytes)}; heap used after a full GC ${mb(stalled.before.heapUsedBytes)} before, ${mb(stalled.after.heapUsedBytes)} after`,
        ]
      : []),
  ];
}

export function renderEvents(figures: EventFigures): string {
  const { meta } = figures;
  const load = meta.loadAverageBefore[0] ?? 0;
  const out = [
    '',
    `System hook events: ${meta.cores} cores, Node ${meta.node}, ${meta.secondsPerMeasurement} s per measurement, rounds: ${meta.rounds}`,
    `Load average before ${meta.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, after ${meta.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}`,
    ...(load > meta.cores / 4
      ? [
          `WARNING: load average ${load.toFixed(2)} on ${meta.cores} cores at the start: other processes took CPU, ` +
            'throughput is understated and latency inflated. Re-run on a quiet machine.',
        ]
      : []),
    `${meta.subscribers} subscribers per case (their own process, counting frames without parsing them); GitLab's ` +
      `push event posted with X-Gitlab-Token from the benchmark process, ${POST_CONNECTIONS} keep-alive connections, ` +
      `at most ${WINDOW} ahead of the slowest subscriber. Every case once per round, in turn.`,
    'bare fan-out: node:http with no GraphQL, one write per event and subscriber; coalescing fan-out (the ' +
      "baseline): the same, each turn's events in one write per subscriber. x baseline: the median of per-round " +
      'ratios to the coalescing fan-out. deliveries/s: accepted per second, from the first post to the last event ' +
      'at the last subscriber, the median of the rounds; server = the process posted to (CPU of all its threads); ' +
      'cores = CPU seconds per second of each process (poster: this one); latency at half the sustained rate.',
    '',
    ...throughputTable(figures),
    `graphql-ws over SSE, per round: in-process ${roundsOf(figures.webSocketOverSse.memory.perRound)}, ` +
      `through Redis ${roundsOf(figures.webSocketOverSse.redis.perRound)}`,
    `in-process grouped over not grouped (${meta.subscribers} SSE, 1 selection): ${times(figures.groupedOverUngrouped.median)}, ` +
      `per round ${roundsOf(figures.groupedOverUngrouped.perRound)}`,
    '',
    ...memoryLines(figures),
    ...(meta.profileDir
      ? [
          `Gateway CPU profiles: ${meta.profileDir}/events-memory, events-redis and events-ungrouped (top-frames.ts sums them)`,
        ]
      : []),
    '',
    ...formatTargets(figures.targets),
    '',
  ];
  return out.join('\n');
}
