import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { databaseFailure, failureDetail } from '../db/failures';
import { type DatabaseFailure, ErrorCode, forbidden, httpOf, isOverload, overloadedError } from '../errors';
import { Prisma } from '../generated/prisma/client';
import { reportOverload } from '../http/admission';
import { burstLog } from '../ops/logger';
import { countShed, countUnavailable } from '../ops/metrics';

const unavailableMessages: Record<DatabaseFailure, string> = {
  unreachable: 'The database cannot be reached',
  lost: 'The connection to the database was lost',
  read_only: 'The database takes no writes now (a failover may be under way)',
  storage: 'The database cannot store data now',
  stopped: 'The database has stopped',
};

const reportUnavailable = burstLog('Database unavailable: answering 503 DATABASE_UNAVAILABLE');

/** Counts and logs (once per burst) an answer given for the database's absence. */
function noteUnavailable(failure: DatabaseFailure, error: unknown): void {
  countUnavailable(failure);
  reportUnavailable(`${failure}: ${failureDetail(error)}`);
}

const databaseRetry = httpOf(ErrorCode.DATABASE_UNAVAILABLE);

/**
 * The error a client sees for a field the database's absence kept from being resolved: HTTP 503
 * with Retry-After, as for overload. `safeToRetry` is set on a mutation's errors (true here: the
 * change was not made).
 */
export function databaseUnavailable(
  failure: DatabaseFailure,
  cause: unknown,
  options: { path?: readonly (string | number)[]; mutation?: boolean } = {},
): GraphQLError {
  noteUnavailable(failure, cause);
  const message = `${unavailableMessages[failure]}${options.mutation ? '; nothing was changed' : ''}: try again shortly`;
  return new GraphQLError(message, {
    path: options.path,
    extensions: {
      code: ErrorCode.DATABASE_UNAVAILABLE,
      ...(options.mutation ? { safeToRetry: true } : {}),
      http: databaseRetry,
    },
  });
}

/**
 * The error of a mutation whose change may have been made (`made` false: the connection was lost
 * with its COMMIT on the way) or was made (`made` true: its result could not be read), the
 * database being away (`failure`) or every connection busy (null). `safeToRetry`: whether the
 * mutation may simply be sent again (it is idempotent); otherwise the client checks first.
 */
export function mutationOutcomeUnknown(
  failure: DatabaseFailure | null,
  cause: unknown,
  options: { path?: readonly (string | number)[]; made: boolean; safeToRetry: boolean },
): GraphQLError {
  if (failure) noteUnavailable(failure, cause);
  else {
    countShed('no_connection');
    reportOverload('no PostgreSQL connection to be had');
  }
  const message = options.made
    ? 'The change was made, but its result could not be read'
    : 'The connection to the database was lost after the change was sent: it may or may not have been made';
  return new GraphQLError(
    `${message}; ${options.safeToRetry ? 'sending it again is safe' : 'check before sending it again'}`,
    {
      path: options.path,
      extensions: { code: ErrorCode.MUTATION_OUTCOME_UNKNOWN, safeToRetry: options.safeToRetry, http: databaseRetry },
    },
  );
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
  const path = error instanceof GraphQLError ? error.path : undefined;
  // The database away (a mutation's own are answered by src/graphql/mutation-outcome.ts, which knows
  // whether a change was on its way).
  const failure = databaseFailure(original);
  if (failure) return databaseUnavailable(failure, original, { path });
  // No connection to be had (the pool's queue full, or its connect timeout): capacity, not a fault.
  if (isOverload(original)) {
    countShed('no_connection');
    reportOverload('no PostgreSQL connection to be had');
    return overloadedError(path);
  }
  if (original instanceof Prisma.PrismaClientKnownRequestError) {
    const code = prismaCode(original);
    const known = code === undefined ? undefined : prismaCodes[code];
    if (!known) return undefined;
    return new GraphQLError(known[1], {
      path,
      extensions: { code: known[0] },
    });
  }
  if (!(error instanceof GraphQLError) || !(original instanceof GraphQLError)) return undefined;

  // Scope-auth's own refusal, should one come without our unauthorizedError (src/graphql/builder.ts).
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
              code: variables ? ErrorCode.BAD_USER_INPUT : ErrorCode.BAD_REQUEST,
              ...(variables ? { http: { status: 400, spec: true } } : {}),
            },
          });
        }),
      });
    },
  };
}

/**
 * An answer with data is answered 200, whatever the status its errors ask for: GraphQL over HTTP
 * requires a 2xx for a response whose `data` is not null (application/graphql-response+json), and
 * a client given a 503 would drop the fields that were resolved. Yoga takes the highest status of
 * the errors' `extensions.http` whether there is data or not, so a field refused with 503
 * (DATABASE_UNAVAILABLE, OVERLOADED) while its siblings were read would fail the whole answer.
 * Their headers (Retry-After) stay: the client may fetch the missing fields again then.
 */
export function usePartialResultStatus(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result)) return;
      const { data, errors } = result as { data?: unknown; errors?: readonly GraphQLError[] };
      if (data === null || data === undefined || !errors?.some((error) => error.extensions?.http?.status)) return;
      setResult({
        ...result,
        errors: errors.map((error) => {
          const http = error.extensions?.http;
          if (!http?.status) return error;
          const { status: _status, ...rest } = http;
          return new GraphQLError(error.message, {
            source: error.source,
            positions: error.positions,
            path: error.path,
            originalError: error.originalError,
            extensions: { ...error.extensions, http: rest },
          });
        }),
      });
    },
  };
}
