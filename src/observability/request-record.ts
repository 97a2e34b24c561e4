/**
 * The one record of a request that every part of the telemetry reads: the access log its fields, the spans their
 * parents, the GraphQL metrics their operation's labels, the upstream instrumentation its tally. `RequestRecords`
 * keeps them for one gateway: a record per HTTP request, and per GraphQL context (each operation of a batch has
 * its own) the operation it runs, worked out once from its document.
 */

import type { IncomingMessage } from 'node:http';
import type { Context, Span } from '@opentelemetry/api';
import { type DocumentNode, getOperationAST, Kind, type OperationDefinitionNode } from 'graphql';
import type { RequestScope } from '../graphql/context.ts';
import type { GatewayErrorCode } from '../graphql/errors.ts';
import type { HeaderReader } from '../http/request-headers.ts';
import { isProbe, type Route } from '../http/routes.ts';
import { methodLabel, type RouteLabel, routeOf } from './labels.ts';
import { requestIdsOf } from './request-id.ts';

/** The type and name of the operation a GraphQL context runs. One object per document with one operation. */
export interface OperationInfo {
  /** `query`, `mutation`, `subscription`, or `unknown` when the document has no such operation. */
  readonly type: string;
  /** As the document names it; the client's, unbounded unless the document is trusted. */
  readonly name: string | undefined;
}

export const UNKNOWN_OPERATION: OperationInfo = Object.freeze({ type: 'unknown', name: undefined });

/** The longest operation name an access line or a span carries; the name is the client's, and may be anything. */
const MAX_OPERATION_NAME_LENGTH = 100;

/** The operation's name as logs and spans carry it. */
export function loggedOperationName(operation: OperationInfo): string | undefined {
  return operation.name?.slice(0, MAX_OPERATION_NAME_LENGTH);
}

/** One GraphQL operation from its parse on: what the GraphQL metrics label and time it by. */
export interface OperationRecord {
  readonly operation: OperationInfo;
  /** When its parse began (`performance.now()`). */
  readonly started: number;
}

/** One request while it is served. */
export class RequestRecord implements RequestScope {
  upstreamCalls = 0;
  upstreamMs = 0;
  /** The first operation the request ran (of a batch, the first to start executing). */
  operation: OperationInfo | undefined = undefined;
  errorCodes: GatewayErrorCode[] | undefined = undefined;
  /** The SERVER span, and the operation's span once the operation has begun. */
  span: Span | undefined = undefined;
  operationSpan: Span | undefined = undefined;
  /** The context of the running phase (`graphql.execute`, `graphql.subscribe`): the parent of GitLab calls. */
  traceParent: Context | undefined = undefined;

  readonly requestId: string;
  readonly clientRequestId: string | undefined;

  constructor(
    headers: HeaderReader,
    readonly started: number,
    readonly method: string,
    readonly route: RouteLabel,
  ) {
    ({ requestId: this.requestId, clientRequestId: this.clientRequestId } = requestIdsOf(headers));
  }

  /** Load balancers' probes: no span, and access lines at debug only. */
  get isProbe(): boolean {
    return isProbe(this.route);
  }

  addErrorCode(code: GatewayErrorCode): void {
    this.errorCodes ??= [];
    if (!this.errorCodes.includes(code)) this.errorCodes.push(code);
  }
}

/** What is known of a document: its one operation, or that it has none or several. */
type DocumentOperations = { single: OperationDefinitionNode; info: OperationInfo } | 'not-one';

export class RequestRecords {
  /** Keyed by the fetch `Request` Yoga serves, or by the `node:http` request the edge serves itself. */
  private readonly requests = new WeakMap<Request | IncomingMessage, RequestRecord>();
  private readonly operations = new WeakMap<object, OperationRecord>();
  /** The gateway's document cache hands out the same document for the same text: worked out once per document. */
  private readonly documents = new WeakMap<DocumentNode, DocumentOperations>();

  /** The record of a request that has just arrived. */
  open(request: Request): RequestRecord {
    const record = new RequestRecord(
      request.headers,
      performance.now(),
      methodLabel(request.method),
      routeOf(request.url),
    );
    this.requests.set(request, record);
    return record;
  }

  /** The record of a request the edge serves without Yoga, on one of the gateway's routes. */
  openIncoming(request: IncomingMessage, headers: HeaderReader, route: Route): RequestRecord {
    const record = new RequestRecord(headers, performance.now(), methodLabel(request.method ?? ''), route);
    this.requests.set(request, record);
    return record;
  }

  /** A record for a request `open` did not see (WebSocket): for its spans only, never logged. */
  detached(request: Request): RequestRecord {
    const record = new RequestRecord(request.headers, performance.now(), 'GET', 'other');
    this.requests.set(request, record);
    return record;
  }

  of(request: Request | IncomingMessage): RequestRecord | undefined {
    return this.requests.get(request);
  }

  /** The record of the request a GraphQL context belongs to. */
  ofContext(graphqlContext: object | undefined): RequestRecord | undefined {
    const request = (graphqlContext as { request?: Request } | undefined)?.request;
    return request && this.requests.get(request);
  }

  /** The operation `document` runs when `operationName` is asked for, as graphql-js picks it. */
  operationOf(document: DocumentNode, operationName: string | null | undefined): OperationInfo {
    let known = this.documents.get(document);
    if (known === undefined) {
      known = operationsOf(document);
      this.documents.set(document, known);
    }
    if (known === 'not-one') return describe(getOperationAST(document, operationName));
    return operationName == null || operationName === known.single.name?.value
      ? known.info
      : UNKNOWN_OPERATION;
  }

  /** The operation of a GraphQL context whose document has just been parsed. */
  beginOperation(
    graphqlContext: object,
    document: DocumentNode,
    operationName: string | null | undefined,
    started: number,
  ): OperationRecord {
    const record = { operation: this.operationOf(document, operationName), started };
    this.operations.set(graphqlContext, record);
    return record;
  }

  /** The operation `beginOperation` recorded for a GraphQL context. */
  operationIn(graphqlContext: object | undefined): OperationRecord | undefined {
    return graphqlContext && this.operations.get(graphqlContext);
  }

  /** The operation a context executes or subscribes to: the one its parse recorded, else worked out now. */
  operationFor(args: {
    contextValue?: unknown;
    document: DocumentNode;
    operationName?: string | null | undefined;
  }): OperationInfo {
    const recorded = this.operationIn(args.contextValue as object | undefined);
    return recorded?.operation ?? this.operationOf(args.document, args.operationName);
  }
}

function operationsOf(document: DocumentNode): DocumentOperations {
  let single: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (single !== undefined) return 'not-one';
    single = definition;
  }
  return single === undefined ? 'not-one' : { single, info: describe(single) };
}

function describe(operation: OperationDefinitionNode | null | undefined): OperationInfo {
  return operation ? { type: operation.operation, name: operation.name?.value } : UNKNOWN_OPERATION;
}
