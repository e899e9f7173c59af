import type { IncomingMessage, ServerResponse } from 'node:http';
import compression from 'compression';
import type { CompressionConfig } from '../config';

// Answers compressed with expressjs' compression middleware (gzip, or brotli at quality 4, as the
// client's Accept-Encoding prefers), in front of Yoga's handler. Not @whatwg-node/server's
// useContentEncoding: it compresses every answer whatever its size or type (event streams
// included, which would then wait in the compressor), and it also inflates compressed request
// bodies, which MAX_BODY_BYTES would then bound only before inflating. docs/security.md gives
// the measured cost and what a reverse proxy can do instead.

/**
 * Types worth compressing and complete when sent: GraphQL's JSON answers, the GraphiQL page and
 * the metrics. Not text/event-stream nor multipart/mixed (subscriptions, @defer): the compressor
 * would hold each event until it had enough bytes; not the GraphiQL assets, compressed once
 * ahead of time (src/http/graphiql.ts).
 */
const compressible = /^(application\/(graphql-response\+)?json|text\/html|text\/plain)\b/i;

/** A Node handler that compresses `response` when it is worth it, then calls `next`. */
export function compressAnswers(
  options: CompressionConfig,
): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  const middleware = compression({
    threshold: options.thresholdBytes,
    filter: (_request, response) => compressible.test(String(response.getHeader('content-type') ?? '')),
  });
  return (request, response, next) => middleware(request as never, response as never, () => next());
}
