import {
  BREAK,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  type Source,
  visit,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/** Who runs an operation: `compiled`, a query graphql-jit compiled; `graphql-js`, its `execute`. */
export const EXECUTORS = ['compiled', 'graphql-js'] as const;
export type Executor = (typeof EXECUTORS)[number];

export interface CompiledQueriesOptions {
  /** Whether queries are compiled (`COMPILED_QUERIES`); `false` runs every operation with graphql-js. @default true */
  enabled?: boolean | undefined;
  /**
   * How many times a document runs with graphql-js before it is compiled: 0 compiles it at once (the tests do,
   * so that every query they send runs compiled). @default 1
   */
  compileAfter?: number | undefined;
  /**
   * Compiled queries kept; the least recently run is dropped first (and compiled again if it comes back often
   * enough). A compiled 20-hook list holds about 90 KB, five times its parsed document. @default 256
   */
  maxCompiled?: number | undefined;
  /** Told which executor runs each query and mutation (the metric `gateway_graphql_executions_total`). */
  onExecution?: ((executor: Executor) => void) | undefined;
}

/**
 * Runs queries compiled by graphql-jit, and every other operation with graphql-js's own `execute`.
 *
 * A compiled query is JavaScript generated for one document: it calls the same resolvers, but without graphql-js's
 * work per field (collecting fields, building an info object and coercing arguments for each field of each list
 * item), which is most of what a 20-hook list costs the gateway (docs/performance.md has the before and after).
 * The answers are graphql-js's: `test/gateway/compiled-queries.test.ts` runs a corpus of documents through both
 * executors and compares every byte. What graphql-jit does differently is kept on graphql-js's side:
 *
 * - mutations (run in order, each one once, by graphql-js) and root fields that are not the schema's own
 *   (`__typename`, introspection, and federation's `_entities` and `_service`, whose null handling differs);
 * - documents with a field aliased `__proto__`, or with `@skip` or `@include`, where graphql-jit's answer can
 *   differ (see `compiledAlike`);
 * - variables graphql-js refuses: they are checked first, so that their errors are graphql-js's messages;
 * - a document's first execution (`compileAfter`): a document is compiled when it comes again, which only a
 *   document the document cache holds does, so that compiling costs once per cached document, never per request;
 * - errors: graphql-jit's own error class carries `locations` that Yoga's serialization drops, so each error is
 *   remade as a graphql-js `GraphQLError` at the same source positions.
 *
 * Subscriptions run through Yoga's own executor (this hook is not called for them). Neither executor takes an abort
 * signal: a client that goes away stops the work that matters through the upstream calls, which carry the
 * request's signal (see `context.ts`), abort, and fail the resolvers waiting on them at once. graphql-js's
 * `execute` replaces Yoga's default executor (graphql-tools'), whose extras this schema does not use and whose
 * check of the abort signal at every field costs more per request.
 */
export function useCompiledQueries({
  enabled = true,
  compileAfter = 1,
  maxCompiled = 256,
  onExecution,
}: CompiledQueriesOptions = {}): Plugin {
  if (!enabled) {
    return {
      onExecute({ setExecuteFn }) {
        onExecution?.('graphql-js');
        setExecuteFn(execute);
      },
    };
  }
  // Plans live as long as their document (which the document cache holds); compiled ones are also in `recent`,
  // least recently run first, which bounds how many are kept.
  const plans = new WeakMap<DocumentNode, Map<string, Plan>>();
  const recent = new Set<CompiledPlan>();
  const planOf = (args: ExecutionArgs): Plan => {
    let byOperation = plans.get(args.document);
    if (byOperation === undefined) {
      byOperation = new Map();
      plans.set(args.document, byOperation);
    }
    const key = args.operationName ?? '';
    let plan = byOperation.get(key);
    if (plan === undefined || plan.schema !== args.schema) {
      plan = { schema: args.schema, state: 'seen', runs: 0 };
      byOperation.set(key, plan);
    }
    if (plan.state === 'seen' && plan.runs++ >= compileAfter) {
      plan = compile(args, () => byOperation.set(key, { schema: args.schema, state: 'seen', runs: 0 }));
      byOperation.set(key, plan);
    }
    if (plan.state === 'compiled') {
      recent.delete(plan);
      recent.add(plan);
      for (const oldest of recent) {
        if (recent.size <= maxCompiled) break;
        recent.delete(oldest);
        oldest.drop();
      }
    }
    return plan;
  };
  return {
    onExecute({ args, setExecuteFn }) {
      const plan = planOf(args);
      if (plan.state !== 'compiled' || !variablesAccepted(args, plan.operation)) {
        onExecution?.('graphql-js');
        setExecuteFn(execute);
        return;
      }
      onExecution?.('compiled');
      setExecuteFn(plan.execute);
    },
  };
}

/** What is known of one operation of one document: seen so many times, compiled, or run by graphql-js for good. */
type Plan =
  | { schema: GraphQLSchema; state: 'seen'; runs: number }
  | { schema: GraphQLSchema; state: 'interpreted' }
  | CompiledPlan;

interface CompiledPlan {
  schema: GraphQLSchema;
  state: 'compiled';
  /** Runs the compiled query, with graphql-js's errors: what Yoga is given in place of `execute`. */
  execute: (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;
  operation: OperationDefinitionNode;
  /** Forgets the compiled query: the operation is counted as unseen again. */
  drop: () => void;
}

function compile(args: ExecutionArgs, drop: () => void): Plan {
  const { schema, document } = args;
  const operation = getOperationAST(document, args.operationName);
  const compilable =
    operation?.operation === OperationTypeNode.QUERY &&
    operation.selectionSet.selections.every(
      (selection) => selection.kind === Kind.FIELD && !selection.name.value.startsWith('_'),
    );
  if (!compilable || !compiledAlike(document)) return { schema, state: 'interpreted' };
  let query: CompiledQuery | ExecutionResult;
  try {
    query = compileQuery(schema, document, args.operationName ?? undefined);
  } catch {
    return { schema, state: 'interpreted' };
  }
  if (!isCompiledQuery(query)) return { schema, state: 'interpreted' };
  const compiled = query;
  const source = document.loc?.source;
  const runCompiled = ({ rootValue, contextValue, variableValues }: ExecutionArgs) => {
    const result = compiled.query(rootValue, contextValue, variableValues);
    return result instanceof Promise
      ? result.then((settled) => withGraphQLJsErrors(settled, source))
      : withGraphQLJsErrors(result, source);
  };
  return { schema, state: 'compiled', execute: runCompiled, operation, drop };
}

/**
 * Whether graphql-jit answers the document as graphql-js does, as far as its syntax tells: not when a field is
 * aliased `__proto__` (graphql-jit puts that key last instead of in its place), nor with `@skip` or `@include`
 * anywhere (a field selected both under a condition and outside it can land elsewhere in the answer, or, under a
 * fragment spread, be left out). Tests found both; graphql-js runs such documents.
 */
function compiledAlike(document: DocumentNode): boolean {
  let alike = true;
  visit(document, {
    Field(node) {
      if (node.alias?.value !== '__proto__') return undefined;
      alike = false;
      return BREAK;
    },
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return undefined;
      alike = false;
      return BREAK;
    },
  });
  return alike;
}

/** Whether graphql-js accepts the variables; when it does not, graphql-js runs the operation and reports why. */
function variablesAccepted(args: ExecutionArgs, operation: OperationDefinitionNode): boolean {
  const definitions = operation.variableDefinitions;
  if (definitions === undefined || definitions.length === 0) return true;
  const coerced = getVariableValues(args.schema, definitions, args.variableValues ?? {}, { maxErrors: 1 });
  return coerced.errors === undefined;
}

/** The result with graphql-jit's errors remade as graphql-js's, at the same places in the document. */
function withGraphQLJsErrors(result: ExecutionResult, source: Source | undefined): ExecutionResult {
  if (result.errors === undefined || result.errors.length === 0) return result;
  const errors = result.errors.map(
    (error) =>
      new GraphQLError(error.message, {
        source,
        positions: source && error.locations?.map((location) => positionOf(source.body, location)),
        path: error.path,
        originalError: error.originalError ?? undefined,
        extensions: error.extensions,
      }),
  );
  // graphql-js puts `errors` first.
  return { errors, data: result.data, ...(result.extensions && { extensions: result.extensions }) };
}

/** The offset in `body` of a 1-based line and column, counting line breaks as graphql-js's `getLocation` does. */
function positionOf(body: string, { line, column }: { line: number; column: number }): number {
  const lineBreak = /\r\n|[\n\r]/g;
  let lineStart = 0;
  for (let current = 1; current < line; current++) {
    const found = lineBreak.exec(body);
    if (found === null) break;
    lineStart = found.index + found[0].length;
  }
  return lineStart + column - 1;
}
