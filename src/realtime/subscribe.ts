import {
  createSourceEventStream,
  type DocumentNode,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  print,
} from 'graphql';
import { complexityFromQuery } from '@pothos/plugin-complexity';
import type { Plugin } from 'graphql-yoga';
import { limits } from '../config';
import { databaseFailure, failureDetail } from '../db/failures';
import { type Context, eventContext } from '../graphql/context';
import { ErrorCode, httpOf, isOverload, LimitCode } from '../errors';
import { answerTooLarge } from '../graphql/limits';
import { burstLog } from '../ops/logger';
import { countSubscriptionExecution, countSubscriptionExecutionRetry } from '../ops/metrics';
import { outsideRequest } from '../ops/request-tracking';
import { deliverySlices } from './delivery-slices';
import { atTokenExpiry } from './token-expiry';
import { EventLoaders } from './hub';

// How a subscription runs: graphql-js' subscribe (graphql-jit, which executes queries and mutations,
// does not serve subscriptions here: src/graphql/jit.ts), except that each event is executed with a context
// whose loaders (`nodes`, `loaders`) are the event's notification's, shared by all its subscribers:
// a hundred subscribers asking for an event's hero read it in one statement, as one does.
//
// Subscribers of one event that sent the same operation (document, operation name, variables) with
// the same role get the same answer: it is executed once per event and handed to each of them (a
// roster screen open in a thousand browsers costs one execution per change, not a thousand). What
// else an answer could depend on is not there: the caller's role is the only part of the context a
// subscription's fields read (the scope of the Subscription type). Each subscriber gets its own
// shallow copy, so that what a transport adds to its answer (extensions) stays its own.
//
// An event is delivered whole or not yet: an execution whose reads met the database's absence (its
// connection lost, no connection to be had: a failover, a restart) is run again, after a pause
// that grows to a second, until its reads succeed, and only then delivered. The event itself is
// safe in the change log, and the feed (src/realtime/change-feed.ts) cannot read past it while
// the database is away, so holding it back loses nothing and reorders nothing; delivering it
// with `hero: null` and a DATABASE_UNAVAILABLE error would hand the client an event it can
// neither use nor ask for again (its cursor is past it).
//
// An event's execution is not counted against the request that opened the stream (it is shared
// work: the request's line and metrics say what its setup cost; db_statements_total counts its
// statements as subscription_event), and holds no share of MAX_COST_IN_FLIGHT: its cost is bounded
// by MAX_COMPLEXITY, checked when the subscription starts.

type EventStreamResult = AsyncIterableIterator<ExecutionResult>;
type Execution = ExecutionResult | Promise<ExecutionResult>;

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** A document's text, printed once per parsed document (Yoga's parser cache shares them). */
const documentTexts = new WeakMap<DocumentNode, string>();

function documentText(document: DocumentNode): string {
  let text = documentTexts.get(document);
  if (text === undefined) documentTexts.set(document, (text = print(document)));
  return text;
}

/** What decides a subscription's answer to an event, besides the event: equal keys, equal answers. */
function executionKey(args: ExecutionArgs, context: Context): string {
  return JSON.stringify([
    documentText(args.document),
    args.operationName ?? null,
    args.variableValues ?? null,
    context.caller.role,
  ]);
}

/** The executions of each event, by execution key: made by its first subscriber, read by the others. */
const executionsOfEvent = new WeakMap<object, Map<string, Execution>>();

/**
 * An event's answer, or MAX_RESPONSE_BYTES_EXCEEDED in its place when it is larger than that: an
 * event's answer goes out as a message of a stream, which the HTTP answer's bound does not see.
 * Measured once per execution, not per subscriber.
 */
function withinSize(result: ExecutionResult): ExecutionResult {
  const length = Buffer.byteLength(JSON.stringify(result));
  if (length <= limits.responseBytes) return result;
  const [error] = answerTooLarge(length, limits.responseBytes).errors;
  return { data: null, errors: [new GraphQLError(error!.message, { extensions: error!.extensions })] };
}

function copyOf(result: ExecutionResult): ExecutionResult {
  return { ...result };
}

const EXPIRED = Symbol('expired');

function expiredError(): GraphQLError {
  return new GraphQLError('The token has expired: subscribe again with a new one', {
    extensions: { code: ErrorCode.UNAUTHENTICATED },
  });
}

/**
 * When a stream over HTTP (Server-Sent Events) must end: at its token's expiry, with an
 * UNAUTHENTICATED error as its last event. Over WebSocket the connection itself is closed then
 * (src/realtime/websocket.ts), so that graphql-ws clients reconnect with a fresh token; its
 * context has no `request`.
 */
function tokenExpiry(context: Context): { reached: Promise<typeof EXPIRED>; cancel(): void } | undefined {
  if (!(context as { request?: Request }).request) return undefined;
  let cancel: (() => void) | undefined;
  const reached = new Promise<typeof EXPIRED>((resolve) => {
    cancel = atTokenExpiry(context.caller, () => resolve(EXPIRED));
  });
  return cancel && { reached, cancel };
}

/** The pause before running an event's execution again after it met the database's absence, growing to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1_000;

const reportRetry = burstLog(
  "Realtime: an event's reads met the database's absence; it is delivered once they succeed",
);

/** The database's absence or no connection to be had, which a later try can get past, unlike an error of the operation's own. */
function metAbsence(result: ExecutionResult): unknown {
  for (const error of result.errors ?? []) {
    const original = error.originalError ?? error;
    if (databaseFailure(original) || isOverload(original)) return original;
  }
  return undefined;
}

/**
 * `first`, or if it met the database's absence, the answer of `again` once one does not: each try
 * after a pause (see the top of the file), each counted.
 */
async function executeWhole(first: ExecutionResult, again: () => Execution): Promise<ExecutionResult> {
  let result = first;
  for (let pause = RETRY_FIRST_MS; ; pause = Math.min(pause * 2, RETRY_MAX_MS)) {
    const absence = metAbsence(result);
    if (absence === undefined) return result;
    countSubscriptionExecutionRetry();
    reportRetry(failureDetail(absence));
    await new Promise((resolve) => setTimeout(resolve, pause).unref());
    result = await again();
  }
}

/** graphql-js' subscribe, with each event executed once per operation in a context holding its shared loaders. */
export async function subscribeWithSharedLoaders(args: ExecutionArgs): Promise<EventStreamResult | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source as ExecutionResult;
  const events = source[Symbol.asyncIterator]();
  const context = args.contextValue as Context;
  const key = executionKey(args, context);
  const run = (payload: unknown): Execution => {
    const shared = (payload as { shared?: unknown } | null)?.shared;
    // An error that ends the stream (EVENT_QUEUE_FULL) is this subscriber's own.
    if (!(shared instanceof EventLoaders)) return outsideRequest(() => execute({ ...args, rootValue: payload }));
    let executions = executionsOfEvent.get(payload as object);
    if (!executions) executionsOfEvent.set(payload as object, (executions = new Map()));
    let execution = executions.get(key);
    if (!execution) {
      countSubscriptionExecution();
      // The loaders forget what failed (DataLoader clears a failed batch's keys): a second run reads again.
      const contextValue = eventContext(context, shared);
      const once = (): Execution =>
        outsideRequest(() => execute({ ...args, rootValue: payload, contextValue }), 'subscription_event');
      const whole = (result: ExecutionResult): Execution =>
        metAbsence(result) === undefined ? withinSize(result) : executeWhole(result, once).then(withinSize);
      const executed = once();
      execution = executed instanceof Promise ? executed.then(whole) : whole(executed);
      executions.set(key, execution);
    }
    return execution instanceof Promise ? execution.then(copyOf) : copyOf(execution);
  };
  const expiry = tokenExpiry(context);
  let expired = false;
  const stream: EventStreamResult = {
    async next() {
      if (expired) return { value: undefined, done: true };
      const result = expiry ? await Promise.race([events.next(), expiry.reached]) : await events.next();
      if (result === EXPIRED) {
        expired = true;
        await events.return?.();
        return { value: { errors: [expiredError()] }, done: false };
      }
      if (result.done) {
        expiry?.cancel();
        return { value: undefined, done: true };
      }
      const value = await run(result.value);
      await deliverySlices.turn();
      return { value, done: false };
    },
    async return() {
      expiry?.cancel();
      await events.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      expiry?.cancel();
      await events.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}

/** Whether an HTTP request takes Server-Sent Events (a subscription's only HTTP transport here). */
function acceptsEventStream(request: Request): boolean {
  return (request.headers.get('accept') ?? '').includes('text/event-stream');
}

/**
 * Runs subscriptions with subscribeWithSharedLoaders. An HTTP request for a subscription that does
 * not accept `text/event-stream` is refused before anything subscribes (Yoga would subscribe, then
 * answer 406 with no body and never end the subscription): 406 NOT_ACCEPTABLE saying how to ask.
 */
export function useSharedEventLoaders(schema: GraphQLSchema): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn, setResultAndStopExecution }) {
      // The cost limit, before anything subscribes: Pothos checks it when a root field resolves,
      // which for a subscription is at every event, after the stream was answered.
      try {
        const { complexity } = complexityFromQuery(args.document, {
          schema,
          variables: (args.variableValues as Record<string, unknown> | undefined) ?? {},
        });
        if (complexity > limits.complexity) {
          setResultAndStopExecution({
            errors: [
              new GraphQLError(
                `Query complexity ${complexity} exceeds the limit of ${limits.complexity} (MAX_COMPLEXITY); ask for smaller pages or fewer levels`,
                { extensions: { code: LimitCode.MAX_COMPLEXITY } },
              ),
            ],
          });
          return;
        }
      } catch (error) {
        // A limit the calculation itself enforces (MAX_IDS_EXCEEDED); anything else is left to execution.
        if (error instanceof GraphQLError && error.extensions?.code) {
          setResultAndStopExecution({ errors: [error] });
          return;
        }
      }
      const request = (args.contextValue as { request?: Request }).request;
      if (request && !acceptsEventStream(request)) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(
              'Subscriptions are served as Server-Sent Events (send Accept: text/event-stream) or over WebSocket (graphql-transport-ws)',
              { extensions: { code: ErrorCode.NOT_ACCEPTABLE, http: httpOf(ErrorCode.NOT_ACCEPTABLE) } },
            ),
          ],
        });
        return;
      }
      setSubscribeFn(subscribeWithSharedLoaders as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}
