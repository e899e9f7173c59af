import { GraphQLError } from 'graphql';
import { ErrorCode, httpOf } from './codes';

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
    extensions: {
      code: ErrorCode.UNAUTHENTICATED,
      http: { status: httpOf(ErrorCode.UNAUTHENTICATED).status, headers: { 'WWW-Authenticate': challenge } },
    },
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
      http: httpOf(ErrorCode.AUTHENTICATION_UNAVAILABLE),
    },
  });
}
