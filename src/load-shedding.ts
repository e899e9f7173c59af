import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

// What the server does when it gets more work than it can do: it says so at once, with 503, a
// Retry-After and the code OVERLOADED, rather than queueing requests until they time out as masked
// errors. Two bounds: operations in execution (checked before a request is even parsed) and
// requests waiting for a PostgreSQL connection; a connection that does not come in time is the
// same answer. Health endpoints are never shed.

export const OVERLOADED = 'OVERLOADED';

/** How long clients are told to wait before retrying, in seconds. */
const RETRY_AFTER_SECONDS = 1;

const message = 'The server is overloaded: retry shortly';

/** Thrown where work is refused for lack of capacity (the pool's queue is full). */
export class OverloadedError extends Error {
  constructor(reason: string) {
    super(`${message} (${reason})`);
    this.name = 'OverloadedError';
  }
}

// pg-pool's own words when no connection came within connectionTimeoutMillis.
const poolTimeouts = ['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout'];

/** Whether an error, or any error it wraps, says the server had no capacity for the work. */
export function isOverload(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current instanceof OverloadedError) return true;
    // Prisma may pass it on as an error of its own with the same message.
    const text = current.message;
    if (text.includes(message) || poolTimeouts.some((timeout) => text.includes(timeout))) return true;
    const next = (current as { originalError?: unknown; cause?: unknown }).originalError ?? current.cause;
    current = next;
  }
  return false;
}

const BURST_MS = 10_000;

/**
 * A log for events that come in storms: the first of a burst is printed, then a count every 10 s
 * while it lasts, so thousands of refusals cost a few lines, not one (and a stack) each.
 */
export function burstLog(what: string): (detail: string) => void {
  let burst: { started: number; more: number } | null = null;
  return (detail) => {
    const now = Date.now();
    if (burst && now - burst.started < BURST_MS) {
      burst.more++;
      return;
    }
    if (burst && burst.more > 0) console.warn(`${what}: ${burst.more} more in the last burst`);
    burst = { started: now, more: 0 };
    console.warn(`${what} (${detail})`);
  };
}

/** Logs a refusal for lack of capacity, once per burst. */
export const reportOverload = burstLog('Overloaded: refusing requests with 503');

/** The error a client sees for work refused for lack of capacity: HTTP 503 with Retry-After. */
export function overloadedError(path?: readonly (string | number)[]): GraphQLError {
  return new GraphQLError(message, {
    path,
    extensions: {
      code: OVERLOADED,
      http: { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
    },
  });
}

/**
 * Bounds the GraphQL requests in execution at `endpoint`. One past the bound is answered before
 * Yoga parses it: the cheapest refusal there is, so a storm cannot take the CPU that the requests
 * already admitted (and /live, /ready) need.
 */
export function useLoadShedding(options: { endpoint: string; maxInFlight: number }): Plugin {
  let inFlight = 0;
  const admitted = new WeakSet<Request>();
  const body = JSON.stringify({ errors: [{ message, extensions: { code: OVERLOADED } }] });
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== options.endpoint) return;
      if (inFlight >= options.maxInFlight) {
        reportOverload(`${inFlight} operations in execution, MAX_OPERATIONS_IN_FLIGHT=${options.maxInFlight}`);
        endResponse(
          new fetchAPI.Response(body, {
            status: 503,
            headers: {
              'content-type': 'application/json; charset=utf-8',
              'retry-after': String(RETRY_AFTER_SECONDS),
            },
          }),
        );
        return;
      }
      inFlight++;
      admitted.add(request);
    },
    onResponse({ request }) {
      if (admitted.delete(request)) inFlight--;
    },
  };
}
