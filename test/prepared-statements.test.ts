import { Pool } from 'pg';
import { readPrepared } from '../src/db';

// The loaders' statements are prepared once per PostgreSQL connection, and a connection keeps a
// bounded number of them: the least recently used is deallocated. PostgreSQL only (jest.config.js):
// PGlite reads through the driver adapter.
describe('named prepared statements', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  });
  afterAll(() => pool.end());

  const prepared = async () =>
    (await readPrepared(pool, 'SELECT statement FROM pg_prepared_statements ORDER BY statement', [], 10)).rows.map(
      ([statement]) => statement,
    );

  it('keeps at most the given number per connection, dropping the least recently used', async () => {
    const read = (n: number) => readPrepared(pool, `SELECT $1::int + ${n} AS sum`, [1], 2);
    expect((await read(1)).rows).toEqual([[2]]);
    await read(2);
    await read(1); // now the most recently used
    await read(3); // evicts 2
    const kept = await (async () => {
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ statement: string }>(
          `SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int + %' ORDER BY statement`,
        );
        return rows.map((row) => row.statement);
      } finally {
        client.release();
      }
    })();
    expect(kept).toEqual(['SELECT $1::int + 1 AS sum', 'SELECT $1::int + 3 AS sum']);
    // An evicted statement is prepared again when it comes back.
    expect((await read(2)).rows).toEqual([[3]]);
    expect((await read(2)).columnNames).toEqual(['sum']);
    expect(await prepared()).toContain('SELECT $1::int + 2 AS sum');
  });
});
