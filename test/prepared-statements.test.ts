import { Pool } from 'pg';
import { Prisma } from '../src/generated/prisma/client';
import { readOn, readPrepared, readValues } from '../src/db';

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

// PG_GENERIC_PLANS (on by default on a direct connection): the query pools' connections run a named
// statement with its generic plan from the first run; a read planned per value (planPerValue)
// carries its values in its text, so that no connection setting gives it a plan made for other values.
describe('plans made once, and plans made for the values', () => {
  let pool: Pool;
  beforeAll(async () => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    await pool.query('SET plan_cache_mode = force_generic_plan');
  });
  afterAll(() => pool.end());

  it("the server's connections keep generic plans (PG_GENERIC_PLANS defaults to on without a pooler)", async () => {
    const setting = Prisma.sql`SELECT current_setting('plan_cache_mode')`;
    expect((await readValues(setting)).rows).toEqual([['force_generic_plan']]);
    expect((await readValues(setting, { planPerValue: true })).rows).toEqual([['force_generic_plan']]);
  });

  it('a named read runs with its generic plan from its first run', async () => {
    const text = 'SELECT oid FROM pg_class WHERE relname = $1';
    await readOn(pool, text, ['pg_proc'], 'named');
    const { rows } = await pool.query<{ generic_plans: string; custom_plans: string }>(
      'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1',
      [text],
    );
    expect(rows).toEqual([{ generic_plans: '1', custom_plans: '0' }]);
  });

  it('a read planned per value is sent with its values in its text, so no generic plan can serve it', async () => {
    const query = jest.spyOn(pool, 'query');
    try {
      const { rows } = await readOn(pool, 'SELECT oid::int FROM pg_class WHERE relname = $1', ["pg_'proc"], 'values');
      expect(rows).toEqual([]);
      expect(query).toHaveBeenCalledWith({
        text: "SELECT oid::int FROM pg_class WHERE relname = 'pg_''proc'",
        rowMode: 'array',
      });
    } finally {
      query.mockRestore();
    }
  });

  it('values written into the text read back as the parameters would carry them', async () => {
    const text =
      'SELECT $1::text, $2::text, $3::text[], $4::int[], $5::int, $6::boolean, $7::timestamptz, $8::text, $9::float8, $10::text';
    const values = [
      'O\'Brien\\\'s \\x41 -- ; DROP TABLE "Hero"',
      '%_\\%',
      ['a,b', 'c"d', null, "e'f", '{g}', 'NULL'],
      [1, -2, null],
      -7,
      false,
      new Date('2026-01-02T03:04:05.678Z'),
      null,
      0.1,
      'Ünïcödé 🦸 $1 $2',
    ];
    const inlined = await readOn(pool, text, values, 'values');
    expect(inlined).toEqual(await readOn(pool, text, values, 'parameters'));
    expect(inlined.rows[0]![0]).toBe(values[0]);
    expect(inlined.rows[0]![9]).toBe(values[9]);
  });

  it('a value with a NUL character is refused by PostgreSQL as a parameter would be', async () => {
    const read = (sendAs: 'values' | 'parameters') => readOn(pool, 'SELECT $1::text', ['a\0b'], sendAs);
    await expect(read('parameters')).rejects.toMatchObject({ code: '22021' });
    await expect(read('values')).rejects.toMatchObject({ code: '22021' });
  });
});
