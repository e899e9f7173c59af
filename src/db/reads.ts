import type { ArgType, SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import type { Prisma } from '../generated/prisma/client';
import { countStatement } from '../ops/request-tracking';
import { adapterFactory, database } from './client';
import type { SendAs, Values } from './prepared-statements';
import { emitQuery, hasQueryListeners } from './query-events';
import type { ReadTarget } from './replica-routing';

let reader: Promise<SqlDriverAdapter> | undefined;

export interface ReadOptions {
  /**
   * Where the read goes (src/db/replica-routing.ts): a read replica when one is fit, or the
   * primary. The primary unless asked: only reads that may see a replica's lag ask for one.
   */
  target?: ReadTarget;
  /**
   * Plan the statement for its values on every run: on PostgreSQL sent with its values written
   * into its text, instead of as a named prepared statement whose generic plan, made once for any
   * values, would stick. For statements whose best plan depends on a value (a nameContains text:
   * see CompiledFilter).
   */
  planPerValue?: boolean;
}

/**
 * Reads rows without Prisma Client's decoding of raw results, which costs a big link page more than
 * `pg` itself takes to read it. On PostgreSQL, straight from the
 * pool as a named prepared statement (readPrepared), with pg's own parsing of values (the same as
 * the driver adapter's for what the loaders read: int4, text, bool, float8), or from a read
 * replica's pool (`target`); on PGlite, through the driver adapter behind `prisma`. For the hot read paths (loaders); writes stay with Prisma Client.
 * The statements are reported to `onQuery` listeners like Prisma's own. Each row is the array of
 * its values, in the order of `columnNames`. `planPerValue` sends it with its values (see ReadOptions).
 */
export async function readValues(query: Prisma.Sql, options: ReadOptions = {}): Promise<Values> {
  const args = query.values;
  const started = performance.now();
  const named = !options.planPerValue;
  const result = await send(query.text, args, named ? 'named' : 'values', options.target ?? 'primary');
  const duration = performance.now() - started;
  countStatement(query.text, args, duration);
  if (hasQueryListeners()) emitQuery({ query: query.text, params: JSON.stringify(args), duration, named });
  return result;
}

async function send(text: string, args: unknown[], sendAs: SendAs, target: ReadTarget = 'primary'): Promise<Values> {
  if (database.read) return database.read(text, args, sendAs, target);
  const adapter = await (reader ??= adapterFactory.connect());
  const argTypes: ArgType[] = args.map((value) => ({
    scalarType: 'unknown',
    arity: Array.isArray(value) ? 'list' : 'scalar',
  }));
  return adapter.queryRaw({ sql: text, args, argTypes });
}

/**
 * Runs a statement of the server's own about a request (src/graphql/explain.ts: EXPLAIN), unnamed
 * with its parameters, by the read path: not counted against the request nor reported to `onQuery`
 * listeners, since the request did not send it.
 */
export function readAside(text: string, args: unknown[]): Promise<Values> {
  return send(text, args, 'parameters');
}

/** Rows as objects keyed by column name (see readValues). */
export async function readRows<Row>(query: Prisma.Sql, options: ReadOptions = {}): Promise<Row[]> {
  const { columnNames, rows } = await readValues(query, options);
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) row[columnNames[i]!] = values[i];
    return row as Row;
  });
}
