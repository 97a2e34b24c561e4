/**
 * `npm run soak`: a bounded load on loopback against the gateway as `npm start` runs it (`src/index.ts`, in a
 * child process), in front of the embedded GitLab through a proxy that can fail: mixed queries and mutations
 * over 10 connections for `SOAK_SECONDS` (60 by default), through a healthy phase, a phase where GitLab
 * answers 503 to everything, a degraded phase (503s, slow answers, answers that never come) and a recovery.
 * Prints requests served, errors by `extensions.code`, p50/p99 latency per phase, and the gateway's memory
 * (after a full GC) before the load, after the warm-up and after the run. The gateway runs with metrics
 * (`METRICS=true`, scraped every second) and tracing (every request sampled, exported to a local OTLP receiver
 * that counts the spans), at `LOG_LEVEL=warn` so that access lines do not flood the run. Exits 1 if the gateway
 * died, a request got no HTTP answer, the gateway answered 5xx, or a scrape failed.
 *
 * Every hook the load creates, it deletes; the number of hooks in GitLab is printed before and after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { createEmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { ADMIN_TOKEN, credentialHeaders, USER_TOKEN } from '../helpers/credentials.ts';
import type { MemorySample } from '../helpers/memory-probe.ts';
import { startArguments } from '../helpers/npm-start.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { freePort } from '../helpers/redis-server.ts';
import {
  json,
  type RecordedRequest,
  type ScriptedResponse,
  startScriptedServer,
} from '../helpers/scripted-server.ts';
import { seedHooks } from '../helpers/stack.ts';

const ROOT = new URL('../..', import.meta.url);
const CONNECTIONS = 10;
/** Requests per second, over all connections; a machine too busy for it runs at what it can. */
const RATE = 150;
const SEEDED_HOOKS = 20;

type Mode = 'healthy' | 'unavailable' | 'degraded';

/**
 * The warm-up goes through every kind of traffic, so that "after warm-up" is a process that has compiled every
 * path and sized its heap for the busiest phase; what grows after it is what the run keeps.
 */
const PHASES: { name: string; mode: Mode; share: number; warmUp?: true }[] = [
  { name: 'warm-up', mode: 'healthy', share: 0.05, warmUp: true },
  { name: 'warm-up', mode: 'unavailable', share: 0.05, warmUp: true },
  { name: 'warm-up', mode: 'degraded', share: 0.05, warmUp: true },
  { name: 'steady', mode: 'healthy', share: 0.3 },
  { name: 'GitLab down', mode: 'unavailable', share: 0.15 },
  { name: 'GitLab degraded', mode: 'degraded', share: 0.2 },
  { name: 'recovery', mode: 'healthy', share: 0.2 },
];

/**
 * The gateway's settings for the run: a short deadline and breaker cooldown, so that faults show in 60 s, and
 * its logs, metrics and traces on (`startGateway` adds the ports and the collector).
 */
const GATEWAY_ENV = {
  UPSTREAM_TIMEOUT_MS: '2000',
  UPSTREAM_BREAKER_COOLDOWN_MS: '3000',
  LOG_LEVEL: 'warn',
  METRICS: 'true',
  OTEL_TRACES_SAMPLER: 'always_on',
};
const SCRAPE_INTERVAL_MS = 1_000;

function soakSeconds(): number {
  const raw = process.env.SOAK_SECONDS ?? '60';
  const seconds = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 5 || seconds > 3600) {
    throw new Error(`SOAK_SECONDS must be an integer from 5 to 3600, got ${JSON.stringify(raw)}`);
  }
  return seconds;
}

// --- the upstream: the embedded GitLab behind a proxy whose faults each phase scripts -----------------------

const FORWARDED_HEADERS = ['private-token', 'authorization', 'content-type', 'accept', 'if-unmodified-since'];
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
]);

async function forward(gitlabUrl: string, request: RecordedRequest): Promise<ScriptedResponse> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const response = await fetch(`${gitlabUrl}${request.url}`, {
    method: request.method,
    headers,
    body: request.body === '' ? undefined : request.body,
  });
  const body = Buffer.from(await response.arrayBuffer());
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) responseHeaders[name] = value;
  });
  return { status: response.status, headers: responseHeaders, body };
}

async function startUpstream() {
  const gitlab = createEmbeddedGitLab({ adminToken: ADMIN_TOKEN, userToken: USER_TOKEN });
  const gitlabUrl = await gitlab.listen();
  await seedHooks(gitlab, SEEDED_HOOKS);
  let mode: Mode = 'healthy';
  let count = 0;
  const proxy = await startScriptedServer(async (request) => {
    if (mode === 'unavailable') return json(503, { message: '503 Service Unavailable' });
    if (mode === 'degraded') {
      // Of every 20 calls: 2 answered 503, 1 never answered (the gateway's deadline ends it), the rest slow;
      // spread out, so that the circuit breaker (consecutive failures) trips only when failures bunch up.
      const slot = count++ % 20;
      if (slot === 0 || slot === 10) return json(503, { message: '503 Service Unavailable' });
      if (slot === 5) return { stall: 'before-headers' };
      return { ...(await forward(gitlabUrl, request)), delayMs: 10 * slot };
    }
    return forward(gitlabUrl, request);
  });
  // Both keep a log of every request; the soak has no use for it and it would grow for the whole run.
  const trim = setInterval(() => {
    gitlab.resetRequestLog();
    proxy.requests.splice(0);
  }, 1000);
  return {
    gitlab,
    proxy,
    setMode(next: Mode) {
      mode = next;
    },
    async hookCount(): Promise<number> {
      const response = await fetch(`${gitlabUrl}/api/v4/hooks?per_page=1`, {
        headers: credentialHeaders(),
      });
      await response.body?.cancel();
      return Number(response.headers.get('x-total'));
    },
    /** Deletes, through REST, every hook the load created and left; returns how many. */
    async deleteLeftovers(): Promise<number> {
      const headers = credentialHeaders();
      const left: number[] = [];
      for (let page = 1; page <= 100; page++) {
        const response = await fetch(`${gitlabUrl}/api/v4/hooks?per_page=100&page=${page}`, { headers });
        const hooks = (await response.json()) as { id: number; url: string }[];
        left.push(...hooks.filter((hook) => hook.url === SOAK_HOOK_URL).map((hook) => hook.id));
        if (!response.headers.get('x-next-page')) break;
      }
      for (const id of left) {
        const response = await fetch(`${gitlabUrl}/api/v4/hooks/${id}`, { method: 'DELETE', headers });
        await response.body?.cancel();
      }
      return left.length;
    },
    async close() {
      clearInterval(trim);
      await proxy.close();
      await gitlab.close();
    },
  };
}

// --- the gateway, as `npm start` runs it, with a memory probe ------------------------------------------------

interface GatewayProcess {
  child: ChildProcess;
  url: string;
  metricsUrl: string;
  memory(): Promise<MemorySample>;
  stop(): Promise<void>;
}

async function startGateway(gitlabUrl: string, collector: OtlpReceiver): Promise<GatewayProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, startArguments({ memoryProbe: true }), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      GITLAB_URL: gitlabUrl,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      ...GATEWAY_ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Read everything it prints (a full pipe would stall it); keep the start and the last lines for a report.
  let output = '';
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  // At LOG_LEVEL=warn the start lines are not written: the gateway is up when it answers its health check.
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${output}`);
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) throw new Error(`the gateway did not start within 30 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    async memory() {
      child.send('memory');
      const [sample] = (await once(child, 'message')) as [MemorySample];
      return sample;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// --- the load -----------------------------------------------------------------------------------------------

type Context = Record<string, unknown>;

/** One request of the sequence every connection sends in turn; the callbacks share the connection's context. */
interface RequestDefinition {
  method: string;
  body?: string;
  setupRequest?: (request: RequestDefinition, context: Context) => RequestDefinition;
  onResponse?: (status: number, body: string, context: Context) => void;
}

type Autocannon = typeof autocannon;
/**
 * autocannon's `requests` option, which the declarations in test/bench/autocannon.d.ts leave out (an ambient
 * module's interfaces cannot be extended from another file).
 */
const load = autocannon as (
  options: Parameters<Autocannon>[0] & { requests: RequestDefinition[]; overallRate?: number },
) => ReturnType<Autocannon>;

const LIST = `query List { systemHooks(first: 20) { count nodes { id url name pushEvents urlVariables { key } }
  pageInfo { hasNextPage endCursor } } }`;
const NODES = `query Some { nodes(ids: ["1", "3", "5", "7", "99"]) { id ... on SystemHook { url name } } }`;
const ONE = `query One { systemHook(id: "gid://gitlab/SystemHook/2") { id url createdAt } }`;
const SOAK_HOOK_URL = 'http://127.0.0.1:9/soak';
const CREATE = `mutation Create { createSystemHook(input: { url: "${SOAK_HOOK_URL}", name: "soak",
  token: "soak-secret", pushEvents: true }) { errors systemHook { id } } }`;
// As a client sends them: constant documents, the ID in variables, so that the gateway's caches see a few
// documents, not one per hook.
const UPDATE = `mutation Update($id: ID!) { updateSystemHook(input: { id: $id, name: "soak, updated" }) {
  errors systemHook { id name } } }`;
const DELETE = `mutation Delete($id: ID!) { deleteSystemHook(input: { id: $id }) { errors deletedSystemHookId } }`;

interface GraphQLAnswer {
  data?: Record<
    string,
    { systemHook?: { id?: string } | null; deletedSystemHookId?: string | null } | null
  > | null;
  errors?: { extensions?: { code?: string } }[];
}

function parse(body: string): GraphQLAnswer {
  try {
    return JSON.parse(body) as GraphQLAnswer;
  } catch {
    return { errors: [{ extensions: { code: 'NOT_JSON' } }] };
  }
}

interface PhaseResult {
  name: string;
  mode: Mode;
  seconds: number;
  responses: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that got no HTTP answer, or none in time. */
  transportErrors: number;
  statuses: Map<number, number>;
  /** `extensions.code` of every top-level error; `OK` for an answer with none. */
  codes: Map<string, number>;
}

function add<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * Hooks whose delete failed (GitLab was down): the next delete of any connection takes one. What the end of a
 * phase leaves (a create answered after the load stopped, or not yet followed by its delete) is deleted through
 * REST between phases, so the store stays where it started.
 */
const undeleted: string[] = [];

async function runPhase(url: string, name: string, mode: Mode, seconds: number): Promise<PhaseResult> {
  const codes = new Map<string, number>();
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  const tally = (body: string) => {
    const answer = parse(body);
    if (!answer.errors?.length) add(codes, 'OK');
    for (const error of answer.errors ?? []) add(codes, error.extensions?.code ?? 'NO_CODE');
    return answer;
  };
  const graphql = (query: string, variables?: Record<string, unknown>) =>
    JSON.stringify({ query, variables });
  const instance = load({
    url: `${url}/graphql`,
    connections: CONNECTIONS,
    // A steady rate, the same in every phase, so that memory and latency compare across phases (fast failures
    // would otherwise multiply the rate when GitLab is down).
    overallRate: RATE,
    duration: seconds,
    timeout: 10,
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      'private-token': ADMIN_TOKEN,
    },
    requests: [
      { method: 'POST', body: graphql(LIST), onResponse: (_status, body) => void tally(body) },
      { method: 'POST', body: graphql(NODES), onResponse: (_status, body) => void tally(body) },
      {
        method: 'POST',
        body: graphql(CREATE),
        onResponse: (_status, body, context) => {
          context.hookId = tally(body).data?.createSystemHook?.systemHook?.id;
        },
      },
      {
        method: 'POST',
        setupRequest: (request, context) => ({
          ...request,
          body: typeof context.hookId === 'string' ? graphql(UPDATE, { id: context.hookId }) : graphql(ONE),
        }),
        onResponse: (_status, body) => void tally(body),
      },
      {
        method: 'POST',
        setupRequest: (request, context) => {
          const id = typeof context.hookId === 'string' ? context.hookId : undeleted.pop();
          context.deleting = id;
          context.hookId = undefined;
          return { ...request, body: id === undefined ? graphql(ONE) : graphql(DELETE, { id }) };
        },
        onResponse: (_status, body, context) => {
          const answer = tally(body);
          const id = context.deleting;
          const gone =
            answer.data?.deleteSystemHook?.deletedSystemHookId ||
            answer.errors?.[0]?.extensions?.code === 'NOT_FOUND';
          if (typeof id === 'string' && !gone) undeleted.push(id);
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    add(statuses, status);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    name,
    mode,
    seconds,
    responses: latencies.length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    transportErrors: result.errors + result.timeouts,
    statuses,
    codes,
  };
}

// --- the report ---------------------------------------------------------------------------------------------

const megabytes = (bytes: number) => (bytes / 1_048_576).toFixed(1);
const mb = (bytes: number) => `${megabytes(bytes)} MB`;
const pad = (text: string | number, width: number) => String(text).padStart(width);
const entries = <K>(map: Map<K, number>) =>
  [...map.entries()].sort((a, b) => b[1] - a[1]).map(([key, count]) => `${key} ${count}`);

function printMemory(label: string, sample: MemorySample): void {
  console.log(
    `  ${label.padEnd(16)} RSS ${pad(mb(sample.rssBytes), 9)}   heap used ${pad(mb(sample.heapUsedBytes), 8)}` +
      `   heap total ${pad(mb(sample.heapTotalBytes), 8)}`,
  );
}

async function main(): Promise<void> {
  const seconds = soakSeconds();
  const upstream = await startUpstream();
  const collector = await startOtlpReceiver({ keep: false });
  const gateway = await startGateway(upstream.proxy.url, collector);
  // Prometheus's part: a scrape a second, each checked.
  let scrapes = 0;
  let failedScrapes = 0;
  let scraping = true;
  const scraper = (async () => {
    while (scraping) {
      const ok = await fetch(gateway.metricsUrl).then(
        async (response) => response.ok && (await response.text()).includes('http_server_request_duration'),
        () => false,
      );
      if (ok) scrapes++;
      else failedScrapes++;
      await new Promise((resolve) => setTimeout(resolve, SCRAPE_INTERVAL_MS));
    }
  })();
  let died = false;
  gateway.child.once('exit', () => {
    died = true;
  });
  try {
    const hooksBefore = await upstream.hookCount();
    console.log(
      `Soak: ${seconds} s, ${CONNECTIONS} connections, ${RATE} requests/s, mixed queries and mutations; ` +
        'gateway = src/index.ts ' +
        `(${Object.entries(GATEWAY_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}) -> fault proxy -> embedded GitLab\n`,
    );
    const memory: [string, MemorySample][] = [['before load', await gateway.memory()]];
    console.log(
      `${'phase'.padEnd(16)} ${'upstream'.padEnd(11)} ${pad('s', 3)} ${pad('answers', 8)} ${pad('req/s', 6)} ` +
        `${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('RSS MB', 7)} ${pad('heap MB', 7)}  ` +
        'HTTP statuses; errors by extensions.code',
    );
    const codes = new Map<string, number>();
    const statuses = new Map<number, number>();
    let answers = 0;
    let transportErrors = 0;
    let leftovers = 0;
    for (const [index, phase] of PHASES.entries()) {
      upstream.setMode(phase.mode);
      const phaseSeconds = Math.max(1, Math.round(seconds * phase.share));
      const r = await runPhase(gateway.url, phase.name, phase.mode, phaseSeconds);
      // Requests the load abandoned when it stopped may still be on their way to GitLab; the last wait is one
      // upstream deadline long, so that nothing is left in flight when the hooks are counted.
      const last = index === PHASES.length - 1;
      await new Promise((resolve) =>
        setTimeout(resolve, last ? Number(GATEWAY_ENV.UPSTREAM_TIMEOUT_MS) + 500 : 300),
      );
      leftovers += await upstream.deleteLeftovers();
      undeleted.length = 0;
      const sample = await gateway.memory();
      if (phase.warmUp && !PHASES[index + 1]?.warmUp) memory.push(['after warm-up', sample]);
      if (last) memory.push(['after the run', sample]);

      answers += r.responses;
      transportErrors += r.transportErrors;
      for (const [code, count] of r.codes) add(codes, code, count);
      for (const [status, count] of r.statuses) add(statuses, status, count);
      console.log(
        `${r.name.padEnd(16)} ${r.mode.padEnd(11)} ${pad(r.seconds, 3)} ${pad(r.responses, 8)} ` +
          `${pad(Math.round(r.responses / r.seconds), 6)} ${pad(r.p50Ms.toFixed(1), 7)} ${pad(r.p99Ms.toFixed(1), 7)} ` +
          `${pad(megabytes(sample.rssBytes), 7)} ${pad(megabytes(sample.heapUsedBytes), 7)}  ` +
          `${entries(r.statuses).join(', ')}; ${entries(r.codes).join(', ')}` +
          (r.transportErrors ? `; no answer ${r.transportErrors}` : ''),
      );
    }
    const hooksAfter = await upstream.hookCount();
    scraping = false;
    await scraper;
    console.log(`\nrequests served: ${answers} (${transportErrors} without an HTTP answer)`);
    console.log(`HTTP statuses:   ${entries(statuses).join(', ')}`);
    console.log(`errors by code:  ${entries(codes).join(', ')}`);
    console.log('\ngateway memory, after a full GC:');
    for (const [label, sample] of memory) printMemory(label, sample);
    const warm = memory[1]?.[1];
    const last = memory[2]?.[1];
    if (warm && last) {
      console.log(
        `  RSS after the run / after warm-up: ${(last.rssBytes / warm.rssBytes).toFixed(3)}; ` +
          `heap used: ${(last.heapUsedBytes / warm.heapUsedBytes).toFixed(3)}`,
      );
    }
    console.log(
      `\n/metrics scraped ${scrapes} times (${failedScrapes} failed); ` +
        `spans received by the collector so far: ${collector.counts().spans} in ${collector.counts().exports} exports`,
    );
    console.log(
      `\nhooks in GitLab: ${hooksBefore} before, ${hooksAfter} after ` +
        `(${leftovers} left by create/delete sequences that a phase's end cut short were deleted between phases)`,
    );

    const fiveHundreds = [...statuses].filter(([status]) => status >= 500).reduce((n, [, c]) => n + c, 0);
    const problems = [
      died ? 'the gateway exited during the run' : '',
      transportErrors ? `${transportErrors} requests got no HTTP answer` : '',
      fiveHundreds ? `${fiveHundreds} answers were 5xx` : '',
      failedScrapes ? `${failedScrapes} scrapes of /metrics failed` : '',
    ].filter(Boolean);
    if (problems.length > 0) {
      console.error(`\nFAILED: ${problems.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    scraping = false;
    await gateway.stop();
    await upstream.close();
    await collector.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
