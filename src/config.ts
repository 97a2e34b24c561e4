import {
  type EmbeddedGitLabConfig,
  EmbeddedGitLabConfigError,
  loadEmbeddedGitLabConfig,
} from './embedded-gitlab/config.ts';
import type { Credential } from './upstream/types.ts';

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
  /** The embedded GitLab's settings (`EMBEDDED_GITLAB_*`); only when `GITLAB_URL` is unset. */
  embedded: EmbeddedGitLabConfig | undefined;
}

/** Every problem with the environment, reported at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const TOKEN = /^[\x21-\x7e]{1,1024}$/;

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

export function loadConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const problems: string[] = [];
  const port = integer(env, 'PORT', 4000, 0, 65535, problems);
  const host = env.HOST?.trim() || '127.0.0.1';
  const url = gitlabUrl(env.GITLAB_URL, problems);
  let gitlabToken: Credential | undefined;
  if (env.GITLAB_TOKEN !== undefined && env.GITLAB_TOKEN !== '') {
    // The value is never quoted back: it is a secret.
    if (TOKEN.test(env.GITLAB_TOKEN)) gitlabToken = { scheme: 'private-token', token: env.GITLAB_TOKEN };
    else problems.push('GITLAB_TOKEN must be 1 to 1024 visible ASCII characters without spaces');
  }
  const upstreamTimeoutMs = integer(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 1, 600_000, problems);
  const upstreamConnections = integer(env, 'UPSTREAM_CONNECTIONS', 16, 1, 1024, problems);
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
    embedded,
  };
}
