/**
 * The executors part of `npm run bench`: what compiled queries save. Two gateways run side by side
 * (`side-by-side.ts`) in front of one embedded GitLab, the same but for `COMPILED_QUERIES`: off (every operation
 * by graphql-js) and on (the default). For each of the 20-hook list and `systemHook(id)`, each round loads both
 * at once at a fixed rate, and the figure is the median over the rounds of the compiled gateway's CPU per request
 * over graphql-js's.
 */
import os from 'node:os';
import { type BenchChild, graphqlPostHeaders, startSeededGitLab } from './children.ts';
import { formatTable } from './report.ts';
import { shapes } from './shapes.ts';
import { median, overheadPerRound, percentRange, roundsSideBySide, startVariants } from './side-by-side.ts';

const HOOKS = 250;
const CONNECTIONS = 10;
const ROUNDS = 5;
/** Requests per second each gateway is sent during a round, per shape: together within what the machine serves. */
const RATES: Record<string, number> = { 'systemHooks(first: 20)': 250, 'systemHook(id)': 300 };

const VARIANTS = ['graphql-js', 'compiled'] as const;

export interface ExecutorFigures {
  meta: { date: string; loadAverageBefore: number[]; loadAverageAfter: number[]; secondsPerRound: number };
  shapes: {
    shape: string;
    rate: number;
    /** CPU per request of each gateway, one value per round, in microseconds. */
    cpuMicrosPerRequest: Record<(typeof VARIANTS)[number], number[]>;
    /** Compiled over graphql-js, minus 1: per round and median (negative: compiled costs less). */
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
    const { gitlab, adminToken } = await startSeededGitLab(HOOKS);
    children.push(gitlab);
    const gateways = await startVariants({
      gitlabUrl: gitlab.url,
      variants: VARIANTS,
      envOf: { 'graphql-js': { COMPILED_QUERIES: 'false' }, compiled: {} },
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
        change: overheadPerRound(cpu.compiled, cpu['graphql-js']),
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
    ['shape', 'req/s each', 'CPU/req graphql-js', 'CPU/req compiled', 'compiled over graphql-js (median)'],
    ...figures.shapes.map((shape) => [
      shape.shape,
      String(shape.rate),
      micros(shape.cpuMicrosPerRequest['graphql-js']),
      micros(shape.cpuMicrosPerRequest.compiled),
      percentRange(shape.change.perRound),
    ]),
  ];
  return [
    '',
    `Compiled queries against graphql-js: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${figures.meta.secondsPerRound} s per shape, the two gateways loaded at once`,
    `Load average before ${figures.meta.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, after ${figures.meta.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}`,
    '',
    ...formatTable(rows),
    '',
  ].join('\n');
}
