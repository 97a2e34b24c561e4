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
 * Binds `options` to every call of `api`. `beforeEachCall` runs first and may throw, which rejects that call
 * before anything is sent (the gateway refuses a request without a usable credential this way, lazily, so that
 * requests that never reach GitLab need none).
 */
export function bindSystemHooksApi(
  api: SystemHooksApi,
  options: CallOptions,
  beforeEachCall: () => void = () => {},
): BoundSystemHooksApi {
  const bind =
    <Args extends unknown[], Result>(method: (...args: [...Args, CallOptions]) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      beforeEachCall();
      return method.apply(api, [...args, options]);
    };
  return {
    listHooks: bind(api.listHooks),
    getHook: bind(api.getHook),
    createHook: bind(api.createHook),
    updateHook: bind(api.updateHook),
    deleteHook: bind(api.deleteHook),
    testHook: bind(api.testHook),
    setUrlVariable: bind(api.setUrlVariable),
    deleteUrlVariable: bind(api.deleteUrlVariable),
    setCustomHeader: bind(api.setCustomHeader),
    deleteCustomHeader: bind(api.deleteCustomHeader),
  };
}
