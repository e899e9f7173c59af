import { GraphQLError } from 'graphql';
import { Prisma } from './generated/prisma/client';

/** The `extensions.code` values clients may see, besides the limits' own. */
export const ErrorCode = {
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function clientError(code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

export const notFound = (message: string) => clientError(ErrorCode.NOT_FOUND, message);
export const badInput = (message: string) => clientError(ErrorCode.BAD_USER_INPUT, message);
export const conflict = (message: string) => clientError(ErrorCode.CONFLICT, message);

const prismaCodes: Record<string, [ErrorCode, string]> = {
  P2002: [ErrorCode.CONFLICT, 'The change conflicts with existing data'],
  P2003: [ErrorCode.NOT_FOUND, 'An object the change refers to does not exist (any more)'],
  P2025: [ErrorCode.NOT_FOUND, 'The object to change does not exist (any more)'],
};

/**
 * Turns what a resolver threw into what a client may see. Known database outcomes become domain
 * errors without their SQL; Pothos' argument checks become BAD_USER_INPUT; anything else is left
 * to Yoga's masking, which hides it behind "Unexpected error.".
 */
export function toClientError(error: unknown): GraphQLError | undefined {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const path = error instanceof GraphQLError ? error.path : undefined;
  if (original instanceof Prisma.PrismaClientKnownRequestError) {
    const known = prismaCodes[original.code];
    if (known) return new GraphQLError(known[1], { path, extensions: { code: known[0] } });
    return undefined;
  }
  if (original instanceof GraphQLError) {
    if (original.extensions.code) return error instanceof GraphQLError && error !== original ? locate(original, error) : original;
    if (original.name === 'PothosValidationError') {
      return new GraphQLError(original.message, {
        path,
        nodes: error instanceof GraphQLError ? error.nodes : undefined,
        extensions: { ...original.extensions, code: ErrorCode.BAD_USER_INPUT },
      });
    }
  }
  return undefined;
}

function locate(original: GraphQLError, located: GraphQLError): GraphQLError {
  return new GraphQLError(original.message, {
    nodes: located.nodes,
    path: located.path,
    extensions: original.extensions,
  });
}
