import type { IncomingMessage, Server } from 'node:http';
import { type ExecutionArgs, getOperationAST, GraphQLError } from 'graphql';
import { type WebSocket, WebSocketServer } from 'ws';
import { createAuthenticator } from '../access/authentication';
import { hasRole, type Caller } from '../access/roles';
import { trustedDocuments } from '../access/trusted-documents';
import { config, limits } from '../config';
import { ErrorCode, retryAfter } from '../errors';
import { refusalOfArrival } from '../http/node-server';
import { logger } from '../ops/logger';
import { observeRequest } from '../ops/metrics';
import { logRequest } from '../ops/request-log';
import { newRecord, outcomeOf, type RequestRecord } from '../ops/request-tracking';
import { atTokenExpiry } from './token-expiry';

// Subscriptions over WebSocket: the graphql-ws library (protocol `graphql-transport-ws`) on the
// HTTP server's /graphql, running each operation through Yoga's envelop (getEnveloped), so that
// the limits, masking, cost checks and subscription plugins of src/graphql/yoga.ts apply as over HTTP.
// What Yoga does per HTTP request is done here per connection or per operation instead:
// - who calls: the token of connection_init's payload ({"Authorization": "Bearer …"}, or
//   `authorization`), else the upgrade request's Authorization header, checked as a request's
//   header is (src/access/authentication.ts); a refused one closes the connection with 4403;
// - trusted documents (TRUSTED_DOCUMENTS): only the manifest's, by hash, unless the caller is admin;
// - only subscriptions: queries and mutations go over HTTP, where its bounds apply (load
//   shedding, body size, CSRF); one sent here gets an error;
// - at most MAX_SUBSCRIPTIONS_PER_CONNECTION at once on a connection;
// - a ping every WS_KEEP_ALIVE_MS: a connection that has not answered by the next one is closed;
// - each subscription gets a log line and metrics when it ends, like a request (status 101).

// A subpath export, which TypeScript's "node" module resolution cannot see: typed from its file.
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');

/** What graphql-ws keeps per connection besides its own: the caller and each subscription's record. */
interface ConnectionState {
  caller?: Caller;
  records: Map<string, RequestRecord>;
}

const states = new WeakMap<object, ConnectionState>();

type OperationResult = ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>;
interface Enveloped {
  execute(args: ExecutionArgs): OperationResult;
  subscribe(args: ExecutionArgs): OperationResult;
}

function stateOf(socket: object): ConnectionState {
  let state = states.get(socket);
  if (!state) states.set(socket, (state = { records: new Map() }));
  return state;
}

function coded(message: string, code: ErrorCode): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** The Authorization value a connection_init payload carries, else the upgrade request's header. */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined, request: IncomingMessage) {
  for (const key of ['Authorization', 'authorization']) {
    const value = params?.[key];
    if (typeof value === 'string') return value;
  }
  return request.headers.authorization ?? null;
}

/**
 * Closes a connection when the token it was opened with expires: with 4403, which graphql-ws
 * clients answer by connecting again, asking their connectionParams for a fresh token, and
 * subscribing again (a subscription's own error would end it for good on the client).
 */
function closeAtExpiry(socket: WebSocket, caller: Caller): void {
  const cancel = atTokenExpiry(caller, () => socket.close(4403, 'Forbidden: the token has expired'));
  if (cancel) socket.once('close', cancel);
}

/** Codes for the errors graphql-ws answers without one (parse and validation errors of Yoga's envelop). */
function withCodes(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.map((error) =>
    error.extensions?.code
      ? error
      : new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          extensions: {
            ...error.extensions,
            code: error.message.startsWith('Syntax Error')
              ? ErrorCode.GRAPHQL_PARSE_FAILED
              : ErrorCode.GRAPHQL_VALIDATION_FAILED,
          },
        }),
  );
}

export interface WebSocketEndpoint {
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Subscriptions running on them. */
  readonly subscriptions: number;
  /**
   * Stops accepting connections, waits up to `graceMs` for the subscriptions running to end (the
   * hub completes them: their last events and `complete` go out), then closes every connection
   * with 1001 (going away).
   */
  close(graceMs: number): Promise<void>;
}

/** Serves graphql-ws at the Yoga endpoint of `server`. */
export function serveWebSocket(server: Server, yoga: typeof import('../graphql/yoga').yoga): WebSocketEndpoint {
  const authenticate = createAuthenticator(config.access);
  const trusted = trustedDocuments;
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: limits.bodyBytes,
    // An upgrade does not pass through the HTTP server's request handler: the same refusals
    // (memory, buffered answers, a late event loop) apply here, as a 503 with Retry-After that
    // graphql-ws clients retry.
    verifyClient: (_info, allow) => {
      const overloaded = refusalOfArrival(server);
      if (overloaded) allow(false, 503, 'Service Unavailable', { 'Retry-After': retryAfter(ErrorCode.OVERLOADED)! });
      else allow(true);
    },
  });
  const done = (record: RequestRecord) => {
    record.durationMs = performance.now() - record.started;
    record.outcome = outcomeOf(record.errorCodes, record.status);
    observeRequest(record);
    logRequest(record);
  };
  const noteErrors = (
    record: RequestRecord | undefined,
    errors: readonly { extensions?: Record<string, unknown> }[],
  ) => {
    for (const error of errors) {
      const code = error.extensions?.code;
      record?.errorCodes.push(typeof code === 'string' ? code : 'UNKNOWN');
    }
  };

  useServer(
    {
      // Yoga's envelop, handed over in rootValue by onSubscribe (Yoga's recipe for graphql-ws).
      execute: (args: ExecutionArgs) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as Enveloped).subscribe(args),
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        try {
          const caller = await authenticate(authorizationOf(ctx.connectionParams, request));
          stateOf(socket).caller = caller;
          closeAtExpiry(socket, caller);
          return true;
        } catch (error) {
          if (error instanceof GraphQLError && error.extensions?.code === ErrorCode.AUTHENTICATION_UNAVAILABLE) {
            // 1013 Try Again Later: the token may be good, the keys to check it are out of reach
            // for now; graphql-ws clients retry it (they give up on 4403).
            socket.close(1013, error.message.slice(0, 120));
            return false;
          }
          const reason = error instanceof GraphQLError ? error.message : 'Forbidden';
          // 4403 Forbidden, as graphql-ws closes a refused connection, with the reason (at most 123 bytes).
          socket.close(4403, `Forbidden: ${reason}`.slice(0, 120));
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const { socket, request } = ctx.extra;
        const state = stateOf(socket);
        const record = newRecord(null, null);
        record.status = 101;
        record.role = state.caller?.role ?? null;
        record.operationType = 'subscription';
        state.records.set(id, record);
        const refuse = (error: GraphQLError) => {
          noteErrors(record, [error]);
          return [error];
        };
        if (Object.keys(ctx.subscriptions).length > config.realtime.maxSubscriptionsPerConnection) {
          return refuse(
            coded(
              `At most ${config.realtime.maxSubscriptionsPerConnection} subscriptions may be open on one connection (MAX_SUBSCRIPTIONS_PER_CONNECTION)`,
              ErrorCode.MAX_SUBSCRIPTIONS_PER_CONNECTION_EXCEEDED,
            ),
          );
        }
        let query = payload.query;
        if (trusted) {
          const hash = (payload.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
          if (typeof hash === 'string') {
            const document = trusted.documents.get(hash.replace(/^sha256:/, '').toLowerCase());
            if (document === undefined) {
              return refuse(coded('No trusted document has this hash', ErrorCode.PERSISTED_QUERY_NOT_IN_LIST));
            }
            query = document;
          } else if (!state.caller || !hasRole(state.caller, 'admin')) {
            return refuse(
              coded(
                'This server runs only trusted documents: send the hash of one in extensions.persistedQuery.sha256Hash',
                ErrorCode.PERSISTED_QUERY_ONLY,
              ),
            );
          }
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          req: request,
          socket,
          params: { ...payload, query },
          caller: state.caller,
        });
        let document;
        try {
          document = parse(query);
        } catch (error) {
          return refuse(withCodes([error as GraphQLError])[0]!);
        }
        const errors = withCodes(validate(schema, document));
        if (errors.length > 0) {
          noteErrors(record, errors);
          return errors;
        }
        const operation = getOperationAST(document, payload.operationName);
        record.operationName = operation?.name?.value ?? null;
        if (operation?.operation !== 'subscription') {
          return refuse(
            coded(
              'Only subscriptions are served over WebSocket: send queries and mutations over HTTP',
              ErrorCode.BAD_REQUEST,
            ),
          );
        }
        return {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      onNext: (ctx, id, _payload, _args, result) => {
        noteErrors(stateOf(ctx.extra.socket).records.get(id), result.errors ?? []);
      },
      onError: (ctx, id, _payload, errors) => {
        const { records } = stateOf(ctx.extra.socket);
        const record = records.get(id);
        // Errors refused in onSubscribe were noted there.
        if (record && record.errorCodes.length === 0) noteErrors(record, errors);
        // An error ends the operation; graphql-ws calls onComplete after it only for an error
        // thrown by a running subscription, not for one refused before it ran.
        setImmediate(() => {
          if (record && records.get(id) === record) {
            records.delete(id);
            done(record);
          }
        });
        return withCodes(errors).map((error) => error.toJSON());
      },
      onComplete: (ctx, id) => {
        const { records } = stateOf(ctx.extra.socket);
        const record = records.get(id);
        records.delete(id);
        if (record) done(record);
      },
      onClose: (ctx) => {
        // Subscriptions the connection's end stopped (graphql-ws calls no onComplete for them).
        const { records } = stateOf(ctx.extra.socket);
        for (const record of records.values()) done(record);
        records.clear();
      },
    },
    wss,
    config.realtime.wsKeepAliveMs,
  );
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));

  const running = () => {
    let count = 0;
    for (const client of wss.clients) count += stateOf(client).records.size;
    return count;
  };
  return {
    get connections() {
      return wss.clients.size;
    },
    get subscriptions() {
      return running();
    },
    close: async (graceMs) => {
      const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
      const deadline = performance.now() + graceMs;
      while (running() > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const client of wss.clients) client.close(1001, 'The server is stopping');
      await closed;
    },
  };
}
