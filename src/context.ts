import type { YogaInitialContext } from 'graphql-yoga';
import { requestCaller } from './access/authentication';
import { anonymousCaller, type Caller } from './access/roles';
import { createLinkLoaders } from './loaders/links';
import { createNodeLoaders } from './loaders/nodes';

/** Per-request state; loaders are made fresh for every request so nothing is cached across them. */
export interface Context {
  loaders: ReturnType<typeof createLinkLoaders>;
  /** Heroes and teams by id, batched per type. */
  nodes: ReturnType<typeof createNodeLoaders>;
  /** Who sends the request (src/access/authentication.ts); `caller.role` is its strongest role. */
  caller: Caller;
}

// For a request that did not pass useAuthentication (none should): no role, so nothing runs.
const fallback = anonymousCaller(null);

export function createContext(initial?: Partial<YogaInitialContext>): Context {
  const caller = (initial?.request && requestCaller(initial.request)) || fallback;
  return { loaders: createLinkLoaders(), nodes: createNodeLoaders(), caller };
}
