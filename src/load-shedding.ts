import { complexityFromQuery } from '@pothos/plugin-complexity';
import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { logger } from './logger';
import { countShed, type ShedReason } from './metrics';

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
 * How late the event loop runs: the longest it has lately been kept from coming back to a timer
 * ticking every `TICK_MS`. Work admitted earlier (answers built and serialised synchronously,
 * refusals by the hundred) delays every request behind it, /live included; while the loop is this
 * late, admitting more GraphQL work only lengthens the queue, so the HTTP server refuses it before
 * parsing until the loop catches up. Checked from a request's own handler, the time since the last
 * tick also sees a delay that is happening now (a long poll phase), not only one that has ended.
 * Hand-written rather than Fastify's under-pressure, which only runs in Fastify, and without
 * perf_hooks' monitorEventLoopDelay, whose histogram says how late the loop was, not how late it is.
 */
export class EventLoopDelay {
  private static readonly TICK_MS = 20;
  private lastTick = performance.now();
  /** The last tick's delay, kept until a tick on time replaces it. */
  private lastDelay = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => {
      const now = performance.now();
      this.lastDelay = Math.max(0, now - this.lastTick - EventLoopDelay.TICK_MS);
      this.lastTick = now;
    }, EventLoopDelay.TICK_MS);
    this.timer.unref();
  }

  /** Milliseconds the event loop is, or just was, behind. */
  now(): number {
    return Math.max(this.lastDelay, performance.now() - this.lastTick - EventLoopDelay.TICK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The memory V8's heap uses, sampled every 100 ms: answers in execution are what grows it (a
 * 24 MB answer takes about 100 MB while it is parsed, built and serialised), and neither the cost
 * of an operation nor the bytes in connections (MAX_BUFFERED_BYTES) sees it. Not the resident set,
 * which V8 keeps high long after collecting, nor the buffers outside the heap, which hold the
 * embedded database's WebAssembly memory (hundreds of MB for a big PGlite database).
 *
 * What the heap uses includes garbage not yet collected: V8 lets it grow to 2.5 times what
 * survived the last collection (HEAP_GROWING_PERCENT) before collecting, and a process refusing
 * requests allocates too little to get there, so a bound on it would stay shut once reached. Past
 * the bound, the heap is therefore collected (at most once a second: a collection of mostly
 * garbage takes milliseconds) and only what remains counts.
 */
export class MemoryInUse {
  private static readonly COLLECT_EVERY_MS = 1_000;
  private bytes = process.memoryUsage().heapUsed;
  private lastCollected = 0;
  private readonly timer = setInterval(() => (this.bytes = process.memoryUsage().heapUsed), 100).unref();

  /** Whether the heap in use is past `bound`, counting garbage only when it cannot be collected now. */
  past(bound: number): boolean {
    if (this.bytes <= bound) return false;
    const now = Date.now();
    if (now - this.lastCollected >= MemoryInUse.COLLECT_EVERY_MS) {
      this.lastCollected = now;
      collectGarbage();
      this.bytes = process.memoryUsage().heapUsed;
    }
    return this.bytes > bound;
  }

  now(): number {
    return this.bytes;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

let collector: (() => void) | undefined;

/**
 * A full collection of V8's heap. V8 gives its `gc` function only to a context made after
 * --expose-gc is set, which the process may set at run time (as the expose-gc package does).
 */
function collectGarbage(): void {
  if (!collector) {
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as () => void;
  }
  collector();
}

let sharedMemory: MemoryInUse | undefined;

/** The one sampler of the heap's memory in use, started on first use. */
export function memoryInUse(): MemoryInUse {
  return (sharedMemory ??= new MemoryInUse());
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
 * then took seconds to answer /live. By cost, a storm of maximal queries runs a few at a time,
 * while small queries still fit beside them. An operation that does not fit waits, in order of
 * arrival, up to `waitMs` for the operations ahead of it to finish (it costs nothing meanwhile; the
 * count of operations in flight bounds how many wait), and past that is refused with 503. An
 * operation is always admitted when nothing else runs, so none within the limits is refused for
 * its size alone.
 */
export function useCostBudget(options: {
  schema: GraphQLSchema;
  budget: number;
  waitMs: number;
  /**
   * Why no operation may start now whatever its cost (answers already held for clients that do
   * not read them, a full heap), or null. Checked again when a waiting operation's turn comes,
   * because it may have arrived before the reason did.
   */
  blocked?: () => { reason: ShedReason; detail: string } | null;
}): Plugin {
  let inFlight = 0;
  const queue: { cost: number; admit: (admitted: boolean) => void }[] = [];
  const fits = (cost: number) => (inFlight === 0 || inFlight + cost <= options.budget) && !options.blocked?.();
  const admitQueued = () => {
    for (let next = queue[0]; next && fits(next.cost); next = queue[0]) {
      queue.shift();
      inFlight += next.cost;
      next.admit(true);
    }
  };
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
  const running = (cost: number) => {
    let released = false;
    return {
      onExecuteDone() {
        if (released) return;
        released = true;
        inFlight -= cost;
        admitQueued();
      },
    };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = costOf(args.document, args.variableValues ?? undefined);
      if (queue.length === 0 && fits(cost)) {
        inFlight += cost;
        return running(cost);
      }
      const refuse = () => {
        const blocked = options.blocked?.();
        countShed(blocked?.reason ?? 'cost_in_flight');
        reportOverload(
          blocked?.detail ?? `operations of cost ${inFlight} in execution, MAX_COST_IN_FLIGHT=${options.budget}`,
        );
        setResultAndStopExecution({ errors: [overloadedError()] });
      };
      if (options.waitMs === 0) return refuse();
      return new Promise<boolean>((resolve) => {
        const entry = {
          cost,
          admit: (admitted: boolean) => {
            clearTimeout(timer);
            resolve(admitted);
          },
        };
        const timer = setTimeout(() => {
          queue.splice(queue.indexOf(entry), 1);
          // Room may have come without an operation ending (clients read what was held).
          const admitted = fits(cost);
          if (admitted) inFlight += cost;
          resolve(admitted);
          // The head may have been the one that did not fit: those behind it may.
          admitQueued();
        }, options.waitMs);
        queue.push(entry);
      }).then((admitted) => (admitted ? running(cost) : refuse()));
    },
  };
}
