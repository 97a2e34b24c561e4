/**
 * `npm run bench`: what the gateway adds on top of the REST calls it makes, as ratios.
 *
 * One run starts, each in its own process, the embedded GitLab (seeded with 250 hooks), the gateway in front of
 * it, and a bare Yoga `{ hello }` server; the load generator runs in this process. For each query shape it
 * measures the gateway and the equivalent direct REST calls with the same credential, at 1 connection
 * (latency) and at 10 (throughput, CPU per request), and prints a table; `--json [file]` writes the same figures.
 * The executors part (`executors.ts`) measures what removing compiled queries costs, the observability part
 * (`observability.ts`) what metrics and tracing cost, and the events part (`events.ts`) system hook deliveries to
 * SSE and graphql-ws subscribers, against bare fan-out servers.
 *
 * Options: `BENCH_SECONDS` (default 3) per measurement; `--parts=graphql,executors,observability,events`
 * (default all) chooses the parts; `--json` (to stdout, the table then goes to stderr) or `--json=<file>`;
 * `--profile[=<dir>]` runs the gateways under `--cpu-prof`; `--shapes=<prefix>,...` measures only the shapes
 * whose names start so; `--upstream-connections=<n>` sizes the gateway's undici pool.
 *
 * Loopback only, bounded (every phase has a duration), and every process it starts is stopped at the end.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BenchChild, graphqlPostHeaders, measured, startChild, startSeededGitLab } from './children.ts';
import { eventsPart, renderEvents } from './events.ts';
import { executorsPart, renderExecutors } from './executors.ts';
import { type LoadResult, load } from './load.ts';
import { observabilityPart, renderObservability } from './observability.ts';
import type { ProcessSample } from './protocol.ts';
import { formatTable, formatTargets, type Target } from './report.ts';
import { type Shape, shapes } from './shapes.ts';

const HOOKS = 250;
const DEFAULT_SECONDS = 3;
const LATENCY_CONNECTIONS = 1;
const THROUGHPUT_CONNECTIONS = 10;

const PARTS = ['graphql', 'executors', 'observability', 'events'] as const;
type Part = (typeof PARTS)[number];

interface Args {
  parts: Set<Part>;
  json: 'stdout' | string | undefined;
  profileDir: string | undefined;
  shapePrefixes: string[];
  upstreamConnections: number | undefined;
  seconds: number;
}

function parseParts(value: string, problems: string[]): Set<Part> {
  const parts = value.split(',').map((part) => part.trim());
  const unknown = parts.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) problems.push(`--parts takes ${PARTS.join(', ')}; not ${unknown.join(', ')}`);
  return new Set(parts.filter((part): part is Part => (PARTS as readonly string[]).includes(part)));
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Args {
  const args: Args = {
    parts: new Set(PARTS),
    json: undefined,
    profileDir: undefined,
    shapePrefixes: [],
    upstreamConnections: undefined,
    seconds: DEFAULT_SECONDS,
  };
  const problems: string[] = [];
  const rawSeconds = env.BENCH_SECONDS;
  if (rawSeconds !== undefined && rawSeconds !== '') {
    const seconds = Number(rawSeconds);
    if (!(seconds >= 0.5 && seconds <= 120)) problems.push('BENCH_SECONDS must be a number from 0.5 to 120');
    else args.seconds = seconds;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, value] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (name === '--json') {
      const next = argv[i + 1];
      if (value !== undefined) args.json = value;
      else if (next !== undefined && !next.startsWith('--')) args.json = argv[++i];
      else args.json = 'stdout';
    } else if (name === '--profile') {
      args.profileDir = path.resolve(value ?? path.join(os.tmpdir(), `gateway-profile-${Date.now()}`));
    } else if (name === '--parts' && value) {
      args.parts = parseParts(value, problems);
    } else if (name === '--shapes' && value) {
      args.shapePrefixes = value.split(',').map((prefix) => prefix.trim());
    } else if (name === '--upstream-connections' && value && /^[1-9][0-9]*$/.test(value)) {
      args.upstreamConnections = Number(value);
    } else problems.push(`unknown or malformed argument ${JSON.stringify(arg)}`);
  }
  if (problems.length > 0) throw new Error(`npm run bench:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return args;
}

interface ShapeFigures {
  shape: string;
  direct: {
    c1: LoadResult;
    c10: LoadResult;
    /** CPU time of the embedded GitLab per direct operation: the cost of the upstream itself. */
    gitlabCpuMicrosPerRequest: number;
  };
  gateway: {
    c1: LoadResult;
    c10: LoadResult;
    cpuMicrosPerRequest: number;
    /** At 1 connection: what one request costs when none shares the work of another. */
    cpuMicrosPerRequestC1: number;
  };
  /** Gateway p50 minus direct p50 at 1 connection, in milliseconds. */
  addedLatencyMs: number;
  /**
   * Gateway p50 at 1 connection over the floor a gateway cannot go below: the p50 of `{ __typename }` on the
   * same gateway (the HTTP and GraphQL round trip) plus the direct p50 of the REST calls it makes.
   */
  floorRatio: number;
  /** Gateway requests/s divided by direct requests/s at 10 connections. */
  throughputRatio: number;
  /** Gateway CPU per request divided by the bare Yoga `{ hello }` server's. */
  cpuRatioToHello: number;
  upstreamPerRequest: number;
  naiveUpstreamPerRequest: number;
}

interface Figures {
  meta: {
    date: string;
    node: string;
    cpus: string;
    cores: number;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    secondsPerMeasurement: number;
    hooks: number;
    upstreamConnections: number | 'default';
    note: string;
  };
  hello: { c1: LoadResult; c10: LoadResult; cpuMicrosPerRequest: number };
  /** `{ __typename }` on the gateway, 1 connection: the floor's GraphQL round trip. */
  typename: LoadResult;
  shapes: ShapeFigures[];
  gatewayPeakRssBytes: number;
  targets: Target[];
}

const NOTE =
  'All processes share this machine: on 2 cores the load generator, the gateway and the embedded GitLab ' +
  '(itself Node) compete for CPU, so throughput ratios understate what a gateway in front of a real GitLab ' +
  'would reach; latency at 1 connection and CPU per request are the figures least affected.';

async function checkShape(gatewayUrl: string, headers: Record<string, string>, shape: Shape): Promise<void> {
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify(shape.graphql),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
  const problem =
    response.status !== 200
      ? `HTTP ${response.status}`
      : body.errors
        ? `errors ${JSON.stringify(body.errors)}`
        : shape.check(body.data);
  if (problem) throw new Error(`${shape.name}: the gateway's answer is wrong (${problem}); nothing measured`);
}

async function graphqlPart(args: Args, log: (line: string) => void): Promise<Figures> {
  const seconds = args.seconds;
  const warmSeconds = Math.min(1, seconds / 3);
  const jitWarmSeconds = Math.max(2, seconds);
  const loadAverageBefore = os.loadavg();

  const children: BenchChild[] = [];
  try {
    const { gitlab, adminToken } = await startSeededGitLab(HOOKS);
    children.push(gitlab);
    const profileFlags = args.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${args.profileDir}`] : [];
    const [gateway, hello] = await Promise.all([
      startChild(
        'gateway',
        './gateway-process.ts',
        { gitlabUrl: gitlab.url, upstreamConnections: args.upstreamConnections },
        profileFlags,
      ),
      startChild('bare Yoga', './hello-process.ts', {}),
    ]);
    children.push(gateway, hello);

    const restHeaders = { 'private-token': adminToken };
    const graphqlHeaders = graphqlPostHeaders(adminToken);
    const selected = shapes(HOOKS).filter(
      (shape) => args.shapePrefixes.length === 0 || args.shapePrefixes.some((p) => shape.name.startsWith(p)),
    );
    for (const shape of selected) await checkShape(gateway.url, graphqlHeaders, shape);

    const at = (connections: number, duration = seconds) => ({
      connections,
      seconds: duration,
      headers: restHeaders,
    });
    const gqlAt = (connections: number, duration = seconds) => ({
      connections,
      seconds: duration,
      headers: graphqlHeaders,
    });

    log(
      `Measuring ${seconds} s per phase (BENCH_SECONDS), load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}`,
    );
    const helloCall = [
      [{ method: 'POST' as const, path: '/graphql', body: JSON.stringify({ query: '{ hello }' }) }],
    ];
    // CPU per request keeps falling for several seconds of load while V8 optimizes the hot paths: each server is
    // warmed with every query it will answer before anything is measured.
    await load(hello.url, helloCall, gqlAt(THROUGHPUT_CONNECTIONS, jitWarmSeconds * 2));
    for (const shape of selected)
      await load(
        gateway.url,
        [[{ method: 'POST' as const, path: '/graphql', body: JSON.stringify(shape.graphql) }]],
        { ...gqlAt(THROUGHPUT_CONNECTIONS, jitWarmSeconds), loop: true },
      );
    const helloC1 = await load(hello.url, helloCall, gqlAt(LATENCY_CONNECTIONS));
    const helloC10 = await measured(hello, undefined, () =>
      load(hello.url, helloCall, gqlAt(THROUGHPUT_CONNECTIONS)),
    );
    log(`  bare Yoga { hello }: ${helloC10.result.requestsPerSecond.toFixed(0)} req/s`);
    const typenameCall = [
      [{ method: 'POST' as const, path: '/graphql', body: JSON.stringify({ query: '{ __typename }' }) }],
    ];
    await load(gateway.url, typenameCall, gqlAt(THROUGHPUT_CONNECTIONS, warmSeconds));
    const typename = await load(gateway.url, typenameCall, gqlAt(LATENCY_CONNECTIONS));
    log(`  gateway { __typename }: p50 ${typename.p50Ms.toFixed(2)} ms`);

    const figures: ShapeFigures[] = [];
    for (const shape of selected) {
      const graphqlCall = [
        [{ method: 'POST' as const, path: '/graphql', body: JSON.stringify(shape.graphql) }],
      ];
      // The gateway is measured by the generator that measures the direct side, so that the generators' own
      // costs cancel out of the comparison.
      const loop = shape.direct.length > 1 || (shape.direct[0]?.length ?? 0) > 1;
      const viaGateway = (connections: number, duration?: number) =>
        load(gateway.url, graphqlCall, { ...gqlAt(connections, duration), loop });
      const direct = (connections: number, duration?: number) =>
        load(gitlab.url, shape.direct, at(connections, duration));
      await direct(THROUGHPUT_CONNECTIONS, warmSeconds);
      await viaGateway(THROUGHPUT_CONNECTIONS, warmSeconds);
      const directC1 = await direct(LATENCY_CONNECTIONS);
      const gatewayC1 = await measured(gateway, gitlab, () => viaGateway(LATENCY_CONNECTIONS));
      const directC10 = await measured(gitlab, undefined, () => direct(THROUGHPUT_CONNECTIONS));
      const gatewayC10 = await measured(gateway, gitlab, () => viaGateway(THROUGHPUT_CONNECTIONS));
      const failures = [directC1, gatewayC1.result, directC10.result, gatewayC10.result].reduce(
        (n, r) => n + r.failures,
        0,
      );
      if (failures > 0)
        throw new Error(`${shape.name}: ${failures} failed requests; the figures would be wrong`);
      figures.push({
        shape: shape.name,
        direct: {
          c1: directC1,
          c10: directC10.result,
          gitlabCpuMicrosPerRequest: directC10.cpuMicrosPerRequest,
        },
        gateway: {
          c1: gatewayC1.result,
          c10: gatewayC10.result,
          cpuMicrosPerRequest: gatewayC10.cpuMicrosPerRequest,
          cpuMicrosPerRequestC1: gatewayC1.cpuMicrosPerRequest,
        },
        addedLatencyMs: gatewayC1.result.p50Ms - directC1.p50Ms,
        floorRatio: gatewayC1.result.p50Ms / (typename.p50Ms + directC1.p50Ms),
        throughputRatio: gatewayC10.result.requestsPerSecond / directC10.result.requestsPerSecond,
        cpuRatioToHello: gatewayC10.cpuMicrosPerRequest / helloC10.cpuMicrosPerRequest,
        // At one connection no request is in flight when a phase ends, so the count is exact.
        upstreamPerRequest: gatewayC1.upstreamPerRequest,
        naiveUpstreamPerRequest: shape.naiveUpstream,
      });
      log(`  ${shape.name}: done`);
    }
    const gatewaySample: ProcessSample = await gateway.sample();

    const result: Figures = {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus()[0]?.model ?? 'unknown',
        cores: os.availableParallelism(),
        loadAverageBefore,
        loadAverageAfter: os.loadavg(),
        secondsPerMeasurement: seconds,
        hooks: HOOKS,
        upstreamConnections: args.upstreamConnections ?? 'default',
        note: NOTE,
      },
      hello: { c1: helloC1, c10: helloC10.result, cpuMicrosPerRequest: helloC10.cpuMicrosPerRequest },
      typename,
      shapes: figures,
      gatewayPeakRssBytes: gatewaySample.maxRssBytes,
      targets: targets(figures, gatewaySample.maxRssBytes),
    };

    return result;
  } finally {
    await Promise.allSettled(children.map((child) => child.stop()));
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), process.env);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const graphql = args.parts.has('graphql') ? await graphqlPart(args, log) : undefined;
  const executors = args.parts.has('executors')
    ? await executorsPart({ seconds: args.seconds, profileDir: args.profileDir, log })
    : undefined;
  const observability = args.parts.has('observability')
    ? await observabilityPart({ seconds: args.seconds, profileDir: args.profileDir, log })
    : undefined;
  const events = args.parts.has('events')
    ? await eventsPart({ seconds: args.seconds, profileDir: args.profileDir, log })
    : undefined;
  const table =
    (graphql ? render(graphql) : '') +
    (executors ? renderExecutors(executors) : '') +
    (observability ? renderObservability(observability) : '') +
    (events ? renderEvents(events) : '');
  // The GraphQL part's figures stay at the top level, where they were before the other parts.
  const result = {
    ...graphql,
    ...(executors && { executors }),
    ...(observability && { observability }),
    ...(events && { events }),
  };
  if (args.json === 'stdout') {
    process.stderr.write(table);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stdout.write(table);
    if (args.json) {
      writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
      log(`Figures written to ${args.json}`);
    }
  }
  if (args.profileDir) log(`Gateway CPU profiles in ${args.profileDir} (written when each gateway exits)`);
}

function targets(figures: ShapeFigures[], peakRss: number): Figures['targets'] {
  const list: Figures['targets'] = [];
  const byName = (prefix: string) => figures.find((f) => f.shape.startsWith(prefix));
  for (const prefix of ['systemHook(id)', 'systemHooks(first: 20)']) {
    const f = byName(prefix);
    if (f)
      list.push(
        {
          target: `${f.shape}: added latency at p50, 1 connection <= 1 ms`,
          value: `${f.addedLatencyMs.toFixed(2)} ms`,
          met: f.addedLatencyMs <= 1,
        },
        {
          target: `${f.shape}: p50 <= 1.2 x ({ __typename } p50 + REST p50), 1 connection`,
          value: `${f.floorRatio.toFixed(2)} x`,
          met: f.floorRatio <= 1.2,
        },
      );
  }
  const one = byName('systemHook(id)');
  if (one)
    list.push({
      target: 'systemHook(id): gateway CPU per request <= 1.5 x bare Yoga { hello }',
      value: `${one.cpuRatioToHello.toFixed(2)} x`,
      met: one.cpuRatioToHello <= 1.5,
    });
  const twenty = byName('systemHooks(first: 20)');
  if (twenty)
    list.push({
      target: 'systemHooks(first: 20): gateway CPU per request <= 2 x bare Yoga { hello }',
      value: `${twenty.cpuRatioToHello.toFixed(2)} x`,
      met: twenty.cpuRatioToHello <= 2,
    });
  const nodes = byName('nodes');
  if (nodes)
    list.push({
      target: `${nodes.shape}: <= 3 upstream requests`,
      value: nodes.upstreamPerRequest.toFixed(2),
      met: nodes.upstreamPerRequest <= 3,
    });
  const worst = figures.filter((f) => f.upstreamPerRequest > f.naiveUpstreamPerRequest);
  list.push({
    target: 'every shape: upstream requests <= naive count',
    value: worst.length === 0 ? 'all' : worst.map((f) => f.shape).join(', '),
    met: worst.length === 0,
  });
  list.push({
    target: 'gateway peak RSS < 200 MB',
    value: `${(peakRss / 1e6).toFixed(0)} MB`,
    met: peakRss < 200e6,
  });
  return list;
}

function render(figures: Figures): string {
  const ms = (value: number) => value.toFixed(2);
  const rows = [
    [
      'shape',
      'p50 gw',
      'p50 REST',
      'added p50',
      'floor ratio',
      'req/s gw',
      'req/s REST',
      'ratio',
      'CPU/req gw',
      'CPU/req gw c1',
      'CPU/req REST',
      'vs hello',
      'upstream/req',
    ],
    ...figures.shapes.map((f) => [
      f.shape,
      `${ms(f.gateway.c1.p50Ms)} ms`,
      `${ms(f.direct.c1.p50Ms)} ms`,
      `${ms(f.addedLatencyMs)} ms`,
      `${f.floorRatio.toFixed(2)} x`,
      f.gateway.c10.requestsPerSecond.toFixed(0),
      f.direct.c10.requestsPerSecond.toFixed(0),
      f.throughputRatio.toFixed(2),
      `${f.gateway.cpuMicrosPerRequest.toFixed(0)} µs`,
      `${f.gateway.cpuMicrosPerRequestC1.toFixed(0)} µs`,
      `${f.direct.gitlabCpuMicrosPerRequest.toFixed(0)} µs`,
      `${f.cpuRatioToHello.toFixed(2)} x`,
      `${f.upstreamPerRequest.toFixed(2)} (naive ${f.naiveUpstreamPerRequest})`,
    ]),
  ];
  const { meta, hello } = figures;
  const out = [
    '',
    `Gateway benchmark: ${meta.cores} cores (${meta.cpus}), Node ${meta.node}, ${meta.secondsPerMeasurement} s per measurement, ${meta.hooks} hooks`,
    `Load average before ${meta.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, after ${meta.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}`,
    `p50 and CPU/req gw c1 at ${LATENCY_CONNECTIONS} connection; req/s and CPU/req at ${THROUGHPUT_CONNECTIONS} connections; REST = the same calls made directly to the embedded GitLab (CPU/req REST: the embedded GitLab's own CPU for them)`,
    ...(meta.loadAverageBefore[0] !== undefined && meta.loadAverageBefore[0] > meta.cores / 2
      ? [
          `WARNING: load average ${meta.loadAverageBefore[0].toFixed(2)} on ${meta.cores} cores at the start: other ` +
            'processes took CPU, latencies and CPU per request are inflated. Re-run on a quiet machine.',
        ]
      : []),
    'REST for nodes: GET page 1 of 100, then the pages still needed in parallel, as the gateway does.',
    '',
    ...formatTable(rows),
    '',
    `bare Yoga { hello }: ${hello.cpuMicrosPerRequest.toFixed(0)} µs CPU/req, ${hello.c10.requestsPerSecond.toFixed(0)} req/s, p50 ${ms(hello.c1.p50Ms)} ms`,
    `gateway { __typename }: p50 ${ms(figures.typename.p50Ms)} ms (floor ratio: p50 gw / ({ __typename } p50 + p50 REST))`,
    `gateway peak RSS: ${(figures.gatewayPeakRssBytes / 1e6).toFixed(0)} MB`,
    '',
    ...formatTargets(figures.targets),
    '',
    `Note: ${meta.note}`,
    '',
  ];
  return out.join('\n');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
