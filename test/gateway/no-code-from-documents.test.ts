import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createClient, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { propertyRuns } from '../helpers/property.ts';
import { type EventStack, startEventStack } from '../helpers/stack.ts';
import type { UntypedData } from '../helpers/untyped.ts';

/**
 * Nothing a client sends is ever turned into code. graphql-jit (removed) printed a document's literal argument
 * values into the JavaScript it generated and rewrote any string that began with its public date marker into
 * `new Date(<the rest>)`, so that `{ systemHook(id: "__MAGIC_DATE__…0, <code>") { id } }`, sent twice, ran
 * `<code>` in the gateway. These documents carry such strings in every place a document can hold one (scalar,
 * list and input-object literals, variable defaults, directive arguments, variables) and are each sent many
 * times over HTTP and WebSocket, so that any cache or compiler would have kicked in; the code they carry would
 * leave a canary (a global and a file). The answers must also hold the strings intact: graphql-jit's other
 * markers turned a string into `NaN` or `Infinity` without running anything.
 */

const CANARY = `__gatewayCanary_${process.pid}`;
const scratch = mkdtempSync(join(tmpdir(), 'gateway-canary-'));
const CANARY_FILE = join(scratch, 'ran');
/** What the strings below try to run: it counts on a global and writes a file. No double quote: the date marker's pattern stops at one. */
const CODE = `globalThis.${CANARY} = (globalThis.${CANARY} ?? 0) + 1, process.getBuiltinModule(\`fs\`).writeFileSync(\`${CANARY_FILE}\`, \`ran\`)`;

/** graphql-jit 0.8.9's markers (`dist/execution.js`), public constants. */
const MARKERS = {
  date: '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d',
  nan: '__MAGIC_NAN__57f286b9_4c20_487f_b409_79804ddcb4f8',
  plusInfinity: '__MAGIC_PLUS_INFINITY__bb201c39_3333_4695_b4ad_7f1722e7aa7a',
  minusInfinity: '__MAGIC_MINUS_INFINITY__71d4310a_d4a3_4a05_b1fe_e60779d24998',
};

/** Strings shaped to become code in a generator that prints values into source text, or to break out of a string there. */
const HOSTILE: string[] = [
  `${MARKERS.date}0, ${CODE}`,
  `${MARKERS.date}(${CODE})`,
  MARKERS.nan,
  MARKERS.plusInfinity,
  MARKERS.minusInfinity,
  `${MARKERS.nan}, ${CODE}`,
  `${MARKERS.plusInfinity}${CODE}`,
  `${MARKERS.minusInfinity}")); ${CODE}; (("`,
  `"); ${CODE}; ("`,
  `'); ${CODE}; ('`,
  `\`\${${CODE}}\``,
  `\u2028${CODE}; //`,
  `*/ ${CODE}; /*`,
  `\\"); ${CODE}; //`,
  `</script><script>${CODE}</script>`,
];

/** Each document goes this many times: well past any "compile on the second sight". */
const REPEATS = 5;

/** A string as a GraphQL string literal: JSON's escapes are GraphQL's. */
const literal = (value: string) => JSON.stringify(value);

/** How the gateway's `BAD_USER_INPUT` messages quote a value (`quoteValue`: the first 80 characters). */
const quoted = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

function assertNothingRan(): void {
  assert.equal(Reflect.get(globalThis, CANARY), undefined, 'code from a document ran in the gateway');
  assert.equal(existsSync(CANARY_FILE), false, 'code from a document wrote a file');
}

interface Answer {
  data?: UntypedData | null;
  errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}

interface Case {
  name: string;
  query: (value: string) => string;
  variables?: (value: string) => Record<string, unknown>;
  /** What the answer must say of the value, intact. */
  check: (answer: Answer, value: string) => void;
}

function assertRefusedNaming(answer: Answer, value: string): void {
  const [error] = answer.errors ?? [];
  assert.ok(error, `an error for ${quoted(value)}`);
  assert.equal(error.extensions?.code, 'BAD_USER_INPUT');
  assert.ok(error.message.startsWith(quoted(value)), `${error.message} quotes the value as sent`);
}

function assertCursorRefused(answer: Answer): void {
  assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.match(answer.errors?.[0]?.message ?? '', /cursor is not one this connection issued/);
}

const QUERY_CASES: Case[] = [
  {
    name: 'a scalar literal',
    query: (value) => `{ systemHook(id: ${literal(value)}) { id } }`,
    check: assertRefusedNaming,
  },
  {
    name: 'a list literal',
    query: (value) => `{ nodes(ids: ["1", ${literal(value)}]) { id } }`,
    check: assertRefusedNaming,
  },
  {
    name: 'a cursor literal',
    query: (value) => `{ systemHooks(first: 1, after: ${literal(value)}) { count } }`,
    check: assertCursorRefused,
  },
  {
    name: "a variable's default",
    query: (value) => `query ($id: ID! = ${literal(value)}) { systemHook(id: $id) { id } }`,
    check: assertRefusedNaming,
  },
  {
    name: 'a variable',
    query: () => 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
    variables: (value) => ({ ids: [value] }),
    check: assertRefusedNaming,
  },
  {
    name: 'a field under @include, whose argument holds the string',
    query: (value) => `{ systemHook(id: ${literal(value)}) @include(if: true) { id } }`,
    check: assertRefusedNaming,
  },
  {
    name: 'an argument of a directive the schema does not have',
    query: (value) => `{ systemHook(id: "1") @stream(label: ${literal(value)}) { id } }`,
    check: (answer) => {
      assert.equal(answer.data, undefined);
      assert.match(answer.errors?.[0]?.message ?? '', /Unknown directive "@stream"/);
    },
  },
];

/** An input-object literal: the hook is created, named exactly the string. */
const MUTATION_CASE: Case = {
  name: 'an input-object literal',
  query: (value) =>
    `mutation { createSystemHook(input: { url: "https://hooks.example.com/canary", name: ${literal(value)}, description: ${literal(value)} }) { errors systemHook { name description } } }`,
  check: (answer, value) => {
    assert.deepEqual(answer.errors, undefined);
    assert.deepEqual(answer.data?.createSystemHook, {
      errors: [],
      systemHook: { name: value, description: value },
    });
  },
};

/** A subscription's literal: the cursor is refused, intact. */
const SUBSCRIPTION_CASE: Case = {
  name: "a subscription's cursor literal",
  query: (value) => `subscription { systemHookEventReceived(after: ${literal(value)}) { cursor } }`,
  check: (answer, value) => {
    assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(answer));
    assert.doesNotMatch(answer.errors?.[0]?.message ?? '', /NaN|Infinity/, `for ${quoted(value)}`);
  },
};

describe('no code is ever made from what a client sends', () => {
  let stack: EventStack;

  before(async () => {
    stack = await startEventStack();
  });
  after(async () => {
    await stack.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const overHttp = async (testCase: Case, value: string): Promise<Answer> => {
    const { status, ...answer } = await stack.requestText(testCase.query(value), testCase.variables?.(value));
    assert.ok(status === 200 || status === 400, `HTTP ${status}`);
    return answer;
  };

  for (const testCase of [...QUERY_CASES, MUTATION_CASE]) {
    it(`over HTTP, in ${testCase.name}`, async () => {
      for (const value of HOSTILE) {
        let first: string | undefined;
        for (let sent = 0; sent < REPEATS; sent++) {
          const answer = await overHttp(testCase, value);
          testCase.check(answer, value);
          if (testCase !== MUTATION_CASE) {
            // The same document answers the same bytes every time it comes, cached or not.
            first ??= JSON.stringify(answer);
            assert.equal(JSON.stringify(answer), first);
          }
        }
      }
      assertNothingRan();
    });
  }

  it('over WebSocket, in every kind of literal and in a subscription', async () => {
    const client = createClient({
      url: stack.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { 'PRIVATE-TOKEN': ADMIN_TOKEN },
      retryAttempts: 0,
      lazy: false,
    });
    try {
      for (const testCase of [...QUERY_CASES, MUTATION_CASE, SUBSCRIPTION_CASE]) {
        for (const value of HOSTILE) {
          for (let sent = 0; sent < REPEATS; sent++) {
            const answer = await overWebSocket(client, testCase.query(value), testCase.variables?.(value));
            testCase.check(answer, value);
          }
        }
      }
    } finally {
      await client.dispose();
    }
    assertNothingRan();
  });

  it('leaves random strings in string arguments as they are, sent twice each', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 60 }),
          fc
            .tuple(fc.constantFrom(...Object.values(MARKERS)), fc.string({ unit: 'grapheme', maxLength: 40 }))
            .map(([marker, rest]) => marker + rest),
        ),
        async (value) => {
          // A plain decimal is a REST id (a hook that may exist): the property is about every other string.
          fc.pre(!/^[0-9]+$/.test(value));
          for (let sent = 0; sent < 2; sent++) {
            assertRefusedNaming(await overHttp(QUERY_CASES[0] as Case, value), value);
            // An empty cursor is no cursor: the first page.
            if (value !== '') assertCursorRefused(await overHttp(QUERY_CASES[2] as Case, value));
          }
        },
      ),
      propertyRuns(40),
    );
    assertNothingRan();
  });
});

describe('the gateway compiles nothing into code', () => {
  const root = new URL('../../', import.meta.url);
  const sources = (readdirSync(new URL('src/', root), { recursive: true }) as string[])
    .filter((path) => path.endsWith('.ts'))
    .map((path) => ({ path, text: readFileSync(new URL(`src/${path}`, root), 'utf8') }));

  it('does not depend on graphql-jit, not even for development (the benchmark fetches its own)', () => {
    for (const file of ['package.json', 'package-lock.json']) {
      assert.doesNotMatch(readFileSync(new URL(file, root), 'utf8'), /graphql-jit/, file);
    }
    assert.ok(sources.length > 50, 'the sources were found');
    for (const { path, text } of sources) {
      assert.doesNotMatch(text, /(from|import\s*\(|require\s*\()\s*['"]graphql-jit/, path);
    }
  });

  it('has no eval and no Function constructor anywhere in src/', () => {
    for (const { path, text } of sources) assert.doesNotMatch(text, /\beval\s*\(|new\s+Function\s*\(/, path);
  });
});

/** One operation over an open graphql-ws client: its first result, or its error as an answer. */
function overWebSocket(
  client: ReturnType<typeof createClient>,
  query: string,
  variables: Record<string, unknown> | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const dispose = client.subscribe(
      { query, variables },
      {
        next: (result: ExecutionResult<Record<string, unknown>>) => {
          if (settled) return;
          settled = true;
          dispose();
          resolve(result as Answer);
        },
        error: (error: unknown) => {
          if (settled) return;
          settled = true;
          // graphql-ws hands over a list of GraphQL errors when the operation is refused before it runs.
          if (Array.isArray(error)) resolve({ errors: error });
          else reject(error);
        },
        complete: () => {
          if (!settled) reject(new Error('completed without a result'));
        },
      },
    );
  });
}
