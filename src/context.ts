import { createLinkLoaders } from './loaders/links';
import { createNodeLoaders } from './loaders/nodes';

/** Per-request state; loaders are made fresh for every request so nothing is cached across them. */
export interface Context {
  loaders: ReturnType<typeof createLinkLoaders>;
  /** Heroes and teams by id, batched per type. */
  nodes: ReturnType<typeof createNodeLoaders>;
}

export function createContext(): Context {
  return { loaders: createLinkLoaders(), nodes: createNodeLoaders() };
}
