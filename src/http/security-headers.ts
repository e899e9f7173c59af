import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

// The security headers of every answer, from helmet (a Connect middleware: it only sets headers on
// the Node response, so it runs in front of Yoga's handler as it is). Headers that the answer
// itself sets win over these (Node merges them, the answer's last): the GraphiQL page sends its
// own Content-Security-Policy (src/http/graphiql.ts), for its own scripts and styles.

/**
 * What an answer of the API may do in a browser: nothing. JSON, metrics and errors are never
 * rendered as a page, so nothing may load, run, frame it or be posted from it.
 */
const apiDirectives = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

export interface SecurityHeaderOptions {
  /** HSTS only in production: a development server on localhost is reached over plain HTTP. */
  production: boolean;
  /** Pages of other origins may read answers (CORS_ORIGINS names some): the resource policy allows them. */
  crossOrigin: boolean;
  /** Answers are compressed for clients that ask (src/http/compression.ts): they vary by Accept-Encoding too. */
  compressed?: boolean;
}

/** A Node handler that sets the headers on `response`, then calls `next`. */
export function securityHeaders(
  options: SecurityHeaderOptions,
): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  const middleware = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: apiDirectives },
    // frame-ancestors 'none' says it to current browsers, DENY to older ones.
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: options.crossOrigin ? 'cross-origin' : 'same-origin' },
    // A year, this host only: the operator knows whether every subdomain is served over TLS.
    strictTransportSecurity: options.production ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });
  const vary = options.compressed ? 'Origin, Accept-Encoding' : 'Origin';
  return (request, response, next) => {
    // Answers differ by Origin (CORS, src/http/cors.ts): a shared cache must not hand one
    // origin's answer to another. Yoga sets Vary itself only when it reflects several origins.
    // And by Accept-Encoding when compressed for those who ask, whether or not this one is.
    response.setHeader('vary', vary);
    middleware(request, response, (error?: unknown) => {
      // helmet checks its options when made; an error here would be one of its own.
      if (error) {
        response.statusCode = 500;
        response.end();
        return;
      }
      next();
    });
  };
}
