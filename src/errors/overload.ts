import { GraphQLError } from 'graphql';
import { ErrorCode, httpOf } from './codes';

// Work refused for lack of capacity: thrown by the database layer when no connection can be had in
// time (src/db/pools.ts, src/db/pglite.ts), by admission when an operation cannot start
// (src/http/admission.ts), and recognised by the GraphQL layer, which answers 503 OVERLOADED.

export const overloadMessage = 'The server is overloaded: retry shortly';

/** Thrown where work is refused for lack of capacity (the pool's queue is full). */
export class OverloadedError extends Error {
  constructor(reason: string) {
    super(`${overloadMessage} (${reason})`);
    this.name = 'OverloadedError';
  }
}

// pg-pool's own words when no connection came within connectionTimeoutMillis, and Prisma's when a
// transaction waited longer than its maxWait for its connection (PGlite's one session, taken).
const poolTimeouts = [
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'Unable to start a transaction in the given time',
];

/** Whether an error, or any error it wraps, says the server had no capacity for the work. */
export function isOverload(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current instanceof OverloadedError) return true;
    // Prisma may pass it on as an error of its own with the same message.
    const text = current.message;
    if (text.includes(overloadMessage) || poolTimeouts.some((timeout) => text.includes(timeout))) return true;
    const next = (current as { originalError?: unknown; cause?: unknown }).originalError ?? current.cause;
    current = next;
  }
  return false;
}

/** The error a client sees for work refused for lack of capacity: HTTP 503 with Retry-After. */
export function overloadedError(path?: readonly (string | number)[]): GraphQLError {
  return new GraphQLError(overloadMessage, {
    path,
    extensions: {
      code: ErrorCode.OVERLOADED,
      http: httpOf(ErrorCode.OVERLOADED),
    },
  });
}
