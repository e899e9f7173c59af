import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { type DocumentNode, type GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors/codes';

// What is known of each GraphQL request, gathered once for its log line (src/ops/request-log.ts) and
// the metrics (src/ops/metrics.ts): its id, the operation, the SQL statements it sent, its errors'
// codes and its answer's status. The record is the request's AsyncLocalStorage store, so that
// code far from the request (src/db/ counting statements, Yoga's log of an unexpected error)
// finds it without it being passed along. Keeping a store costs every promise of the process a
// little, a small part of a request's CPU.

export type Outcome = 'success' | 'error' | 'shed' | 'unavailable' | 'unexpected';

/** A SQL statement as it was sent, kept for a request that asks to see its SQL (src/graphql/explain.ts). */
export interface SentStatement {
  readonly text: string;
  /** Its parameters: the values as sent (the read paths), or Prisma's JSON text of them. */
  readonly params: readonly unknown[] | string;
  /** From sending it to its last row, a wait for a pooled connection included. */
  readonly durationMs: number;
}

export interface RequestRecord {
  /** The client's `x-request-id` when it is a sane value, else a new UUID; echoed in the answer. */
  readonly id: string;
  /** The W3C `traceparent` header, when well-formed. */
  readonly traceparent: string | null;
  /** performance.now() when the request came in. */
  readonly started: number;
  /** SQL statements the request sent, reads and writes. */
  statements: number;
  /**
   * The statements themselves, kept only while a request that asked for them (x-explain) executes;
   * else null, so that no other request holds its SQL text and parameters.
   */
  sent: SentStatement[] | null;
  /** The operation the document and `operationName` select, once parsed. */
  operationName: string | null;
  operationType: 'query' | 'mutation' | 'subscription' | null;
  /** The caller's role, once access control puts a caller in the context; else null. */
  role: string | null;
  /** `extensions.code` of every error of the answer, in order. */
  errorCodes: string[];
  /** Why the request was refused for lack of capacity, once it was counted (metrics.ts). */
  shed: string | null;
  /**
   * A subscription's stream: 'open' from its start, 'answered' once its response has begun,
   * 'ended' once its last event went out. Its line and metrics come when it ends.
   */
  stream: 'open' | 'answered' | 'ended' | null;
  /** Filled in when the answer is ready (a subscription's stream: when it ends). */
  status: number;
  durationMs: number;
  outcome: Outcome;
}

const scope = new AsyncLocalStorage<RequestRecord>();

/** The GraphQL request being handled, if any. */
export function currentRequest(): RequestRecord | undefined {
  return scope.getStore();
}

/** What a statement was sent for: a request, a subscription's event (shared work), or other work. */
export type StatementPurpose = 'request' | 'subscription_event' | 'other';

const background = new AsyncLocalStorage<Exclude<StatementPurpose, 'request'>>();

/** Runs `work` as part of the request of `record`, as the request tracking does (for tests). */
export function insideRequest<T>(record: RequestRecord, work: () => T): T {
  return scope.run(record, work);
}

/** SQL statements the process sent since it started, by purpose (db_statements_total). */
export const statementsSent: Record<StatementPurpose, number> = { request: 0, subscription_event: 0, other: 0 };

/**
 * Runs `work` outside any request: what it does (its statements) counts against none, but as
 * `purpose` in the process's totals.
 */
export function outsideRequest<T>(work: () => T, purpose: Exclude<StatementPurpose, 'request'> = 'other'): T {
  return scope.exit(() => background.run(purpose, work));
}

/**
 * Counts a SQL statement against the request that sent it (and keeps it when the request asked
 * to: x-explain), and in the process's totals.
 */
export function countStatement(text: string, params: readonly unknown[] | string, durationMs: number): void {
  const record = scope.getStore();
  if (!record) {
    statementsSent[background.getStore() ?? 'other']++;
    return;
  }
  statementsSent.request++;
  record.statements++;
  record.sent?.push({ text, params, durationMs });
}

/** The record of a request arriving now, with the client's `x-request-id` and `traceparent` headers. */
export function newRecord(requestId: string | null, traceparent: string | null): RequestRecord {
  return {
    id: requestIdFrom(requestId),
    traceparent: traceparentFrom(traceparent),
    started: performance.now(),
    statements: 0,
    sent: null,
    operationName: null,
    operationType: null,
    role: null,
    errorCodes: [],
    shed: null,
    stream: null,
    status: 0,
    durationMs: 0,
    outcome: 'success',
  };
}

/** A request id a client may choose: bounded, and of characters safe in any log or header. */
const saneId = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function requestIdFrom(header: string | null): string {
  return header !== null && saneId.test(header) ? header : randomUUID();
}

// version-traceid-parentid-flags, lowercase hex; version ff and all-zero ids are invalid.
const traceparentFormat = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function traceparentFrom(header: string | null): string | null {
  return header !== null && traceparentFormat.test(header) ? header : null;
}

/** The path of a request's URL, without parsing it whole. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  return url.slice(start, end);
}

/** Who called, when the access-control work has put a caller in the context; else null. */
function roleOf(context: unknown): string | null {
  return (context as { caller?: { role?: string | null } } | undefined)?.caller?.role ?? null;
}

export function outcomeOf(codes: readonly string[], status: number): Outcome {
  if (codes.includes(ErrorCode.INTERNAL_SERVER_ERROR)) return 'unexpected';
  if (codes.includes(ErrorCode.OVERLOADED) || codes.includes(ErrorCode.MAX_SUBSCRIPTIONS_EXCEEDED)) return 'shed';
  if (codes.includes(ErrorCode.DATABASE_UNAVAILABLE) || codes.includes(ErrorCode.MUTATION_OUTCOME_UNKNOWN))
    return 'unavailable';
  if (status >= 500) return 'unexpected';
  return codes.length > 0 || status >= 400 ? 'error' : 'success';
}

/**
 * Tracks every request to `endpoint` and hands its record, complete, to each of `onDone` when its
 * answer is ready. Other paths (health, metrics) are not tracked. Everything is read from what
 * Yoga has anyway; nothing is done per field.
 */
export function useRequestTracking(options: {
  endpoint: string;
  onDone: readonly ((record: RequestRecord) => void)[];
  /** Requests neither logged nor counted (the server's own warm-up). */
  untracked?: (request: Request) => boolean;
}): Plugin {
  const records = new WeakMap<Request, RequestRecord>();
  return {
    instrumentation: {
      request({ request }, wrapped) {
        if (pathOf(request.url) !== options.endpoint || options.untracked?.(request)) return wrapped();
        const record = newRecord(request.headers.get('x-request-id'), request.headers.get('traceparent'));
        records.set(request, record);
        return scope.run(record, wrapped);
      },
    },
    onParse() {
      return ({ result, context }) => {
        const record = scope.getStore();
        if (!record || result instanceof Error || !result) return;
        const { operationName } = (context as { params?: { operationName?: string | null } }).params ?? {};
        const operation = getOperationAST(result as DocumentNode, operationName);
        if (!operation) return;
        record.operationName = operation.name?.value ?? null;
        record.operationType = operation.operation;
      };
    },
    onExecute({ args }) {
      // The role only, never the context: a record outlives its request in whatever async resource
      // was made during it (a pool connection opened then keeps its store), and a context holds
      // every row its loaders read (the peak memory of big pages grew when the record held it).
      const record = scope.getStore();
      if (record) record.role = roleOf(args.contextValue);
    },
    onSubscribe({ args }) {
      const record = scope.getStore();
      if (!record) return;
      record.role = roleOf(args.contextValue);
      return {
        onSubscribeResult({ result }) {
          if (!result || typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') return;
          record.stream = 'open';
          return {
            // The codes of the events' errors (EVENT_QUEUE_FULL), for the line at the end.
            onNext({ result: event }) {
              for (const error of (event.errors as readonly GraphQLError[] | undefined) ?? []) {
                const code = error.extensions?.code;
                record.errorCodes.push(typeof code === 'string' ? code : 'UNKNOWN');
              }
            },
            onEnd() {
              const answered = record.stream === 'answered';
              record.stream = 'ended';
              if (answered) finish(record);
            },
          };
        },
      };
    },
    onResultProcess({ request, result }) {
      const record = records.get(request);
      if (!record || Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result)) return;
      for (const error of (result.errors as readonly GraphQLError[] | undefined) ?? []) {
        const code = error.extensions?.code;
        record.errorCodes.push(typeof code === 'string' ? code : 'UNKNOWN');
      }
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (!record) return;
      records.delete(request);
      record.status = response.status;
      response.headers.set('x-request-id', record.id);
      // A subscription's stream is answered now, and reported when it ends.
      if (record.stream === 'open' && response.status === 200) {
        record.stream = 'answered';
        return;
      }
      finish(record);
    },
  };

  function finish(record: RequestRecord): void {
    record.durationMs = performance.now() - record.started;
    // Refused before it was parsed (src/http/admission.ts): the answer's code, not seen as a result.
    if (record.status === 503 && record.errorCodes.length === 0) record.errorCodes.push(ErrorCode.OVERLOADED);
    record.outcome = outcomeOf(record.errorCodes, record.status);
    for (const done of options.onDone) done(record);
  }
}
