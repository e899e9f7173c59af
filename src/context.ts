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

/**
 * The context of an operation: over HTTP the caller of its request; over WebSocket
 * (src/realtime/websocket.ts) the caller its connection authenticated as, given as `caller`.
 */
export function createContext(initial?: Partial<YogaInitialContext> & { caller?: Caller }): Context {
  const caller = (initial?.request && requestCaller(initial.request)) || initial?.caller || fallback;
  return { loaders: createLinkLoaders(), nodes: createNodeLoaders(), caller };
}
