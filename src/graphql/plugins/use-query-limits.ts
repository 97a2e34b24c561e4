import {
  type ASTVisitor,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  Lexer,
  type OperationDefinitionNode,
  type SelectionSetNode,
  Source,
  TokenKind,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { GITLAB_MAX_PER_PAGE } from '../../upstream/types.ts';
import { gatewayError } from '../errors.ts';
import { withDefaults } from './options.ts';

/**
 * Bounds on the shape of a GraphQL document, checked before anything runs, so that a hostile or careless
 * document costs a parse cut off at the token limit and a walk of its tree, never a call to GitLab. The defaults
 * follow GitLab's own GraphQL API (complexity 250, depth about 20) and leave room for every document a real
 * client sends here, GraphiQL's introspection query included.
 */
export interface QueryLimits {
  /** Lexical tokens in a document, counted by graphql-js as it parses (`MAX_QUERY_TOKENS`). @default 1000 */
  maxTokens: number;
  /** Nesting of fields in an operation, fragments expanded: `{ a { b } }` is 2 (`MAX_QUERY_DEPTH`). @default 20 */
  maxDepth: number;
  /** Aliased fields in an operation, fragments expanded (`MAX_QUERY_ALIASES`). @default 15 */
  maxAliases: number;
  /** Directives in an operation, fragments expanded (`MAX_QUERY_DIRECTIVES`). @default 20 */
  maxDirectives: number;
  /** Complexity of an operation, as {@link measureOperation} computes it (`MAX_QUERY_COMPLEXITY`). @default 250 */
  maxComplexity: number;
}

export const DEFAULT_QUERY_LIMITS: Readonly<QueryLimits> = Object.freeze({
  maxTokens: 1000,
  maxDepth: 20,
  maxAliases: 15,
  maxDirectives: 20,
  maxComplexity: 250,
});

export type QueryLimitName = 'tokens' | 'depth' | 'aliases' | 'directives' | 'complexity';

/**
 * How many calls to GitLab a field can cause at most, declared where the field is defined (its
 * `extensions.upstreamCalls`, see {@link upstreamCalls}). A field is counted once for each place it is selected,
 * times the items of the lists around it (see {@link itemsOf}): a hook's `webhookEvents` in a page of 20 hooks
 * counts 20 times.
 */
export type UpstreamCallCost =
  /** At most this many calls, whatever the arguments. */
  | number
  /** At most one call per item of the list argument `perItemOf`, which takes at most `max` items. */
  | { readonly perItemOf: string; readonly max: number }
  /** At most this many calls for this use of the field, by its arguments as written (a page window's). */
  | ((field: FieldNode) => number);

/** The `extensions` of a field that calls GitLab: `t.field({ ..., extensions: upstreamCalls(1) })`. */
export function upstreamCalls(cost: UpstreamCallCost): { upstreamCalls: UpstreamCallCost } {
  return { upstreamCalls: cost };
}

/** A list variable whose every item may cost `each` calls (one by default), at most `max` items. */
export interface CallsPerItem {
  readonly variable: string;
  readonly max: number;
  /** Calls per item: the selection below a list that the variable sizes. @default 1 */
  readonly each?: number;
}

/** The calls to GitLab an operation can cause: those its text decides, and those its variables' lists add. */
export interface UpstreamCallPlan {
  readonly fixed: number;
  /** One entry for each place a list variable is passed to a field that costs a call per item. */
  readonly perItem: readonly CallsPerItem[];
}

const NO_CALLS: UpstreamCallPlan = Object.freeze({ fixed: 0, perItem: Object.freeze([]) });

function addCalls(a: UpstreamCallPlan, b: UpstreamCallPlan): UpstreamCallPlan {
  if (b === NO_CALLS) return a;
  if (a === NO_CALLS) return b;
  return { fixed: a.fixed + b.fixed, perItem: [...a.perItem, ...b.perItem] };
}

/** How many items a field's selection is resolved for: a number, or as many as a list variable holds. */
type Items = number | { readonly variable: string; readonly max: number };

/**
 * How many items a field's selection is resolved for, for the calls below it: a page's size as written (20, the
 * default page, without one; 100 when a variable decides), a list argument's length (a list variable's, when the
 * request runs), and 1 for anything else.
 */
function itemsOf(field: FieldNode, definition: GraphQLField<unknown, unknown> | undefined): Items {
  if (!definition) return 1;
  if (definition.args.some((arg) => arg.name === 'first' || arg.name === 'last')) {
    const sizes = (field.arguments ?? []).filter(
      (arg) => arg.name.value === 'first' || arg.name.value === 'last',
    );
    if (sizes.length === 0) return DEFAULT_ITEMS;
    const size = (value: ValueNode) => (value.kind === Kind.INT ? Number(value.value) : GITLAB_MAX_PER_PAGE);
    return Math.max(...sizes.map((arg) => size(arg.value)));
  }
  if (!isList(definition.type)) return 1;
  for (const arg of field.arguments ?? []) {
    const argDefinition = definition.args.find((candidate) => candidate.name === arg.name.value);
    if (argDefinition && isList(argDefinition.type) && arg.value.kind === Kind.VARIABLE) {
      return { variable: arg.value.name.value, max: GITLAB_MAX_PER_PAGE };
    }
  }
  return Math.max(1, listArgumentSize(field, definition));
}

/** GitLab's default page, which a connection serves without `first` or `last`. */
const DEFAULT_ITEMS = 20;

/** The calls of a selection resolved for `items` items; a list variable's calls count at their most. */
function timesItems(plan: UpstreamCallPlan, items: Items): UpstreamCallPlan {
  if (items === 1 || plan === NO_CALLS) return plan;
  const perItemMost = plan.perItem.reduce((sum, entry) => sum + entry.max * (entry.each ?? 1), 0);
  const each = plan.fixed + perItemMost;
  if (each === 0) return NO_CALLS;
  if (typeof items === 'number') return { fixed: each * items, perItem: [] };
  return { fixed: 0, perItem: [{ ...items, each }] };
}

/** What one use of a field costs by its declared cost and the arguments written in the document. */
function callsOf(field: FieldNode, cost: UpstreamCallCost): UpstreamCallPlan {
  if (typeof cost === 'number') return { fixed: cost, perItem: [] };
  if (typeof cost === 'function') return { fixed: cost(field), perItem: [] };
  const value = field.arguments?.find((arg) => arg.name.value === cost.perItemOf)?.value;
  if (value === undefined) return NO_CALLS;
  if (value.kind === Kind.VARIABLE)
    return { fixed: 0, perItem: [{ variable: value.name.value, max: cost.max }] };
  // A single value where a list is expected is a list of one, as GraphQL coerces it.
  const items = value.kind === Kind.LIST ? value.values.length : value.kind === Kind.NULL ? 0 : 1;
  return { fixed: Math.min(items, cost.max), perItem: [] };
}

function declaredCost(definition: GraphQLField<unknown, unknown> | undefined): UpstreamCallCost | undefined {
  return definition?.extensions?.upstreamCalls as UpstreamCallCost | undefined;
}

/** What one operation costs, fragments expanded. */
export interface OperationMeasure {
  depth: number;
  aliases: number;
  directives: number;
  /**
   * GitLab's model: every field costs 1, and a field that returns a page or a list sized by an argument
   * (`first`/`last`, a list of IDs) multiplies the cost of its selection by `1 + size / 100`, the size being
   * the literal argument or, when a variable or the default decides it, the largest size (100). Variables are
   * not looked at, so a document always gets the same verdict and the validation cache stays sound.
   * Introspection fields (`__schema`, `__type`) cost nothing: they never reach GitLab and their answer is
   * bounded by the schema; depth, aliases and tokens still bound them.
   */
  complexity: number;
  /** The calls to GitLab it can cause, as its fields declare them. */
  calls: UpstreamCallPlan;
}

const EMPTY: OperationMeasure = Object.freeze({
  depth: 0,
  aliases: 0,
  directives: 0,
  complexity: 0,
  calls: NO_CALLS,
});

function message(limit: QueryLimitName, found: number, max: number): string {
  switch (limit) {
    case 'tokens':
      return `The document has more than ${max} tokens, which exceeds the limit of ${max}`;
    case 'depth':
      return `The operation has a depth of ${found}, which exceeds the limit of ${max}`;
    case 'complexity':
      return `The operation has a complexity of ${found}, which exceeds the limit of ${max}`;
    default:
      return `The operation has ${found} ${limit}, which exceeds the limit of ${max}`;
  }
}

function limitError(
  limit: QueryLimitName,
  found: number,
  max: number,
  node?: OperationDefinitionNode,
): GraphQLError {
  const counts = limit === 'tokens' ? { limit, max } : { limit, max, found };
  return gatewayError('QUERY_LIMIT_EXCEEDED', message(limit, found, max), counts, node);
}

/**
 * Counts tokens, stopping at the first one over `max`, so that an enormous document costs no more than that.
 * Only a document that failed to parse is counted again (parse errors are cached like documents): that turns
 * graphql-js's own "more than N tokens" syntax error into the gateway's limit error without reading its
 * message, and refuses a document over the limit for its size even when a syntax error comes first in it.
 */
function assertTokenCount(source: string | Source, max: number): void {
  const lexer = new Lexer(typeof source === 'string' ? new Source(source) : source);
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) {
    count += 1;
    if (count > max) throw limitError('tokens', count, max);
  }
}

/** Whether a field or argument type is a list, under any non-null wrapper. */
function isList(type: GraphQLInputType | GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** A page field (`first`/`last`): the largest literal size asked, or the largest page when a variable decides. */
function pageSize(field: FieldNode): number {
  const sizes = (field.arguments ?? [])
    .filter((arg) => arg.name.value === 'first' || arg.name.value === 'last')
    .map((arg) => (arg.value.kind === Kind.INT ? Number(arg.value.value) : GITLAB_MAX_PER_PAGE));
  return sizes.length > 0 ? Math.max(...sizes) : GITLAB_MAX_PER_PAGE;
}

/** A list field sized by a list argument (`nodes(ids)`): the longest literal list, or the largest when a variable. */
function listArgumentSize(field: FieldNode, definition: GraphQLField<unknown, unknown>): number {
  let size = 0;
  for (const arg of field.arguments ?? []) {
    const argDefinition = definition.args.find((candidate) => candidate.name === arg.name.value);
    if (!argDefinition || !isList(argDefinition.type)) continue;
    size = Math.max(size, arg.value.kind === Kind.LIST ? arg.value.values.length : GITLAB_MAX_PER_PAGE);
  }
  return size;
}

/** How many items a field's selection is multiplied by: its page or list size, 0 for a single value. */
function sizeOf(field: FieldNode, definition: GraphQLField<unknown, unknown>): number {
  if (definition.args.some((arg) => arg.name === 'first' || arg.name === 'last')) return pageSize(field);
  return isList(definition.type) ? listArgumentSize(field, definition) : 0;
}

function directiveCount(directives: readonly DirectiveNode[] | undefined): number {
  return directives?.length ?? 0;
}

/** One walk of an operation with fragments expanded; each fragment is measured once, whatever its spreads. */
class OperationMeter {
  private readonly measured = new Map<string, OperationMeasure>();
  private readonly entered = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  operation(node: OperationDefinitionNode): OperationMeasure {
    const measure = this.selectionSet(
      node.selectionSet,
      this.schema.getRootType(node.operation) ?? undefined,
    );
    return { ...measure, directives: measure.directives + directiveCount(node.directives) };
  }

  private selectionSet(set: SelectionSetNode, parent: GraphQLNamedType | undefined): OperationMeasure {
    const total = { ...EMPTY };
    for (const selection of set.selections) {
      let measure: OperationMeasure;
      if (selection.kind === Kind.FIELD) measure = this.field(selection, parent);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition
          ? this.schema.getType(selection.typeCondition.name.value)
          : parent;
        measure = this.selectionSet(selection.selectionSet, type ?? undefined);
        measure = { ...measure, directives: measure.directives + directiveCount(selection.directives) };
      } else {
        measure = this.fragment(selection.name.value);
        measure = { ...measure, directives: measure.directives + directiveCount(selection.directives) };
      }
      total.depth = Math.max(total.depth, measure.depth);
      total.aliases += measure.aliases;
      total.directives += measure.directives;
      total.complexity += measure.complexity;
      total.calls = addCalls(total.calls, measure.calls);
    }
    return total;
  }

  private field(node: FieldNode, parent: GraphQLNamedType | undefined): OperationMeasure {
    const name = node.name.value;
    const definition =
      parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
    const children = node.selectionSet
      ? this.selectionSet(node.selectionSet, definition ? getNamedType(definition.type) : undefined)
      : EMPTY;
    const introspection = name.startsWith('__') && name !== '__typename';
    const multiplier = definition ? 1 + Math.min(sizeOf(node, definition), GITLAB_MAX_PER_PAGE) / 100 : 1;
    const cost = declaredCost(definition);
    return {
      depth: 1 + children.depth,
      aliases: children.aliases + (node.alias ? 1 : 0),
      directives: children.directives + directiveCount(node.directives),
      complexity: introspection ? 0 : 1 + children.complexity * multiplier,
      calls: addCalls(
        timesItems(children.calls, itemsOf(node, definition)),
        cost === undefined ? NO_CALLS : callsOf(node, cost),
      ),
    };
  }

  private fragment(name: string): OperationMeasure {
    const known = this.measured.get(name);
    if (known) return known;
    const fragment = this.fragments.get(name);
    // An unknown or cyclic fragment is reported by graphql's own rules; here it adds nothing.
    if (!fragment || this.entered.has(name)) return EMPTY;
    this.entered.add(name);
    const measure = this.selectionSet(
      fragment.selectionSet,
      this.schema.getType(fragment.typeCondition.name.value) ?? undefined,
    );
    this.entered.delete(name);
    const withOwn = { ...measure, directives: measure.directives + directiveCount(fragment.directives) };
    this.measured.set(name, withOwn);
    return withOwn;
  }
}

/** Depth, aliases, directives, complexity and calls to GitLab of one operation of a document. */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: readonly FragmentDefinitionNode[],
): OperationMeasure {
  const byName = new Map(fragments.map((fragment) => [fragment.name.value, fragment]));
  const measure = new OperationMeter(schema, byName).operation(operation);
  return { ...measure, complexity: Math.ceil(measure.complexity) };
}

function queryLimitsRule(limits: QueryLimits) {
  // Validation results are cached by document (useValidationCache): the rule looks at nothing but the document.
  return function QueryLimitsRule(context: ValidationContext): ASTVisitor {
    const fragments = context
      .getDocument()
      .definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
    return {
      OperationDefinition(node) {
        const measure = measureOperation(context.getSchema(), node, fragments);
        const checks: [QueryLimitName, number, number][] = [
          ['depth', measure.depth, limits.maxDepth],
          ['aliases', measure.aliases, limits.maxAliases],
          ['directives', measure.directives, limits.maxDirectives],
          ['complexity', measure.complexity, limits.maxComplexity],
        ];
        for (const [limit, found, max] of checks) {
          if (found > max) context.reportError(limitError(limit, found, max, node));
        }
        return false;
      },
    };
  };
}

/**
 * Rejects a document over any of `limits` with a `QUERY_LIMIT_EXCEEDED` error (HTTP 400 to a client that
 * accepts `application/graphql-response+json`) before it is executed: tokens while parsing, the rest while
 * validating, every exceeded limit reported at once.
 */
export function useQueryLimits(limits: Partial<QueryLimits> = {}): Plugin {
  const resolved: QueryLimits = withDefaults(DEFAULT_QUERY_LIMITS, limits);
  const rule = queryLimitsRule(resolved);
  return {
    onParse({ parseFn, setParseFn }) {
      // Wrapping the parser (instead of checking in this hook) leaves cached documents unlexed; graphql-js
      // counts the tokens as it parses, so a document is lexed once.
      const maxTokens = resolved.maxTokens;
      setParseFn((source, options) => {
        try {
          return parseFn(source, { ...options, maxTokens });
        } catch (error) {
          if (error instanceof GraphQLError) assertTokenCount(source, maxTokens);
          throw error;
        }
      });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
