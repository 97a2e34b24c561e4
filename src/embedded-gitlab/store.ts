/**
 * The hooks of one scope this server holds, each under its parent (a project, a group, or none for system
 * hooks), and the save paths of the endpoints. Each change is built on a copy, validated by the scope's model,
 * and only then written, so a rejected request changes nothing. Every scope draws ids from one sequence, as
 * GitLab's hooks share the `web_hooks` table.
 */
import { ApiError, grapeError, recordNotFound } from './errors.ts';
import type { HookParams } from './hook-attributes.ts';
import { createFailureMessage, updateFailure } from './hook-errors.ts';
import {
  type HookAttributes,
  type HookModel,
  hasUpdateParams,
  hookModelOf,
  type KeyValues,
  keyValues,
  type ModelError,
  runBeforeValidation,
  type StoredHook,
  type ValidationSettings,
} from './hook-model.ts';
import type { HookScope } from './hook-scope.ts';

/** Every hook is created in the default organization (`Current.organization`). */
const ORGANIZATION_ID = 1;

/**
 * Values a newer GitLab's row could hold that no request can set: enum values this server does not know.
 * `seed()` stores them verbatim, bypassing validation, so that a client can be tested against them.
 */
export interface RawColumns {
  alertStatus?: string;
  branchFilterStrategy?: string;
}

/** The id sequence of the `web_hooks` table, shared by every scope's store. */
export class IdSequence {
  #last = 0;
  next(): number {
    return ++this.#last;
  }
}

export class HookStore {
  readonly #hooks = new Map<number, StoredHook>();
  readonly #model: HookModel;

  constructor(
    readonly scope: HookScope,
    private readonly settings: ValidationSettings,
    private readonly ids: IdSequence = new IdSequence(),
  ) {
    this.#model = hookModelOf(scope);
  }

  /** The hooks ordered by id (`ORDER BY id ASC`): all of them, or those of one parent. */
  list(parentId?: number | null): StoredHook[] {
    const all = [...this.#hooks.values()];
    return parentId === undefined ? all : all.filter((hook) => hook.parentId === parentId);
  }

  get size(): number {
    return this.#hooks.size;
  }

  /** The hook with this id, if there is one. */
  get(id: number): StoredHook | undefined {
    return this.#hooks.get(id);
  }

  /**
   * `SystemHook.find`, `user_project.hooks.find`, `user_group.hooks.find`: a hook of another parent is not
   * found, as the lookup runs inside the parent.
   */
  find(id: number, parentId: number | null = null): StoredHook {
    const hook = this.#hooks.get(id);
    if (hook === undefined || hook.parentId !== parentId) throw recordNotFound();
    return hook;
  }

  /**
   * Builds and validates a new hook of `parentId` without storing it; returns the model errors, if any, the
   * plan limit's (`Limitable`, on create only) after the model's.
   */
  prepareCreate(
    params: HookParams,
    raw: RawColumns = {},
    parentId: number | null = null,
  ): { attributes: HookAttributes; errors: ModelError[] } {
    const model = this.#model;
    const attributes = model.assignParams(model.defaultAttributes(), params, 'create');
    if (raw.branchFilterStrategy !== undefined) attributes.branchFilterStrategy = raw.branchFilterStrategy;
    runBeforeValidation(attributes, null, params);
    const errors = model.validateHook(attributes, this.settings);
    const limit = this.scope.planLimit;
    if (limit !== undefined && this.list(parentId).length >= limit.count) {
      errors.push({
        attribute: 'base',
        message: `Maximum number of ${limit.name} (${limit.count}) exceeded`,
      });
    }
    return { attributes, errors };
  }

  /** Stores attributes that `prepareCreate` accepted, under `parentId`, with the next id of the sequence. */
  insert(attributes: HookAttributes, raw: RawColumns = {}, parentId: number | null = null): StoredHook {
    const now = new Date();
    const hook: StoredHook = {
      ...this.#model.copyAttributes(attributes),
      url: attributes.url ?? '',
      id: this.ids.next(),
      parentId,
      organizationId: ORGANIZATION_ID,
      alertStatus: raw.alertStatus ?? 'executable',
      createdAt: now,
      updatedAt: now,
    };
    this.#hooks.set(hook.id, hook);
    return hook;
  }

  /** `POST …/hooks` after parameter validation. */
  create(params: HookParams, parentId: number | null = null): StoredHook {
    const { attributes, errors } = this.prepareCreate(params, {}, parentId);
    if (errors.length > 0) throw grapeError(422, createFailureMessage(errors));
    return this.insert(attributes, {}, parentId);
  }

  /** `PUT …/hooks/:hook_id` after parameter validation: 404, then "No parameters provided", then the save. */
  update(id: number, params: HookParams, parentId: number | null = null): StoredHook {
    const hook = this.find(id, parentId);
    if (!hasUpdateParams(params)) throw grapeError(400, 'No parameters provided');
    const next = this.#model.assignParams(hook, params, 'update');
    runBeforeValidation(next, hook, params);
    const errors = this.#model.validateHook(next, this.settings);
    if (errors.length > 0) {
      const failure = updateFailure(errors);
      throw 'error' in failure ? grapeError(422, failure.error) : new ApiError(422, failure);
    }
    return this.#commit(hook, next);
  }

  /** `hook.update(url_variables: ...)` / `hook.update(custom_headers: ...)`: true when saved. */
  updateKeyValues(hook: StoredHook, field: 'urlVariables' | 'customHeaders', values: KeyValues): boolean {
    const next = this.#model.copyAttributes(hook);
    next[field] = keyValues(values);
    runBeforeValidation(next, hook, {});
    if (this.#model.validateHook(next, this.settings).length > 0) return false;
    this.#commit(hook, next);
    return true;
  }

  remove(id: number): void {
    this.#hooks.delete(id);
  }

  #commit(hook: StoredHook, next: HookAttributes): StoredHook {
    if (!this.#model.attributesDiffer(hook, next)) return hook;
    const updated: StoredHook = { ...hook, ...next, url: next.url ?? hook.url, updatedAt: new Date() };
    this.#hooks.set(hook.id, updated);
    return updated;
  }
}
