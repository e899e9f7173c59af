import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics } from 'prom-client';
import { registry } from '../ops/metrics';
import { clusterMetrics, isWorker } from './processes';

let defaultsCollected = false;

/**
 * Answers GET `path` with the metrics, before anything else looks at the request (no GraphQL
 * request is counted for it, and it costs what the registry costs to print). Adds the process's
 * own metrics (CPU, memory, heap, event loop lag, GC, handles) from prom-client. In a worker of
 * WEB_CONCURRENCY > 1, those of every worker, gathered by the primary (src/http/processes.ts).
 */
export function useMetricsEndpoint(path: string): Plugin {
  if (!defaultsCollected) {
    defaultsCollected = true;
    collectDefaultMetrics({ register: registry });
  }
  const read = isWorker ? clusterMetrics(registry) : () => registry.metrics();
  return {
    onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== path) return;
      return read().then((text) =>
        endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } })),
      );
    },
  };
}
