/**
 * The events part of `npm run bench`: system hook deliveries through the gateway's receiver to SSE subscribers.
 *
 * Processes, each its own so that each CPU figure is one process's: the embedded GitLab (a subscription starts
 * with a check that the caller is an administrator), the gateway (`gateway-process.ts` with events on:
 * `WEBHOOK_SECRET_TOKENS`, and `REDIS_URL` for the second half, with a `redis-server` of its own on a free
 * loopback port), the subscribers (`subscribers-process.ts`: real SSE subscriptions over HTTP) and this process,
 * which posts the deliveries.
 *
 * First the same load against a bare fan-out server (`fanout-process.ts`), the ceiling this machine allows; then,
 * with the in-process store and through Redis:
 * - throughput: deliveries accepted per second with no subscriber, and with 100, counted only when every
 *   subscriber got every event; the gateway's CPU per delivery;
 * - latency from sending a delivery to its arrival at a subscriber, p50 and p99 over every (event, subscriber)
 *   pair, at a fixed rate;
 * and with the in-process store: the gateway's memory with 1,000 idle subscriptions, and with a subscriber that
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
import type { ProcessSample } from './protocol.ts';
import { formatTable, formatTargets, type Target } from './report.ts';

const SUBSCRIBERS = 100;
const IDLE_SUBSCRIBERS = 1000;
/** Deliveries in flight at once while measuring throughput. */
const POST_CONNECTIONS = 8;
/** At most this many events in flight past the slowest subscriber: half the default `EVENT_RETENTION`. */
const WINDOW = 500;
/** The fixed rate of the latency measurement, in deliveries per second (each reaches every subscriber). */
const LATENCY_RATE = 50;
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

const TARGETS = {
  memory: { name: 'in-process', deliveriesPerSecond: 2000, p99Ms: 50 },
  redis: { name: 'through Redis', deliveriesPerSecond: 1000, p99Ms: 100 },
};
const IDLE_TARGET_BYTES = 100 * 1024;

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
/** The subscriber that never reads asks for the whole payload too, so that its buffers fill sooner. */
const STALLED_SUBSCRIPTION = 'subscription Stalled { systemHookEventReceived { cursor payload } }';

interface Throughput {
  accepted: number;
  /** From the first delivery sent to the last event's arrival at the last subscriber. */
  seconds: number;
  deliveriesPerSecond: number;
  /** Events received by the subscribers per second (deliveries times subscribers). */
  eventsPerSecond: number;
  /** Gateway CPU (user + system, all its threads) per accepted delivery, and in cores over the phase. */
  gatewayCpuMicrosPerDelivery: number;
  gatewayCores: number;
  subscribersCores: number;
  /** This process, which posts the deliveries. */
  posterCores: number;
  /** Null when every subscriber received every accepted delivery once and none was dropped; else why not. */
  problem: string | null;
}

export interface DeliveryFigures {
  store: keyof typeof TARGETS;
  /** With no subscriber: what the receiver and the store alone accept. */
  receiverOnly: Throughput;
  subscribers: number;
  throughput: Throughput;
  latency: LatencySummary & { rate: number; problem: string | null };
}

interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  /** V8's heap, in use or not: what of RSS is V8's sizing of its heap. */
  heapTotalBytes: number;
}

export interface EventFigures {
  meta: {
    date: string;
    node: string;
    cores: number;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    secondsPerMeasurement: number;
    subscription: string;
  };
  /** The bare fan-out server (`fanout-process.ts`) with the same subscribers: what the machine allows. */
  baseline: Throughput;
  deliveries: DeliveryFigures[];
  idleMemory: {
    subscriptions: number;
    /** After a full collection, before and with the subscriptions open. */
    before: MemorySample;
    after: MemorySample;
    rssBytesPerSubscription: number;
    heapBytesPerSubscription: number;
  };
  stalledSubscriber: {
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
  };
  targets: Target[];
}

export interface EventsPartOptions {
  seconds: number;
  profileDir: string | undefined;
  log: (line: string) => void;
}

/** The subscribers process, with its commands typed. */
interface Subscribers {
  run<T>(command: SubscribersCommand, timeoutMs?: number): Promise<T>;
  sample(): Promise<ProcessSample>;
}

/** A gateway with events on, and the poster of deliveries to its receiver. */
interface GatewayUnderTest {
  gateway: BenchChild;
  poster: DeliveryPoster;
}

async function subscribersOf(gateway: BenchChild): Promise<number> {
  return (await gateway.sample()).eventSubscribers ?? 0;
}

async function noSubscribersLeft(gateway: BenchChild): Promise<void> {
  await waitUntil(
    'the subscriptions of an earlier phase are closed in the gateway',
    async () => (await subscribersOf(gateway)) === 0,
    { withinMs: 5_000, everyMs: 20 },
  );
}

async function open(subscribers: Subscribers, gateway: BenchChild, count: number): Promise<void> {
  const counts = await subscribers.run<SubscriberCounts>(
    { op: 'open', gatewayUrl: gateway.url, query: BENCH_SUBSCRIPTION, count },
    OPEN_TIMEOUT_MS,
  );
  const inGateway = await subscribersOf(gateway);
  if (counts.open !== count || inGateway !== count)
    throw new Error(`${count} subscriptions wanted; ${counts.open} open, the gateway counts ${inGateway}`);
}

/** Keeps the slowest reading subscriber's count at hand, until stopped. */
function watchProgress(subscribers: Subscribers) {
  let current: SubscriberCounts | undefined;
  let running = true;
  const loop = (async () => {
    while (running) {
      current = await subscribers.run<SubscriberCounts>({ op: 'counts' });
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
 * Waits until every reading subscriber has received each delivery `posted` accepted (it had `base` events
 * before); null when they all have, each once, with none dropped; else what went wrong.
 */
async function catchUp(subscribers: Subscribers, posted: PostResult, base: number): Promise<string | null> {
  let counts = await subscribers.run<SubscriberCounts>({ op: 'counts' });
  // A subscriber that never caught up is reported below, from the counts, rather than as a timeout.
  await waitUntil(
    'every subscriber catches up',
    async () => {
      counts = await subscribers.run<SubscriberCounts>({ op: 'counts' });
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

/** As many deliveries as every subscriber keeps up with, for `seconds`. */
async function throughput(
  { gateway, poster }: GatewayUnderTest,
  subscribers: Subscribers,
  seconds: number,
  subscribed: number,
): Promise<Throughput> {
  const base = (await subscribers.run<SubscriberCounts>({ op: 'counts' })).min;
  const progress = watchProgress(subscribers);
  const [gatewayBefore, subscribersBefore] = await Promise.all([gateway.sample(), subscribers.sample()]);
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
      ? await catchUp(subscribers, posted, base)
      : posted.failures > 0
        ? `${posted.failures} deliveries not accepted`
        : null;
  const wall = (performance.now() - started) / 1000;
  const posterCpu = process.cpuUsage(posterBefore);
  const [gatewayAfter, subscribersAfter] = await Promise.all([gateway.sample(), subscribers.sample()]);
  const gatewayCpu = gatewayAfter.cpuMicros - gatewayBefore.cpuMicros;
  return {
    accepted: posted.accepted,
    seconds: wall,
    deliveriesPerSecond: posted.accepted / wall,
    eventsPerSecond: (posted.accepted * subscribed) / wall,
    gatewayCpuMicrosPerDelivery: gatewayCpu / posted.accepted,
    gatewayCores: gatewayCpu / 1e6 / wall,
    subscribersCores: (subscribersAfter.cpuMicros - subscribersBefore.cpuMicros) / 1e6 / wall,
    posterCores: (posterCpu.user + posterCpu.system) / 1e6 / wall,
    problem,
  };
}

/** Delivery-to-subscriber latency over every (event, subscriber) pair at `LATENCY_RATE`, for `seconds`. */
async function latency(
  { poster }: GatewayUnderTest,
  subscribers: Subscribers,
  seconds: number,
): Promise<DeliveryFigures['latency']> {
  await subscribers.run({ op: 'latency', record: true });
  const base = (await subscribers.run<SubscriberCounts>({ op: 'counts' })).min;
  const posted = await poster.steady({ rate: LATENCY_RATE, seconds });
  const lost = await catchUp(subscribers, posted, base);
  const summary = await subscribers.run<LatencySummary>({ op: 'latency', record: false });
  const problem =
    lost ??
    (summary.deliveries === posted.accepted * SUBSCRIBERS
      ? null
      : `${summary.deliveries} arrivals timed for ${posted.accepted * SUBSCRIBERS}`);
  return { ...summary, rate: LATENCY_RATE, problem };
}

async function measureDeliveries(
  store: DeliveryFigures['store'],
  target: GatewayUnderTest,
  subscribers: Subscribers,
  seconds: number,
): Promise<DeliveryFigures> {
  await noSubscribersLeft(target.gateway);
  const receiverOnly = await throughput(target, subscribers, seconds, 0);
  await open(subscribers, target.gateway, SUBSCRIBERS);
  await throughput(target, subscribers, Math.min(1, seconds / 3), SUBSCRIBERS);
  const figures = {
    store,
    receiverOnly,
    subscribers: SUBSCRIBERS,
    throughput: await throughput(target, subscribers, seconds, SUBSCRIBERS),
    latency: await latency(target, subscribers, seconds),
  };
  await subscribers.run({ op: 'close' });
  return figures;
}

/** The same throughput measurement against the bare fan-out server. */
async function measureBaseline(server: GatewayUnderTest, subscribers: Subscribers, seconds: number) {
  await open(subscribers, server.gateway, SUBSCRIBERS);
  await throughput(server, subscribers, Math.min(1, seconds / 3), SUBSCRIBERS);
  const figures = await throughput(server, subscribers, seconds, SUBSCRIBERS);
  await subscribers.run({ op: 'close' });
  return figures;
}

const memoryOf = ({ rssBytes, heapUsedBytes, heapTotalBytes }: ProcessSample): MemorySample => ({
  rssBytes,
  heapUsedBytes,
  heapTotalBytes,
});

/**
 * The gateway's memory before and with 1,000 idle subscriptions, after a full collection each time. First in
 * the gateway's life, after a few subscriptions and events have loaded the code they run, so that the RSS
 * before is not a high-water mark left by the load of another phase.
 */
async function measureIdleMemory(
  { gateway, poster }: GatewayUnderTest,
  subscribers: Subscribers,
): Promise<EventFigures['idleMemory']> {
  await open(subscribers, gateway, 10);
  await poster.steady({ rate: 100, seconds: 0.2 });
  await subscribers.run({ op: 'close' });
  await noSubscribersLeft(gateway);
  const before = memoryOf(await gateway.sample({ gc: true }));
  await open(subscribers, gateway, IDLE_SUBSCRIBERS);
  const after = memoryOf(await gateway.sample({ gc: true }));
  await subscribers.run({ op: 'close' });
  return {
    subscriptions: IDLE_SUBSCRIBERS,
    before,
    after,
    rssBytesPerSubscription: (after.rssBytes - before.rssBytes) / IDLE_SUBSCRIBERS,
    heapBytesPerSubscription: (after.heapUsedBytes - before.heapUsedBytes) / IDLE_SUBSCRIBERS,
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
async function measureStalledSubscriber(
  { gateway, poster }: GatewayUnderTest,
  subscribers: Subscribers,
): Promise<EventFigures['stalledSubscriber']> {
  await noSubscribersLeft(gateway);
  const gatewayUrl = gateway.url;
  await subscribers.run({ op: 'open', gatewayUrl, query: BENCH_SUBSCRIPTION, count: 1 });
  const before = memoryOf(await gateway.sample({ gc: true }));
  const series: EventFigures['stalledSubscriber']['series'] = [];
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let accepted = 0;
  let deliveriesUntilDropped: number | null = null;
  const flow = async (phase: StalledPhase, until: () => boolean) => {
    const phaseStarted = elapsed();
    while (!until() && elapsed() - phaseStarted < STALLED_MAX_SECONDS) {
      accepted += (await poster.steady({ rate: STALLED_RATE, seconds: STALLED_STEP_SECONDS })).accepted;
      const sample = await gateway.sample();
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
  await subscribers.run({ op: 'open', gatewayUrl, query: STALLED_SUBSCRIPTION, count: 1, paused: true });
  await flow('lagging', () => deliveriesUntilDropped !== null);
  if (deliveriesUntilDropped !== null) await flow('dropped', lasting(STALLED_CONTROL_SECONDS));
  const after = memoryOf(await gateway.sample({ gc: true }));
  const drained = await subscribers.run<DrainResult>({ op: 'drain', waitMs: 5000 }, 15_000);
  await subscribers.run({ op: 'close' });
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

export async function eventsPart(options: EventsPartOptions): Promise<EventFigures> {
  const { seconds, log } = options;
  const loadAverageBefore = os.loadavg();
  const adminToken = `glpat-bench-${randomBytes(12).toString('hex')}`;
  const secretToken = randomBytes(24).toString('base64url');
  const profileFlags = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const children: BenchChild[] = [];
  const posters: DeliveryPoster[] = [];
  let redis: RedisServer | undefined;
  const start = async (name: string, file: string, childOptions: unknown, flags: string[] = []) => {
    const child = await startChild(name, file, childOptions, flags);
    children.push(child);
    return child;
  };
  const startGateway = async (
    name: string,
    gitlabUrl: string,
    redisUrl?: string,
  ): Promise<GatewayUnderTest> => {
    const gateway = await start(
      name,
      './gateway-process.ts',
      { gitlabUrl, events: { secretToken, redisUrl } },
      ['--expose-gc', ...profileFlags],
    );
    return { gateway, poster: posterTo(gateway) };
  };
  const posterTo = (server: BenchChild) => {
    const poster = new DeliveryPoster(server.url, secretToken, POST_CONNECTIONS);
    posters.push(poster);
    return poster;
  };
  try {
    log(
      `Events: ${seconds} s per phase, load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}`,
    );
    const gitlab = await start('embedded GitLab', './gitlab-process.ts', {
      adminToken,
      userToken: `${adminToken}-user`,
      hooks: 1,
    });
    const child = await start('SSE subscribers', './subscribers-process.ts', { adminToken });
    const subscribers: Subscribers = {
      run: (command, timeoutMs) => child.command(command, timeoutMs),
      sample: () => child.sample(),
    };

    const fanout = await start('bare SSE fan-out', './fanout-process.ts', { secretToken });
    const baseline = await measureBaseline(
      { gateway: fanout, poster: posterTo(fanout) },
      subscribers,
      seconds,
    );
    log(`  bare fan-out: ${baseline.deliveriesPerSecond.toFixed(0)} deliveries/s`);
    await fanout.stop();

    const inMemory = await startGateway('gateway (events in memory)', gitlab.url);
    const idleMemory = await measureIdleMemory(inMemory, subscribers);
    log(`  ${IDLE_SUBSCRIBERS} idle subscriptions: done`);
    const inProcess = await measureDeliveries('memory', inMemory, subscribers, seconds);
    log(`  in-process store: ${inProcess.throughput.deliveriesPerSecond.toFixed(0)} deliveries/s`);
    const stalledSubscriber = await measureStalledSubscriber(inMemory, subscribers);
    log('  a subscriber that never reads: done');
    await inMemory.gateway.stop();

    redis = await startRedisServer();
    const shared = await startGateway('gateway (events through Redis)', gitlab.url, redis.url);
    const viaRedis = await measureDeliveries('redis', shared, subscribers, seconds);
    log(`  through Redis: ${viaRedis.throughput.deliveriesPerSecond.toFixed(0)} deliveries/s`);

    const deliveries = [inProcess, viaRedis];
    return {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        cores: os.availableParallelism(),
        loadAverageBefore,
        loadAverageAfter: os.loadavg(),
        secondsPerMeasurement: seconds,
        subscription: BENCH_SUBSCRIPTION,
      },
      baseline,
      deliveries,
      idleMemory,
      stalledSubscriber,
      targets: eventTargets(deliveries, idleMemory, stalledSubscriber),
    };
  } finally {
    await Promise.allSettled(posters.map((poster) => poster.close()));
    await Promise.allSettled(children.map((child) => child.stop()));
    await redis?.close();
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`;
const phases = (bytes: Record<StalledPhase, number>) =>
  `${mb(bytes.alone)} / ${mb(bytes.lagging)} / ${mb(bytes.dropped)}`;

function eventTargets(
  deliveries: DeliveryFigures[],
  idle: EventFigures['idleMemory'],
  stalled: EventFigures['stalledSubscriber'],
): Target[] {
  const list: Target[] = [];
  for (const { store, subscribers, throughput: t, latency: l } of deliveries) {
    const goal = TARGETS[store];
    list.push({
      target: `${goal.name}: deliveries/s with ${subscribers} SSE subscribers, each receiving every event >= ${goal.deliveriesPerSecond}`,
      value: t.problem === null ? `${t.deliveriesPerSecond.toFixed(0)}/s` : `no figure: ${t.problem}`,
      met: t.problem === null && t.deliveriesPerSecond >= goal.deliveriesPerSecond,
    });
    list.push({
      target: `${goal.name}: delivery-to-subscriber p99 at ${l.rate} deliveries/s < ${goal.p99Ms} ms`,
      value: l.problem === null ? `${l.p99Ms.toFixed(1)} ms` : `no figure: ${l.problem}`,
      met: l.problem === null && l.p99Ms < goal.p99Ms,
    });
  }
  const worst = Math.max(idle.rssBytesPerSubscription, idle.heapBytesPerSubscription);
  list.push({
    target: `gateway memory per idle subscription (${idle.subscriptions} open) < ${kb(IDLE_TARGET_BYTES)}`,
    value: `RSS ${kb(idle.rssBytesPerSubscription)}, heap ${kb(idle.heapBytesPerSubscription)}`,
    met: worst < IDLE_TARGET_BYTES,
  });
  const heapGrowth = stalled.after.heapUsedBytes - stalled.before.heapUsedBytes;
  list.push({
    target: `a subscriber that never reads is dropped, nothing kept for it: heap after GC within ${mb(STALLED_MEMORY_BOUND_BYTES)}`,
    value:
      stalled.deliveriesUntilDropped === null
        ? `not dropped within ${STALLED_MAX_SECONDS} s`
        : `dropped within ${stalled.deliveriesUntilDropped} deliveries, heap after GC ${signedMb(heapGrowth)}`,
    met: stalled.deliveriesUntilDropped !== null && heapGrowth < STALLED_MEMORY_BOUND_BYTES,
  });
  return list;
}

export function renderEvents(figures: EventFigures): string {
  const { meta, idleMemory: idle, stalledSubscriber: stalled } = figures;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const throughputCells = (t: Throughput) => [
    t.problem === null ? t.deliveriesPerSecond.toFixed(0) : 'no figure',
    t.eventsPerSecond.toFixed(0),
    `${(t.gatewayCpuMicrosPerDelivery / 1000).toFixed(2)} ms`,
    t.gatewayCores.toFixed(2),
    t.subscribersCores.toFixed(2),
    t.posterCores.toFixed(2),
  ];
  const rows = [
    [
      'store, subscribers',
      'deliveries/s',
      'events/s out',
      'gw CPU/delivery',
      'gw cores',
      'subscribers cores',
      'poster cores',
      `p50 at ${LATENCY_RATE}/s`,
      `p99 at ${LATENCY_RATE}/s`,
      'max',
    ],
    [`bare fan-out, ${SUBSCRIBERS}`, ...throughputCells(figures.baseline), '', '', ''],
    ...figures.deliveries.flatMap((d) => [
      [`${TARGETS[d.store].name}, none`, ...throughputCells(d.receiverOnly), '', '', ''],
      [
        `${TARGETS[d.store].name}, ${d.subscribers}`,
        ...throughputCells(d.throughput),
        ms(d.latency.p50Ms),
        ms(d.latency.p99Ms),
        ms(d.latency.maxMs),
      ],
    ]),
  ];
  const load = meta.loadAverageBefore[0] ?? 0;
  const out = [
    '',
    `System hook events: ${meta.cores} cores, Node ${meta.node}, ${meta.secondsPerMeasurement} s per measurement`,
    `Load average before ${meta.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, after ${meta.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}`,
    ...(load > meta.cores / 2
      ? [
          `WARNING: load average ${load.toFixed(2)} on ${meta.cores} cores at the start: other processes took CPU, ` +
            'throughput is understated and latency inflated. Re-run on a quiet machine.',
        ]
      : []),
    `${SUBSCRIBERS} SSE subscribers (their own process) per store; GitLab's push event posted with X-Gitlab-Token from ` +
      `the benchmark process, ${POST_CONNECTIONS} at a time and at most ${WINDOW} ahead of the slowest subscriber.`,
    'bare fan-out: node:http with no GraphQL, writing each event to each subscriber as it comes (the ' +
      "machine's ceiling for this load); none: no subscriber, the receiver and the store alone.",
    'deliveries/s: accepted per second, counted from the first post to the last event at the last subscriber; ' +
      'gw = the gateway process (CPU of all its threads); cores = CPU seconds per second of each process ' +
      '(poster: this one).',
    '',
    ...formatTable(rows),
    ...(figures.baseline.problem ? [`  bare fan-out: ${figures.baseline.problem}`] : []),
    ...figures.deliveries.flatMap(({ store, receiverOnly: r, throughput: t, latency: l }) => [
      ...(r.problem ? [`  ${TARGETS[store].name}, no subscribers: ${r.problem}`] : []),
      ...(t.problem ? [`  ${TARGETS[store].name} throughput: ${t.problem}`] : []),
      ...(l.problem ? [`  ${TARGETS[store].name} latency: ${l.problem}`] : []),
    ]),
    '',
    `${idle.subscriptions} idle subscriptions (after a full GC): gateway RSS ${mb(idle.before.rssBytes)} -> ` +
      `${mb(idle.after.rssBytes)} (${kb(idle.rssBytesPerSubscription)} each), heap used ` +
      `${mb(idle.before.heapUsedBytes)} -> ${mb(idle.after.heapUsedBytes)} (${kb(idle.heapBytesPerSubscription)} each)`,
    `A subscriber that never reads, events at ${stalled.rate}/s: ` +
      (stalled.deliveriesUntilDropped === null
        ? 'NOT dropped. '
        : `dropped within its first ${stalled.deliveriesUntilDropped} deliveries. `) +
      `Reading again, it got ${stalled.drained.events} events (${mb(stalled.drained.bytes)}) kept in socket ` +
      `buffers, then ${stalled.drained.errorCodes.join(', ') || 'no error'}` +
      `${stalled.drained.ended ? ' and the end of the stream' : ' (the stream did not end)'}.`,
    `  gateway, highest with the flow to a reading subscriber alone / while the stalled one lagged / once it was dropped: RSS ${phases(stalled.maxRssBytes)}, V8 heap ${phases(stalled.maxHeapTotalBytes)}; heap used after a full GC ${mb(stalled.before.heapUsedBytes)} before, ${mb(stalled.after.heapUsedBytes)} after`,
    '',
    ...formatTargets(figures.targets),
    '',
  ];
  return out.join('\n');
}
