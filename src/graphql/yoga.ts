import type { IncomingMessage } from 'node:http';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createYoga, maskError, type Plugin } from 'graphql-yoga';
import { requestCaller, useAuthentication } from '../access/authentication';
import { isTrustedAdmin } from '../access/roles';
import { trustedDocuments, useTrustedDocuments } from '../access/trusted-documents';
import { config, limits } from '../config';
import { createContext, useMutationReadsOnPrimary } from './context';
import { poolStats, replicaStatus } from '../db';
import { isReady } from '../http/health';
import { heldTooMuch } from '../http/node-server';
import { toClientError, useErrorCodes, usePartialResultStatus } from './errors';
import { useExplain } from './explain';
import { useJitExecution } from './jit';
import { limitPlugins, useBodySizeLimit, useResponseSizeLimit } from './limits';
import { Admission, clientKey, memoryInUse, useAdmission } from '../http/admission';
import { useMutationOutcomes } from './mutation-outcome';
import { useMetricsEndpoint } from '../http/metrics-endpoint';
import { observeRequest, watchPool, watchReplicas } from '../ops/metrics';
import { isWarmUp } from './warm-up';
import { logRequest } from '../ops/request-log';
import { useRequestTracking } from '../ops/request-tracking';
import { useSharedEventLoaders } from '../realtime/subscribe';
import { feed, followChanges } from '../realtime';
import { ResponseCache, trackReads, useResponseCache } from './response-cache';
import { schema } from '../schema';
import { yogaLogger } from './yoga-log';
import { introspectionPlugins } from './introspection';
import { corsOptions } from '../http/cors';
import { useGraphiQL } from '../http/graphiql';

/** Template text without its first newline and common indentation (prettier indents it). */
function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').trimEnd().split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => line.search(/\S/)));
  return `${lines.map((line) => line.slice(indent)).join('\n')}\n`;
}

/**
 * GraphiQL's first query: teams, their heroes, and on each edge the link's own fields, so that a
 * newcomer sees HeroTeamLink at once (comment lines short enough for a narrow editor pane).
 */
export const graphiqlDefaultQuery = dedent(/* GraphQL */ `
  # Teams and their heroes, through HeroTeamLink:
  # isTraining and joinedAt belong to the link,
  # so they sit on each edge.
  query TeamsWithHeroes {
    teams(first: 10) {
      totalCount
      edges {
        node {
          id
          name
          headquarters
          heroes(first: 10) {
            totalCount
            edges {
              isTraining
              joinedAt
              node {
                id
                name
                secretName
                age
              }
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/**
 * Yoga's useReadinessCheck for several endpoints, without its URLPattern test: for a plain path
 * the pattern matches exactly when `url.pathname` equals it, and testing it on every GraphQL
 * request (once per endpoint) showed in the profile of a small query.
 */
function useReadinessChecks(endpoints: readonly string[], check: () => Promise<boolean>): Plugin {
  return {
    onRequest({ endResponse, fetchAPI, url }) {
      if (!endpoints.includes(url.pathname)) return;
      return check().then(
        (ready) => endResponse(new fetchAPI.Response(null, { status: ready ? 200 : 503 })),
        (error: unknown) =>
          endResponse(
            new fetchAPI.Response(error instanceof Error ? error.message : null, {
              status: 503,
              headers: error instanceof Error ? { 'content-type': 'text/plain; charset=utf-8' } : {},
            }),
          ),
      );
    },
  };
}

/**
 * Who may run an operation now, and who waits (src/http/admission.ts); also asked by the HTTP server
 * (src/server.ts) about a request arriving without a token, before it is parsed.
 */
export const admission = new Admission({
  maxInFlight: config.maxOperationsInFlight,
  maxCost: config.maxCostInFlight,
  maxPerClient: config.maxOperationsPerClient,
  waitMs: config.queueWaitMs,
  // While clients hold answers unread, or the heap is full, only small operations start: a big
  // one would add its answer to what is held (src/http/node-server.ts closes the stalled clients).
  blocked: () => heldTooMuch(config.http, config.http.maxMemoryBytes > 0 ? memoryInUse() : undefined),
  smallCost: config.smallOperationCost,
});

/** The admission queue's refusal of a request arriving now, before it is parsed; null to let it in. */
export function refusalOnArrival(request: IncomingMessage) {
  // With a token, the client is its subject, known once the token is checked (admit() decides).
  if (request.headers.authorization !== undefined) return null;
  return admission.refusalOnArrival(clientKey(undefined, request, config.trustProxy));
}

watchPool(poolStats);
watchReplicas(replicaStatus);

/** GraphiQL at /graphql (GRAPHIQL), its assets under /graphiql/ (src/http/graphiql.ts). */
export const graphiql = config.graphiql
  ? // The headers tab takes a token: {"Authorization": "Bearer <token>"} (README, Access).
    useGraphiQL('/graphql', {
      title: 'Heroes & Teams',
      defaultQuery: graphiqlDefaultQuery,
      isHeadersEditorEnabled: true,
    })
  : undefined;

/**
 * The response cache (RESPONSE_CACHE, off by default), invalidated by the change log's events
 * (src/graphql/response-cache.ts); its fields' reads are tracked only when it is on.
 */
export const responseCache = config.responseCache.enabled
  ? new ResponseCache({
      maxBytes: config.responseCache.maxBytes,
      settleMs: config.replicaUrls.length > 0 ? config.maxReplicaLagMs : 0,
      events: { follow: followChanges, caughtUp: () => feed.caughtUp() },
    })
  : undefined;
if (responseCache) trackReads(schema);

export const yoga = createYoga({
  schema,
  context: createContext,
  graphqlEndpoint: '/graphql',
  landingPage: false,
  healthCheckEndpoint: '/live',
  // Served by useGraphiQL below, as cacheable assets.
  graphiql: false,
  // Pages of other origins: only those of CORS_ORIGINS (src/http/cors.ts).
  cors: corsOptions(config.cors),
  maskedErrors: {
    isDev: false,
    maskError: (error, message, isDev) => toClientError(error) ?? maskError(error, message, isDev),
  },
  logging: yogaLogger((error) => toClientError(error) !== undefined),
  // One operation per request: batching would multiply every limit below by the batch size.
  batching: false,
  // Checked by useBodySizeLimit instead, which answers the same at less cost.
  maxRequestBodySize: false,
  plugins: [
    // Before anything else: a scrape is not a GraphQL request and costs only its own answer.
    ...(config.metrics.onMainPort ? [useMetricsEndpoint(config.metrics.path, config.metrics.token)] : []),
    ...(graphiql ? [graphiql] : []),
    // Browsers may send "simple" GET and form POST requests across sites without a preflight;
    // requiring a custom header (or a JSON body, which is never simple) stops cross-site requests.
    useCSRFPrevention(),
    // Who is calling, before anything is parsed: a bad token is answered 401 here.
    useAuthentication(config.access),
    // Then, with TRUSTED_DOCUMENTS, only the manifest's documents. Any document for admin callers,
    // by the rule explain follows (isTrustedAdmin): in production only an admin with a token, so
    // that ANONYMOUS_ROLE=admin does not open the manifest to every caller.
    ...(trustedDocuments
      ? [
          useTrustedDocuments(trustedDocuments.documents, (request) => {
            const caller = requestCaller(request);
            return caller !== undefined && isTrustedAdmin(caller, config.production);
          }),
        ]
      : []),
    useErrorCodes(),
    // An answer with data is 200 even when some of its fields were refused with 503.
    usePartialResultStatus(),
    // A mutation's payload that met a database outage: its change was made (MUTATION_OUTCOME_UNKNOWN).
    useMutationOutcomes(),
    // x-explain: the SQL an operation sent, for admin callers (src/graphql/explain.ts).
    useExplain({ production: config.production }),
    ...limitPlugins(),
    // INTROSPECTION: on, for callers with a token (authenticated, production's default), or off.
    ...introspectionPlugins(config.introspection),
    // After the limits (what is refused there holds nothing) and authentication (the client is
    // known): operations start while they fit, else wait their turn, round-robin between clients,
    // for up to MAX_QUEUE_WAIT_MS (src/http/admission.ts).
    useAdmission({
      admission,
      schema,
      maxInFlight: config.maxOperationsInFlight,
      maxCost: config.maxCostInFlight,
      maxPerClient: config.maxOperationsPerClient,
      waitMs: config.queueWaitMs,
      trustProxy: config.trustProxy,
    }),
    // After admission (a cached answer is an operation like another), before execution.
    ...(responseCache ? [useResponseCache(responseCache)] : []),
    ...(config.jit ? [useJitExecution(schema)] : []),
    // A mutation's payload reads from the primary, not a read replica (DATABASE_READ_URL).
    useMutationReadsOnPrimary(),
    // Subscriptions: each event executed with the loaders its subscribers share (after jit, which
    // leaves subscriptions alone).
    useSharedEventLoaders(schema),
    // /live answers while the process runs; /health and /ready while it can serve (database up).
    useReadinessChecks(['/health', '/ready'], isReady),
    // After every request parser is registered: it wraps the one chosen for the request.
    useBodySizeLimit(limits.bodyBytes),
    useResponseSizeLimit('/graphql', limits.responseBytes),
    // Each GraphQL request's id, operation, statements, errors and status, for its log line and
    // metrics. It wraps the whole request whatever its place; last, so that it sees the errors'
    // codes as useErrorCodes completes them.
    useRequestTracking({ endpoint: '/graphql', onDone: [observeRequest, logRequest], untracked: isWarmUp }),
  ],
});
