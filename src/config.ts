import { readFileSync } from 'node:fs';
import {
  type EmbeddedGitLabConfig,
  EmbeddedGitLabConfigError,
  loadEmbeddedGitLabConfig,
} from './embedded-gitlab/config.ts';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from './plugins/use-request-limits.ts';
import {
  parseTrustedDocumentsManifest,
  type TrustedDocuments,
  TrustedDocumentsManifestError,
} from './plugins/use-trusted-documents.ts';
import { type Credential, isWellFormedToken } from './upstream/types.ts';

/** The gateway's configuration, read once from the environment. */
export interface GatewayConfig {
  /** `PORT`, @default 4000 */
  port: number;
  /** `HOST`, @default '127.0.0.1' (set `0.0.0.0` to serve other machines) */
  host: string;
  /** `GITLAB_URL`; unset: the embedded GitLab is started and used. */
  gitlabUrl: string | undefined;
  /** `GITLAB_TOKEN`: credential for requests that bring none. @default none */
  gitlabToken: Credential | undefined;
  /** `UPSTREAM_TIMEOUT_MS`: deadline of each GitLab call. @default 10000 */
  upstreamTimeoutMs: number;
  /** `UPSTREAM_CONNECTIONS`: sockets kept to GitLab. @default 16 */
  upstreamConnections: number;
  /** `UPSTREAM_ATTEMPT_TIMEOUT_MS`: wait for one attempt's response headers before a retry. @default upstreamTimeoutMs */
  upstreamAttemptTimeoutMs: number;
  /** `UPSTREAM_RETRIES`: retries of a GET, or of a PUT or DELETE where safe; POSTs never. @default 2 */
  upstreamRetries: number;
  /** `UPSTREAM_BREAKER_FAILURES`: consecutive failures that open the circuit breaker; 0 for none. @default 5 */
  upstreamBreakerFailures: number;
  /** `UPSTREAM_BREAKER_COOLDOWN_MS`: how long an open breaker fails fast before a probe. @default 10000 */
  upstreamBreakerCooldownMs: number;
  /** The embedded GitLab's settings (`EMBEDDED_GITLAB_*`); only when `GITLAB_URL` is unset. */
  embedded: EmbeddedGitLabConfig | undefined;
  /** `INTROSPECTION`: whether `__schema`/`__type` queries are answered. @default true */
  introspection: boolean;
  /** The manifest named by `TRUSTED_DOCUMENTS_FILE`: only its documents run. @default unset: any document runs */
  trustedDocuments: TrustedDocuments | undefined;
  /** `MAX_QUERY_*`, `MAX_REQUEST_BODY_BYTES`, `MAX_BATCH_OPERATIONS`. @default DEFAULT_REQUEST_LIMITS */
  limits: RequestLimits;
  /** `CORS_ORIGINS`: browser origins allowed to call cross-origin, comma-separated. @default none */
  corsOrigins: string[];
}

/** Every problem with the environment, reported at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
    return fallback;
  }
  return value;
}

function gitlabUrl(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    problems.push('GITLAB_URL must be an absolute http(s) URL such as https://gitlab.example.com');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    problems.push('GITLAB_URL must use http or https');
  else if (url.username || url.password)
    problems.push('GITLAB_URL must not carry a user or password; use GITLAB_TOKEN');
  else if (url.search || url.hash) problems.push('GITLAB_URL must not have a query or fragment');
  else return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return undefined;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  problems.push(`${name} must be true or false, got ${JSON.stringify(env[name]?.slice(0, 40))}`);
  return fallback;
}

/** At most this many manifest problems are listed; the rest are counted. */
const MANIFEST_PROBLEMS_SHOWN = 5;

function trustedDocuments(raw: string | undefined, problems: string[]): TrustedDocuments | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const path = raw.trim();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`TRUSTED_DOCUMENTS_FILE ${JSON.stringify(path)} cannot be read (${code})`);
    return undefined;
  }
  try {
    return parseTrustedDocumentsManifest(text);
  } catch (error) {
    if (!(error instanceof TrustedDocumentsManifestError)) throw error;
    const shown = error.problems.slice(0, MANIFEST_PROBLEMS_SHOWN);
    const more = error.problems.length - shown.length;
    problems.push(
      `TRUSTED_DOCUMENTS_FILE ${JSON.stringify(path)} is not a trusted-documents manifest: ${shown.join('; ')}` +
        (more > 0 ? `; and ${more} more` : ''),
    );
    return undefined;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const problems: string[] = [];
  const port = integer(env, 'PORT', 4000, 0, 65535, problems);
  const host = env.HOST?.trim() || '127.0.0.1';
  const url = gitlabUrl(env.GITLAB_URL, problems);
  let gitlabToken: Credential | undefined;
  if (env.GITLAB_TOKEN !== undefined && env.GITLAB_TOKEN !== '') {
    // The value is never quoted back: it is a secret.
    if (isWellFormedToken(env.GITLAB_TOKEN))
      gitlabToken = { scheme: 'private-token', token: env.GITLAB_TOKEN };
    else problems.push('GITLAB_TOKEN must be 1 to 1024 visible ASCII characters without spaces');
  }
  const upstreamTimeoutMs = integer(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 1, 600_000, problems);
  const upstreamConnections = integer(env, 'UPSTREAM_CONNECTIONS', 16, 1, 1024, problems);
  const upstreamAttemptTimeoutMs = integer(
    env,
    'UPSTREAM_ATTEMPT_TIMEOUT_MS',
    upstreamTimeoutMs,
    1,
    600_000,
    problems,
  );
  if (upstreamAttemptTimeoutMs > upstreamTimeoutMs) {
    problems.push(
      'UPSTREAM_ATTEMPT_TIMEOUT_MS must not exceed UPSTREAM_TIMEOUT_MS, the deadline of the whole call',
    );
  }
  const upstreamRetries = integer(env, 'UPSTREAM_RETRIES', 2, 0, 10, problems);
  const upstreamBreakerFailures = integer(env, 'UPSTREAM_BREAKER_FAILURES', 5, 0, 1000, problems);
  const upstreamBreakerCooldownMs = integer(
    env,
    'UPSTREAM_BREAKER_COOLDOWN_MS',
    10_000,
    1,
    3_600_000,
    problems,
  );
  const introspection = boolean(env, 'INTROSPECTION', true, problems);
  const manifest = trustedDocuments(env.TRUSTED_DOCUMENTS_FILE, problems);
  const limits = requestLimits(env, problems);
  const corsOrigins = origins(env.CORS_ORIGINS, problems);
  let embedded: EmbeddedGitLabConfig | undefined;
  if (url === undefined && !(env.GITLAB_URL ?? '').trim()) {
    try {
      embedded = loadEmbeddedGitLabConfig(env);
    } catch (error) {
      if (!(error instanceof EmbeddedGitLabConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    gitlabUrl: url,
    gitlabToken,
    upstreamTimeoutMs,
    upstreamConnections,
    upstreamAttemptTimeoutMs,
    upstreamRetries,
    upstreamBreakerFailures,
    upstreamBreakerCooldownMs,
    embedded,
    introspection,
    trustedDocuments: manifest,
    limits,
    corsOrigins,
  };
}

/** `CORS_ORIGINS`: exact origins (scheme, host, port), so that no pattern lets in more than the operator meant. */
function origins(raw: string | undefined, problems: string[]): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const valid: string[] = [];
  for (const entry of entries) {
    if (entry === '*') {
      problems.push(
        'CORS_ORIGINS must list origins, not "*": any page could then use GITLAB_TOKEN through the gateway',
      );
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {}
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry) {
      problems.push(
        `CORS_ORIGINS entries must be origins such as https://app.example.com (no path or trailing slash), got ${JSON.stringify(entry.slice(0, 80))}`,
      );
      continue;
    }
    valid.push(entry);
  }
  return valid;
}

function requestLimits(env: NodeJS.ProcessEnv, problems: string[]): RequestLimits {
  const d = DEFAULT_REQUEST_LIMITS;
  return {
    maxTokens: integer(env, 'MAX_QUERY_TOKENS', d.maxTokens, 1, 1_000_000, problems),
    maxDepth: integer(env, 'MAX_QUERY_DEPTH', d.maxDepth, 1, 1000, problems),
    maxAliases: integer(env, 'MAX_QUERY_ALIASES', d.maxAliases, 0, 10_000, problems),
    maxDirectives: integer(env, 'MAX_QUERY_DIRECTIVES', d.maxDirectives, 0, 10_000, problems),
    maxComplexity: integer(env, 'MAX_QUERY_COMPLEXITY', d.maxComplexity, 1, 1_000_000, problems),
    maxRequestBodyBytes: integer(
      env,
      'MAX_REQUEST_BODY_BYTES',
      d.maxRequestBodyBytes,
      1024,
      104_857_600,
      problems,
    ),
    maxBatchOperations: integer(env, 'MAX_BATCH_OPERATIONS', d.maxBatchOperations, 0, 1000, problems),
  };
}
