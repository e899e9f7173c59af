import { prisma, withMigrationDatabase } from '.';
import { applyMigrations } from './migrations';
import { seedIfEmpty } from './seed';

/** Brings the database up to date: pending migrations, then the sample data if it is empty. */
export async function prepareDatabase(options: { seed: boolean }): Promise<{ applied: string[]; seeded: boolean }> {
  const applied = await withMigrationDatabase(applyMigrations);
  const seeded = options.seed ? await seedIfEmpty(prisma) : false;
  return { applied, seeded };
}
