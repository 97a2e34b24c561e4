/**
 * The embedded GitLab's settings, read once from the environment with every problem reported at once.
 */
import { randomInt } from 'node:crypto';

/** Settings of the embedded GitLab; assignable to `EmbeddedGitLabOptions`. */
export interface EmbeddedGitLabConfig {
  /** `EMBEDDED_GITLAB_PORT`. @default 0 (any free port) */
  port: number;
  /** `EMBEDDED_GITLAB_ADMIN_TOKEN`. @default a generated `glpat-` token */
  adminToken: string;
  /** `EMBEDDED_GITLAB_USER_TOKEN`. @default a generated `glpat-` token */
  userToken: string;
  /** The variable the admin token came from, or undefined when it was generated (and may then be printed). */
  adminTokenFrom: 'EMBEDDED_GITLAB_ADMIN_TOKEN' | undefined;
  /** The variable the user token came from, or undefined when it was generated. */
  userTokenFrom: 'EMBEDDED_GITLAB_USER_TOKEN' | undefined;
  /**
   * `EMBEDDED_GITLAB_AUTO_DISABLE_WEBHOOKS`: GitLab's `auto_disabling_web_hooks` for project and group hooks.
   * @default true
   */
  autoDisableWebHooks: boolean;
}

/** Every problem found in the `EMBEDDED_GITLAB_*` variables; the message lists them, one per line. */
export class EmbeddedGitLabConfigError extends Error {
  override readonly name = 'EmbeddedGitLabConfigError';
  readonly code = 'EMBEDDED_GITLAB_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const MAX_TOKEN_LENGTH = 255;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A token shaped like a GitLab personal access token: `glpat-` and 20 random base62 characters. */
function generateToken(): string {
  let token = 'glpat-';
  for (let i = 0; i < 20; i++) token += BASE62.charAt(randomInt(BASE62.length));
  return token;
}

function readPort(raw: string | undefined, problems: string[]): number {
  if (raw === undefined || raw.trim() === '') return 0;
  const text = raw.trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    problems.push(`EMBEDDED_GITLAB_PORT must be an integer from 0 to 65535 (0: any free port), got "${raw}"`);
    return 0;
  }
  return port;
}

/** Problems with a token are described without quoting it: it is a secret even when it is malformed. */
function readToken(
  env: NodeJS.ProcessEnv,
  name: string,
  problems: string[],
): { token: string; fromEnv: boolean } {
  const raw = env[name];
  if (raw === undefined) return { token: generateToken(), fromEnv: false };
  if (raw === '') problems.push(`${name} must not be empty (unset it to generate a token)`);
  else if (/[\s\p{Cc}]/u.test(raw))
    problems.push(`${name} must not contain whitespace or control characters`);
  if ([...raw].length > MAX_TOKEN_LENGTH)
    problems.push(`${name} must be at most ${MAX_TOKEN_LENGTH} characters`);
  return { token: raw, fromEnv: true };
}

/** How a token is shown at start: a generated one is printed so it can be used; one given is only named. */
export function describeToken(token: string, from: string | undefined): string {
  return from ? `from ${from}` : token;
}

/** `true` or `false`, in any case; unset or empty is the default. */
function readBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  problems.push(`${name} must be true or false, got ${JSON.stringify(raw.slice(0, 40))}`);
  return fallback;
}

/**
 * Reads `EMBEDDED_GITLAB_PORT`, `EMBEDDED_GITLAB_ADMIN_TOKEN`, `EMBEDDED_GITLAB_USER_TOKEN` and
 * `EMBEDDED_GITLAB_AUTO_DISABLE_WEBHOOKS`.
 */
export function loadEmbeddedGitLabConfig(env: NodeJS.ProcessEnv): EmbeddedGitLabConfig {
  const problems: string[] = [];
  const port = readPort(env.EMBEDDED_GITLAB_PORT, problems);
  const admin = readToken(env, 'EMBEDDED_GITLAB_ADMIN_TOKEN', problems);
  const user = readToken(env, 'EMBEDDED_GITLAB_USER_TOKEN', problems);
  const autoDisableWebHooks = readBoolean(env, 'EMBEDDED_GITLAB_AUTO_DISABLE_WEBHOOKS', true, problems);
  if (admin.token === user.token) {
    problems.push('EMBEDDED_GITLAB_ADMIN_TOKEN and EMBEDDED_GITLAB_USER_TOKEN must differ');
  }
  if (problems.length > 0) throw new EmbeddedGitLabConfigError(problems);
  return {
    port,
    adminToken: admin.token,
    userToken: user.token,
    adminTokenFrom: admin.fromEnv ? 'EMBEDDED_GITLAB_ADMIN_TOKEN' : undefined,
    userTokenFrom: user.fromEnv ? 'EMBEDDED_GITLAB_USER_TOKEN' : undefined,
    autoDisableWebHooks,
  };
}
