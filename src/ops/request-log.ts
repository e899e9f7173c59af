import { logger } from './logger';
import type { RequestRecord } from './request-tracking';

// One line per GraphQL request (an onDone of useRequestTracking), through the server's logger
// (src/ops/logger.ts; Yoga's own log: src/graphql/yoga-log.ts). Never the request's body, variables, token or headers besides
// the two named below: what a line holds is listed in logRequest.

/** Writes the request's line, at info. */
export function logRequest(record: RequestRecord): void {
  if (!logger.isLevelEnabled('info')) return;
  logger.info(
    {
      requestId: record.id,
      operation: record.operationName,
      type: record.operationType,
      status: record.status,
      outcome: record.outcome,
      durationMs: Math.round(record.durationMs * 100) / 100,
      statements: record.statements,
      errors: record.errorCodes,
      role: record.role,
      traceparent: record.traceparent,
    },
    'request',
  );
}
