import { complexityFromQuery } from '@pothos/plugin-complexity';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { IncomingMessage } from 'node:http';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import proxyAddr from 'proxy-addr';
import { databaseWorkMs } from '../db/pglite';
import { ErrorCode, overloadedError, overloadMessage, retryAfter } from '../errors';
import { DrainRate } from '../ops/drain-rate';
import { burstLog } from '../ops/logger';
import { countShed, type ShedReason } from '../ops/metrics';

// What the server does when it gets more work than it can do at once. An operation that cannot
// start now waits its turn in a queue (Admission, below), served round-robin between clients, and
// is refused with 503, a Retry-After and the code OVERLOADED only when it cannot start within
// MAX_QUEUE_WAIT_MS: at once when the queue's measured drain rate says it would not, else when its
// wait runs out. A burst the server drains in a second is not overload; refusing it would put an
// error on somebody's screen for work done in under a second (Apollo Client, Relay and urql do not
// retry a 503 by themselves). What bounds the operations in execution: their count, their summed
// cost, and each client's count. Waiting for a database connection follows the same rule
// (src/db/pools.ts). Health endpoints are never shed. src/http/node-server.ts refuses with the same answer,
// at once, what clients make the process hold (memory, unread answers) and real stalls of the
// event loop.

/** The whole answer to a request refused before it is parsed. */
export const refusal = {
  body: JSON.stringify({ errors: [{ message: overloadMessage, extensions: { code: ErrorCode.OVERLOADED } }] }),
  headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': retryAfter(ErrorCode.OVERLOADED)! },
} as const;

/** Logs a refusal for lack of capacity, once per burst. */
export const reportOverload = burstLog('Overloaded: refusing requests with 503');

/**
 * How late the event loop runs: how long it was lately kept from coming back to a timer ticking
 * every `TICK_MS`, less what the embedded database's own work took meanwhile (see
 * databaseWorkMs, src/db/pglite.ts). A loop late for any other reason (answers built and serialised
 * synchronously, a stall) delays every request behind it, /live included; while it is that late,
 * admitting more GraphQL work only lengthens the queue, so the HTTP server refuses it before
 * parsing until the loop catches up. Only ticks that came count, not the time since the last one:
 * while a long poll phase is still going, that time is mostly the arrivals being handled
 * themselves, and a burst of small reads read in one phase would refuse its own tail. A stall
 * still counts as soon as it ends, at the first tick after it.
 * Hand-written rather than Fastify's under-pressure, which only runs in Fastify, and without
 * perf_hooks' monitorEventLoopDelay, whose histogram says how late the loop was over a window,
 * not at its last tick, and cannot leave the database's work out.
 */
export class EventLoopDelay {
  private static readonly TICK_MS = 20;
  private lastTick = performance.now();
  private databaseAtTick = databaseWorkMs();
  /** The last tick's delay, kept until a tick on time replaces it. */
  private lastDelay = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => {
      const now = performance.now();
      const database = databaseWorkMs() - this.databaseAtTick;
      this.lastDelay = Math.max(0, now - this.lastTick - EventLoopDelay.TICK_MS - database);
      this.lastTick = now;
      this.databaseAtTick = databaseWorkMs();
    }, EventLoopDelay.TICK_MS);
    this.timer.unref();
  }

  /** Milliseconds the event loop was behind at its last tick (the embedded database's work left out). */
  now(): number {
    return this.lastDelay;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The memory V8's heap holds: answers in execution are what grows it (an answer takes several times
 * its size while it is parsed, built and serialised), and neither the cost of an operation nor the
 * bytes in connections (MAX_BUFFERED_BYTES) sees it. Not the resident set, which V8 keeps high long
 * after collecting, nor the buffers outside the heap, which hold the embedded database's
 * WebAssembly memory (hundreds of MB for a big PGlite database).
 *
 * What counts is what survived the last full (mark-compact) collection, read from a
 * PerformanceObserver on 'gc' entries right after each: the heap in use at other times includes
 * garbage V8 has had no reason to collect yet, and a process refusing requests allocates too
 * little to get there, so a bound on it would stay shut once reached. The heap grows between
 * collections, by at most V8's growing factor (the start scripts set --heap-growing-percent=150:
 * 2.5 times what survived); past twice the bound, the heap in use counts whatever it holds.
 *
 * What survived goes stale: a collection made while clients held big answers unread saw them
 * alive, and once they are gone a process refusing big operations allocates too little for V8 to
 * collect again, so the bound would stay shut for minutes (the hostile run's non-reading clients:
 * every later costly operation refused for `memory` though nothing held it). So a figure older
 * than STALE_MS that puts the heap past the bound (either way) is read again after a full collection, at most
 * once per STALE_MS, when gc() is exposed: the start scripts give node --expose-gc on its command
 * line (setting it at run time, as a former version did, is what Node warns may crash the
 * process). Without it, the figure waits for V8's next full collection.
 */
export class MemoryInUse {
  /** Past `GROWTH` times the bound, the heap in use counts, collected or not. */
  private static readonly GROWTH = 2;
  /** How old a figure of what survived may be before a full collection reads it again. */
  private static readonly STALE_MS = 2_000;
  private sampled = getHeapStatistics().used_heap_size;
  /** Heap in use right after the last full collection; undefined until one is seen. */
  private survived: number | undefined;
  /** When `survived` was read, and when a collection was last forced (performance.now()). */
  private survivedAt = -Infinity;
  private forcedAt = -Infinity;
  private readonly timer = setInterval(() => (this.sampled = getHeapStatistics().used_heap_size), 100).unref();
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        this.survived = this.sampled = getHeapStatistics().used_heap_size;
        this.survivedAt = performance.now();
      }
    }
  });

  /** `collect`: a full collection (node --expose-gc's gc()), to read a stale figure again. */
  constructor(private readonly collect: (() => void) | undefined = exposedGc()) {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Whether the heap is past `bound`: what survived the last full collection, or the heap in use past twice it. */
  past(bound: number): boolean {
    if (this.sampled <= bound) return false;
    const past = this.sampled > MemoryInUse.GROWTH * bound || this.survived === undefined || this.survived > bound;
    if (!past) return false;
    const now = performance.now();
    if (this.collect && now - this.survivedAt > MemoryInUse.STALE_MS && now - this.forcedAt > MemoryInUse.STALE_MS) {
      this.forcedAt = now;
      this.collect();
      this.survived = this.sampled = getHeapStatistics().used_heap_size;
      this.survivedAt = performance.now();
      return this.survived > bound;
    }
    return true;
  }

  /** The heap in use, garbage included, as last sampled. */
  now(): number {
    return this.sampled;
  }

  /** What survived the last full collection, or the heap in use if none was seen yet. */
  live(): number {
    return this.survived ?? this.sampled;
  }

  stop(): void {
    clearInterval(this.timer);
    this.observer.disconnect();
  }
}

/** gc() when node runs with --expose-gc, else undefined. */
function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  return typeof gc === 'function' ? gc : undefined;
}

let sharedMemory: MemoryInUse | undefined;

/** The one observer of the heap's memory in use, started on first use. */
export function memoryInUse(): MemoryInUse {
  return (sharedMemory ??= new MemoryInUse());
}

/** Why an operation may not start: the bound it met. */
export interface Refusal {
  reason: ShedReason;
  detail: string;
}

export interface AdmissionOptions {
  /** Most operations in execution (MAX_OPERATIONS_IN_FLIGHT). */
  maxInFlight: number;
  /** Most summed cost of the operations in execution (MAX_COST_IN_FLIGHT); one alone always fits. */
  maxCost: number;
  /** Most operations in execution for one client (MAX_OPERATIONS_PER_CLIENT). */
  maxPerClient: number;
  /** Longest an operation waits to start (MAX_QUEUE_WAIT_MS); 0 refuses at once what cannot start. */
  waitMs: number;
  /**
   * Why no operation may start now whatever its cost (answers already held for clients that do
   * not read them, a full heap), or null. Checked again when a waiting operation's turn comes,
   * because it may have arrived before the reason did.
   */
  blocked?: () => Refusal | null;
  /**
   * Operations of at most this cost start even while blocked() says why not
   * (SMALL_OPERATION_COST): their answers add little to what is held, and refusing them would let
   * clients that never read deny service to every other client. 0: none.
   */
  smallCost?: number;
}

interface Waiter {
  readonly client: ClientLine;
  readonly cost: number;
  readonly arrived: number;
  timer?: NodeJS.Timeout;
  settle(refusal: Refusal | null): void;
}

/** One client's operations: how many run, and those waiting, in order of arrival. */
interface ClientLine {
  readonly key: string;
  running: number;
  readonly waiting: Waiter[];
}

/**
 * Who may run an operation now, and who waits. Operations run while they fit: fewer than
 * `maxInFlight`, their summed cost within `maxCost` (one alone always runs, so that none within
 * the limits is refused for its size), and fewer than `maxPerClient` of one client. One that does
 * not fit waits, and the waiting are served round-robin between clients (each client's in order
 * of arrival), so that one client's flood delays another client by one turn per client, not by
 * the whole flood; a client whose next operation does not fit (its own count, or its cost) is
 * passed over for one that does. A newcomer that the measured drain rate says cannot start within
 * `waitMs` is refused at once; one whose wait runs out is refused then.
 *
 * Hand-written: p-queue and p-limit bound a count of tasks in one FIFO, Bottleneck adds weights
 * and per-key limiters but no round-robin between keys over one shared budget, and none of them
 * refuses a task that would miss its deadline before it waits. This queue's bookkeeping is exact:
 * every admitted operation holds its count and cost until release(), once; a refused one holds
 * nothing.
 */
export class Admission {
  private running = 0;
  private costRunning = 0;
  private waitingCount = 0;
  private readonly clients = new Map<string, ClientLine>();
  /** Clients with operations waiting, in the order their turns come. */
  private readonly turns: ClientLine[] = [];
  private readonly drain: DrainRate;

  constructor(private readonly options: AdmissionOptions) {
    this.drain = new DrainRate(Math.max(1_000, options.waitMs));
  }

  /** Operations in execution, their summed cost, and operations waiting. */
  stats(): { running: number; cost: number; waiting: number; clients: number } {
    return { running: this.running, cost: this.costRunning, waiting: this.waitingCount, clients: this.clients.size };
  }

  /**
   * Asks to run an operation of `cost` for `client`: null when it may start now (release() it when
   * it ends), a Refusal when it may not, or a promise of either when it waits.
   */
  admit(client: string, cost: number): Refusal | null | Promise<Refusal | null> {
    // Room that came without an operation ending (clients read what was held) goes to those
    // waiting first.
    if (this.turns.length > 0) this.pump();
    const line = this.lineOf(client);
    if (line.waiting.length === 0 && this.fits(line, cost) && !this.blockedFor(cost)) {
      this.start(line, cost);
      return null;
    }
    const now = performance.now();
    const expected = this.options.waitMs === 0 ? null : this.drain.waitMs(this.ahead(line), now);
    if (this.options.waitMs === 0 || (expected !== null && expected > this.options.waitMs)) {
      const refusal = this.refusal(line, cost, expected);
      this.forgetIfIdle(line);
      return refusal;
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        client: line,
        cost,
        arrived: now,
        settle: (refusal) => {
          clearTimeout(waiter.timer);
          resolve(refusal);
        },
      };
      waiter.timer = setTimeout(() => {
        this.leave(waiter);
        waiter.settle(this.refusal(line, cost, null, performance.now() - now));
        // Room may have come without an operation ending (clients read what was held).
        this.pump();
      }, this.options.waitMs);
      line.waiting.push(waiter);
      this.waitingCount++;
      if (line.waiting.length === 1) this.turns.push(line);
    });
  }

  /**
   * Why a request of `client` arriving now would be refused, before it is parsed, or null: the
   * measured drain rate says it would not start within `waitMs` behind what `client` has waiting
   * (and its turns between other clients'). A storm of clients that come back as soon as they are
   * refused is refused here at the cost of a few lines, not after parsing. Its cost is not known
   * yet: admit() decides the rest.
   */
  refusalOnArrival(client: string): Refusal | null {
    const line = this.clients.get(client);
    if (!line || line.waiting.length === 0 || this.options.waitMs === 0) return null;
    const expected = this.drain.waitMs(this.ahead(line));
    return expected !== null && expected > this.options.waitMs ? this.refusal(line, 0, expected) : null;
  }

  /** Ends an admitted operation of `client` and `cost`: its room goes to those waiting. */
  release(client: string, cost: number): void {
    const line = this.clients.get(client);
    if (!line || line.running === 0) throw new Error(`release() without admit() for ${client}`);
    line.running--;
    this.running--;
    this.costRunning -= cost;
    this.forgetIfIdle(line);
    this.pump();
  }

  private lineOf(client: string): ClientLine {
    let line = this.clients.get(client);
    if (!line) this.clients.set(client, (line = { key: client, running: 0, waiting: [] }));
    return line;
  }

  private forgetIfIdle(line: ClientLine): void {
    if (line.running === 0 && line.waiting.length === 0) this.clients.delete(line.key);
  }

  private fitsGlobally(cost: number): boolean {
    return (
      this.running < this.options.maxInFlight && (this.running === 0 || this.costRunning + cost <= this.options.maxCost)
    );
  }

  private fits(line: ClientLine, cost: number): boolean {
    return line.running < this.options.maxPerClient && this.fitsGlobally(cost);
  }

  private start(line: ClientLine, cost: number): void {
    line.running++;
    this.running++;
    this.costRunning += cost;
  }

  /**
   * How many operations will start before a newcomer of `line`: its own waiting ones, and of each
   * other client waiting as many as get a turn before its own (round-robin).
   */
  private ahead(line: ClientLine): number {
    const own = line.waiting.length;
    let ahead = own;
    for (const other of this.turns) if (other !== line) ahead += Math.min(other.waiting.length, own + 1);
    return ahead;
  }

  /** Why an operation of `cost` may not start now whatever room there is, or null. */
  private blockedFor(cost: number): Refusal | null {
    if (cost <= (this.options.smallCost ?? 0)) return null;
    return this.options.blocked?.() ?? null;
  }

  /** Starts what fits, client by client in turn, until nothing more does. */
  private pump(): void {
    if (this.turns.length === 0) return;
    // Asked once: while the process holds too much, only small operations start.
    const held = this.options.blocked?.() != null;
    const small = this.options.smallCost ?? 0;
    let started = true;
    while (started && this.turns.length > 0 && this.running < this.options.maxInFlight) {
      started = false;
      for (let i = 0; i < this.turns.length && this.running < this.options.maxInFlight;) {
        const line = this.turns[i]!;
        const head = line.waiting[0]!;
        if (!this.fits(line, head.cost) || (held && head.cost > small)) {
          i++;
          continue;
        }
        line.waiting.shift();
        this.waitingCount--;
        this.turns.splice(i, 1);
        // Its next operation waits for the other clients' turns.
        if (line.waiting.length > 0) this.turns.push(line);
        this.start(line, head.cost);
        this.drain.departed(this.waitingCount);
        started = true;
        head.settle(null);
      }
    }
  }

  /** Takes a waiter out of its line (its wait ran out). */
  private leave(waiter: Waiter): void {
    const line = waiter.client;
    const at = line.waiting.indexOf(waiter);
    if (at === -1) return;
    line.waiting.splice(at, 1);
    this.waitingCount--;
    if (line.waiting.length === 0) this.turns.splice(this.turns.indexOf(line), 1);
    this.forgetIfIdle(line);
  }

  /** Why an operation of `line` and `cost` cannot start (now, or within its wait). */
  private refusal(line: ClientLine, cost: number, expectedMs: number | null, waitedMs?: number): Refusal {
    const blocked = this.blockedFor(cost);
    const waited =
      expectedMs !== null
        ? `; about ${Math.round(expectedMs)} ms of wait expected, MAX_QUEUE_WAIT_MS=${this.options.waitMs}`
        : waitedMs !== undefined
          ? `; waited ${Math.round(waitedMs)} ms, MAX_QUEUE_WAIT_MS=${this.options.waitMs}`
          : '';
    if (blocked) return { reason: blocked.reason, detail: blocked.detail + waited };
    if (line.running >= this.options.maxPerClient) {
      return {
        reason: 'operations_per_client',
        detail: `${line.running} operations of one client in execution, MAX_OPERATIONS_PER_CLIENT=${this.options.maxPerClient}${waited}`,
      };
    }
    if (this.running >= this.options.maxInFlight) {
      return {
        reason: 'operations_in_flight',
        detail: `${this.running} operations in execution and ${this.waitingCount} waiting, MAX_OPERATIONS_IN_FLIGHT=${this.options.maxInFlight}${waited}`,
      };
    }
    if (!this.fitsGlobally(cost)) {
      return {
        reason: 'cost_in_flight',
        detail: `operations of cost ${this.costRunning} in execution, MAX_COST_IN_FLIGHT=${this.options.maxCost}${waited}`,
      };
    }
    // It would fit now, but others wait ahead of it.
    return {
      reason: 'operations_in_flight',
      detail: `${this.waitingCount} operations waiting ahead${waited}`,
    };
  }
}

/**
 * Who a request comes from, for the fair share: the subject of its valid token, else its remote
 * address, behind `trustProxy` proxies the address X-Forwarded-For gives at that many hops (as
 * Express's `trust proxy` with a number does, through the same proxy-addr). Without a socket
 * (Yoga's fetch in process), one local client.
 */
export function clientKey(
  caller: { authenticated?: boolean; subject?: string } | undefined,
  request: IncomingMessage | undefined,
  trustProxy: number,
): string {
  if (caller?.authenticated && caller.subject !== undefined) return `subject:${caller.subject}`;
  if (!request?.socket) return 'local';
  if (trustProxy === 0) return `address:${request.socket.remoteAddress ?? 'unknown'}`;
  return `address:${proxyAddr(request, (_address, hop) => hop < trustProxy)}`;
}

/**
 * Admits the operations of GraphQL requests (queries and mutations; subscriptions hold no room)
 * through an Admission, once they are parsed, validated and within the limits (what is refused
 * there holds nothing), and authenticated (the client is known). The cost is the complexity the
 * limits compute.
 */
export function useAdmission(
  options: AdmissionOptions & { schema?: GraphQLSchema; trustProxy?: number; admission?: Admission },
): Plugin {
  const admission = options.admission ?? new Admission(options);
  // Without variables a document's cost never changes: Yoga hands the same parsed document for
  // the same text, so it is computed once.
  const fixedCosts = new WeakMap<DocumentNode, number>();
  const costOf = (document: DocumentNode, variables: Record<string, unknown> | undefined) => {
    if (!options.schema) return 0;
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
  const running = (client: string, cost: number) => {
    let released = false;
    return {
      onExecuteDone() {
        if (released) return;
        released = true;
        admission.release(client, cost);
      },
    };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as {
        caller?: { authenticated?: boolean; subject?: string };
        req?: IncomingMessage;
      };
      const client = clientKey(context.caller, context.req, options.trustProxy ?? 0);
      const cost = costOf(args.document, args.variableValues ?? undefined);
      const refuse = (refusal: Refusal) => {
        countShed(refusal.reason);
        reportOverload(refusal.detail);
        setResultAndStopExecution({ errors: [overloadedError()] });
      };
      const outcome = admission.admit(client, cost);
      if (outcome === null) return running(client, cost);
      if (!(outcome instanceof Promise)) return refuse(outcome);
      return outcome.then((refusal) => (refusal === null ? running(client, cost) : refuse(refusal)));
    },
  };
}
