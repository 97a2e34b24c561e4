/**
 * Starts an embedded GitLab on a free loopback port and talks real HTTP to it.
 */
import { after, before } from 'node:test';
import {
  createEmbeddedGitLab,
  type EmbeddedGitLab,
  type EmbeddedGitLabOptions,
} from '../../src/embedded-gitlab/index.ts';
import { ADMIN_TOKEN, USER_TOKEN } from '../helpers/credentials.ts';
import type { UntypedData } from '../helpers/untyped.ts';

export interface CallOptions {
  /** The admin token unless set; null sends no credential. */
  token?: string | null;
  json?: unknown;
  /** A raw body, sent as is with `contentType`. */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A hook as the REST API renders it. */
export interface HookEntity {
  id: number;
  url: string;
  name: string | null;
  description: string | null;
  created_at: string;
  push_events: boolean;
  tag_push_events: boolean;
  merge_requests_events: boolean;
  repository_update_events: boolean;
  enable_ssl_verification: boolean;
  organization_id: number;
  alert_status: string;
  disabled_until: string | null;
  url_variables: { key: string }[];
  push_events_branch_filter: string | null;
  branch_filter_strategy: string;
  custom_webhook_template: string | null;
  custom_headers: { key: string }[];
  /** GitLab 19.0 and later. */
  token_present?: boolean;
  /** GitLab 19.0 and later. */
  signing_token_present?: boolean;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is empty. */
  body: UntypedData;
}

export interface TestGitLab {
  readonly gitlab: EmbeddedGitLab;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** Creates a hook through `POST /hooks` and returns its entity, failing loudly if GitLab refuses it. */
  createHook(params: Record<string, unknown>): Promise<HookEntity>;
  /** Every hook, read through `GET /hooks?per_page=100`. */
  listHooks(): Promise<HookEntity[]>;
}

/** The GitLab version the REST tests were written against: its hook entity has no 19.0 fields. */
export const REST_TESTS_VERSION = '18.6.5';

/**
 * Registers `before`/`after` hooks that start and stop a server with these options. The server plays GitLab
 * `REST_TESTS_VERSION` unless `options.version` says otherwise.
 */
export function useEmbeddedGitLab(options: Partial<EmbeddedGitLabOptions> = {}): TestGitLab {
  const gitlab = createEmbeddedGitLab({
    adminToken: ADMIN_TOKEN,
    userToken: USER_TOKEN,
    port: 0,
    version: REST_TESTS_VERSION,
    ...options,
  });
  before(() => gitlab.listen());
  after(() => gitlab.close());

  const call = callerFor(gitlab);

  return {
    gitlab,
    call,
    async createHook(params) {
      const answer = await call('POST', '/hooks', { json: params });
      if (answer.status !== 201) throw new Error(`create failed: ${answer.status} ${answer.text}`);
      return answer.body;
    },
    async listHooks() {
      const answer = await call('GET', '/hooks?per_page=100');
      if (answer.status !== 200) throw new Error(`list failed: ${answer.status} ${answer.text}`);
      return answer.body;
    },
  };
}

/**
 * REST calls to a started server (`${gitlab.url}/api/v4<path>`), with the administrator's token unless
 * `options.token` says otherwise; for suites that start the server themselves.
 */
export function callerFor(
  gitlab: Pick<EmbeddedGitLab, 'url'>,
): (method: string, path: string, options?: CallOptions) => Promise<Answer> {
  return async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    if (token !== null) headers['PRIVATE-TOKEN'] = token;
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.body !== undefined) {
      body = options.body;
      if (options.contentType) headers['content-type'] = options.contentType;
    }
    const response = await fetch(`${gitlab.url}/api/v4${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    let parsed: unknown;
    if (text !== '' && response.headers.get('content-type') === 'application/json') parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, text, body: parsed };
  };
}

/** A request through node:http, for what fetch will not send (no content type, an absolute target). */
export async function rawRequest(
  base: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  const { request } = await import('node:http');
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({
      host: hostname,
      port,
      method: options.method,
      path: options.path,
      headers: options.headers,
    });
    req.setTimeout(5_000, () => req.destroy(new Error('timed out')));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * `POST /-/embedded-gitlab/<name>` (the embedded GitLab's own control paths, `system-hook-events` and
 * `webhook-events`) with a JSON body, or a raw one; the admin token unless `options.token` says otherwise.
 */
export async function postControlPath(
  gitlab: Pick<EmbeddedGitLab, 'url'>,
  name: string,
  body: unknown,
  options: CallOptions & { method?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null) headers['PRIVATE-TOKEN'] = token;
  const raw = options.body !== undefined;
  headers['content-type'] = raw ? (options.contentType ?? 'text/plain') : 'application/json';
  const method = options.method ?? 'POST';
  const response = await fetch(`${gitlab.url}/-/embedded-gitlab/${name}`, {
    method,
    headers,
    body: method === 'GET' ? undefined : raw ? options.body : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  const parsed: unknown =
    response.headers.get('content-type') === 'application/json' ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** A user made through `POST /users`, with a personal access token made through the API. */
export interface Actor {
  id: number;
  username: string;
  token: string;
}

/**
 * The world most hook tests need, made through GitLab's own REST calls: a group `acme` with a subgroup
 * `acme/platform` and a project `acme/platform/api` in it; an Owner, a Maintainer and a Developer of `acme`
 * (inherited below it), a Guest of the project, and an outsider, each with an `api` token.
 */
export interface World {
  group: { id: number; full_path: string };
  subgroup: { id: number; full_path: string };
  project: { id: number; path_with_namespace: string };
  /** A project of another group (`other/elsewhere`), owned by the same Owner. */
  otherProject: { id: number; path_with_namespace: string };
  otherGroup: { id: number; full_path: string };
  owner: Actor;
  maintainer: Actor;
  developer: Actor;
  guest: Actor;
  outsider: Actor;
}

async function expectStatus(answer: Answer, status: number, what: string): Promise<UntypedData> {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer.body;
}

/** `POST /users` then `POST /users/:id/personal_access_tokens`, as the administrator. */
export async function createActor(
  t: Pick<TestGitLab, 'call'>,
  username: string,
  scopes: string[] = ['api'],
): Promise<Actor> {
  const user = await expectStatus(
    await t.call('POST', '/users', {
      json: { username, name: username, email: `${username}@example.com`, password: 'correct-horse-battery' },
    }),
    201,
    `create user ${username}`,
  );
  const token = await expectStatus(
    await t.call('POST', `/users/${user.id}/personal_access_tokens`, { json: { name: 'tests', scopes } }),
    201,
    `create token for ${username}`,
  );
  return { id: user.id, username, token: token.token };
}

/** `POST /groups/:id/members` or `POST /projects/:id/members` with `token`. */
export async function addMember(
  t: Pick<TestGitLab, 'call'>,
  kind: 'groups' | 'projects',
  id: number,
  userId: number,
  accessLevel: number,
  token?: string,
): Promise<void> {
  await expectStatus(
    await t.call('POST', `/${kind}/${id}/members`, {
      token,
      json: { user_id: userId, access_level: accessLevel },
    }),
    201,
    `add member ${userId} to ${kind}/${id}`,
  );
}

/**
 * Builds the `World` on a started server (call it from `before`, after the server's own `before`). `t.call`
 * sends the administrator's token unless told otherwise.
 */
export async function createWorld(t: Pick<TestGitLab, 'call'>): Promise<World> {
  const [owner, maintainer, developer, guest, outsider] = [
    await createActor(t, 'olivia-owner'),
    await createActor(t, 'mark-maintainer'),
    await createActor(t, 'dana-developer'),
    await createActor(t, 'gary-guest'),
    await createActor(t, 'oscar-outsider'),
  ];
  const post = async (path: string, json: Record<string, unknown>) =>
    expectStatus(await t.call('POST', path, { token: owner.token, json }), 201, `POST ${path}`);
  const group = await post('/groups', { name: 'Acme', path: 'acme' });
  const subgroup = await post('/groups', { name: 'Platform', path: 'platform', parent_id: group.id });
  const project = await post('/projects', { name: 'API', path: 'api', namespace_id: subgroup.id });
  const otherGroup = await post('/groups', { name: 'Other', path: 'other' });
  const otherProject = await post('/projects', { name: 'Elsewhere', namespace_id: otherGroup.id });
  await addMember(t, 'groups', group.id, maintainer.id, 40, owner.token);
  await addMember(t, 'groups', group.id, developer.id, 30, owner.token);
  await addMember(t, 'projects', project.id, guest.id, 10, owner.token);
  return {
    group,
    subgroup,
    project,
    otherGroup,
    otherProject,
    owner,
    maintainer,
    developer,
    guest,
    outsider,
  };
}
