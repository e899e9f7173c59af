import { complexityFromQuery } from '@pothos/plugin-complexity';
import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { logger } from './logger';
import { countShed } from './metrics';

// What the server does when it gets more work than it can do: it says so at once, with 503, a
// Retry-After and the code OVERLOADED, rather than queueing requests until they time out as masked
// errors. The bounds: operations in execution (checked before a request is even parsed), their
// summed cost, and statements waiting for a PostgreSQL connection; a connection that does not come
// in time is the same answer. Health endpoints are never shed. src/http-server.ts refuses with the
// same answer what clients make it hold.

export const OVERLOADED = 'OVERLOADED';

/** How long clients are told to wait before retrying, in seconds. */
const RETRY_AFTER_SECONDS = 1;

const message = 'The server is overloaded: retry shortly';

/** The whole answer to a request refused before it is parsed. */
export const refusal = {
  body: JSON.stringify({ errors: [{ message, extensions: { code: OVERLOADED } }] }),
  headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(RETRY_AFTER_SECONDS) },
} as const;

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
    if (burst && burst.more > 0) logger.warn(`${what}: ${burst.more} more in the last burst`);
    burst = { started: now, more: 0 };
    logger.warn(`${what} (${detail})`);
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
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== options.endpoint) return;
      if (inFlight >= options.maxInFlight) {
        countShed('operations_in_flight');
        reportOverload(`${inFlight} operations in execution, MAX_OPERATIONS_IN_FLIGHT=${options.maxInFlight}`);
        endResponse(new fetchAPI.Response(refusal.body, { status: 503, headers: refusal.headers }));
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

/**
 * Bounds the summed cost (the complexity the limits compute) of the operations in execution. A
 * count of operations alone let 64 maximal queries (cost 49,000 each) run at once: the event loop
 * then took seconds to answer /live. By cost, a storm of maximal queries runs a few at a time and
 * is refused past that, while small queries still fit. An operation is always admitted when
 * nothing else runs, so no operation within the limits is refused for its size alone.
 */
export function useCostBudget(options: { schema: GraphQLSchema; budget: number }): Plugin {
  let inFlight = 0;
  // Without variables a document's cost never changes: Yoga hands the same parsed document for
  // the same text, so it is computed once.
  const fixedCosts = new WeakMap<DocumentNode, number>();
  const costOf = (document: DocumentNode, variables: Record<string, unknown> | undefined) => {
    const fixed = !variables || Object.keys(variables).length === 0;
    const known = fixed ? fixedCosts.get(document) : undefined;
    if (known !== undefined) return known;
    let cost: number;
    try {
      cost = complexityFromQuery(document, { schema: options.schema, variables: variables ?? {} }).complexity;
    } catch {
      // A cost that cannot be computed (a list past MAX_IDS, say) is refused by the limits when the
      // operation runs; it holds no budget.
      cost = 0;
    }
    if (fixed) fixedCosts.set(document, cost);
    return cost;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = costOf(args.document, args.variableValues ?? undefined);
      if (inFlight > 0 && inFlight + cost > options.budget) {
        countShed('cost_in_flight');
        reportOverload(`operations of cost ${inFlight} in execution, MAX_COST_IN_FLIGHT=${options.budget}`);
        setResultAndStopExecution({ errors: [overloadedError()] });
        return;
      }
      inFlight += cost;
      let released = false;
      return {
        onExecuteDone() {
          if (released) return;
          released = true;
          inFlight -= cost;
        },
      };
    },
  };
}
