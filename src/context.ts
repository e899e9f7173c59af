import { createLinkLoaders } from './loaders/links';

/** Per-request state; loaders are made fresh for every request so nothing is cached across them. */
export interface Context {
  loaders: ReturnType<typeof createLinkLoaders>;
}

export function createContext(): Context {
  return { loaders: createLinkLoaders() };
}
