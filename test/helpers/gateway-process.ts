/**
 * Gateway replicas as they run in production: separate processes started as `npm start` runs the program
 * (`startProgram`), on a port of their own choosing, in front of a GitLab the test started.
 */
import { readFileSync } from 'node:fs';
import { type StartedProgram, type StartProgramOptions, startProgram } from './npm-start.ts';

export interface GatewayProcess extends StartedProgram {
  /** The process's resident set size now, in bytes, from `/proc/<pid>/status`. */
  rssBytes(): number;
}

/** `npm start` with `PORT=0`, `env` and nothing else of the test's environment. */
export async function startGatewayProcess(
  env: Record<string, string>,
  options?: StartProgramOptions,
): Promise<GatewayProcess> {
  const program = await startProgram({ PORT: '0', ...env }, options);
  const pid = program.child.pid;
  if (pid === undefined) throw new Error('the gateway process has no pid');
  return { ...program, rssBytes: () => residentBytes(pid) };
}

/** `count` replicas with the same environment, started together; none is left running if one fails to start. */
export async function startGatewayProcesses(
  count: number,
  env: Record<string, string>,
): Promise<GatewayProcess[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startGatewayProcess(env)));
  const failed = started.find((result) => result.status === 'rejected');
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  if (failed) {
    await Promise.all(running.map((replica) => replica.stop()));
    throw failed.reason;
  }
  return running;
}

/** `VmRSS` of a process (Linux). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** What `/ready` answers: its status and its JSON report. */
export interface ReadyReport {
  status: number;
  body: { ready: boolean; checks: { gitlab: string; events?: string } };
}

export async function readyReport(origin: string): Promise<ReadyReport> {
  const response = await fetch(`${origin}/ready`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as ReadyReport['body'] };
}
