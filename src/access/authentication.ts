import type { Plugin } from 'graphql-yoga';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AccessConfig, JwtConfig } from '../config';
import { authenticationUnavailable, unauthenticated } from '../errors';
import { burstLog } from '../ops/logger';
import { anonymousCaller, type Caller, strongestRole } from './roles';

// Who sends a request: the bearer token of its Authorization header, checked with jose, or nobody
// (the anonymous role). Decided once per GraphQL request in Yoga's onParams, before the document
// is parsed: a bad token, or no token where anonymous callers are refused, is answered 401 and
// nothing runs. What each role may do is the schema's business (authScopes, src/graphql/builder.ts).

type Verify = (token: string) => Promise<JWTPayload>;

/** Algorithms each kind of key accepts; `none` never is. */
const secretAlgorithms = ['HS256'];
const keySetAlgorithms = ['RS256', 'ES256'];

/** A token checker for the configured keys; null when there are none (no token can be checked). */
export function createVerifier(jwt: JwtConfig | null): Verify | null {
  if (!jwt) return null;
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  switch (jwt.keys.kind) {
    case 'secret':
      key = new TextEncoder().encode(jwt.keys.secret);
      algorithms = secretAlgorithms;
      break;
    case 'jwks-file':
      key = createLocalJWKSet(jwt.keys.jwks as Parameters<typeof createLocalJWKSet>[0]);
      algorithms = keySetAlgorithms;
      break;
    case 'jwks-url':
      // Cached; a token whose kid is unknown refetches the set (at most once per cooldown).
      key = createRemoteJWKSet(jwt.keys.url, { cooldownDuration: jwt.keys.cooldownMs });
      algorithms = keySetAlgorithms;
      break;
  }
  const options = {
    algorithms,
    issuer: jwt.issuer,
    audience: jwt.audience ? [...jwt.audience] : undefined,
    requiredClaims: ['exp'],
  };
  return async (token) =>
    (await (typeof key === 'function' ? jwtVerify(token, key, options) : jwtVerify(token, key, options))).payload;
}

const reportKeysUnavailable = burstLog('Cannot fetch the keys of JWT_JWKS_URL: answering tokens with 503');

const keySetFailures = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);

/**
 * Whether a token could not be checked because the keys of JWT_JWKS_URL cannot be fetched (the
 * server's problem, logged once per burst; the client can only retry), rather than being bad.
 */
function keysUnavailable(error: unknown): boolean {
  // jose throws its generic error for a set answered with another status than 200, and
  // ERR_JWKS_INVALID for one that is not a key set; fetch's own errors (refused, reset) are no
  // JOSEError at all.
  if (error instanceof joseErrors.JOSEError && !keySetFailures.has(error.code)) return false;
  reportKeysUnavailable(error instanceof Error ? error.message : String(error));
  return true;
}

/** Why a token was refused, in words a client may see (no key material, no stack). */
function reason(error: joseErrors.JOSEError): string {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'The token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as joseErrors.JWTClaimValidationFailed).claim;
      if (claim === 'nbf') return 'The token is not valid yet';
      if (claim === 'iss') return 'The token has the wrong issuer';
      if (claim === 'aud') return 'The token has the wrong audience';
      return `The token's ${claim} claim is not valid`;
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return "The token's algorithm is not accepted";
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'The token was not signed by a known key';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return "The token's signature is not valid";
    default:
      return 'The token is not a valid JWT';
  }
}

// A JWT in compact form: three base64url parts, the signature not empty (`alg: none` has none).
const bearer = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+) *$/i;

/** The caller a valid token names: its roles from the roles claim (an array of strings, else none). */
function callerOf(payload: JWTPayload, rolesClaim: string): Caller {
  const claimed = payload[rolesClaim];
  const names = Array.isArray(claimed) ? claimed.filter((name): name is string => typeof name === 'string') : [];
  return Object.freeze({
    role: strongestRole(names),
    roles: Object.freeze(names),
    subject: typeof payload.sub === 'string' ? payload.sub : undefined,
    authenticated: true,
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
  });
}

const callers = new WeakMap<Request, Caller>();

/** The caller of a request that passed authentication (undefined for any other request). */
export function requestCaller(request: Request): Caller | undefined {
  return callers.get(request);
}

/**
 * The caller an `Authorization` header names: a valid bearer token's, or, without a header, the
 * anonymous caller. Throws AUTHENTICATION_UNAVAILABLE (HTTP 503) when the keys of JWT_JWKS_URL
 * cannot be fetched, and UNAUTHENTICATED (HTTP 401) for a bad token, for any token when no key is
 * configured, and for no token when anonymous callers are refused. Synchronous when no token is
 * checked. For HTTP requests (useAuthentication) and WebSocket connections (their connection_init).
 */
export function createAuthenticator(
  access: Pick<AccessConfig, 'anonymousRole' | 'jwt'>,
): (header: string | null) => Caller | Promise<Caller> {
  const verify = createVerifier(access.jwt);
  const rolesClaim = access.jwt?.rolesClaim ?? 'roles';
  const anonymous = anonymousCaller(access.anonymousRole);
  return (header) => {
    if (header === null) {
      if (anonymous.role === null) {
        throw unauthenticated('This server needs a token: send Authorization: Bearer <token>', false);
      }
      return anonymous;
    }
    const token = bearer.exec(header)?.[1];
    if (token === undefined) {
      throw unauthenticated('The Authorization header must be "Bearer <JWT>"', true);
    }
    if (!verify) {
      throw unauthenticated('This server has no key to check tokens with: send the request without one', true);
    }
    return verify(token).then(
      (payload) => callerOf(payload, rolesClaim),
      (error: unknown) => {
        if (keysUnavailable(error)) throw authenticationUnavailable();
        throw unauthenticated(reason(error as joseErrors.JOSEError), true);
      },
    );
  };
}

/**
 * Authenticates every GraphQL request before it is parsed: a request with an Authorization header
 * must carry a valid bearer token (401 otherwise, and always when no key is configured); one
 * without is anonymous, with ANONYMOUS_ROLE, or refused (401) when that is `none`.
 */
export function useAuthentication(access: Pick<AccessConfig, 'anonymousRole' | 'jwt'>): Plugin {
  const authenticate = createAuthenticator(access);
  return {
    onParams({ request }) {
      const caller = authenticate(request.headers.get('authorization'));
      if (!(caller instanceof Promise)) {
        callers.set(request, caller);
        return;
      }
      return caller.then((checked) => {
        callers.set(request, checked);
      });
    },
  };
}
