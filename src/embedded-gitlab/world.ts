/**
 * The world the hooks live in, as GitLab models it: users, groups (nested), projects, members with roles, and the
 * application settings the hooks depend on. Groups and projects share one id sequence (the common brief's
 * "namespaces"), users have their own. Who may see a project or group and which role a user holds in it are
 * answered here, once, for the REST endpoints (`world-routes.ts`) and the hook scopes alike.
 */
import { messageError } from './errors.ts';

/** `Gitlab::Access`: Guest, Reporter, Developer, Maintainer, Owner. */
export const ACCESS_LEVELS = [10, 20, 30, 40, 50] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];
export const GUEST = 10;
export const DEVELOPER = 30;
export const MAINTAINER = 40;
export const OWNER = 50;

export const ROLE_NAMES: Readonly<Record<AccessLevel, string>> = {
  10: 'Guest',
  20: 'Reporter',
  30: 'Developer',
  40: 'Maintainer',
  50: 'Owner',
};

export type Visibility = 'private' | 'internal' | 'public';
export const VISIBILITIES: readonly Visibility[] = ['private', 'internal', 'public'];
const VISIBILITY_RANK: Readonly<Record<Visibility, number>> = { private: 0, internal: 10, public: 20 };

export interface User {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly email: string;
  readonly admin: boolean;
  readonly createdAt: Date;
}

/** A group, a user's personal namespace, or a project: what has a path, members and (for two of them) hooks. */
export interface Container {
  readonly kind: 'group' | 'user' | 'project';
  readonly id: number;
  readonly name: string;
  readonly path: string;
  /** The group or namespace it sits in; null for a top-level group or a personal namespace. */
  readonly parentId: number | null;
  readonly visibility: Visibility;
  readonly description: string;
  readonly createdAt: Date;
  /** The owner of a personal namespace. */
  readonly ownerId?: number;
  /** Direct members: user id → access level. */
  readonly members: Map<number, AccessLevel>;
  /** When each direct membership was made. */
  readonly memberSince: Map<number, Date>;
}

/** Application settings this server plays (`PUT /application/settings`). */
export interface ApplicationSettings {
  allowLocalRequestsFromSystemHooks: boolean;
  allowLocalRequestsFromWebHooksAndServices: boolean;
}

export const projectNotFound = () => messageError(404, '404 Project Not Found');
export const groupNotFound = () => messageError(404, '404 Group Not Found');

/** The administrator and the non-administrator whose tokens the server is started with. */
export const ADMIN_USER_ID = 1;
export const REGULAR_USER_ID = 2;

export class World {
  readonly #users = new Map<number, User>();
  readonly #containers = new Map<number, Container>();
  #lastUserId = 0;
  #lastNamespaceId = 0;
  #lastTokenId = 0;

  constructor(readonly settings: ApplicationSettings) {
    this.addUser({ username: 'root', name: 'Administrator', email: 'admin@example.com', admin: true });
    this.addUser({ username: 'user', name: 'Regular User', email: 'user@example.com', admin: false });
  }

  /** The id of a new personal access token (the tokens themselves are the authenticator's). */
  nextTokenId(): number {
    return ++this.#lastTokenId;
  }

  user(id: number): User | undefined {
    return this.#users.get(id);
  }

  users(): User[] {
    return [...this.#users.values()];
  }

  addUser(fields: Omit<User, 'id' | 'createdAt'>): User {
    const user: User = { ...fields, id: ++this.#lastUserId, createdAt: new Date() };
    this.#users.set(user.id, user);
    return user;
  }

  container(id: number): Container | undefined {
    return this.#containers.get(id);
  }

  containers(): Container[] {
    return [...this.#containers.values()];
  }

  /** Adds a group, personal namespace or project with the next namespace id. */
  addContainer(fields: Omit<Container, 'id' | 'createdAt' | 'members' | 'memberSince'>): Container {
    const container: Container = {
      ...fields,
      id: ++this.#lastNamespaceId,
      createdAt: new Date(),
      members: new Map(),
      memberSince: new Map(),
    };
    this.#containers.set(container.id, container);
    return container;
  }

  addMember(container: Container, userId: number, level: AccessLevel): void {
    container.members.set(userId, level);
    container.memberSince.set(userId, new Date());
  }

  /** The user's personal namespace, made on first use (GitLab makes it with the user). */
  personalNamespace(user: User): Container {
    const existing = this.containers().find((c) => c.kind === 'user' && c.ownerId === user.id);
    if (existing !== undefined) return existing;
    return this.addContainer({
      kind: 'user',
      name: user.name,
      path: user.username,
      parentId: null,
      visibility: 'public',
      description: '',
      ownerId: user.id,
    });
  }

  /**
   * The container a container or hook sits in: a project's or subgroup's group or namespace, a project or group
   * hook's project or group; undefined at the top, for a system hook, or once the parent is gone.
   */
  parent(child: { readonly parentId: number | null }): Container | undefined {
    return child.parentId === null ? undefined : this.#containers.get(child.parentId);
  }

  /** The container and its ancestors, nearest first. */
  selfAndAncestors(container: Container): Container[] {
    const chain: Container[] = [];
    for (let at: Container | undefined = container; at !== undefined; at = this.parent(at)) chain.push(at);
    return chain;
  }

  /** Every container below `container` (not itself). */
  descendants(container: Container): Container[] {
    return this.containers().filter(
      (other) => other !== container && this.selfAndAncestors(other).includes(container),
    );
  }

  /** `full_path`: the paths from the top, joined with `/`. */
  fullPath(container: Container): string {
    return this.selfAndAncestors(container)
      .reverse()
      .map((c) => c.path)
      .join('/');
  }

  /** `full_name`: the names from the top, joined with ` / `. */
  fullName(container: Container): string {
    return this.selfAndAncestors(container)
      .reverse()
      .map((c) => c.name)
      .join(' / ');
  }

  /**
   * The user's role in the container: the highest of its direct membership and those inherited from its groups
   * (a personal namespace's owner is its Owner); 0 for none.
   */
  accessLevel(userId: number | null, container: Container): number {
    if (userId === null) return 0;
    let level = 0;
    for (const at of this.selfAndAncestors(container)) {
      if (at.kind === 'user' && at.ownerId === userId) level = Math.max(level, OWNER);
      level = Math.max(level, at.members.get(userId) ?? 0);
    }
    return level;
  }

  isAdmin(userId: number | null): boolean {
    return userId !== null && this.#users.get(userId)?.admin === true;
  }

  /**
   * `read_project` / `read_group`: administrators see everything, anyone a public container, a signed-in user an
   * internal one, members (direct or inherited) a private one. A member of a project or subgroup also sees the
   * groups above it, as GitLab shows a private group to the members of its descendants.
   */
  canRead(userId: number | null, container: Container): boolean {
    if (this.isAdmin(userId)) return true;
    if (container.visibility === 'public') return true;
    if (userId === null) return false;
    if (container.visibility === 'internal') return true;
    if (this.accessLevel(userId, container) > 0) return true;
    if (container.kind === 'project') return false;
    return this.descendants(container).some((below) => below.members.has(userId));
  }

  /** Whether the user holds `minimum` or more in the container; administrators always do. */
  hasAccess(userId: number | null, container: Container, minimum: number): boolean {
    return this.isAdmin(userId) || this.accessLevel(userId, container) >= minimum;
  }

  /**
   * `find_project`: an all-digit `:id` is an id, one with a `/` a full path (`group/sub/project`), anything
   * else nothing; the project must be visible to the user. 404 Project Not Found otherwise.
   */
  findProject(id: string, userId: number | null): Container {
    const found = this.find(id, 'project', id.includes('/'));
    if (found === undefined || !this.canRead(userId, found)) throw projectNotFound();
    return found;
  }

  /** `find_group`: digits are an id, anything else a full path; visible to the user, else 404 Group Not Found. */
  findGroup(id: string, userId: number | null): Container {
    const found = this.find(id, 'group');
    if (found === undefined || !this.canRead(userId, found)) throw groupNotFound();
    return found;
  }

  /** A group or personal namespace by id, whoever asks (`namespace_id`). */
  namespace(id: number): Container | undefined {
    const found = this.#containers.get(id);
    return found === undefined || found.kind === 'project' ? undefined : found;
  }

  /** The container with this full path, of any kind (paths are unique across groups, namespaces and projects). */
  byFullPath(fullPath: string): Container | undefined {
    const wanted = fullPath.toLowerCase();
    return this.containers().find((c) => this.fullPath(c).toLowerCase() === wanted);
  }

  /**
   * The container of `kind` that `id` names, whoever asks: all digits are an id, anything else a full path (unless
   * `byPath` is false). The visibility checks are the callers'.
   */
  find(id: string, kind: Container['kind'], byPath = true): Container | undefined {
    if (/^\d+$/.test(id)) {
      const found = this.#containers.get(Number(id));
      return found?.kind === kind ? found : undefined;
    }
    if (!byPath) return undefined;
    const found = this.byFullPath(id);
    return found?.kind === kind ? found : undefined;
  }
}

/** Whether a container of `visibility` may sit in `parent` (GitLab's `visibility_level_allowed_by_parent`). */
export function visibilityAllowedIn(visibility: Visibility, parent: Container | undefined): boolean {
  if (parent === undefined || parent.kind === 'user') return true;
  return VISIBILITY_RANK[visibility] <= VISIBILITY_RANK[parent.visibility];
}
