import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { MemorySample } from './memory-probe.ts';
import { START_COMMAND } from './start-command.ts';

const ROOT = new URL('../..', import.meta.url);

/** The program as `npm start` runs it, in a child process. */
export interface StartedProgram {
  child: ChildProcess;
  /** The gateway's origin, such as `http://127.0.0.1:40123` (GraphQL at `${url}/graphql`). */
  url: string;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s; resolves with its exit code. */
  stop(): Promise<number | null>;
  /**
   * Its memory after a full garbage collection, asked over IPC; only when started with `memoryProbe` (rejects
   * otherwise, or after 10 s).
   */
  memory(): Promise<MemorySample>;
}

export interface StartProgramOptions {
  /**
   * Preload `memory-probe.ts` with `--expose-gc` and an IPC channel, so that `memory()` answers: what the process
   * still holds, rather than its RSS, which depends on when V8 last collected and on how each Node line sizes
   * its heap. @default false
   */
  memoryProbe?: boolean;
  /**
   * Run it with a terminal as its standard output and error (a pseudo-terminal from util-linux's `script`), as
   * a person's `npm start` runs; `child` is then `script`, and stopping signals its whole process group. Not
   * with `memoryProbe`. @default false: pipes, as under CI or a process manager
   */
  terminal?: boolean;
}

/** `words` as one POSIX shell command line. */
const shellLine = (words: string[]) => words.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');

/** `npm start`'s Node arguments, with the memory probe when asked (relative to the repository root). */
export function startArguments({ memoryProbe = false }: StartProgramOptions = {}): string[] {
  // The probe is imported after the start command's own `--import tsx`, which Node 20 needs to load `.ts`.
  const flags = memoryProbe
    ? ['--expose-gc', ...START_COMMAND.nodeFlags, '--import', './test/helpers/memory-probe.ts']
    : START_COMMAND.nodeFlags;
  return [...flags, START_COMMAND.entry];
}

/**
 * Starts the program as `npm start` does, Node flags included, with only `PATH` and `env` in its environment,
 * and resolves once it prints where the gateway listens (rejects after 20 s, or if it exits first).
 */
export async function startProgram(
  env: Record<string, string>,
  { memoryProbe = false, terminal = false }: StartProgramOptions = {},
): Promise<StartedProgram> {
  if (memoryProbe && terminal) throw new Error('memoryProbe needs the IPC channel a terminal run has not');
  const node = [process.execPath, ...startArguments({ memoryProbe })];
  const [command, ...args] = terminal
    ? ['script', '--quiet', '--flush', '--return', '--command', shellLine(node), '/dev/null']
    : node;
  const child = spawn(command as string, args, {
    cwd: ROOT,
    // Its own process group under `script`, so that a signal reaches the gateway as a terminal's Ctrl-C would.
    detached: terminal,
    env: { PATH: process.env.PATH ?? '', ...env },
    // The IPC channel only for the probe: otherwise the gateway runs exactly as `npm start` runs it.
    stdio: ['ignore', 'pipe', 'pipe', memoryProbe ? 'ipc' : 'ignore'],
  });
  const { stdout, stderr } = child;
  if (stdout === null || stderr === null) throw new Error('spawned without pipes');
  const signal = (name: NodeJS.Signals) => {
    if (terminal && child.pid !== undefined) process.kill(-child.pid, name);
    else child.kill(name);
  };
  let output = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`no listening line within 20 s:\n${output}`));
    }, 20_000);
    const check = () => {
      const match = /Gateway listening on (http:\/\/\S+)\/graphql/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit');
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 5_000);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    return code;
  };
  const memory = async () => {
    if (!memoryProbe) throw new Error('started without memoryProbe');
    child.send('memory');
    const [sample] = (await once(child, 'message', { signal: AbortSignal.timeout(10_000) })) as [
      MemorySample,
    ];
    return sample;
  };
  return { child, url, output: () => output, stop, memory };
}

/** The embedded GitLab's admin token as `npm start` printed it, having generated it; throws when none was. */
export function printedAdminToken(program: StartedProgram): string {
  const match = /Embedded GitLab admin token: (glpat-[0-9A-Za-z]{20})/.exec(program.output());
  if (!match) throw new Error(`no generated admin token in the output:\n${program.output()}`);
  return match[1] as string;
}

/** GraphiQL's starting document, from the options the served page passes to GraphiQL. */
export function graphiqlDefaultDocument(html: string): string {
  const literal = [...html.matchAll(/"defaultQuery":("(?:[^"\\]|\\.)*")/g)].at(-1)?.[1];
  if (literal === undefined) throw new Error('the page sets no defaultQuery');
  return JSON.parse(literal) as string;
}
