import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createGateway } from '../../src/http/gateway.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createGitLabClient } from '../../src/upstream/client.ts';
import type { HookParamsDto } from '../../src/upstream/types.ts';
import { ADMIN_TOKEN, graphqlHeaders } from '../helpers/credentials.ts';
import { type StartedProgram, type StartProgramOptions, startProgram } from '../helpers/npm-start.ts';
import { listen } from '../helpers/stack.ts';

/**
 * Logs as text for a person at a terminal, JSON lines for everything else (`LOG_FORMAT` forces either), and
 * text that a client chose never reaching the terminal as control characters.
 */

/** A character a terminal acts on: C0 controls but the line feed that ends a line, DEL, C1, bidi controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
/** Where a log line starts: its time, then its level. */
const LINE_START = /^\d\d:\d\d:\d\d\.\d{3} (FATAL|ERROR|WARN |INFO |DEBUG|TRACE) /;

/** ESC starting "erase the screen", CR LF and a forged line, a C1 CSI, a right-to-left override. */
const HOSTILE = '\u001b[2J\r\n22:00:00.000 INFO  forged line\u009b31m\u202egnp.exe';

describe('text logs of a client-chosen value', () => {
  it('escapes the control characters of an error message that carries it, and indents its stack', async () => {
    const written: string[] = [];
    const logger = createLogger({ format: 'text', destination: { write: (text) => written.push(text) } });
    // A fault whose message quotes what the client sent, as `Cannot read properties of undefined (reading ...)`
    // does: the client's URL reaches the ERROR line and its stack.
    const client = createGitLabClient({ baseUrl: 'http://127.0.0.1:9' });
    const api = {
      ...client,
      createHook: async ({ url }: HookParamsDto) => Promise.reject(new TypeError(`cannot use ${url}`)),
    };
    const server = createServer(createGateway({ api, logging: true, telemetry: { logger } }));
    const url = await listen(server);
    try {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: graphqlHeaders(),
        body: JSON.stringify({
          query: 'mutation Create($url: String!) { createSystemHook(input: { url: $url }) { errors } }',
          variables: { url: `http://127.0.0.1/${HOSTILE}` },
        }),
      });
      await response.body?.cancel();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
    }
    const text = written.join('');
    const lines = text.split('\n').slice(0, -1);
    const error = lines.find((line) => line.includes('Unexpected error, masked as INTERNAL_SERVER_ERROR'));
    assert.ok(error, text);
    assert.doesNotMatch(text, TERMINAL_CONTROL, 'no control character reaches the terminal');
    assert.ok(
      error.includes(String.raw`\x1b[2J\r\n22:00:00.000 INFO  forged line\x9b31m\u202egnp.exe`),
      `the value is shown escaped: ${error}`,
    );
    for (const line of lines) {
      assert.ok(LINE_START.test(line) || line.startsWith('    at '), `a log line or a stack frame: ${line}`);
    }
    assert.ok(lines.filter((line) => line.startsWith('    at ')).length > 0, 'the stack, on its own lines');
  });
});

/** `npm start` in embedded mode on free ports. */
async function start(options: StartProgramOptions, env: Record<string, string> = {}) {
  return startProgram({ PORT: '0', EMBEDDED_GITLAB_PORT: '0', ...env }, options);
}

/** Resolves once `program` has printed `text` (its start lines come in more than one write); rejects after 5 s. */
async function untilPrinted(program: StartedProgram, text: string): Promise<void> {
  const stdout = program.child.stdout;
  if (program.output().includes(text) || stdout === null) return;
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!program.output().includes(text)) return;
      clearTimeout(timer);
      stdout.off('data', check);
      resolve();
    };
    const timer = setTimeout(() => {
      stdout.off('data', check);
      reject(new Error(`${JSON.stringify(text)} not printed within 5 s:\n${program.output()}`));
    }, 5_000);
    stdout.on('data', check);
  });
}

/** The last start line in embedded mode. */
const RECEIVER_LINE = 'System hook receiver: GitLab delivers events to POST';

const linesOf = (program: StartedProgram) => program.output().split(/\r?\n/).filter(Boolean);

const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

describe('npm start in a terminal', () => {
  let program: StartedProgram;

  before(async () => {
    program = await start({ terminal: true });
    await untilPrinted(program, RECEIVER_LINE);
  });
  after(() => program?.stop());

  it('prints readable lines, not JSON', () => {
    const lines = linesOf(program);
    assert.ok(lines.length >= 5, program.output());
    for (const line of lines) {
      assert.match(line, LINE_START);
      assert.ok(!isJson(line), line);
    }
  });

  it('says where to open GraphiQL, which token the embedded GitLab uses, and where the receiver is', async () => {
    const text = program.output();
    const origin = program.url;
    assert.ok(
      text.includes(`Gateway listening on ${origin}/graphql: open it in a browser for GraphiQL`),
      text,
    );
    const token =
      /Embedded GitLab admin token: (glpat-\S+) \(GraphiQL already sends it as PRIVATE-TOKEN\)/.exec(
        text,
      )?.[1];
    assert.ok(token, text);
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'private-token': token },
      body: JSON.stringify({ query: '{ systemHooks(first: 1) { count } }' }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(((await response.json()) as { errors?: unknown }).errors, undefined, 'the token works');
    assert.ok(text.includes(`${RECEIVER_LINE} ${origin}/webhooks/system-hooks`), text);
  });
});

describe('npm start without a terminal, and LOG_FORMAT', () => {
  it('writes JSON lines when its output is a pipe (CI, a process manager), with the same start lines', async () => {
    const program = await start({});
    try {
      await untilPrinted(program, RECEIVER_LINE);
      const lines = linesOf(program);
      assert.ok(lines.length > 0);
      for (const line of lines) assert.ok(isJson(line), line);
      const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
      assert.ok(messages.some((msg) => msg.startsWith(RECEIVER_LINE)));
    } finally {
      await program.stop();
    }
  });

  it('writes JSON lines to a terminal with LOG_FORMAT=json', async () => {
    const program = await start({ terminal: true }, { LOG_FORMAT: 'JSON' });
    try {
      await untilPrinted(program, RECEIVER_LINE);
      for (const line of linesOf(program)) assert.ok(isJson(line), line);
    } finally {
      await program.stop();
    }
  });

  it('writes text to a pipe with LOG_FORMAT=text, and names (not prints) a configured token', async () => {
    const program = await start({}, { LOG_FORMAT: 'text', EMBEDDED_GITLAB_ADMIN_TOKEN: ADMIN_TOKEN });
    try {
      await untilPrinted(program, RECEIVER_LINE);
      for (const line of linesOf(program)) assert.match(line, LINE_START);
      assert.match(program.output(), /Embedded GitLab admin token: from EMBEDDED_GITLAB_ADMIN_TOKEN/);
      assert.ok(!program.output().includes(ADMIN_TOKEN));
    } finally {
      await program.stop();
    }
  });
});
