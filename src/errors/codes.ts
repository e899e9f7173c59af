// Every `extensions.code` a client may see, in one catalogue: what it means, the HTTP status of a
// request it refuses, and whether the same request may simply be sent again later (Retry-After).
// The database, the HTTP server, the GraphQL layer and the subscriptions all answer with these
// names; nothing here imports the rest of the project, so any layer may.

/** The `extensions.code` values clients may see. */
export const ErrorCode = {
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** A malformed request: a missing CSRF header, an unknown operation name, a body that is not JSON. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** Yoga's own, for a document that does not parse or validate (the WebSocket transport gives them too). */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  CONFLICT: 'CONFLICT',
  /** No valid token where one is needed: a bad token (HTTP 401), or an anonymous caller refused. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A valid token whose roles are not enough. */
  FORBIDDEN: 'FORBIDDEN',
  /** A token that cannot be checked now: the keys of JWT_JWKS_URL cannot be fetched (HTTP 503). */
  AUTHENTICATION_UNAVAILABLE: 'AUTHENTICATION_UNAVAILABLE',
  /**
   * The database cannot serve the field now (HTTP 503 with Retry-After when nothing else was
   * answered): cannot be reached, the connection was lost, it takes no writes, or it cannot write
   * its files. On a mutation, nothing was changed.
   */
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  /**
   * A mutation met the database's absence after its change was sent: it may have been made (the
   * connection was lost before the answer to its COMMIT came), or was made and its result could not
   * be read. `extensions.safeToRetry` says whether sending it again is harmless.
   */
  MUTATION_OUTCOME_UNKNOWN: 'MUTATION_OUTCOME_UNKNOWN',
  /** Refused for lack of capacity (src/http/admission.ts). */
  OVERLOADED: 'OVERLOADED',
  /** MAX_SUBSCRIPTIONS subscriptions are open in the process. */
  MAX_SUBSCRIPTIONS_EXCEEDED: 'MAX_SUBSCRIPTIONS_EXCEEDED',
  /** MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions are open on this WebSocket connection. */
  MAX_SUBSCRIPTIONS_PER_CONNECTION_EXCEEDED: 'MAX_SUBSCRIPTIONS_PER_CONNECTION_EXCEEDED',
  /** A subscriber that did not read its events fast enough: MAX_QUEUED_EVENTS waited for it. */
  EVENT_QUEUE_FULL: 'EVENT_QUEUE_FULL',
  /**
   * A subscription's `after:` cursor that is not in the change log: older than
   * CHANGE_LOG_RETENTION, or forged. The client reads the current state and subscribes afresh.
   */
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
  /** A subscription asked for over HTTP without accepting text/event-stream. */
  NOT_ACCEPTABLE: 'NOT_ACCEPTABLE',
  /** A body past MAX_BODY_BYTES. */
  REQUEST_ENTITY_TOO_LARGE: 'REQUEST_ENTITY_TOO_LARGE',
  /** TRUSTED_DOCUMENTS: a hash that is not in the manifest. Apollo Router's code for a safelist
   * miss; not Apollo's APQ PERSISTED_QUERY_NOT_FOUND, which tells its clients to resend the whole document. */
  PERSISTED_QUERY_NOT_IN_LIST: 'PERSISTED_QUERY_NOT_IN_LIST',
  /** TRUSTED_DOCUMENTS: a document sent as text by a caller who is not admin. */
  PERSISTED_QUERY_ONLY: 'PERSISTED_QUERY_ONLY',
  /** TRUSTED_DOCUMENTS: neither a document nor a hash. */
  PERSISTED_QUERY_ID_REQUIRED: 'PERSISTED_QUERY_ID_REQUIRED',
  /** Yoga's, for an error it masks ("Unexpected error."): a fault of the server's. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes of the rejections an operation can meet before it runs (src/graphql/limits.ts). */
export const LimitCode = {
  MAX_DEPTH: 'MAX_DEPTH_EXCEEDED',
  MAX_ALIASES: 'MAX_ALIASES_EXCEEDED',
  MAX_DIRECTIVES: 'MAX_DIRECTIVES_EXCEEDED',
  MAX_TOKENS: 'MAX_TOKENS_EXCEEDED',
  MAX_COMPLEXITY: 'MAX_COMPLEXITY_EXCEEDED',
  MAX_IDS: 'MAX_IDS_EXCEEDED',
  MAX_RESPONSE_BYTES: 'MAX_RESPONSE_BYTES_EXCEEDED',
} as const;
export type LimitCode = (typeof LimitCode)[keyof typeof LimitCode];

export interface CodeAnswer {
  /**
   * The HTTP status of a request this error refuses as a whole (before execution, or with no data).
   * 200: an error of a field, answered with the fields that were resolved.
   */
  readonly status: number;
  /**
   * Seconds after which the same request may be sent again unchanged (the Retry-After header); null:
   * it would meet the same answer. MUTATION_OUTCOME_UNKNOWN has one, but whether resending is
   * harmless is said by each error's `extensions.safeToRetry`.
   */
  readonly retryAfterSeconds: number | null;
}

const field: CodeAnswer = { status: 200, retryAfterSeconds: null };
const badRequest: CodeAnswer = { status: 400, retryAfterSeconds: null };
/** How long clients are told to wait before retrying work refused for lack of capacity. */
const capacity: CodeAnswer = { status: 503, retryAfterSeconds: 1 };
/** How long clients are told to wait before trying again when the database is away. */
const database: CodeAnswer = { status: 503, retryAfterSeconds: 2 };

export const codeAnswers: Readonly<Record<ErrorCode | LimitCode, CodeAnswer>> = Object.freeze({
  NOT_FOUND: field,
  BAD_USER_INPUT: badRequest,
  BAD_REQUEST: badRequest,
  GRAPHQL_PARSE_FAILED: badRequest,
  GRAPHQL_VALIDATION_FAILED: badRequest,
  CONFLICT: field,
  UNAUTHENTICATED: { status: 401, retryAfterSeconds: null },
  FORBIDDEN: field,
  AUTHENTICATION_UNAVAILABLE: { status: 503, retryAfterSeconds: 5 },
  DATABASE_UNAVAILABLE: database,
  MUTATION_OUTCOME_UNKNOWN: database,
  OVERLOADED: capacity,
  MAX_SUBSCRIPTIONS_EXCEEDED: capacity,
  MAX_SUBSCRIPTIONS_PER_CONNECTION_EXCEEDED: field,
  EVENT_QUEUE_FULL: field,
  CURSOR_EXPIRED: field,
  NOT_ACCEPTABLE: { status: 406, retryAfterSeconds: null },
  REQUEST_ENTITY_TOO_LARGE: { status: 413, retryAfterSeconds: null },
  PERSISTED_QUERY_NOT_IN_LIST: badRequest,
  PERSISTED_QUERY_ONLY: badRequest,
  PERSISTED_QUERY_ID_REQUIRED: badRequest,
  INTERNAL_SERVER_ERROR: { status: 500, retryAfterSeconds: null },
  MAX_DEPTH_EXCEEDED: badRequest,
  MAX_ALIASES_EXCEEDED: badRequest,
  MAX_DIRECTIVES_EXCEEDED: badRequest,
  MAX_TOKENS_EXCEEDED: badRequest,
  MAX_COMPLEXITY_EXCEEDED: badRequest,
  MAX_IDS_EXCEEDED: field,
  MAX_RESPONSE_BYTES_EXCEEDED: field,
});

/** The Retry-After of `code`, as a header's value (see CodeAnswer.retryAfterSeconds). */
export function retryAfter(code: ErrorCode): string | undefined {
  const seconds = codeAnswers[code].retryAfterSeconds;
  return seconds === null ? undefined : String(seconds);
}

/** `extensions.http` of an error of `code` that refuses its request: its status, and its Retry-After if any. */
export function httpOf(code: ErrorCode): { status: number; headers?: { 'Retry-After': string } } {
  const { status } = codeAnswers[code];
  const after = retryAfter(code);
  return after === undefined ? { status } : { status, headers: { 'Retry-After': after } };
}
