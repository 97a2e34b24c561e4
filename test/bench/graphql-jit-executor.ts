/**
 * What the gateway ran until 2026-12-06, for the executors part of `npm run bench` only: queries compiled by
 * graphql-jit and run compiled, everything else by graphql-js. The gateway no longer has it: graphql-jit prints a
 * document's literal values into the code it generates, and a string carrying its public date marker becomes
 * code, so that any caller ran code in the gateway (docs/security.md). The benchmark keeps it to measure, side by
 * side, what its removal costs, and serves only its own documents with it, on loopback.
 *
 * graphql-jit is no dependency of the project's, not even a development one: the benchmark installs the pinned
 * version into a cache folder outside it (`installGraphQLJit`), with this project's graphql linked in as its peer
 * (one copy of graphql in the process), and loads it from there. `test/gateway/no-code-from-documents.test.ts`
 * checks that neither `package.json` nor its lock nor `src/` names it.
 *
 * As the removed plugin did for the benchmark's shapes: a query whose root fields are the schema's own is
 * compiled when its document is first seen and run compiled from then on (the benchmark sends the same few
 * documents, which the document cache keeps, so each is compiled once).
 */
import { existsSync, mkdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type GraphQLSchema,
  Kind,
  OperationTypeNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { cacheFolder, npmInstallInto } from '../helpers/cache-install.ts';

const VERSION = '0.8.9';
const PREFIX = cacheFolder(['graphql-jit', VERSION]);

/** The part of graphql-jit's API the benchmark uses. */
interface GraphQLJit {
  compileQuery(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName?: string,
  ): { query: (root: unknown, context: unknown, variables: unknown) => unknown } | ExecutionResult;
  isCompiledQuery(query: unknown): query is {
    query: (root: unknown, context: unknown, variables: unknown) => unknown;
  };
}

/**
 * Installs graphql-jit into the cache unless it is there, without its peer (graphql), which is linked to this
 * project's instead. Throws, saying what to run, when npm cannot.
 */
export function installGraphQLJit(log: (line: string) => void): void {
  if (!existsSync(join(PREFIX, 'node_modules', 'graphql-jit', 'package.json'))) {
    log(`Installing graphql-jit ${VERSION} (for the executors part only) into ${PREFIX}`);
    const status = npmInstallInto(PREFIX, `graphql-jit@${VERSION}`, ['--legacy-peer-deps']);
    if (status !== 0) {
      throw new Error(
        `graphql-jit ${VERSION} could not be installed (npm exited ${status}); try: npm install --prefix ${PREFIX} --no-save --ignore-scripts --legacy-peer-deps graphql-jit@${VERSION}`,
      );
    }
  }
  // Linked anew when it names another checkout's graphql: a second copy in the process breaks `instanceof`.
  const peer = join(PREFIX, 'node_modules', 'graphql');
  const ours = realpathSync(dirname(createRequire(import.meta.url).resolve('graphql/package.json')));
  if (existsSync(peer) && realpathSync(peer) === ours) return;
  rmSync(peer, { recursive: true, force: true });
  mkdirSync(dirname(peer), { recursive: true });
  symlinkSync(ours, peer, 'dir');
}

function loadGraphQLJit(): GraphQLJit {
  return createRequire(join(PREFIX, 'package.json'))('graphql-jit') as GraphQLJit;
}

type Run = (args: ExecutionArgs) => ReturnType<typeof execute>;

/** The Yoga plugin, in a process where `installGraphQLJit` has run. */
export function useGraphQLJitExecution(): Plugin {
  const jit = loadGraphQLJit();
  const runs = new WeakMap<DocumentNode, Run>();
  const runOf = (args: ExecutionArgs): Run => {
    let run = runs.get(args.document);
    if (run === undefined) {
      run = compiled(jit, args) ?? execute;
      runs.set(args.document, run);
    }
    return run;
  };
  return {
    onExecute({ args, setExecuteFn }) {
      setExecuteFn(runOf(args));
    },
  };
}

function compiled(jit: GraphQLJit, args: ExecutionArgs): Run | undefined {
  const operation = args.document.definitions.find(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const ownFields =
    operation?.operation === OperationTypeNode.QUERY &&
    operation.selectionSet.selections.every(
      (selection) => selection.kind === Kind.FIELD && !selection.name.value.startsWith('_'),
    );
  if (!ownFields) return undefined;
  const query = jit.compileQuery(args.schema, args.document, args.operationName ?? undefined);
  if (!jit.isCompiledQuery(query)) return undefined;
  return ({ rootValue, contextValue, variableValues }) =>
    query.query(rootValue, contextValue, variableValues) as ReturnType<typeof execute>;
}
