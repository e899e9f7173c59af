import { readFileSync } from 'node:fs';
import { closeDatabase, onQuery, prisma } from '../src/db';
import { yoga } from '../src/yoga';

// Counts the SQL statements of one request with the server's own query log (Prisma's query
// events, through onQuery of src/db.ts, as recordSql in test/support/graphql.ts does), sending each
// request through yoga.fetch in this process. Run by bench/run.ts with DATABASE_URL set to the
// bench database; prints `RESULT <json>` as its last line.

export interface SqlCount {
  /** Statements of the first request and of a second, identical one. */
  first: number;
  second: number;
  statements: string[];
  /**
   * Tables of 1,000 rows or more that a statement reads whole (Seq Scan in its EXPLAIN), one list
   * per statement. Smaller tables fit in a few pages, where PostgreSQL rightly prefers a scan.
   */
  seqScans: string[][];
}

async function send(body: string): Promise<void> {
  const response = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"'))
    throw new Error(`${response.status}: ${text.slice(0, 500)}`);
}

async function count(body: string): Promise<{ query: string; params: string }[]> {
  const statements: { query: string; params: string }[] = [];
  const stop = onQuery((event) => statements.push({ query: event.query, params: event.params }));
  try {
    await send(body);
    return statements;
  } finally {
    stop();
  }
}

/** The tables the plan of a statement scans whole, from EXPLAIN with the statement's own parameters. */
async function seqScans(statement: { query: string; params: string }): Promise<string[]> {
  const params = JSON.parse(statement.params) as unknown[];
  const [row] = await prisma.$queryRawUnsafe<{ 'QUERY PLAN': unknown }[]>(
    `EXPLAIN (FORMAT JSON) ${statement.query}`,
    ...params,
  );
  const tables: string[] = [];
  const visit = (node: Record<string, unknown>) => {
    if (node['Node Type'] === 'Seq Scan') tables.push(String(node['Relation Name']));
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
  };
  for (const entry of row!['QUERY PLAN'] as { Plan: Record<string, unknown> }[]) visit(entry.Plan);
  if (tables.length === 0) return [];
  const large = await prisma.$queryRaw<{ name: string }[]>`
    SELECT relname AS name FROM pg_class WHERE relname = ANY(${tables}) AND reltuples >= 1000`;
  return tables.filter((table) => large.some((row) => row.name === table));
}

async function main() {
  const requests = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<string, string>;
  const result: Record<string, SqlCount> = {};
  for (const [key, body] of Object.entries(requests)) {
    const first = await count(body);
    const second = await count(body);
    result[key] = {
      first: first.length,
      second: second.length,
      statements: second.map((statement) => statement.query),
      seqScans: await Promise.all(second.map(seqScans)),
    };
  }
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => closeDatabase());
