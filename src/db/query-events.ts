import { config } from '../config';
import { logger } from '../ops/logger';

/**
 * A statement sent, as onQuery listeners get it. `named`: a read that asks to be a named prepared
 * statement, which PostgreSQL runs with a generic plan, made once for any values (always with
 * PG_GENERIC_PLANS; PGlite, and PG_PREPARED_STATEMENTS=0, send it unnamed all the same); false for
 * statements planned for their values every time (Prisma Client's, and reads with planPerValue,
 * sent with their values in their text).
 */
export interface QueryEvent {
  query: string;
  params: string;
  duration: number;
  named: boolean;
}

export type QueryListener = (event: QueryEvent) => void;

const queryListeners = new Set<QueryListener>();

export function emitQuery(event: QueryEvent): void {
  for (const listener of queryListeners) listener(event);
}

/** Whether any listener is there to be told (events are not built for nobody). */
export function hasQueryListeners(): boolean {
  return queryListeners.size > 0;
}

export function onQuery(listener: QueryListener): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

if (config.logSql) {
  onQuery((event) =>
    logger.info(
      { sql: event.query, params: event.params, durationMs: Math.round(event.duration * 1000) / 1000 },
      'sql',
    ),
  );
}
