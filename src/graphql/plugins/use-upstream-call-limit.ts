import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { upstreamCallsExceeded } from '../errors.ts';
import { measureOperation, type UpstreamCallPlan } from './use-query-limits.ts';

/**
 * Refuses, before it runs, an operation whose fields could make more calls to GitLab than its HTTP request has
 * left of `maxCalls`: the operations of a batch share one request, and so one budget. Unlike the document limits
 * this looks at the variables, since a `nodes(ids: $ids)` costs what `$ids` holds: a list of 3 ids counts 3,
 * where the complexity model must count the largest list. The context's request guard still counts every call
 * as it is made, for what no estimate foresees.
 */
export function useUpstreamCallLimit(maxCalls: number): Plugin {
  // Documents are cached (createDocumentCache), so an operation's plan is worked out once.
  const plans = new WeakMap<OperationDefinitionNode, ExecutionPlan>();
  // What the operations already admitted may cost, by request.
  const reserved = new WeakMap<object, number>();

  const planOf = (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) => {
    let plan = plans.get(operation);
    if (plan === undefined) {
      const fragments = document.definitions.filter(
        (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION,
      );
      plan = executionPlan(operation, measureOperation(schema, operation, fragments).calls);
      plans.set(operation, plan);
    }
    return plan;
  };

  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      const calls = callsOf(planOf(args.schema, args.document, operation), args.variableValues);
      if (calls === 0) return;
      const request = (args.contextValue as { request?: Request }).request ?? args.contextValue;
      const total = (reserved.get(request) ?? 0) + calls;
      if (total > maxCalls) {
        setResultAndStopExecution({ errors: [upstreamCallsExceeded(maxCalls, total, operation)] });
        return;
      }
      reserved.set(request, total);
    },
  };
}

/** A plan with each list variable's default size worked out, for a request that leaves the variable out. */
interface ExecutionPlan {
  fixed: number;
  perItem: readonly { variable: string; max: number; each: number; defaultItems: number }[];
}

function executionPlan(operation: OperationDefinitionNode, plan: UpstreamCallPlan): ExecutionPlan {
  return {
    fixed: plan.fixed,
    perItem: plan.perItem.map(({ variable, max, each = 1 }) => {
      const definition = operation.variableDefinitions?.find(
        (candidate) => candidate.variable.name.value === variable,
      );
      const value = definition?.defaultValue;
      const defaultItems =
        value === undefined || value.kind === Kind.NULL
          ? 0
          : value.kind === Kind.LIST
            ? value.values.length
            : 1;
      return { variable, max, each, defaultItems };
    }),
  };
}

/** The calls an operation can make with these variables: each list counted by its items, at most its field's. */
function callsOf(plan: ExecutionPlan, variables: unknown): number {
  let calls = plan.fixed;
  for (const { variable, max, each, defaultItems } of plan.perItem) {
    const value =
      typeof variables === 'object' && variables !== null ? Reflect.get(variables, variable) : undefined;
    // A single value is a list of one, as GraphQL coerces it; a value that does not coerce runs nothing.
    const items =
      value === undefined ? defaultItems : Array.isArray(value) ? value.length : value === null ? 0 : 1;
    calls += Math.min(items, max) * each;
  }
  return calls;
}
