import type { CallOptions, SystemHooksApi } from './types.ts';

/** A method of the API without its trailing `CallOptions`. */
type WithoutCallOptions<Method> = Method extends (...args: [...infer Args, CallOptions]) => infer Result
  ? (...args: Args) => Result
  : never;

/**
 * The System Hooks API as one caller sees it: the caller's credential and signal are applied to every call, so
 * that a request's resolvers and loaders cannot call GitLab with anything else.
 */
export type BoundSystemHooksApi = {
  [Name in keyof SystemHooksApi]: WithoutCallOptions<SystemHooksApi[Name]>;
};

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

/**
 * Binds `options` to every call of `api`, each call going through `guard` first (the gateway refuses a request
 * without a usable credential this way, lazily, so that requests that never reach GitLab need none; and it keeps
 * each request within its budget of calls).
 */
export function bindSystemHooksApi(
  api: SystemHooksApi,
  options: CallOptions,
  guard?: CallGuard,
): BoundSystemHooksApi {
  const bind =
    <Args extends unknown[], Result>(
      method: (...args: [...Args, CallOptions]) => Promise<Result>,
      access: CallAccess,
    ) =>
    async (...args: Args): Promise<Result> => {
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
  return {
    listHooks: bind(api.listHooks, 'read'),
    getHook: bind(api.getHook, 'read'),
    createHook: bind(api.createHook, 'write'),
    updateHook: bind(api.updateHook, 'write'),
    deleteHook: bind(api.deleteHook, 'write'),
    testHook: bind(api.testHook, 'write'),
    setUrlVariable: bind(api.setUrlVariable, 'write'),
    deleteUrlVariable: bind(api.deleteUrlVariable, 'write'),
    setCustomHeader: bind(api.setCustomHeader, 'write'),
    deleteCustomHeader: bind(api.deleteCustomHeader, 'write'),
  };
}
