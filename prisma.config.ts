// Read by the Prisma CLI. Migrations here run offline through `npm run db:migrate`; where the
// native engine can be downloaded, `prisma migrate deploy` reads the same folder and the same
// _prisma_migrations table, so either can follow the other.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // The CLI migrates: on a session of its own (DATABASE_DIRECT_URL) when DATABASE_URL is a PgBouncer.
  datasource: {
    url: process.env.DATABASE_DIRECT_URL || process.env.DATABASE_URL || 'postgresql://localhost:5432/heroes',
  },
});
