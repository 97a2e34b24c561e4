import type { HookScopeTypes, SystemHookTypes } from './hook-scope.ts';
import type { CallOptions, HooksApi } from './types.ts';

/** A method of the API without its trailing `CallOptions`. */
type WithoutCallOptions<Method> = Method extends (...args: [...infer Args, CallOptions]) => infer Result
  ? (...args: Args) => Result
  : never;

/**
 * A hook collection's API as one caller sees it: the caller's credential and signal are applied to every call, so
 * that a request's resolvers and loaders cannot call GitLab with anything else.
 */
export type BoundHooksApi<T extends HookScopeTypes = HookScopeTypes> = {
  [Name in keyof HooksApi<T>]: WithoutCallOptions<HooksApi<T>[Name]>;
};

/** The System Hooks API as one caller sees it. */
export type BoundSystemHooksApi = BoundHooksApi<SystemHookTypes>;

/**
 * Whether a call only reads (`GET`) or changes something. GitLab's token scopes tell them apart: a `read_api`
 * token is answered 403 to a write and 200 to a read.
 */
export type CallAccess = 'read' | 'write';

/** What a binding asks before each call and tells after it. */
export interface CallGuard {
  /**
   * Runs before each call. It throws to refuse the call before anything is sent, or returns a promise that the
   * call waits for (and that may reject to refuse it).
   */
  admit(access: CallAccess): void | Promise<void>;
  /** How an admitted call ended: `error` is `undefined` when it answered. @default none */
  settle?(access: CallAccess, error: unknown): void;
}

/** The access of each call of a hooks API, the same in every scope; binding follows this table. */
const ACCESS: { readonly [Name in keyof HooksApi]: CallAccess } = {
  listHooks: 'read',
  getHook: 'read',
  createHook: 'write',
  updateHook: 'write',
  deleteHook: 'write',
  testHook: 'write',
  setUrlVariable: 'write',
  deleteUrlVariable: 'write',
  setCustomHeader: 'write',
  deleteCustomHeader: 'write',
  listHookEvents: 'read',
  resendHookEvent: 'write',
  getParent: 'read',
};

type AnyCall = (...args: unknown[]) => Promise<unknown>;

/**
 * Binds `options` to every call of `api`, each call going through `guard` first (the gateway refuses a request
 * without a usable credential this way, lazily, so that requests that never reach GitLab need none; and it keeps
 * each request within its budget of calls).
 */
export function bindHooksApi<T extends HookScopeTypes>(
  api: HooksApi<T>,
  options: CallOptions,
  guard?: CallGuard,
): BoundHooksApi<T> {
  const bind =
    (method: AnyCall, access: CallAccess) =>
    async (...args: unknown[]): Promise<unknown> => {
      const admitted = guard?.admit(access);
      if (admitted) await admitted;
      const settle = guard?.settle;
      if (!settle) return method.apply(api, [...args, options]);
      try {
        const result = await method.apply(api, [...args, options]);
        settle.call(guard, access, undefined);
        return result;
      } catch (error) {
        settle.call(guard, access, error);
        throw error;
      }
    };
  const bound: Record<string, unknown> = {};
  for (const [name, access] of Object.entries(ACCESS)) {
    bound[name] = bind(api[name as keyof HooksApi] as AnyCall, access);
  }
  return bound as BoundHooksApi<T>;
}
