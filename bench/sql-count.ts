import { readFileSync } from 'node:fs';
import { closeDatabase, onQuery, prisma } from '../src/db';
import { yoga } from '../src/graphql/yoga';
import { explainServed, type PlanNode } from '../test/support/plans';

// Counts the SQL statements of one request with the server's own query log (Prisma's query
// events, through onQuery of src/db/query-events.ts, as recordSql in test/support/graphql.ts does), sending each
// request through yoga.fetch in this process. Run by bench/run.ts with DATABASE_URL set to the
// bench database; prints `RESULT <json>` as its last line.

export interface SqlCount {
  /** Statements of the first request and of a second, identical one. */
  first: number;
  second: number;
  statements: string[];
  /**
   * Tables of 1,000 rows or more that a statement reads whole (Seq Scan in its EXPLAIN ANALYZE),
   * one list per statement, in any of its plans as the server runs it: planned for its values,
   * and for a named statement also after six runs and generic (test/support/plans.ts). Smaller
   * tables fit in a few pages, where PostgreSQL rightly prefers a scan.
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

interface Statement {
  query: string;
  params: string;
  named: boolean;
}

async function count(body: string): Promise<Statement[]> {
  const statements: Statement[] = [];
  const stop = onQuery((event) => statements.push({ query: event.query, params: event.params, named: event.named }));
  try {
    await send(body);
    return statements;
  } finally {
    stop();
  }
}

/** The tables any plan of a statement scans whole, from EXPLAIN ANALYZE with its own parameters. */
async function seqScans(statement: Statement): Promise<string[]> {
  const plans = await explainServed({
    sql: statement.query,
    params: JSON.parse(statement.params) as unknown[],
    named: statement.named,
  });
  const tables = new Set<string>();
  const visit = (node: PlanNode) => {
    if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) tables.add(node['Relation Name']);
    for (const child of node.Plans ?? []) visit(child);
  };
  for (const served of Object.values(plans)) visit(served.plan);
  if (tables.size === 0) return [];
  const large = await prisma.$queryRaw<{ name: string }[]>`
    SELECT relname AS name FROM pg_class WHERE relname = ANY(${[...tables]}) AND reltuples >= 1000`;
  return [...tables].filter((table) => large.some((row) => row.name === table));
}

async function sequentially<T>(steps: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  for (const step of steps) results.push(await step());
  return results;
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
      // One at a time: each takes a connection of its own for its prepared statement.
      seqScans: await sequentially(second.map((statement) => () => seqScans(statement))),
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
