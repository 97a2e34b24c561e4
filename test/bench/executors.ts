/**
 * The executors part of `npm run bench`: what removing compiled queries costs. Two gateways run side by side
 * (`side-by-side.ts`) in front of one embedded GitLab, the same but for their executor: before the removal
 * (queries compiled by graphql-jit, `graphql-jit-executor.ts`) and after it (graphql-js, what the gateway runs).
 * For each of the 20-hook list and `systemHook(id)`, each round loads both at once at a fixed rate, and the figure
 * is the median over the rounds of graphql-js's CPU per request over graphql-jit's.
 */
import os from 'node:os';
import { type BenchChild, graphqlPostHeaders, startSeededGitLab } from './children.ts';
import { installGraphQLJit } from './graphql-jit-executor.ts';
import { formatTable } from './report.ts';
import { shapes } from './shapes.ts';
import { median, overheadPerRound, percentRange, roundsSideBySide, startVariants } from './side-by-side.ts';

const HOOKS = 250;
const CONNECTIONS = 10;
const ROUNDS = 5;
/** Requests per second each gateway is sent during a round, per shape: together within what the machine serves. */
const RATES: Record<string, number> = { 'systemHooks(first: 20)': 250, 'systemHook(id)': 300 };

const VARIANTS = ['graphql-jit', 'graphql-js'] as const;

export interface ExecutorFigures {
  meta: { date: string; loadAverageBefore: number[]; loadAverageAfter: number[]; secondsPerRound: number };
  shapes: {
    shape: string;
    rate: number;
    /** CPU per request of each gateway, one value per round, in microseconds. */
    cpuMicrosPerRequest: Record<(typeof VARIANTS)[number], number[]>;
    /** graphql-js over graphql-jit, minus 1: per round and median (positive: the removal costs CPU). */
    change: { perRound: number[]; median: number };
  }[];
}

export async function executorsPart(options: {
  seconds: number;
  profileDir: string | undefined;
  log: (line: string) => void;
}): Promise<ExecutorFigures> {
  const { seconds, profileDir, log } = options;
  const loadAverageBefore = os.loadavg();
  const children: BenchChild[] = [];
  try {
    installGraphQLJit(log);
    const { gitlab, adminToken } = await startSeededGitLab(HOOKS);
    children.push(gitlab);
    const gateways = await startVariants({
      gitlabUrl: gitlab.url,
      variants: VARIANTS,
      envOf: { 'graphql-jit': {}, 'graphql-js': {} },
      optionsOf: { 'graphql-jit': { executor: 'graphql-jit' } },
      profileDir,
    });
    children.push(...gateways.values());
    const figures: ExecutorFigures['shapes'] = [];
    for (const shape of shapes(HOOKS).filter((candidate) => candidate.name in RATES)) {
      const rate = RATES[shape.name] as number;
      log(`Executors: ${shape.name}, ${VARIANTS.join(' and ')} side by side at ${rate} requests/s each`);
      const cpu = await roundsSideBySide(gateways, {
        call: [[{ method: 'POST', path: '/graphql', body: JSON.stringify(shape.graphql) }]],
        headers: graphqlPostHeaders(adminToken),
        connections: CONNECTIONS,
        rate,
        seconds,
        rounds: ROUNDS,
        warmSeconds: Math.max(10, 3 * seconds),
        log,
      });
      figures.push({
        shape: shape.name,
        rate,
        cpuMicrosPerRequest: cpu,
        change: overheadPerRound(cpu['graphql-js'], cpu['graphql-jit']),
      });
    }
    return {
      meta: {
        date: new Date().toISOString(),
        loadAverageBefore,
        loadAverageAfter: os.loadavg(),
        secondsPerRound: seconds,
      },
      shapes: figures,
    };
  } finally {
    await Promise.allSettled(children.map((child) => child.stop()));
  }
}

export function renderExecutors(figures: ExecutorFigures): string {
  const micros = (values: number[]) => `${median(values).toFixed(0)} µs`;
  const rows = [
    [
      'shape',
      'req/s each',
      'CPU/req before (graphql-jit)',
      'CPU/req after (graphql-js)',
      'after over before (median)',
    ],
    ...figures.shapes.map((shape) => [
      shape.shape,
      String(shape.rate),
      micros(shape.cpuMicrosPerRequest['graphql-jit']),
      micros(shape.cpuMicrosPerRequest['graphql-js']),
      percentRange(shape.change.perRound),
    ]),
  ];
  return [
    '',
    `Compiled queries removed, CPU per request before and after: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${figures.meta.secondsPerRound} s per shape, the two gateways loaded at once`,
    `Load average before ${figures.meta.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, after ${figures.meta.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}`,
    '',
    ...formatTable(rows),
    '',
  ].join('\n');
}
