import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { useEmbeddedGitLab } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../src/embedded-gitlab/main.ts', import.meta.url));
const TOO_LARGE = { message: '413 Request Entity Too Large' };

/** `npm run gitlab` in a child process: the race between the 413 and the upload only shows across processes. */
async function startGitLabProcess(): Promise<{ url: string; child: ChildProcessWithoutNullStreams }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, EMBEDDED_GITLAB_PORT: '0', EMBEDDED_GITLAB_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)\/api\/v4/.exec(output)?.[1];
      if (found) resolve(found);
    });
    child.once('exit', () => reject(new Error(`exited early: ${output}`)));
  });
  return { url, child };
}

describe('a body over the limit, sent by a client that is still uploading', () => {
  let gitlab: { url: string; child: ChildProcessWithoutNullStreams };

  before(async () => {
    gitlab = await startGitLabProcess();
  });

  after(async () => {
    gitlab.child.kill('SIGTERM');
    if (gitlab.child.exitCode === null) await once(gitlab.child, 'exit');
  });

  const body = new TextEncoder().encode(
    JSON.stringify({ url: 'http://example.com', name: 'n'.repeat(5 * 1024 * 1024) }),
  );
  const bodies: Record<string, () => BodyInit> = {
    string: () => new TextDecoder().decode(body),
    bytes: () => body,
    blob: () => new Blob([body]),
    stream: () => {
      let offset = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= body.length) controller.close();
          else controller.enqueue(body.subarray(offset, offset + 64 * 1024));
          offset += 64 * 1024;
        },
      });
    },
  };

  for (const [kind, make] of Object.entries(bodies)) {
    it(`lets Node's fetch read the 413 while it sends 5 MB as a ${kind}`, { timeout: 30_000 }, async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const response = await fetch(`${gitlab.url}/api/v4/hooks`, {
          method: 'POST',
          headers: { 'PRIVATE-TOKEN': ADMIN_TOKEN, 'content-type': 'application/json' },
          body: make(),
          duplex: 'half',
          signal: AbortSignal.timeout(10_000),
        } as RequestInit);
        assert.equal(response.status, 413, `attempt ${attempt}`);
        assert.deepEqual(await response.json(), TOO_LARGE);
      }
      const list = await fetch(`${gitlab.url}/api/v4/hooks`, { headers: { 'PRIVATE-TOKEN': ADMIN_TOKEN } });
      assert.deepEqual(await list.json(), [], 'nothing was stored');
    });
  }
});

describe('the drain of a refused body', () => {
  const t = useEmbeddedGitLab({ maxBodyBytes: 1_024 });

  /** A raw connection to the server, recording what it answers and whether it closed. */
  async function openConnection() {
    const { port } = new URL(t.gitlab.url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    const state = { socket, answer: '', closed: false };
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      state.answer += text;
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      state.closed = true;
    });
    return state;
  }

  /** Sends a request declaring a huge body, then writes its body with `write` until the server closes. */
  async function uploadUntilClosed(write: (send: (chunk: Buffer) => Promise<boolean>) => Promise<void>) {
    const connection = await openConnection();
    const { socket } = connection;
    const started = performance.now();
    socket.write(
      `POST /api/v4/hooks HTTP/1.1\r\nHost: gitlab\r\nPRIVATE-TOKEN: ${ADMIN_TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n',
    );
    await write(async (chunk) => {
      if (connection.closed) return false;
      // The callback runs once the chunk is handed to the kernel, or with the error that ended the socket.
      await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
      return !connection.closed;
    });
    try {
      await waitUntil('the server closes the connection', () => connection.closed, { withinMs: 5_000 });
    } finally {
      socket.destroy();
    }
    return { answer: connection.answer, closed: connection.closed, ms: performance.now() - started };
  }

  it('answers at once and cuts off a client that trickles the rest for longer than the drain time', {
    timeout: 15_000,
  }, async () => {
    const result = await uploadUntilClosed(async (send) => {
      for (let i = 0; i < 200 && (await send(Buffer.alloc(512, 'x'))); i++) await sleep(25);
    });
    assert.match(result.answer, /^HTTP\/1\.1 413 /);
    assert.ok(result.answer.endsWith(JSON.stringify(TOO_LARGE)), result.answer);
    assert.ok(result.closed, 'the server closed the connection');
    assert.ok(result.ms >= 1_900, `closed after ${result.ms} ms`);
    assert.ok(result.ms < 4_500, `closed after ${result.ms} ms`);
  });

  it('cuts off a client that never stops sending', { timeout: 15_000 }, async () => {
    const chunk = Buffer.alloc(256 * 1024, 'x');
    const result = await uploadUntilClosed(async (send) => {
      for (let i = 0; i < 2_000 && (await send(chunk)); i++);
    });
    assert.match(result.answer, /^HTTP\/1\.1 413 /);
    assert.ok(result.closed, 'the server closed the connection');
  });

  it('keeps the connection for the next request when the refused body ends in time', async () => {
    const connection = await openConnection();
    const refused = '{"name":"'.padEnd(2_000, 'n');
    connection.socket.write(
      `POST /api/v4/hooks HTTP/1.1\r\nHost: gitlab\r\nContent-Length: ${refused.length}\r\n\r\n${refused}` +
        `GET /api/v4/hooks HTTP/1.1\r\nHost: gitlab\r\nPRIVATE-TOKEN: ${ADMIN_TOKEN}\r\n\r\n`,
    );
    try {
      await waitUntil('the second request is answered', () => connection.answer.includes('HTTP/1.1 200'), {
        withinMs: 2_000,
      });
    } finally {
      connection.socket.destroy();
    }
    assert.match(connection.answer, /^HTTP\/1\.1 413 [\s\S]*HTTP\/1\.1 200 /);
  });
});
