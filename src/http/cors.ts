import type { CORSOptions } from 'graphql-yoga';
import type { CorsConfig } from '../config';

// Yoga's own CORS (its `cors` option, @whatwg-node/server's useCORS) with an allow-list: by
// default it reflects every Origin and allows credentials. Here an origin outside CORS_ORIGINS
// gets no Access-Control-* header at all (its preflight is answered 204 without them, which a
// browser takes as a refusal), and credentials are allowed only with CORS_CREDENTIALS=true.

const localhostOrigin = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Whether a page of `origin` may call this server, as CORS_ORIGINS says. */
export function originAllowed(cors: CorsConfig, origin: string): boolean {
  return cors.any || cors.origins.includes(origin) || (cors.localhost && localhostOrigin.test(origin));
}

/** Yoga's `cors` option: the CORS headers for the request's Origin, or none (false). */
export function corsOptions(cors: CorsConfig): (request: Request) => CORSOptions {
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !originAllowed(cors, origin)) return false;
    return {
      // One origin: Yoga answers it as it is (and its Vary: Origin is set below, by the list).
      origin: [origin],
      credentials: cors.credentials,
      methods: ['GET', 'POST'],
      // What the API reads: its own headers (x-explain), tokens, and GraphQL over HTTP's.
      allowedHeaders: ['content-type', 'accept', 'authorization', 'x-explain', 'x-graphql-yoga-csrf'],
      maxAge: 600,
    };
  };
}
