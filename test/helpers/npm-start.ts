import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
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
}

/**
 * Starts the program as `npm start` does, Node flags included, with only `PATH` and `env` in its environment,
 * and resolves once it prints where the gateway listens (rejects after 20 s, or if it exits first).
 */
export async function startProgram(env: Record<string, string>): Promise<StartedProgram> {
  const child = spawn(process.execPath, [...START_COMMAND.nodeFlags, START_COMMAND.entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no listening line within 20 s:\n${output}`));
    }, 20_000);
    const check = () => {
      const match = /Gateway listening on (http:\/\/\S+)\/graphql/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    return code;
  };
  return { child, url, output: () => output, stop };
}

/** The embedded GitLab's admin token as `npm start` printed it, having generated it; throws when none was. */
export function printedAdminToken(program: StartedProgram): string {
  const match = /Embedded GitLab admin token: (glpat-[0-9A-Za-z]{20})/.exec(program.output());
  if (!match) throw new Error(`no generated admin token in the output:\n${program.output()}`);
  return match[1] as string;
}
