/**
 * Subscribers whose answers to an event are the same bytes, and the one execution and serialization of each event
 * they share. A group's key is everything that can change those bytes: the document, the operation, the
 * variables except the one that only says where to resume (`after`), and the scope the events were authorized
 * under. A key that left out something the answer depends on would send one subscriber's answer to another (as
 * Absinthe once did across viewers), so the execution itself runs without a viewer: its context has no
 * credential and no way to GitLab, and an event field that tried to read one would fail instead of answering
 * with the first subscriber's view.
 *
 * The answers are cached per event only briefly: the members of a group at the head of the stream all take an
 * event in the same flush, and one that is replaying older events finds them executed again if they left the
 * cache (the same bytes, only not shared).
 */
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type GraphQLError,
  Kind,
  type OperationDefinitionNode,
  print,
  visit,
} from 'graphql';
import type { SystemHookEventSource } from '../events/types.ts';
import { checkedResult, stringifyOrMasked } from './plugins/use-serializable-results.ts';

/** An event's answer for one group: the JSON of the SSE frame's data, and of the WebSocket `next` payload. */
export interface GroupAnswer {
  /** As Yoga writes a result over SSE: without the errors' internal extensions (`http`, `unexpected`). */
  readonly sse: string;
  /** As graphql-ws writes it: the result as it is. The same string when the result has no errors. */
  readonly ws: string;
  /** `ws` in UTF-8, made for the group's first WebSocket member (`SubscriptionGroup.wsPayload`). */
  wsBytes?: Buffer;
}

/** How the gateway masks an error in a result (Yoga's `maskedErrors.maskError` with its message applied). */
export type ResultErrorMask = (error: GraphQLError) => Error;

export interface SubscriptionGroupsOptions {
  maskError: ResultErrorMask;
  /** Told of a result that could not be serialized (it is replaced by a masked error). @default none */
  onUnserializable?: ((error: unknown) => void) | undefined;
}

type GroupExecution = Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>;

/**
 * Answers kept per group, in count and in size (the texts' UTF-16 units, both forms counted when they differ, and
 * the WebSocket form's bytes once made): more than the members at the head take in a flush at the rates the
 * receiver sustains, and a bounded cost per group however large the events (a 1 MiB payload selected is a 1 MiB
 * answer). The newest is always kept.
 */
const ANSWERS_PER_GROUP = 256;
const ANSWER_CHARS_PER_GROUP = 1 << 21;

/** The argument of the subscription field that says where to resume; it never changes an event's answer. */
const RESUME_ARGUMENT = 'after';

export class SubscriptionGroup {
  private members = 0;
  private readonly answers = new Map<SystemHookEventSource, GroupAnswer>();
  private answerChars = 0;
  /** The bytes of the last flush a member took, with its events: the next member to take them shares them. */
  private lastFrame:
    | { readonly events: readonly SystemHookEventSource[]; readonly bytes: Buffer }
    | undefined;

  constructor(
    readonly key: string,
    /** The first member's operation, without its context: the group outlives that member. */
    private readonly args: GroupExecution,
    private readonly registry: SubscriptionGroups,
  ) {}

  /** The event's answer for every member: executed and serialized on the first member's asking. */
  answer(event: SystemHookEventSource): GroupAnswer {
    const known = this.answers.get(event);
    if (known !== undefined) return known;
    const answer = this.registry.execute(this.args, event);
    this.answers.set(event, answer);
    this.answerChars += charsOf(answer);
    while (
      this.answers.size > 1 &&
      (this.answers.size > ANSWERS_PER_GROUP || this.answerChars > ANSWER_CHARS_PER_GROUP)
    ) {
      const [oldest, dropped] = this.answers.entries().next().value as [SystemHookEventSource, GroupAnswer];
      this.answers.delete(oldest);
      this.answerChars -= charsOf(dropped);
    }
    return answer;
  }

  /**
   * The event's WebSocket payload in UTF-8: encoded once for every member, which write the same bytes inside
   * their own `next` messages.
   */
  wsPayload(event: SystemHookEventSource): Buffer {
    // The answer is in the cache now (`answer` evicts only others), so its bytes are counted while it stays.
    const answer = this.answer(event);
    if (answer.wsBytes !== undefined) return answer.wsBytes;
    const bytes = Buffer.from(answer.ws);
    answer.wsBytes = bytes;
    this.answerChars += bytes.length;
    return bytes;
  }

  /**
   * The bytes of a flush of `events`, made by `make` for the first member that takes those events and shared by
   * the members that take the same ones after it: the members at the head of the stream take each flush's
   * events together, so that the frames are encoded once per group, not once per subscriber.
   */
  frameOf(events: readonly SystemHookEventSource[], make: () => Buffer): Buffer {
    const last = this.lastFrame;
    if (last !== undefined && sameEvents(last.events, events)) return last.bytes;
    const bytes = make();
    this.lastFrame = { events, bytes };
    return bytes;
  }

  /** @internal for `SubscriptionGroups` */
  join(): void {
    this.members += 1;
  }

  /** A member left; the last one takes the group (and its cached answers) away. Call once per `join`. */
  leave(): void {
    this.members -= 1;
    if (this.members === 0) this.registry.forget(this);
  }

  get size(): number {
    return this.members;
  }
}

function sameEvents(a: readonly SystemHookEventSource[], b: readonly SystemHookEventSource[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const charsOf = (answer: GroupAnswer) =>
  answer.sse.length + (answer.ws === answer.sse ? 0 : answer.ws.length) + (answer.wsBytes?.length ?? 0);

/** What the grouped execution gives resolvers as context: no viewer, no GitLab. */
const NO_VIEWER: Record<string, never> = Object.freeze({});

/** The groups of one gateway: never shared between gateways (their schemas and masks may differ). */
export class SubscriptionGroups {
  private readonly groups = new Map<string, SubscriptionGroup>();
  private readonly printed = new WeakMap<DocumentNode, { text: string; resumeVariables: Set<string> }>();

  constructor(private readonly options: SubscriptionGroupsOptions) {}

  /** The group of a subscriber with these arguments and scope, joined. */
  join(args: ExecutionArgs, scope: string): SubscriptionGroup {
    const key = this.keyOf(args, scope);
    let group = this.groups.get(key);
    if (group === undefined) {
      const { schema, document, operationName, variableValues } = args;
      group = new SubscriptionGroup(key, { schema, document, operationName, variableValues }, this);
      this.groups.set(key, group);
    }
    group.join();
    return group;
  }

  /** Groups with at least one member. */
  get count(): number {
    return this.groups.size;
  }

  /** @internal for `SubscriptionGroup` */
  forget(group: SubscriptionGroup): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
  }

  /** @internal for `SubscriptionGroup`: graphql-js's MapSourceToResponseEvent, masked and serialized once. */
  execute(args: GroupExecution, event: SystemHookEventSource): GroupAnswer {
    const executed = execute({ ...args, rootValue: event, contextValue: NO_VIEWER }) as ExecutionResult;
    const masked =
      executed.errors === undefined
        ? executed
        : {
            ...executed,
            // Masking a GraphQLError gives one (the gateway's mask keeps the error's place, Yoga's too).
            errors: executed.errors.map((error) => this.options.maskError(error) as GraphQLError),
          };
    const result = checkedResult(masked, this.options.onUnserializable);
    const sse = sseTextOf(result, this.options.onUnserializable);
    if (result.errors === undefined) return { sse, ws: sse };
    return { sse, ws: stringifyOrMasked(asGraphQLWsSendsIt(result), this.options.onUnserializable) };
  }

  private keyOf(args: ExecutionArgs, scope: string): string {
    const document = this.documentOf(args.document);
    const variables: Record<string, unknown> = { ...(args.variableValues ?? {}) };
    for (const name of document.resumeVariables) delete variables[name];
    // JSON-encoded parts: no part can end early and shift the next one into it.
    return JSON.stringify([scope, args.operationName ?? null, document.text, canonical(variables)]);
  }

  private documentOf(document: DocumentNode) {
    let known = this.printed.get(document);
    if (known === undefined) {
      known = { text: print(document), resumeVariables: resumeOnlyVariables(document) };
      this.printed.set(document, known);
    }
    return known;
  }
}

/**
 * The variables used nowhere in the document but as the `after` of a root field: their values say where a
 * subscriber resumes, never what an event's answer holds. A variable used anywhere else stays in the key.
 */
function resumeOnlyVariables(document: DocumentNode): Set<string> {
  const uses = new Map<string, number>();
  const resumeUses = new Map<string, number>();
  const count = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1);
  visit(document, {
    Variable(node, _key, parent) {
      // A definition (`$after: String`) is no use.
      if ((parent as { kind?: string } | undefined)?.kind !== Kind.VARIABLE_DEFINITION)
        count(uses, node.name.value);
    },
  });
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const name of rootResumeVariables(definition)) count(resumeUses, name);
  }
  const names = new Set<string>();
  for (const [name, used] of resumeUses) if (uses.get(name) === used) names.add(name);
  return names;
}

function rootResumeVariables(operation: OperationDefinitionNode): string[] {
  const names: string[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    for (const argument of selection.arguments ?? []) {
      if (argument.name.value === RESUME_ARGUMENT && argument.value.kind === Kind.VARIABLE)
        names.push(argument.value.name.value);
    }
  }
  return names;
}

/**
 * `value` with object keys in order, so that equal variables give equal keys whatever order they came in. Built
 * with `fromEntries`, which defines every key as the object's own: a `__proto__` key assigned would set the
 * prototype instead and drop out of the key.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((name) => [name, canonical(record[name])]),
  );
}

/** A result as graphql-ws's `next` puts it in its message: its errors last, each as its `toJSON()`. */
function asGraphQLWsSendsIt({ errors, ...rest }: ExecutionResult): unknown {
  return { ...rest, ...(errors && { errors: errors.map((error) => error.toJSON()) }) };
}

/** A result's text as Yoga's SSE writer writes it: without the errors' internal extensions. */
export function sseTextOf(result: ExecutionResult, failed?: (error: unknown) => void): string {
  return stringifyOrMasked(withoutInternals(result), failed);
}

/** What Yoga's SSE writer drops from a result (`omitInternalsFromResultErrors`), which graphql-ws keeps. */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length && result.extensions?.http === undefined) return result;
  const errors = result.errors?.map((error) => {
    const json = error.toJSON();
    const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions ?? {};
    const { extensions: _all, ...rest } = json;
    return Object.keys(extensions).length > 0 ? { ...rest, extensions } : rest;
  });
  const { http: _http, ...extensions } = result.extensions ?? {};
  return {
    ...result,
    ...(errors && { errors: errors as unknown as ExecutionResult['errors'] }),
    extensions: Object.keys(extensions).length > 0 ? extensions : undefined,
  };
}
