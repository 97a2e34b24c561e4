/**
 * The standard `OTEL_*` variables the gateway reads, checked at start like every other setting, so that a
 * mistake stops the process instead of leaving it without traces. `@opentelemetry/sdk-trace` reads none of them;
 * the OTLP exporter reads `OTEL_EXPORTER_OTLP_{,TRACES_}{ENDPOINT,HEADERS,TIMEOUT,COMPRESSION}` itself, beneath
 * the endpoint, headers and timeout the gateway passes it, which win. The key-value lists are read with the
 * function the exporter uses (`parseKeyPairsIntoRecord`), so that what is checked here is what it sends.
 * Problems are sentences naming the variable; a header value or an endpoint's credentials are never quoted.
 */

import { parseKeyPairsIntoRecord } from '@opentelemetry/core';
import {
  PROPAGATORS,
  type PropagatorName,
  SAMPLERS,
  type SamplerName,
  type TracingConfig,
} from './tracing.ts';

/** Every `OTEL_*` variable the gateway reads, for `config.ts` to read them all. */
export const OTEL_VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_PROPAGATORS',
] as const;

export type OtelVariable = (typeof OTEL_VARIABLES)[number];

/** `OTEL_SERVICE_NAME`'s default. */
export const DEFAULT_SERVICE_NAME = 'gitlab-system-hooks-gateway';
/** `OTEL_EXPORTER_OTLP_TIMEOUT`'s default, the specification's. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;
const MAX_EXPORT_TIMEOUT_MS = 600_000;

/** A header name as HTTP allows it. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value once decoded: visible ASCII and spaces, nothing that could split a header. */
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/** What the variables say: tracing's settings when it is on, and every problem found (on or not). */
export function parseTracingEnvironment(raw: Partial<Record<OtelVariable, string>>): {
  /** Everything but `trustIncoming`, which is the gateway's own variable, not OpenTelemetry's. */
  tracing: Omit<TracingConfig, 'trustIncoming'> | undefined;
  problems: string[];
} {
  const problems: string[] = [];
  const disabled = readBoolean(raw, 'OTEL_SDK_DISABLED', problems);
  const exporter = readExporter(raw.OTEL_TRACES_EXPORTER, problems);
  const endpoint = readEndpoint(raw, problems);
  readProtocol(raw, 'OTEL_EXPORTER_OTLP_PROTOCOL', problems);
  readProtocol(raw, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', problems);
  const headers = {
    ...readPairs(raw, 'OTEL_EXPORTER_OTLP_HEADERS', problems, true),
    ...readPairs(raw, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', problems, true),
  };
  const timeoutMs =
    readTimeout(raw, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', problems) ??
    readTimeout(raw, 'OTEL_EXPORTER_OTLP_TIMEOUT', problems) ??
    DEFAULT_EXPORT_TIMEOUT_MS;
  const resourceAttributes = readPairs(raw, 'OTEL_RESOURCE_ATTRIBUTES', problems, false);
  const sampler = readSampler(raw.OTEL_TRACES_SAMPLER, problems);
  const samplerRatio = readRatio(raw.OTEL_TRACES_SAMPLER_ARG, sampler, problems);
  const propagators = readPropagators(raw.OTEL_PROPAGATORS, problems);
  const on = !disabled && exporter === 'otlp' && endpoint !== undefined && problems.length === 0;
  return {
    problems,
    tracing: on
      ? {
          endpoint,
          headers,
          timeoutMs,
          serviceName: raw.OTEL_SERVICE_NAME ?? resourceAttributes['service.name'] ?? DEFAULT_SERVICE_NAME,
          resourceAttributes,
          sampler,
          samplerRatio,
          propagators,
        }
      : undefined,
  };
}

function readBoolean(raw: Partial<Record<OtelVariable, string>>, name: OtelVariable, problems: string[]) {
  const value = raw[name]?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  problems.push(`${name} must be true or false, got ${JSON.stringify(value.slice(0, 40))}`);
  return false;
}

function readExporter(value: string | undefined, problems: string[]): 'otlp' | 'none' {
  if (value === undefined || value === 'otlp' || value === 'none') return value ?? 'otlp';
  problems.push(`OTEL_TRACES_EXPORTER must be otlp or none, got ${JSON.stringify(value.slice(0, 40))}`);
  return 'none';
}

/** The traces URL: the traces variable as it is, else the general one with `/v1/traces` appended. */
function readEndpoint(raw: Partial<Record<OtelVariable, string>>, problems: string[]): string | undefined {
  const traces = raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const general = raw.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (traces !== undefined) return checkedUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces, problems);
  if (general === undefined) return undefined;
  const base = checkedUrl('OTEL_EXPORTER_OTLP_ENDPOINT', general, problems);
  return base && `${base.replace(/\/+$/, '')}/v1/traces`;
}

function checkedUrl(name: string, text: string, problems: string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${name} must be an http or https URL such as http://127.0.0.1:4318`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${name} must use http or https (the gateway exports OTLP over HTTP)`);
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials belong in OTEL_EXPORTER_OTLP_HEADERS, which is never logged; a URL is.
    problems.push(`${name} must not hold a user or password: put credentials in OTEL_EXPORTER_OTLP_HEADERS`);
    return undefined;
  }
  return text;
}

function readProtocol(raw: Partial<Record<OtelVariable, string>>, name: OtelVariable, problems: string[]) {
  const value = raw[name];
  if (value === undefined || value === 'http/json') return;
  problems.push(
    `${name} must be http/json, the one OTLP protocol the gateway exports, got ${JSON.stringify(value.slice(0, 40))}`,
  );
}

/**
 * `key=value,key=value` with percent-encoded keys and values, as the specification writes headers and resource
 * attributes, read as the exporter reads them. `parseKeyPairsIntoRecord` leaves out an entry it cannot read (no
 * `=`, an empty key or value, a broken `%` escape) and cuts a value at a `;` (where W3C baggage puts metadata)
 * without a word; here each such entry is a problem, as is a header that HTTP cannot carry. `secret` values
 * (headers) are never quoted back, and header names are lower-cased, as HTTP compares them.
 */
function readPairs(
  raw: Partial<Record<OtelVariable, string>>,
  name: OtelVariable,
  problems: string[],
  secret: boolean,
): Record<string, string> {
  const text = raw[name] ?? '';
  for (const entry of text.split(',')) {
    if (entry.trim() === '' || readsWhole(entry, secret)) continue;
    const shown = secret ? '' : ` (${JSON.stringify(entry.slice(0, 40))})`;
    problems.push(`${name} must be a comma-separated list of key=value with percent-encoded values${shown}`);
  }
  const pairs = Object.entries(parseKeyPairsIntoRecord(text));
  return Object.fromEntries(secret ? pairs.map(([key, value]) => [key.toLowerCase(), value]) : pairs);
}

/** Whether `parseKeyPairsIntoRecord` reads the whole of one entry, and as a header, one that HTTP can carry. */
function readsWhole(entry: string, secret: boolean): boolean {
  const [pair] = Object.entries(parseKeyPairsIntoRecord(entry));
  if (pair === undefined || entry.includes(';')) return false;
  const [key, value] = pair;
  return !secret || (TOKEN.test(key) && HEADER_VALUE.test(value));
}

function readTimeout(
  raw: Partial<Record<OtelVariable, string>>,
  name: OtelVariable,
  problems: string[],
): number | undefined {
  const text = raw[name];
  if (text === undefined) return undefined;
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= 1 && value <= MAX_EXPORT_TIMEOUT_MS) return value;
  problems.push(
    `${name} must be an integer from 1 to ${MAX_EXPORT_TIMEOUT_MS} (milliseconds), got ${JSON.stringify(text.slice(0, 40))}`,
  );
  return undefined;
}

function readSampler(value: string | undefined, problems: string[]): SamplerName {
  if (value === undefined) return 'parentbased_always_on';
  const name = value.toLowerCase();
  if ((SAMPLERS as readonly string[]).includes(name)) return name as SamplerName;
  problems.push(
    `OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`,
  );
  return 'parentbased_always_on';
}

/** The ratio of the ratio samplers, 1 unless set; ignored by the others, as the specification says. */
function readRatio(value: string | undefined, sampler: SamplerName, problems: string[]): number {
  if (value === undefined || !sampler.endsWith('traceidratio')) return 1;
  const ratio = /^(0(\.[0-9]+)?|1(\.0+)?|\.[0-9]+)$/.test(value) ? Number(value) : Number.NaN;
  if (ratio >= 0 && ratio <= 1) return ratio;
  problems.push(
    `OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 for ${sampler}, got ${JSON.stringify(value.slice(0, 40))}`,
  );
  return 1;
}

/** W3C trace context by default; baggage only when asked (it would carry a caller's entries on to GitLab). */
function readPropagators(value: string | undefined, problems: string[]): PropagatorName[] {
  if (value === undefined) return ['tracecontext'];
  const names = value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.length === 1 && names[0] === 'none') return [];
  const known: PropagatorName[] = [];
  for (const name of names) {
    if ((PROPAGATORS as readonly string[]).includes(name)) known.push(name as PropagatorName);
    else {
      problems.push(
        `OTEL_PROPAGATORS may list tracecontext and baggage (or be none), got ${JSON.stringify(name.slice(0, 40))}`,
      );
    }
  }
  return [...new Set(known)];
}
