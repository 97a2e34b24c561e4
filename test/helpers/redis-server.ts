/**
 * A real `redis-server` for tests, on a free loopback port, without persistence (a restart empties it, as a crash
 * of a cache-only Redis does). Each test that starts one stops it.
 *
 * ```ts
 * const redis = await startRedisServer();
 * // ... createRedisEventStore({ redis: redis.url }) ...
 * await redis.stop();    // SIGTERM, then wait for the process to exit
 * await redis.start();   // again, on the same port
 * redis.pause();         // SIGSTOP: it hangs; redis.resume() lets it go on
 * await redis.close();   // for good
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { waitUntil } from './wait-until.ts';

const BINARY = process.env.REDIS_SERVER ?? 'redis-server';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Stops the server (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it answers PING. */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and nothing answers, as with a hung server. */
  pause(): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(): void;
  /** Stops it for good. */
  close(): Promise<void>;
}

/** A loopback port free a moment ago (another process may take it before it is used). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port was assigned');
  return address.port;
}

/** Whether something on `port` answers `PING` with `+PONG`. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

function launch(port: number): ChildProcess {
  const child = spawn(
    BINARY,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.resume();
  return child;
}

async function waitUntilServing(child: ChildProcess, port: number): Promise<void> {
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `${BINARY} is not installed; the event tests need Redis 7: apt-get install redis-server ` +
                '(or set REDIS_SERVER to its path)',
            )
          : error,
      );
    });
    child.once('exit', (code) =>
      reject(new Error(`${BINARY} exited with ${code} before serving port ${port}`)),
    );
  });
  failed.catch(() => {});
  try {
    await waitUntil(
      `${BINARY} answers PING on port ${port}`,
      () => Promise.race([answersPing(port), failed]),
      {
        withinMs: START_TIMEOUT_MS,
        everyMs: 50,
      },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  child.kill('SIGCONT'); // a paused server only takes the SIGTERM once it runs
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export async function startRedisServer(): Promise<RedisServer> {
  let port = 0;
  let child: ChildProcess | null = null;
  // Another process may take the port between the probe and the spawn: try a few.
  for (let attempt = 1; child === null; attempt += 1) {
    port = await freePort();
    const candidate = launch(port);
    try {
      await waitUntilServing(candidate, port);
      child = candidate;
    } catch (error) {
      await terminate(candidate);
      if (attempt >= 3 || /not installed/.test(String(error))) throw error;
    }
  }
  let current: ChildProcess | null = child;

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return current !== null;
    },
    async stop() {
      if (current === null) return;
      const stopping = current;
      current = null;
      await terminate(stopping);
    },
    async start() {
      if (current !== null) return;
      const child = launch(port);
      await waitUntilServing(child, port);
      current = child;
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    pause() {
      current?.kill('SIGSTOP');
    },
    resume() {
      current?.kill('SIGCONT');
    },
    async close() {
      server.resume();
      await server.stop();
    },
  };
  return server;
}
