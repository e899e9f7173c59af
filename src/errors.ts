import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Prisma } from './generated/prisma/client';
import { isOverload, overloadedError, reportOverload } from './load-shedding';
import { countShed } from './metrics';

/** The `extensions.code` values clients may see, besides the limits' own. */
export const ErrorCode = {
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  /** No valid token where one is needed: a bad token (HTTP 401), or an anonymous caller refused. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A valid token whose roles are not enough. */
  FORBIDDEN: 'FORBIDDEN',
  /** A token that cannot be checked now: the keys of JWT_JWKS_URL cannot be fetched (HTTP 503). */
  AUTHENTICATION_UNAVAILABLE: 'AUTHENTICATION_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function clientError(code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

export const notFound = (message: string) => clientError(ErrorCode.NOT_FOUND, message);
export const badInput = (message: string) => clientError(ErrorCode.BAD_USER_INPUT, message);

/** What an anonymous caller gets for an operation its role does not allow. */
export const signInRequired = () =>
  clientError(ErrorCode.UNAUTHENTICATED, 'Not allowed without a token: send Authorization: Bearer <token>');

/** What an authenticated caller gets for an operation its roles do not allow; it names no role. */
export const forbidden = () => clientError(ErrorCode.FORBIDDEN, 'Not allowed for this token');

/**
 * A request refused before it is parsed for want of a valid token: HTTP 401 with the challenge of
 * RFC 6750 (`WWW-Authenticate: Bearer`, with `error="invalid_token"` when a token was sent).
 */
export function unauthenticated(message: string, invalidToken: boolean): GraphQLError {
  const challenge = invalidToken
    ? `Bearer error="invalid_token", error_description="${message.replace(/["\\]/g, '')}"`
    : 'Bearer';
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401, headers: { 'WWW-Authenticate': challenge } } },
  });
}

/**
 * A request whose token cannot be checked now, the identity provider's keys being out of reach:
 * 503 with Retry-After, since the token may well be good and the same request may pass shortly.
 */
export function authenticationUnavailable(): GraphQLError {
  return new GraphQLError('The keys to check the token cannot be fetched: try again later', {
    extensions: {
      code: ErrorCode.AUTHENTICATION_UNAVAILABLE,
      http: { status: 503, headers: { 'Retry-After': '5' } },
    },
  });
}

const prismaCodes: Record<string, [ErrorCode, string]> = {
  P2002: [ErrorCode.CONFLICT, 'The change conflicts with existing data'],
  P2003: [ErrorCode.NOT_FOUND, 'An object the change refers to does not exist (any more)'],
  P2025: [ErrorCode.NOT_FOUND, 'The object to change does not exist (any more)'],
};

// Raw statements ($queryRaw, $executeRaw) fail as P2010 with PostgreSQL's SQLSTATE inside.
const sqlStates: Record<string, string> = { '23503': 'P2003', '23505': 'P2002' };

function prismaCode(error: Prisma.PrismaClientKnownRequestError): string | undefined {
  if (error.code !== 'P2010') return error.code;
  const meta = error.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined;
  const state = meta?.driverAdapterError?.cause?.originalCode;
  return state === undefined ? undefined : sqlStates[state];
}

/**
 * Turns what a resolver threw into what a client may see. Known database outcomes become domain
 * errors without their SQL; Pothos' own argument checks become BAD_USER_INPUT; our GraphQLErrors
 * pass as they are; anything else is left to Yoga's masking ("Unexpected error.").
 */
export function toClientError(error: unknown): GraphQLError | undefined {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  // No connection to be had (the pool's queue full, or its connect timeout): capacity, not a fault.
  if (isOverload(original)) {
    countShed('no_connection');
    reportOverload('no PostgreSQL connection to be had');
    return overloadedError(error instanceof GraphQLError ? error.path : undefined);
  }
  if (original instanceof Prisma.PrismaClientKnownRequestError) {
    const code = prismaCode(original);
    const known = code === undefined ? undefined : prismaCodes[code];
    if (!known) return undefined;
    return new GraphQLError(known[1], {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: known[0] },
    });
  }
  if (!(error instanceof GraphQLError) || !(original instanceof GraphQLError)) return undefined;

  // Scope-auth's own refusal, should one come without our unauthorizedError (src/builder.ts).
  if (original.name === 'ForbiddenError' && !original.extensions?.code) {
    return new GraphQLError(forbidden().message, { path: error.path, extensions: { code: ErrorCode.FORBIDDEN } });
  }
  if (original.name === 'PothosValidationError' && !original.extensions?.code) {
    // Set in place: the located error shares this object, and returning the same error keeps
    // Yoga from logging an expected client mistake as a server error.
    (original.extensions as Record<string, unknown>).code = ErrorCode.BAD_USER_INPUT;
  }
  return original.extensions?.code ? error : undefined;
}

/**
 * Gives a code to the errors Yoga and graphql-js (or graphql-jit) answer without one, so that every
 * error a client sees has `extensions.code`: variables that do not fit their types are the client's
 * input, the rest (a missing CSRF header, an unknown operation name) are malformed requests.
 * Variable coercion answers 400 to application/graphql-response+json and 200 to application/json,
 * as GraphQL over HTTP asks: Yoga drops the status of an error marked `spec` for the legacy type,
 * as it does for its own parse and validation errors.
 */
export function useErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result)) return;
      const errors = result.errors as readonly GraphQLError[] | undefined;
      if (!errors?.some((error) => !error.extensions?.code)) return;
      setResult({
        ...result,
        errors: errors.map((error) => {
          if (error.extensions?.code) return error;
          const variables = error.message.startsWith('Variable "$');
          return new GraphQLError(error.message, {
            source: error.source,
            positions: error.positions,
            path: error.path,
            extensions: {
              ...error.extensions,
              code: variables ? ErrorCode.BAD_USER_INPUT : 'BAD_REQUEST',
              ...(variables ? { http: { status: 400, spec: true } } : {}),
            },
          });
        }),
      });
    },
  };
}
