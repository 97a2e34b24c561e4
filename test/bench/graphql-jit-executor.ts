/**
 * What the gateway ran until 2026-12-06, for the executors part of `npm run bench` only: queries compiled by
 * graphql-jit and run compiled, everything else by graphql-js. The gateway no longer has it: graphql-jit prints a
 * document's literal values into the code it generates, and a string carrying its public date marker becomes
 * code, so that any caller ran code in the gateway (docs/security.md). The benchmark keeps it to measure, side by
 * side, what its removal costs; it serves only the benchmark's own documents, on loopback, and nothing under
 * `src/` may import graphql-jit (`test/gateway/no-code-from-documents.test.ts` checks).
 *
 * As the removed plugin did for the benchmark's shapes: a query whose root fields are the schema's own is
 * compiled when its document is first seen and run compiled from then on (the benchmark sends the same few
 * documents, which the document cache keeps, so each is compiled once).
 */
import { type DocumentNode, type ExecutionArgs, execute, Kind, OperationTypeNode } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

type Run = (args: ExecutionArgs) => ReturnType<typeof execute>;

export function useGraphQLJitExecution(): Plugin {
  const runs = new WeakMap<DocumentNode, Run>();
  const runOf = (args: ExecutionArgs): Run => {
    let run = runs.get(args.document);
    if (run === undefined) {
      run = compiled(args) ?? execute;
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

function compiled(args: ExecutionArgs): Run | undefined {
  const operation = args.document.definitions.find(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const ownFields =
    operation?.operation === OperationTypeNode.QUERY &&
    operation.selectionSet.selections.every(
      (selection) => selection.kind === Kind.FIELD && !selection.name.value.startsWith('_'),
    );
  if (!ownFields) return undefined;
  const query = compileQuery(args.schema, args.document, args.operationName ?? undefined);
  if (!isCompiledQuery(query)) return undefined;
  return ({ rootValue, contextValue, variableValues }) =>
    query.query(rootValue, contextValue, variableValues) as ReturnType<typeof execute>;
}
