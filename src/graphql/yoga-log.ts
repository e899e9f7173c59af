import type { YogaLogger } from 'graphql-yoga';
import { databaseFailure } from '../db/failures';
import { isOverload } from '../errors';
import { logger } from '../ops/logger';
import { currentRequest } from '../ops/request-tracking';

/**
 * Yoga's log. Yoga logs every error it masks or replaces, with its stack: here each unexpected one
 * once, at error, with the id of the request it happened in. Not logged: refusals for lack of
 * capacity, expected under load and counted once per burst by reportOverload instead (a storm
 * would otherwise write thousands of stacks), the database's absence (answered
 * DATABASE_UNAVAILABLE, logged once per burst by src/graphql/errors.ts), and errors that `isClientError`
 * says are answered with a code of their own (a unique violation answered CONFLICT). The rest of what Yoga says goes
 * to the log at its own level.
 */
export function yogaLogger(isClientError: (error: unknown) => boolean): YogaLogger {
  const logged = new WeakSet<object>();
  return {
    // Yoga says a few things at debug on every request: nothing is built unless they are written.
    debug: (...args: unknown[]) => logger.isLevelEnabled('debug') && logger.debug({ args }, 'yoga'),
    info: (...args: unknown[]) => logger.isLevelEnabled('info') && logger.info({ args }, 'yoga'),
    warn: (...args: unknown[]) => logger.warn({ args }, 'yoga'),
    error: (...args: unknown[]) => {
      if (args.some(isOverload) || args.some((arg) => databaseFailure(arg) !== null) || args.some(isClientError))
        return;
      const requestId = currentRequest()?.id ?? null;
      for (const arg of args) {
        if (arg !== null && typeof arg === 'object') {
          // Yoga may pass one error twice (its masking, then its handler of errors outside execution).
          if (logged.has(arg)) continue;
          logged.add(arg);
        }
        if (arg instanceof Error) logger.error({ requestId, err: arg }, 'Unexpected error');
        else logger.error({ requestId, detail: arg }, 'Unexpected error');
      }
    },
  };
}
