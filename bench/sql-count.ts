import { readFileSync } from 'node:fs';
import { closeDatabase, onQuery } from '../src/db';
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

async function count(body: string): Promise<string[]> {
  const statements: string[] = [];
  const stop = onQuery((event) => statements.push(event.query));
  try {
    await send(body);
    return statements;
  } finally {
    stop();
  }
}

async function main() {
  const requests = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<string, string>;
  const result: Record<string, SqlCount> = {};
  for (const [key, body] of Object.entries(requests)) {
    const first = await count(body);
    const second = await count(body);
    result[key] = { first: first.length, second: second.length, statements: second };
  }
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => closeDatabase());
