/**
 * The hooks of one scope this server holds, and the save paths of the endpoints. Each change is built on a copy,
 * validated by the scope's model, and only then written, so a rejected request changes nothing.
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

export class HookStore {
  readonly #hooks = new Map<number, StoredHook>();
  readonly #model: HookModel;
  #lastId = 0;

  constructor(
    readonly scope: HookScope,
    private readonly settings: ValidationSettings,
  ) {
    this.#model = hookModelOf(scope);
  }

  /** All hooks ordered by id (`ORDER BY id ASC`). */
  list(): StoredHook[] {
    return [...this.#hooks.values()];
  }

  get size(): number {
    return this.#hooks.size;
  }

  /** The hook with this id, if there is one. */
  get(id: number): StoredHook | undefined {
    return this.#hooks.get(id);
  }

  /** `SystemHook.find`, and its kin in other scopes. */
  find(id: number): StoredHook {
    const hook = this.#hooks.get(id);
    if (hook === undefined) throw recordNotFound();
    return hook;
  }

  /** Builds and validates a new hook without storing it; returns the model errors, if any. */
  prepareCreate(
    params: HookParams,
    raw: RawColumns = {},
  ): { attributes: HookAttributes; errors: ModelError[] } {
    const model = this.#model;
    const attributes = model.assignParams(model.defaultAttributes(), params, 'create');
    if (raw.branchFilterStrategy !== undefined) attributes.branchFilterStrategy = raw.branchFilterStrategy;
    runBeforeValidation(attributes, null, params);
    return { attributes, errors: model.validateHook(attributes, this.settings) };
  }

  /** Stores attributes that `prepareCreate` accepted, with the next sequential id. */
  insert(attributes: HookAttributes, raw: RawColumns = {}): StoredHook {
    const now = new Date();
    const hook: StoredHook = {
      ...this.#model.copyAttributes(attributes),
      url: attributes.url ?? '',
      id: ++this.#lastId,
      organizationId: ORGANIZATION_ID,
      alertStatus: raw.alertStatus ?? 'executable',
      createdAt: now,
      updatedAt: now,
    };
    this.#hooks.set(hook.id, hook);
    return hook;
  }

  /** `POST …/hooks` after parameter validation. */
  create(params: HookParams): StoredHook {
    const { attributes, errors } = this.prepareCreate(params);
    if (errors.length > 0) throw grapeError(422, createFailureMessage(errors));
    return this.insert(attributes);
  }

  /** `PUT …/hooks/:hook_id` after parameter validation: 404, then "No parameters provided", then the save. */
  update(id: number, params: HookParams): StoredHook {
    const hook = this.find(id);
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
