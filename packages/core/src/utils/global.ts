const KEY = Symbol.for('@oar/core');

/**
 * Process-wide state lives on globalThis under one symbol, so that two copies of @oar/core
 * loaded in one process (a suite's and a backend's, say) share backends and registries.
 */
export function globalSingleton<T>(name: string, init: () => T): T {
  const g = globalThis as unknown as Record<symbol, Record<string, unknown>>;
  const bag = (g[KEY] ??= {});
  if (!(name in bag)) bag[name] = init();
  return bag[name] as T;
}
