import { getOperationAST } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import { requestCaller } from '../access/authentication';
import { anonymousCaller, type Caller } from '../access/roles';
import { primaryReads, type ReadRoute } from '../db/replica-routing';
import { createLinkLoaders, createNodeLoaders } from '../schema/registry';

// The one place a GraphQL context and its loaders are made: for an HTTP or WebSocket operation
// (createContext), for the events of a subscription (eventContext, with loaders shared by every
// subscriber of a notification: src/realtime/hub.ts), and for tests.

/** The loaders of an operation (src/links, declared in src/schema/registry.ts), reading where `reads` says when they read. */
export interface Loaders {
  loaders: ReturnType<typeof createLinkLoaders>;
  /** Heroes and teams by id, batched per type. */
  nodes: ReturnType<typeof createNodeLoaders>;
}

export function createLoaders(reads: ReadRoute): Loaders {
  return { loaders: createLinkLoaders(reads), nodes: createNodeLoaders(reads) };
}

/** Per-request state; loaders are made fresh for every request so nothing is cached across them. */
export interface Context extends Loaders {
  /** Who sends the request (src/access/authentication.ts); `caller.role` is its strongest role. */
  caller: Caller;
  /**
   * Where the loaders and root lists read: a read replica (DATABASE_READ_URL), or for a mutation
   * the primary (useMutationReadsOnPrimary), so that its payload shows what it wrote.
   */
  reads: ReadRoute;
}

// For a request that did not pass useAuthentication (none should): no role, so nothing runs.
const fallback = anonymousCaller(null);

/**
 * The context of an operation: over HTTP the caller of its request; over WebSocket
 * (src/realtime/websocket.ts) the caller its connection authenticated as, given as `caller`.
 */
export function createContext(initial?: Partial<YogaInitialContext> & { caller?: Caller }): Context {
  const caller = (initial?.request && requestCaller(initial.request)) || initial?.caller || fallback;
  // The context is made before the document is parsed: reads go to replicas until execution
  // shows a mutation. The loaders hold this object and look at it when they read.
  const reads: ReadRoute = { target: 'replica' };
  return { ...createLoaders(reads), caller, reads };
}

/**
 * The context a subscription's event is executed in: the subscriber's own (its caller), with the
 * loaders shared by every subscriber of the event. Everything an event reads comes from the
 * primary, as its shared loaders do (src/realtime/hub.ts).
 */
export function eventContext(context: Context, shared: Loaders): Context {
  return { ...context, loaders: shared.loaders, nodes: shared.nodes, reads: primaryReads };
}

/**
 * Sends every read of a mutation to the primary: a replica may not have replayed the mutation's
 * own commit yet, and the payload must show the change it made (read-your-writes). Its writes go
 * there anyway (Prisma Client only knows the primary).
 */
export function useMutationReadsOnPrimary(): Plugin {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation === 'mutation') {
        (args.contextValue as unknown as Context).reads.target = 'primary';
      }
    },
  };
}
