import { timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics } from 'prom-client';
import { registry } from '../ops/metrics';
import { clusterMetrics, isWorker } from './processes';

let reader: (() => Promise<string>) | undefined;

/**
 * What a scrape answers, on the main port or a listener of its own (METRICS_PORT): this process's
 * metrics, with its own (CPU, memory, heap, event loop lag, GC, handles) from prom-client; in a
 * worker of WEB_CONCURRENCY > 1, those of every worker, gathered by the primary
 * (src/http/processes.ts). Made once per process; a worker must make it whoever serves the
 * metrics, as that is what makes it answer the primary's gathering.
 */
export function metricsReader(): () => Promise<string> {
  if (reader) return reader;
  collectDefaultMetrics({ register: registry });
  return (reader = isWorker ? clusterMetrics(registry) : () => registry.metrics());
}

/**
 * Whether a scrape may read the metrics: with METRICS_TOKEN, only one that sends it as a bearer
 * token (compared in constant time, so that its answer times tell nothing of it).
 */
export function scrapeAllowed(authorization: string | null | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const sent = Buffer.from(authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/** The answer to a scrape: the metrics, or 401 without the token. */
export async function scrape(
  read: () => Promise<string>,
  authorization: string | null | undefined,
  token: string | undefined,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  if (!scrapeAllowed(authorization, token)) {
    return {
      status: 401,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' },
      body: 'The metrics need METRICS_TOKEN as a bearer token\n',
    };
  }
  return { status: 200, headers: { 'content-type': registry.contentType }, body: await read() };
}

/**
 * Answers GET `path` with the metrics, before anything else looks at the request (no GraphQL
 * request is counted for it, and it costs what the registry costs to print): on the server's own
 * port, when METRICS_PORT does not give them a listener of their own (src/http/management-listener.ts).
 */
export function useMetricsEndpoint(path: string, token: string | undefined): Plugin {
  const read = metricsReader();
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== path) return;
      return scrape(read, request.headers.get('authorization'), token).then(({ status, headers, body }) =>
        endResponse(new fetchAPI.Response(body, { status, headers })),
      );
    },
  };
}
