/** Starting, sampling and stopping the benchmark's server processes. */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { START_COMMAND } from '../helpers/start-command.ts';
import type { LoadResult } from './load.ts';
import type { ChildMessage, ParentMessage, ProcessSample } from './protocol.ts';

const START_TIMEOUT_MS = 60_000;
const ANSWER_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
/** In-flight answers finish within this after the load generator stops, before the closing sample. */
const SETTLE_MS = 100;

export interface BenchChild {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** `gc`: collect garbage first (the child needs `--expose-gc`). */
  sample(options?: { gc?: boolean }): Promise<ProcessSample>;
  /** Sends a command to a child that takes them and resolves with its answer. */
  command<T>(command: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the process to close and exit, and kills it if it has not within a bound. */
  stop(): Promise<void>;
}

/**
 * Forks `file` (a module of this folder) with `npm start`'s Node flags. `nodeFlags` are added to them, for
 * example `--cpu-prof`.
 */
export async function startChild(
  name: string,
  file: string,
  options: unknown,
  nodeFlags: string[] = [],
): Promise<BenchChild> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [JSON.stringify(options)], {
    // Every server runs as `npm start` runs the gateway: its Node flags (heap size, tsx) and NODE_ENV
    // (src/node-env.ts). The bare Yoga server gets the same, so that the CPU ratio compares like with like.
    execArgv: [...START_COMMAND.nodeFlags, ...nodeFlags],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  /** The first message `accept` takes (or a `failed` one, which rejects), within `timeoutMs`. */
  const waitFor = (accept: (message: ChildMessage) => boolean, timeoutMs: number, what: string) =>
    new Promise<ChildMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${name}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: ChildMessage) => {
        if (!accept(message) && message.type !== 'failed') return;
        cleanup();
        if (message.type === 'failed') reject(new Error(`${name} failed: ${message.message}`));
        else resolve(message);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`${name} exited (${code}) before its ${what}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const next = (type: ChildMessage['type']) =>
    waitFor(
      (message) => message.type === type,
      type === 'ready' ? START_TIMEOUT_MS : ANSWER_TIMEOUT_MS,
      `${type} message`,
    );
  const send = (message: ParentMessage) => child.send(message);
  let commands = 0;

  let ready: ChildMessage;
  try {
    ready = await next('ready');
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    name,
    url: ready.type === 'ready' ? ready.url : '',
    pid: child.pid ?? 0,
    async sample(options = {}) {
      const answer = next('sample');
      send({ type: 'sample', ...options });
      const message = await answer;
      if (message.type !== 'sample') throw new Error(`${name}: unexpected answer`);
      return message.sample;
    },
    async command<T>(command: unknown, timeoutMs = ANSWER_TIMEOUT_MS) {
      const id = ++commands;
      const answer = waitFor((m) => m.type === 'answer' && m.id === id, timeoutMs, 'answer to a command');
      send({ type: 'command', id, command });
      const message = await answer;
      if (message.type !== 'answer') throw new Error(`${name}: unexpected answer`);
      if (message.error !== undefined) throw new Error(`${name}: ${message.error}`);
      return message.answer as T;
    },
    stop: () => stopChild(child, send),
  };
}

async function stopChild(child: ChildProcess, send: (message: ParentMessage) => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** CPU time `child` spent over one load phase, what it served, and the upstream requests made meanwhile. */
export async function measured(
  child: BenchChild,
  gitlab: BenchChild | undefined,
  run: () => Promise<LoadResult>,
): Promise<{ result: LoadResult; cpuMicrosPerRequest: number; upstreamPerRequest: number }> {
  const [before, upstreamBefore] = await Promise.all([child.sample(), gitlab?.sample()]);
  const result = await run();
  await delay(SETTLE_MS);
  const [after, upstreamAfter] = await Promise.all([child.sample(), gitlab?.sample()]);
  // A child that counts no requests of its own (the embedded GitLab under a plan of several calls) is charged
  // per completed operation.
  const served = gitlab ? after.served - before.served : result.requests;
  const upstream = upstreamAfter && upstreamBefore ? upstreamAfter.upstream - upstreamBefore.upstream : 0;
  return {
    result,
    cpuMicrosPerRequest: served > 0 ? (after.cpuMicros - before.cpuMicros) / served : Number.NaN,
    upstreamPerRequest: served > 0 ? upstream / served : Number.NaN,
  };
}

/** The embedded GitLab seeded with `hooks` hooks, and the admin token made for this run (the user's adds `-user`). */
export async function startSeededGitLab(hooks: number): Promise<{ gitlab: BenchChild; adminToken: string }> {
  const adminToken = `glpat-bench-${randomBytes(12).toString('hex')}`;
  const gitlab = await startChild('embedded GitLab', './gitlab-process.ts', {
    adminToken,
    userToken: `${adminToken}-user`,
    hooks,
  });
  return { gitlab, adminToken };
}

/** The headers of a GraphQL POST with `token`, asking for the GraphQL-over-HTTP media type. */
export function graphqlPostHeaders(token: string): Record<string, string> {
  return {
    'private-token': token,
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
  };
}
