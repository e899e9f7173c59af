import { createHash } from 'node:crypto';
import { escapeLiteral, type Pool, type PoolClient, type QueryResult } from 'pg';
import { prepareValue } from 'pg/lib/utils';
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

/** Runs a read as an unnamed statement, with its values as parameters. */
async function readUnnamed(pool: Pool, text: string, values: unknown[]): Promise<Values> {
  return valuesOf(await pool.query<unknown[]>({ text, values, rowMode: 'array' }));
}

/**
 * A value as the literal of unknown type that stands for it in a statement's text: the text pg
 * would send as its parameter (pg's own prepareValue), quoted (pg's escapeLiteral). PostgreSQL
 * types an unknown literal from its context, as it types an untyped parameter, so the statement
 * means the same. Null when the value has no such literal: a NUL character, which a parameter
 * refuses with an error of PostgreSQL's and a statement's text cannot carry.
 */
function literalOf(value: unknown): string | null {
  const prepared = prepareValue(value);
  if (prepared === null) return 'NULL';
  const text = typeof prepared === 'string' ? prepared : `\\x${prepared.toString('hex')}`;
  return text.includes('\0') ? null : escapeLiteral(text);
}

/**
 * A statement's text with each parameter ($1, $2, ...) replaced by its value's literal, or null
 * when a value has none. The texts are the server's own (Prisma.sql), which put no `$` in
 * identifiers or string literals.
 */
export function withValuesInline(text: string, values: readonly unknown[]): string | null {
  const literals: string[] = [];
  for (const value of values) {
    const literal = literalOf(value);
    if (literal === null) return null;
    literals.push(literal);
  }
  let complete = true;
  const inlined = text.replace(/\$(\d+)\b/g, (_match, index: string) => {
    const literal = literals[Number(index) - 1];
    if (literal === undefined) complete = false;
    return literal ?? '';
  });
  return complete ? inlined : null;
}

/**
 * Runs a read planned for its values every time (planPerValue), whatever the connection's
 * plan_cache_mode: its values written into its text and sent without parameters (the simple
 * query protocol), so that no plan made for other values can serve it. A connection with
 * PG_GENERIC_PLANS plans a statement with parameters once, for any values, even unnamed.
 */
async function readPlannedForValues(pool: Pool, text: string, values: unknown[]): Promise<Values> {
  const inlined = values.length === 0 ? text : withValuesInline(text, values);
  if (inlined === null) return readUnnamed(pool, text, values);
  return valuesOf(await pool.query<unknown[]>({ text: inlined, rowMode: 'array' }));
}

/**
 * How a read is sent. `named`: as a named prepared statement, which PostgreSQL may run with one
 * plan made for any values (a generic plan; always, with PG_GENERIC_PLANS), unnamed with its
 * values as parameters when PG_PREPARED_STATEMENTS is 0. `parameters`: unnamed, with its values
 * as parameters (EXPLAIN, which PostgreSQL plans for the values it is given). `values`: with its
 * values written into its text, so planned for them every time (planPerValue).
 */
export type SendAs = 'named' | 'parameters' | 'values';

/** Runs a read on a pool, sent as `sendAs` says. */
export type ReadOn = (pool: Pool, text: string, values: unknown[], sendAs: SendAs) => Promise<Values>;

/** A read on `pool` (see SendAs). */
export const readOn: ReadOn = (pool, text, values, sendAs) => {
  if (sendAs === 'values') return readPlannedForValues(pool, text, values);
  if (sendAs === 'named' && config.preparedStatements > 0) return readPrepared(pool, text, values);
  return readUnnamed(pool, text, values);
};
