/** `defaults` with every option of `given` that is set (an option given as `undefined` keeps its default). */
export function withDefaults<T extends object>(defaults: Readonly<T>, given: Partial<T> = {}): T {
  const set = Object.entries(given).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(set) } as T;
}
