/**
 * `npm test`: the programs the tests start (installed, or named with the command to install them), then
 * typecheck, lint and the codegen check, then every test on this machine's Node.
 *
 * `npm run test:node-lines` (what CI runs): the same, with the tests run once on each supported Node line in
 * turn: this machine's, then each of `NODE_LINES` not already that one, installed from the npm registry into a
 * cache folder. It prints which Node each run used, and ends with one line that adds up every run's counts.
 */
import { type SpawnOptions, spawn } from 'node:child_process';
import { delimiter } from 'node:path';
import { installNodeLine, NODE_LINES, type NodeLine } from './node-lines.ts';
import { ensureTestServers } from './servers.ts';

const ROOT = new URL('../..', import.meta.url);

interface Counts {
  tests: number;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  todo: number;
}

/** The closing counts of node's test runner: `ℹ pass 12` (its spec reporter), or `# pass 12` (TAP). */
const COUNT_LINE = /^(?:#|ℹ) (tests|pass|fail|cancelled|skipped|todo) (\d+)$/;

interface Finished {
  code: number;
  ms: number;
  counts: Counts | undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the colours of the spec reporter, to read past them.
const COLOUR = /\u001b\[[0-9;]*m/g;

/**
 * Runs `command`. With `count`, its output passes through this process and the test runner's counts are read on
 * the way; otherwise it writes to this process's own output (a terminal stays a terminal for tsc and Biome).
 */
function run(command: string, args: string[], count: boolean, env = process.env): Promise<Finished> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const options: SpawnOptions = {
      cwd: ROOT,
      env,
      stdio: ['ignore', count ? 'pipe' : 'inherit', 'inherit'],
    };
    const child = spawn(command, args, options);
    const counts: Partial<Counts> = {};
    let rest = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const match = COUNT_LINE.exec(line.replace(COLOUR, '').trim());
        if (match) counts[match[1] as keyof Counts] = Number(match[2]);
      }
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const complete = counts.tests !== undefined && counts.pass !== undefined;
      resolve({
        code: code ?? (signal ? 1 : 0),
        ms: performance.now() - started,
        counts: complete ? ({ fail: 0, cancelled: 0, skipped: 0, todo: 0, ...counts } as Counts) : undefined,
      });
    });
  });
}

const duration = (ms: number) => {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
};

function banner(text: string): void {
  process.stdout.write(`\n=== ${text}\n`);
}

/** typecheck, lint and the codegen check, each as its npm script; false at the first that fails. */
async function staticChecks(): Promise<boolean> {
  for (const script of [['typecheck'], ['lint'], ['codegen', '--', '--check']]) {
    banner(`npm run ${script.join(' ')}`);
    const { code } = await run('npm', ['run', ...script], false);
    if (code !== 0) return false;
  }
  return true;
}

interface LineRun {
  version: string;
  finished: Finished;
}

/** `npm run test:unit` with `line`'s node first on `PATH` (this machine's when it has no folder). */
async function testOn(line: NodeLine | undefined): Promise<LineRun> {
  const env = { ...process.env };
  if (line) env.PATH = `${line.binFolder}${delimiter}${env.PATH ?? ''}`;
  // The reporter writes to a pipe here: keep its colours for a person at a terminal.
  if (process.stdout.isTTY && env.NO_COLOR === undefined) env.FORCE_COLOR ??= '1';
  const version = line ? `v${line.version}` : process.version;
  banner(`Tests on Node ${version} (${line ? `from ${line.binFolder}` : "this machine's"})`);
  return { version, finished: await run('npm', ['run', 'test:unit'], true, env) };
}

function summary(runs: readonly LineRun[]): number {
  banner('Summary');
  const total: Counts = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  let failedRuns = 0;
  for (const { version, finished } of runs) {
    const { counts, code, ms } = finished;
    const outcome = counts
      ? `${counts.pass} passed, ${counts.fail + counts.cancelled} failed or cancelled, ${counts.skipped} skipped`
      : 'no counts read';
    process.stdout.write(`Node ${version}: ${outcome}, exit ${code}, in ${duration(ms)}\n`);
    if (code !== 0 || !counts) failedRuns += 1;
    for (const key of Object.keys(total) as (keyof Counts)[]) total[key] += counts?.[key] ?? 0;
  }
  // The plain closing line that CI reads, for every run together.
  process.stdout.write(
    `total: ${total.pass} passed, ${total.fail + total.cancelled + failedRuns} failed, ${total.skipped} skipped\n`,
  );
  return failedRuns === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const everyLine = process.argv.includes('--node-lines');
  if (!ensureTestServers(process.env).ok) return 1;
  // The Node lines before the checks: a failed download stops the run before its long part.
  const lines: NodeLine[] = [];
  if (everyLine) {
    for (const version of NODE_LINES) {
      // A machine already on one of the lines runs it once, as its own.
      if (process.version.split('.')[0] === `v${version.split('.')[0]}`) continue;
      const line = installNodeLine(version);
      if (!line) return 1;
      lines.push(line);
    }
  }
  if (!(await staticChecks())) return 1;
  const runs = [await testOn(undefined)];
  for (const line of lines) runs.push(await testOn(line));
  return summary(runs);
}

process.exitCode = await main();
