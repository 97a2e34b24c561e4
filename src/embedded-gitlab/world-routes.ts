/**
 * The REST calls that set up the world the hooks live in, as GitLab answers them (the subset of parameters and
 * fields tests and users need): `POST /users` and personal access tokens (administrators), groups (nested) and
 * projects, their members, and the application settings of local requests. Each runs in Grape's order:
 * authentication, the container (404 when the caller cannot see it), authorization, parameters, the body.
 */
import { findCredential, type Identity, TOKEN_SCOPES } from './auth.ts';
import { forbidden, messageError, routeNotFound } from './errors.ts';
import { coerceBoolean, coerceInteger, coerceString, INVALID, ParamErrors } from './grape-params.ts';
import type { HttpAnswer } from './http.ts';
import type { RoutePattern } from './route-match.ts';
import type { ApiRequest, RouteContext } from './routes.ts';
import {
  ACCESS_LEVELS,
  type AccessLevel,
  type ApplicationSettings,
  type Container,
  DEVELOPER,
  groupNotFound,
  MAINTAINER,
  OWNER,
  type User,
  VISIBILITIES,
  type Visibility,
  visibilityAllowedIn,
  type World,
} from './world.ts';

interface WorldCall {
  request: ApiRequest;
  context: RouteContext;
  world: World;
  path: Readonly<Record<string, string>>;
  errors: ParamErrors;
}

interface WorldEndpoint extends RoutePattern {
  method: 'GET' | 'POST' | 'PUT';
  handle(call: WorldCall): HttpAnswer;
}

const credentialOf = ({ request }: WorldCall) => findCredential(request.headers, request.params);
const authenticate = (call: WorldCall): Identity =>
  call.context.auth.authenticate(credentialOf(call), call.request.method);
const requireAdmin = (call: WorldCall): Identity =>
  call.context.auth.requireAdmin(credentialOf(call), call.request.method);
/** A GET that anyone may make: no credential is anonymous, a bad one still 401. */
const optionalUserId = (call: WorldCall): number | null =>
  call.context.auth.optionalUser(credentialOf(call), call.request.method)?.userId ?? null;

/** `render_validation_error!`: `400 {"message": {attr: [...]}}`. */
const validationError = (attribute: string, message: string) => messageError(400, { [attribute]: [message] });
const userNotFound = () => messageError(404, '404 User Not Found');

// Grape's declared parameters, each adding its message to `errors` in declaration order.

function stringParam(call: WorldCall, name: string, required: boolean): string | undefined {
  const { params } = call.request;
  if (!Object.hasOwn(params, name) || params[name] === undefined) {
    if (required) call.errors.add(`${name} is missing`);
    return undefined;
  }
  const value = coerceString(params[name]);
  if (value === INVALID) call.errors.add(`${name} is invalid`);
  // `requires` checks only that the key is there: a nil value reaches the model, which finds it blank.
  if (value === null && required) return '';
  return typeof value === 'string' ? value : undefined;
}

function integerParam(call: WorldCall, name: string, raw: unknown, required: boolean): number | undefined {
  const value = coerceInteger(raw);
  if (value === INVALID) call.errors.add(`${name} is invalid`);
  else if (value === null && required) call.errors.add(`${name} is missing`);
  return typeof value === 'number' ? value : undefined;
}

function booleanParam(call: WorldCall, name: string): boolean | undefined {
  const { params } = call.request;
  if (!Object.hasOwn(params, name)) return undefined;
  const value = coerceBoolean(params[name]);
  if (value === INVALID) call.errors.add(`${name} is invalid`);
  return typeof value === 'boolean' ? value : undefined;
}

function enumParam<T extends string>(call: WorldCall, name: string, values: readonly T[]): T | undefined {
  const value = stringParam(call, name, false);
  if (value === undefined) return undefined;
  const known = values.find((candidate) => candidate === value);
  if (known === undefined) call.errors.add(`${name} does not have a valid value`);
  return known;
}

/** Grape's `at_least_one_of`. */
function atLeastOneOf(call: WorldCall, names: readonly string[]): void {
  if (names.some((name) => Object.hasOwn(call.request.params, name))) return;
  call.errors.add(`${names.join(', ')} are missing, at least one parameter must be provided`);
}

// Entities, the subset of GitLab's fields clients read.

function userEntity(call: WorldCall, user: User): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: null,
    web_url: `${call.context.externalUrl}/${user.username}`,
    created_at: user.createdAt.toISOString(),
    email: user.email,
    is_admin: user.admin,
  };
}

function namespaceEntity(call: WorldCall, namespace: Container): Record<string, unknown> {
  const { world, context } = call;
  const fullPath = world.fullPath(namespace);
  return {
    id: namespace.id,
    name: namespace.name,
    path: namespace.path,
    kind: namespace.kind,
    full_path: fullPath,
    parent_id: namespace.parentId,
    web_url: `${context.externalUrl}/${namespace.kind === 'group' ? 'groups/' : ''}${fullPath}`,
  };
}

function groupEntity(call: WorldCall, group: Container): Record<string, unknown> {
  const { world, context } = call;
  const fullPath = world.fullPath(group);
  return {
    id: group.id,
    web_url: `${context.externalUrl}/groups/${fullPath}`,
    name: group.name,
    path: group.path,
    description: group.description,
    visibility: group.visibility,
    full_name: world.fullName(group),
    full_path: fullPath,
    created_at: group.createdAt.toISOString(),
    parent_id: group.parentId,
  };
}

function projectEntity(call: WorldCall, project: Container): Record<string, unknown> {
  const { world, context } = call;
  const namespace = world.parent(project) as Container;
  const fullPath = world.fullPath(project);
  return {
    id: project.id,
    description: project.description,
    name: project.name,
    name_with_namespace: world.fullName(project),
    path: project.path,
    path_with_namespace: fullPath,
    created_at: project.createdAt.toISOString(),
    default_branch: 'main',
    web_url: `${context.externalUrl}/${fullPath}`,
    visibility: project.visibility,
    namespace: namespaceEntity(call, namespace),
  };
}

function memberEntity(call: WorldCall, container: Container, user: User): Record<string, unknown> {
  const since = container.memberSince.get(user.id) ?? new Date();
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    avatar_url: null,
    web_url: `${call.context.externalUrl}/${user.username}`,
    access_level: container.members.get(user.id),
    created_at: since.toISOString(),
    expires_at: null,
    membership_state: 'active',
  };
}

function settingsEntity(settings: ApplicationSettings): Record<string, unknown> {
  return {
    id: 1,
    allow_local_requests_from_web_hooks_and_services: settings.allowLocalRequestsFromWebHooksAndServices,
    allow_local_requests_from_system_hooks: settings.allowLocalRequestsFromSystemHooks,
  };
}

// Paths and names.

/**
 * `Gitlab::PathRegex.namespace_format_regex` (and the project one, alike here): letters, digits, `_`, `-` and
 * `.`, not starting with `-` or `.`, not ending in `.`, `.git` or `.atom`.
 */
const PATH_FORMAT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const PATH_MESSAGE =
  "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'";
const MAX_PATH_LENGTH = 255;
/** `validates :name, length: { maximum: 255 }` of users, namespaces and projects. */
const MAX_NAME_LENGTH = 255;

function pathProblem(path: string): string | null {
  if (path === '') return "can't be blank";
  if (path.length > MAX_PATH_LENGTH) return `is too long (maximum is ${MAX_PATH_LENGTH} characters)`;
  if (!PATH_FORMAT.test(path) || /(\.|\.git|\.atom)$/i.test(path)) return PATH_MESSAGE;
  return null;
}

/** Whether a path (or name) is taken among the children of `parentId` (top level: users' namespaces too). */
function siblingTaken(
  call: WorldCall,
  parentId: number | null,
  field: 'path' | 'name',
  value: string,
): boolean {
  const wanted = value.toLowerCase();
  const sameLevel = call.world.containers().filter((c) => c.parentId === parentId);
  const taken = sameLevel.some((c) => c[field].toLowerCase() === wanted);
  if (taken || parentId !== null || field !== 'path') return taken;
  return call.world.users().some((user) => user.username.toLowerCase() === wanted);
}

/** `String#parameterize`, enough to make a project path from its name. */
const parameterize = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '');

// Users and tokens.

const EMAIL_FORMAT = /^[^@\s]+@[^@\s]+$/;
const MIN_PASSWORD_LENGTH = 8;

/** The validation errors of a new user, in `User`'s order. */
function userProblems(fields: {
  email: string;
  name: string;
  username: string;
  password?: string;
}): [string, string][] {
  const problems: [string, string][] = [];
  if (fields.name.trim() === '') problems.push(['name', "can't be blank"]);
  if ([...fields.name].length > MAX_NAME_LENGTH) {
    problems.push(['name', `is too long (maximum is ${MAX_NAME_LENGTH} characters)`]);
  }
  if (!EMAIL_FORMAT.test(fields.email) || fields.email.length > MAX_PATH_LENGTH)
    problems.push(['email', 'is invalid']);
  const path = pathProblem(fields.username);
  if (path !== null) problems.push(['username', path]);
  if (fields.password !== undefined && fields.password.length < MIN_PASSWORD_LENGTH) {
    problems.push(['password', `is too short (minimum is ${MIN_PASSWORD_LENGTH} characters)`]);
  }
  return problems;
}

/** `POST /users` (administrators): the conflicts GitLab reports as 409, then the model's 400. */
function createUser(call: WorldCall): HttpAnswer {
  requireAdmin(call);
  const email = stringParam(call, 'email', true);
  const password = stringParam(call, 'password', false);
  atLeastOneOf(call, ['password', 'reset_password', 'force_random_password']);
  const name = stringParam(call, 'name', true);
  const username = stringParam(call, 'username', true);
  const admin = booleanParam(call, 'admin');
  call.errors.throwIfAny();
  const fields = { email: email as string, name: name as string, username: username as string, password };
  const { world } = call;
  if (world.users().some((user) => user.email.toLowerCase() === fields.email.toLowerCase())) {
    throw messageError(409, 'Email has already been taken');
  }
  if (siblingTaken(call, null, 'path', fields.username))
    throw messageError(409, 'Username has already been taken');
  const problems = userProblems(fields);
  if (problems.length > 0) throw messageError(400, Object.fromEntries(problems.map(([a, m]) => [a, [m]])));
  const user = world.addUser({
    username: fields.username,
    name: fields.name,
    email: fields.email,
    admin: admin ?? false,
  });
  return { status: 201, json: userEntity(call, user) };
}

/** `requires :scopes, type: Array[String], coerce_with: CommaSeparatedToArray, values: all_available_scopes`. */
function scopesParam(call: WorldCall): string[] | undefined {
  const raw = call.request.params.scopes;
  if (raw === undefined || raw === null) {
    call.errors.add('scopes is missing');
    return undefined;
  }
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : raw;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
    call.errors.add('scopes is invalid');
    return undefined;
  }
  const known: readonly string[] = TOKEN_SCOPES;
  if (list.length === 0 || !list.every((s) => known.includes(s))) {
    call.errors.add('scopes does not have a valid value');
    return undefined;
  }
  return [...new Set(list as string[])];
}

/** `optional :expires_at, type: Date`: `YYYY-MM-DD`, a real calendar date. */
function expiresAtParam(call: WorldCall): string | null {
  const raw = stringParam(call, 'expires_at', false);
  if (raw === undefined || raw === '') return null;
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(raw) && new Date(`${raw}T00:00:00Z`).toISOString().startsWith(raw);
  if (!valid) call.errors.add('expires_at is invalid');
  return valid ? raw : null;
}

/** `POST /users/:user_id/personal_access_tokens` (administrators): the token value, this once. */
function createToken(call: WorldCall): HttpAnswer {
  requireAdmin(call);
  const userId = integerParam(call, 'user_id', call.path.user_id, true);
  const name = stringParam(call, 'name', true);
  const description = stringParam(call, 'description', false);
  const scopes = scopesParam(call);
  const expiresAt = expiresAtParam(call);
  call.errors.throwIfAny();
  const user = call.world.user(userId as number);
  if (user === undefined) throw userNotFound();
  if (name === undefined || name.trim() === '') throw validationError('name', "can't be blank");
  if (expiresAt !== null && expiresAt <= new Date().toISOString().slice(0, 10)) {
    throw validationError('expires_at', 'must be in the future');
  }
  const token = call.context.auth.addToken(user.id, scopes as string[], expiresAt);
  const created = new Date().toISOString();
  return {
    status: 201,
    json: {
      id: call.world.nextTokenId(),
      name,
      revoked: false,
      created_at: created,
      description: description ?? null,
      scopes,
      user_id: user.id,
      last_used_at: null,
      active: true,
      expires_at: expiresAt,
      token,
    },
  };
}

// Groups and projects.

/** The parent group of a new subgroup: visible (else 404), and the caller a Maintainer of it (else 403). */
function parentGroup(call: WorldCall, parentId: number | undefined, userId: number): Container | undefined {
  if (parentId === undefined) return undefined;
  const parent = call.world.container(parentId);
  if (parent === undefined || parent.kind !== 'group' || !call.world.canRead(userId, parent)) {
    throw groupNotFound();
  }
  // `subgroup_creation_level` defaults to Maintainers.
  if (!call.world.hasAccess(userId, parent, MAINTAINER)) throw forbidden();
  return parent;
}

/** `Failed to save group {...}`: the message `render_api_error!` builds from the errors' Ruby `inspect`. */
const groupSaveFailed = (attribute: string, message: string) =>
  messageError(400, `Failed to save group {:${attribute}=>[${JSON.stringify(message)}]}`);

/** The model errors of a new group or project, in the order GitLab reports them, or null. */
function containerProblem(
  call: WorldCall,
  fields: { kind: 'group' | 'project'; path: string; name: string; visibility: Visibility },
  parent: Container | undefined,
): [string, string] | null {
  const parentId = parent?.id ?? null;
  const path = pathProblem(fields.path);
  if (path !== null) return ['path', path];
  if (fields.name.trim() === '') return ['name', "can't be blank"];
  if ([...fields.name].length > MAX_NAME_LENGTH)
    return ['name', `is too long (maximum is ${MAX_NAME_LENGTH} characters)`];
  if (siblingTaken(call, parentId, 'path', fields.path)) return ['path', 'has already been taken'];
  if (siblingTaken(call, parentId, 'name', fields.name)) return ['name', 'has already been taken'];
  if (!visibilityAllowedIn(fields.visibility, parent)) {
    const parentVisibility = (parent as Container).visibility;
    return [
      'visibility_level',
      fields.kind === 'project'
        ? `${fields.visibility} is not allowed in a ${parentVisibility} group.`
        : `${fields.visibility} is not allowed since the parent group has a ${parentVisibility} visibility.`,
    ];
  }
  return null;
}

/** `POST /groups`: any signed-in user at the top level, a Maintainer of the parent below it; the creator owns it. */
function createGroup(call: WorldCall): HttpAnswer {
  const { userId } = authenticate(call);
  const name = stringParam(call, 'name', true);
  const path = stringParam(call, 'path', true);
  const description = stringParam(call, 'description', false);
  const visibility = enumParam(call, 'visibility', VISIBILITIES);
  const parentId = integerParam(call, 'parent_id', call.request.params.parent_id, false);
  call.errors.throwIfAny();
  const parent = parentGroup(call, parentId, userId);
  const fields = {
    kind: 'group',
    name: name as string,
    path: path as string,
    visibility: visibility ?? 'private',
  } as const;
  const problem = containerProblem(call, fields, parent);
  if (problem !== null) throw groupSaveFailed(...problem);
  const group = call.world.addContainer({
    ...fields,
    parentId: parent?.id ?? null,
    description: description ?? '',
  });
  call.world.addMember(group, userId, OWNER);
  return { status: 201, json: groupEntity(call, group) };
}

/**
 * The namespace of a new project: the caller's own without `namespace_id`; else a group in which they hold
 * Developer or more (`default_project_creation`: Developers and Maintainers), or their personal namespace;
 * administrators anywhere. Anything else is `{"namespace": ["is not valid"]}`, as GitLab reports it.
 */
function projectNamespace(call: WorldCall, namespaceId: number | undefined, userId: number): Container {
  const { world } = call;
  const user = world.user(userId) as User;
  if (namespaceId === undefined) return world.personalNamespace(user);
  const namespace = world.namespace(namespaceId);
  const allowed =
    namespace !== undefined &&
    (world.isAdmin(userId) ||
      (namespace.kind === 'user'
        ? namespace.ownerId === userId
        : world.accessLevel(userId, namespace) >= DEVELOPER));
  if (!allowed) throw validationError('namespace', 'is not valid');
  return namespace;
}

/** `POST /projects`: in the caller's namespace or a group's; the creator becomes a Maintainer of it. */
function createProject(call: WorldCall): HttpAnswer {
  const { userId } = authenticate(call);
  const name = stringParam(call, 'name', false);
  const path = stringParam(call, 'path', false);
  atLeastOneOf(call, ['name', 'path']);
  const namespaceId = integerParam(call, 'namespace_id', call.request.params.namespace_id, false);
  const description = stringParam(call, 'description', false);
  const visibility = enumParam(call, 'visibility', VISIBILITIES);
  call.errors.throwIfAny();
  const namespace = projectNamespace(call, namespaceId, userId);
  const fields = {
    kind: 'project',
    // A nil `name` or `path` (the key sent, its value null) is a blank one.
    name: name ?? path ?? '',
    path: path ?? parameterize(name ?? ''),
    visibility: visibility ?? 'private',
  } as const;
  const problem = containerProblem(call, fields, namespace);
  if (problem !== null) throw validationError(...problem);
  const project = call.world.addContainer({
    ...fields,
    parentId: namespace.id,
    description: description ?? '',
  });
  if (call.world.accessLevel(userId, project) < MAINTAINER) call.world.addMember(project, userId, MAINTAINER);
  return { status: 201, json: projectEntity(call, project) };
}

function getProject(call: WorldCall): HttpAnswer {
  const project = call.world.findProject(call.path.id ?? '', optionalUserId(call));
  return { status: 200, json: projectEntity(call, project) };
}

function getGroup(call: WorldCall): HttpAnswer {
  const group = call.world.findGroup(call.path.id ?? '', optionalUserId(call));
  return { status: 200, json: groupEntity(call, group) };
}

// Members.

/** The user a member request names: `user_id` (an id) or `username`, exactly one. */
function memberUser(call: WorldCall): User | undefined {
  const { params } = call.request;
  const byId = Object.hasOwn(params, 'user_id');
  const byName = Object.hasOwn(params, 'username');
  if (byId === byName) {
    call.errors.add(
      byId
        ? 'user_id, username are mutually exclusive'
        : 'user_id, username are missing, exactly one parameter must be provided',
    );
    return undefined;
  }
  if (byName) {
    const username = stringParam(call, 'username', true);
    return call.world.users().find((user) => user.username === username);
  }
  const id = integerParam(call, 'user_id', params.user_id, true);
  return id === undefined ? undefined : call.world.user(id);
}

/**
 * `POST /projects/:id/members` (Maintainers) and `POST /groups/:id/members` (Owners). Only an Owner may make an
 * Owner; a direct member cannot be added twice (409).
 */
function addMember(kind: 'project' | 'group') {
  return (call: WorldCall): HttpAnswer => {
    const { userId } = authenticate(call);
    const { world } = call;
    const id = call.path.id ?? '';
    const container = kind === 'project' ? world.findProject(id, userId) : world.findGroup(id, userId);
    if (!world.hasAccess(userId, container, kind === 'project' ? MAINTAINER : OWNER)) throw forbidden();
    const accessLevel = integerParam(call, 'access_level', call.request.params.access_level, true);
    const known: readonly number[] = ACCESS_LEVELS;
    if (accessLevel !== undefined && !known.includes(accessLevel)) {
      call.errors.add('access_level does not have a valid value');
    }
    const user = memberUser(call);
    call.errors.throwIfAny();
    if (user === undefined) throw userNotFound();
    if (accessLevel === OWNER && !world.hasAccess(userId, container, OWNER)) throw forbidden();
    if (container.members.has(user.id)) throw messageError(409, 'Member already exists');
    world.addMember(container, user.id, accessLevel as AccessLevel);
    return { status: 201, json: memberEntity(call, container, user) };
  };
}

// Application settings.

const SETTINGS_PARAMS = [
  ['allow_local_requests_from_web_hooks_and_services', 'allowLocalRequestsFromWebHooksAndServices'],
  ['allow_local_requests_from_system_hooks', 'allowLocalRequestsFromSystemHooks'],
] as const;

function getSettings(call: WorldCall): HttpAnswer {
  requireAdmin(call);
  return { status: 200, json: settingsEntity(call.world.settings) };
}

/** `PUT /application/settings` (administrators): at least one setting; all or none are applied. */
function updateSettings(call: WorldCall): HttpAnswer {
  requireAdmin(call);
  atLeastOneOf(
    call,
    SETTINGS_PARAMS.map(([param]) => param),
  );
  const values = SETTINGS_PARAMS.map(([param, attr]) => [attr, booleanParam(call, param)] as const);
  call.errors.throwIfAny();
  for (const [attr, value] of values) if (value !== undefined) call.world.settings[attr] = value;
  return { status: 200, json: settingsEntity(call.world.settings) };
}

/** The world's endpoints; the hook endpoints (`routes.ts`) are matched before these. */
export const WORLD_ENDPOINTS: readonly WorldEndpoint[] = (
  [
    ['POST', 'users', createUser],
    ['POST', 'users/:user_id/personal_access_tokens', createToken],
    ['POST', 'groups', createGroup],
    ['GET', 'groups/:id', getGroup],
    ['POST', 'groups/:id/members', addMember('group')],
    ['POST', 'projects', createProject],
    ['GET', 'projects/:id', getProject],
    ['POST', 'projects/:id/members', addMember('project')],
    ['GET', 'application/settings', getSettings],
    ['PUT', 'application/settings', updateSettings],
  ] as const
).map(([method, path, handle]) => ({ method, path, formatSuffix: false, handle }));

/** Answers a world endpoint that `findRoute` found; 404 (GitLab's catch-all, unauthenticated) when none was. */
export function handleWorldRequest(
  request: ApiRequest,
  context: RouteContext,
  found: { route: WorldEndpoint; path: Record<string, string> } | null,
): HttpAnswer {
  if (found === null) throw routeNotFound();
  return found.route.handle({
    request,
    context,
    world: context.world,
    path: found.path,
    errors: new ParamErrors(),
  });
}
