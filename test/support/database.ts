import { Client } from 'pg';
import { closeDatabase, withMigrationDatabase } from '../../src/db';
import { applyMigrations } from '../../src/db/migrations';

// Bison's lifecycle: each test file migrates its own database once, and tests reset what they need.
const name = process.env.TEST_DATABASE_NAME;

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  if (name) await admin(`CREATE DATABASE "${name}"`);
  await withMigrationDatabase(applyMigrations);
}, 60_000);

afterAll(async () => {
  await closeDatabase();
  if (name) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});
