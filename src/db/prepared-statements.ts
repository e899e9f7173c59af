import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { config } from '../config';

// The loaders' reads on PostgreSQL, straight from a pool (src/db/reads.ts): as named prepared
// statements, kept per connection, or unnamed.

/** Rows of a read: each row is the array of its values, in the order of `columnNames`. */
export interface Values {
  columnNames: string[];
  rows: unknown[][];
}

/**
 * The name a statement is prepared under: a hash of its text, so that every connection gives the
 * same text the same name. Names are remembered for the texts seen last (a loader's text varies
 * with the page size, filters and so on, and there are a few hundred such texts at most in use).
 */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= 1000) statementNames.clear();
    name = `r_${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    statementNames.set(text, name);
  }
  return name;
}

function valuesOf(result: QueryResult<unknown[]>): Values {
  return { columnNames: result.fields.map((field) => field.name), rows: result.rows };
}

/** The statements each connection has prepared, by name, least recently used first. */
const preparedOn = new WeakMap<PoolClient, Set<string>>();

/** What pg knows of a connection's named statements (it parses a name once per connection). */
interface ParsedStatements {
  connection: { parsedStatements: Record<string, string>; submittedNamedStatements: Record<string, string> };
}

/**
 * Closes a named statement with the protocol's Close message (a custom query of pg's, as pg-cursor
 * is one), not with SQL's DEALLOCATE: PgBouncer 1.21 and later, with max_prepared_statements, map
 * the statement names of protocol messages to its sessions' own, but pass a DEALLOCATE on as it
 * is, naming a statement that its session does not have (pgbouncer/pgbouncer#991). Closing a name
 * that does not exist is no error.
 */
class CloseStatement {
  /** Set before the query is sent: pg wraps it with its query_timeout. */
  callback?: (error: Error | null) => void;
  private done = false;

  constructor(private readonly name: string) {}

  submit(connection: { close(message: { type: 'S'; name: string }): void; sync(): void }): void {
    connection.close({ type: 'S', name: this.name });
    connection.sync();
  }

  handleError(error: Error): void {
    this.finish(error);
  }

  handleReadyForQuery(): void {
    this.finish(null);
  }

  private finish(error: Error | null): void {
    if (this.done) return;
    this.done = true;
    this.callback?.(error);
  }
}

function closeStatement(client: PoolClient, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const close = new CloseStatement(name);
    close.callback = (error) => (error ? reject(error) : resolve());
    client.query(close as unknown as Parameters<PoolClient['query']>[0]);
  });
}

/**
 * Runs a read as a named prepared statement: PostgreSQL parses and plans it once per connection
 * (after five runs it keeps a generic plan when that costs no more than the custom ones), instead
 * of on every request as unnamed statements are. Each connection keeps at most `perConnection`
 * of them; the least recently used one is deallocated to make room.
 */
export async function readPrepared(
  pool: Pool,
  text: string,
  values: unknown[],
  perConnection = config.preparedStatements,
): Promise<Values> {
  const client = await pool.connect();
  // As pg's pool.query does: a connection that breaks while checked out emits 'error' (unheard, it
  // would end the process), and a connection that failed a statement is not reused.
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    client.removeListener('error', release);
    client.release(error);
  };
  client.once('error', release);
  try {
    const name = statementName(text);
    let prepared = preparedOn.get(client);
    if (!prepared) preparedOn.set(client, (prepared = new Set()));
    if (prepared.delete(name)) {
      prepared.add(name);
    } else {
      if (prepared.size >= perConnection) {
        const oldest = prepared.values().next().value!;
        prepared.delete(oldest);
        const { parsedStatements, submittedNamedStatements } = (client as unknown as ParsedStatements).connection;
        if (parsedStatements[oldest] !== undefined) {
          delete parsedStatements[oldest];
          delete submittedNamedStatements[oldest];
          await closeStatement(client, oldest);
        }
      }
      prepared.add(name);
    }
    const result = await client.query<unknown[]>({ name, text, values, rowMode: 'array' });
    release();
    return valuesOf(result);
  } catch (error) {
    release(error as Error);
    throw error;
  }
}

/** Runs a read as an unnamed statement: PostgreSQL plans it for these values, every time. */
async function readUnnamed(pool: Pool, text: string, values: unknown[]): Promise<Values> {
  return valuesOf(await pool.query<unknown[]>({ text, values, rowMode: 'array' }));
}

/** Runs a read on a pool: as a named prepared statement or unnamed. */
export type ReadOn = (pool: Pool, text: string, values: unknown[], named: boolean) => Promise<Values>;

/** A loader's read on `pool`: named when it asks to be and PG_PREPARED_STATEMENTS allows, else unnamed. */
export const readOn: ReadOn = (pool, text, values, named) =>
  named && config.preparedStatements > 0 ? readPrepared(pool, text, values) : readUnnamed(pool, text, values);
