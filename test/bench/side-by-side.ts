/**
 * Gateways that differ only in their settings, measured side by side: the observability part compares telemetry
 * off and on, the executors part graphql-js and the compiled queries it replaced.
 *
 * Each variant is a gateway process of its own in front of the same embedded GitLab. They are warmed together,
 * long enough for V8 to have optimized their hot paths and sized their heaps (CPU per request keeps falling for
 * more than ten seconds of load), then each round loads them all at once at the same fixed rate, so that the
 * machine's speed, which drifts from second to second, is the same for all of them. What a variant costs is its CPU
 * per request over the base variant's in the same round; the median over the rounds is the figure.
 */
import { type BenchChild, measured, startChild } from './children.ts';
import type { GatewayProcessOptions } from './gateway-process.ts';
import { load } from './load.ts';
import type { HttpCall } from './shapes.ts';

export interface VariantsOptions<V extends string> {
  gitlabUrl: string;
  variants: readonly V[];
  /** Each variant's settings, as `npm start` reads them from the environment. */
  envOf: Record<V, Record<string, string>>;
  /** Each variant's other gateway-process options (its executor). @default none */
  optionsOf?: Partial<Record<V, Pick<GatewayProcessOptions, 'executor'>>>;
  /** Where each gateway writes its CPU profile (`--profile`), or undefined. */
  profileDir: string | undefined;
}

/** One gateway per variant, started at once. */
export async function startVariants<V extends string>(
  options: VariantsOptions<V>,
): Promise<Map<V, BenchChild>> {
  const { gitlabUrl, variants, envOf, optionsOf, profileDir } = options;
  const gateways = await Promise.all(
    variants.map((variant) =>
      startChild(
        `gateway (${variant})`,
        './gateway-process.ts',
        { gitlabUrl, env: envOf[variant], ...optionsOf?.[variant] } satisfies GatewayProcessOptions,
        profileDir
          ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${variant.replace(/[^a-z0-9-]+/gi, '')}`]
          : [],
      ),
    ),
  );
  return new Map(variants.map((variant, i) => [variant, gateways[i] as BenchChild]));
}

export interface RoundsOptions {
  call: HttpCall[][];
  headers: Record<string, string>;
  connections: number;
  /** Requests per second each gateway is sent in a round: together within what the machine serves. */
  rate: number;
  seconds: number;
  rounds: number;
  warmSeconds: number;
  log: (line: string) => void;
}

/** CPU per request of each variant, one value per round, in microseconds. */
export async function roundsSideBySide<V extends string>(
  gateways: Map<V, BenchChild>,
  options: RoundsOptions,
): Promise<Record<V, number[]>> {
  const { call, headers, connections, rate, seconds, rounds, warmSeconds, log } = options;
  const loadFor = (gateway: BenchChild, duration: number, fixedRate?: number) =>
    load(gateway.url, call, { connections, seconds: duration, headers, rate: fixedRate });
  await Promise.all([...gateways.values()].map((gateway) => loadFor(gateway, warmSeconds)));
  const cpu = Object.fromEntries([...gateways.keys()].map((variant) => [variant, [] as number[]])) as Record<
    V,
    number[]
  >;
  for (let round = 0; round < rounds; round++) {
    // All at once: whatever slows the machine down during a round slows them alike.
    await Promise.all(
      [...gateways].map(async ([variant, gateway]) => {
        const { result, cpuMicrosPerRequest } = await measured(gateway, undefined, () =>
          loadFor(gateway, seconds, rate),
        );
        if (result.failures > 0) throw new Error(`${gateway.name}: ${result.failures} failed requests`);
        cpu[variant].push(cpuMicrosPerRequest);
      }),
    );
    log(`  round ${round + 1} of ${rounds}: done`);
  }
  return cpu;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** A variant's CPU per request over the base's in the same round, minus 1: per round, and their median. */
export function overheadPerRound(variant: number[], base: number[]): { perRound: number[]; median: number } {
  const perRound = variant.map((value, i) => value / (base[i] as number) - 1);
  return { perRound, median: median(perRound) };
}

export const percent = (value: number) => `${(100 * value).toFixed(1)} %`;

/** A median of per-round values, with the spread of the rounds. */
export const percentRange = (values: number[]) =>
  `${percent(median(values))} (rounds ${percent(Math.min(...values))} to ${percent(Math.max(...values))})`;
