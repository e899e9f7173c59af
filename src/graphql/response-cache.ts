import {
  defaultFieldResolver,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  getOperationAST,
  isObjectType,
  print,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { LogEntry } from '../db';
import {
  countResponseCacheDrops,
  countResponseCacheLookup,
  countResponseCacheStore,
  watchResponseCache,
} from '../ops/metrics';
import { logger } from '../ops/logger';
import { forEachEvent } from '../realtime/events';
import {
  EVERYTHING,
  membershipKeys,
  nodeKeys,
  type ReadRule,
  readRules,
  readWithParent,
  typesWithRows,
} from '../schema/read-dependencies';
import type { Context } from './context';
import { explainHeader } from './explain';
import { ResponseCacheStore } from './response-cache-store';

// The response cache (RESPONSE_CACHE): the answers of queries, by document, variables, operation
// name and the caller's role, kept until the change log announces a change to something they read.
// What an answer read is collected while it executes: the fields that bring rows into it declare
// it (src/schema/read-dependencies.ts), by hero, team and membership ids. The events come from
// the process's one reader of the change log (src/realtime), which hears every writer: this
// server's mutations, other servers, plain SQL, cascades. So an entry outlives no change, however
// long it is kept; time plays no part.
//
// - Read-your-writes: a mutation's answer goes out once the log has been read past its commit, so
//   the entries it made stale are gone before its client can ask again.
// - An answer whose execution overlapped an event naming what it read is not kept: it may have been
//   read before the change (src/graphql/response-cache-store.ts). With read replicas, an event up
//   to MAX_REPLICA_LAG_MS before the execution counts too: a replica may be that far behind.
// - While the events may be missed (the LISTEN connection lost, the log unreadable), nothing is
//   served nor kept, and everything kept is dropped; serving resumes once a read of the log after
//   listening again has handed on everything committed meanwhile.
// Written here, not taken from @envelop/response-cache: that plugin finds what an answer depends
// on in the answer itself (objects with a typename and an id) and drops entries on the mutations
// of its own process or on a time to live; a page that an event would change by a row not in it
// (a hero renamed into a page ordered by name), or a change made by another writer, would stay.

/** Where the change events come from, and how to wait until the log is read up to now. */
export interface ChangeEvents {
  follow(follower: {
    changes(entries: readonly LogEntry[]): void;
    interrupted(): void;
    resumed(): void;
  }): Promise<void>;
  caughtUp(): Promise<void>;
}

export interface ResponseCacheOptions {
  maxBytes: number;
  /** How far behind the primary a read may be (MAX_REPLICA_LAG_MS with read replicas; else 0). */
  settleMs: number;
  events: ChangeEvents;
}

/** The keys of what an execution read so far, on its context while the cache may keep its answer. */
export interface ReadKeys {
  readKeys?: Set<string>;
}

export class ResponseCache {
  readonly store: ResponseCacheStore;
  /** Whether the change events are followed whole now: only then is anything served or kept. */
  serving = false;
  private following: Promise<void> | undefined;
  private readonly documents = new WeakMap<DocumentNode, string>();

  constructor(private readonly options: ResponseCacheOptions) {
    this.store = new ResponseCacheStore(options.maxBytes);
  }

  /**
   * Starts following the change log, once (again after a start that failed): resolves once it
   * follows (serving), or once it failed to (not serving; the next query tries again).
   */
  start(): Promise<void> {
    this.following ??= this.options.events
      .follow({
        changes: (entries) => this.changes(entries),
        interrupted: () => this.interrupted(),
        resumed: () => {
          if (!this.serving) logger.info('Response cache: following the change log; serving from the cache');
          this.serving = true;
        },
      })
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'Response cache: cannot follow the change log yet; not serving from the cache');
        this.following = undefined;
      });
    return this.following ?? Promise.resolve();
  }

  /** Drops the entries the events of `entries` touch. */
  changes(entries: readonly LogEntry[]): void {
    const keys = new Set<string>();
    forEachEvent(
      entries,
      () => true,
      (event) => {
        for (const key of event.of === 'membership'
          ? membershipKeys(event.heroId, event.teamId)
          : nodeKeys(event.type, event.id))
          keys.add(key);
      },
    );
    if (keys.size > 0) countResponseCacheDrops(this.store.drop([...keys], performance.now()));
  }

  interrupted(): void {
    if (this.serving)
      logger.warn('Response cache: change events may be missed; not serving from the cache until they are whole');
    this.serving = false;
    countResponseCacheDrops(this.store.clear(performance.now()));
  }

  /** The key of an operation's answer: its document, operation, variables and who asks. */
  keyOf(
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: unknown,
    context: Context,
  ): string {
    let text = this.documents.get(document);
    if (text === undefined) {
      text = document.loc?.source.body ?? print(document);
      this.documents.set(document, text);
    }
    const { caller } = context;
    return `${caller.role ?? ''}|${caller.authenticated ? 1 : 0}|${operationName ?? ''}|${JSON.stringify(variables ?? {})}|${text}`;
  }

  keep(key: string, json: string, reads: ReadonlySet<string>, startedAt: number): void {
    if (!this.serving) return;
    countResponseCacheStore(this.store.store(key, json, reads, startedAt, this.options.settleMs));
  }

  /** After a mutation: resolves once every event committed before now is handed on (read-your-writes). */
  async afterWrite(): Promise<void> {
    if (!this.serving) return;
    try {
      await this.options.events.caughtUp();
    } catch {
      // The log could not be read: the follower was told (interrupted), and the cache is empty.
    }
  }
}

/**
 * Wraps the resolvers of the fields that bring rows into an answer, so that an execution the cache
 * may keep collects what it read (readRules); a field of a type with rows that is in neither list
 * is taken to read everything. Returns the fields that fell to that (none, test/response-cache.test.ts).
 */
export function trackReads(schema: GraphQLSchema): string[] {
  const unlisted: string[] = [];
  for (const typeName of typesWithRows) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${typeName}.${field.name}`;
      if (readWithParent.has(coordinate)) continue;
      let rule: ReadRule | undefined = readRules[coordinate];
      if (!rule) {
        unlisted.push(coordinate);
        rule = () => [EVERYTHING];
      }
      const resolve: GraphQLFieldResolver<unknown, Context & ReadKeys> = field.resolve ?? defaultFieldResolver;
      const reads = rule;
      field.resolve = (parent, args, context, info) => {
        const keys = context.readKeys;
        if (keys) for (const key of reads(parent as { id?: unknown }, args)) keys.add(key);
        return resolve(parent, args, context, info);
      };
    }
  }
  return unlisted;
}

/**
 * A kept answer as Yoga sends it: its JSON as it was kept (Yoga serialises a result with its own
 * `stringify` when it has one), its data parsed only if a plugin looks at it.
 */
function cachedAnswer(json: string): ExecutionResult {
  let parsed: ExecutionResult | undefined;
  return {
    get data() {
      return (parsed ??= JSON.parse(json) as ExecutionResult).data;
    },
    stringify: () => json,
  } as ExecutionResult;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Serves queries from `cache`, keeps their answers, and holds a mutation's answer until the log is
 * read past its commit. Queries asking for x-explain are neither served nor kept: their answer is
 * the statements they send.
 */
export function useResponseCache(cache: ResponseCache): Plugin {
  watchResponseCache(() => ({ entries: cache.store.size, bytes: cache.store.bytes }));
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      if (operation.operation === 'mutation') return { onExecuteDone: () => cache.afterWrite() };
      if (operation.operation !== 'query') return;
      void cache.start();
      const context = args.contextValue as unknown as Context & ReadKeys & { request?: Request };
      if (!cache.serving || context.request?.headers.get(explainHeader)) {
        countResponseCacheLookup('bypass');
        return;
      }
      const key = cache.keyOf(args.document, args.operationName, args.variableValues, context);
      const json = cache.store.get(key);
      if (json !== undefined) {
        countResponseCacheLookup('hit');
        setResultAndStopExecution(cachedAnswer(json));
        return;
      }
      countResponseCacheLookup('miss');
      const reads = new Set<string>();
      context.readKeys = reads;
      const startedAt = performance.now();
      return {
        onExecuteDone({ result, setResult }) {
          context.readKeys = undefined;
          if (isAsyncIterable(result) || result.errors?.length || result.extensions) return;
          // Kept as Yoga serialises it for the answer (with graphql-jit's stringify when it gave
          // one): one serialisation for both.
          const own = (result as { stringify?: (value: unknown) => string }).stringify;
          setResult(
            Object.assign({}, result, {
              stringify: () => {
                const text = own ? own(result) : JSON.stringify(result);
                cache.keep(key, text, reads, startedAt);
                return text;
              },
            }),
          );
        },
      };
    },
  };
}
