/**
 * A local OTLP/HTTP JSON receiver standing in for an OpenTelemetry collector: a `node:http` server on a free
 * loopback port that accepts `POST /v1/traces` and keeps every request, and the spans in it flattened.
 *
 * ```ts
 * const collector = await startOtlpReceiver();
 * // ... a gateway with OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, then stopped so that it flushes ...
 * assert.ok(collector.spans().some((span) => span.name === 'POST /graphql'));
 * await collector.close();
 * ```
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OTLP attribute value, as the JSON encoding writes it. */
type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: AnyValue }[];
  events?: { name: string }[];
  status?: { code?: number };
}

/** The JSON body of one export. */
export interface TracesBody {
  resourceSpans: {
    resource: { attributes: { key: string; value: AnyValue }[] };
    scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpan[] }[];
  }[];
}

export interface ReceivedExport {
  path: string;
  headers: IncomingHttpHeaders;
  body: TracesBody;
}

/** A span as a test reads it: attributes as a plain object. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: an `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly url: string;
  /** Every export received (none kept with `keep: false`). */
  readonly exports: ReceivedExport[];
  /** How many exports and spans were received, kept or not. */
  counts(): { exports: number; spans: number };
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

function plain(attributes: { key: string; value: AnyValue }[] = []): Record<string, unknown> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue === undefined ? undefined : Number(value.intValue)) ??
        value.boolValue ??
        value.doubleValue,
    ]),
  );
}

export interface OtlpReceiverOptions {
  /** Keep each export for `exports` and `spans()`; false only counts them (the benchmark's sink). @default true */
  keep?: boolean;
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const { keep = true } = options;
  const exports: ReceivedExport[] = [];
  const counts = { exports: 0, spans: 0 };
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TracesBody;
      counts.exports++;
      for (const { scopeSpans } of body.resourceSpans)
        for (const { spans } of scopeSpans) counts.spans += spans.length;
      if (keep) exports.push({ path: request.url ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch {
      response.writeHead(400).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    counts: () => ({ ...counts }),
    spans: () =>
      exports.flatMap(({ body }) =>
        body.resourceSpans.flatMap(({ resource, scopeSpans }) =>
          scopeSpans.flatMap(({ spans }) =>
            spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              kind: span.kind,
              attributes: plain(span.attributes),
              resource: plain(resource.attributes),
            })),
          ),
        ),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
