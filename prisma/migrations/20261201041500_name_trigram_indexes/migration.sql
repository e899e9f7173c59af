-- nameContains (src/loaders/filters.ts) searches the lowercased name with LIKE '%text%', the text's
-- own %, _ and \ escaped: a GIN index of the trigrams of lower(name) serves it for any text holding
-- a trigram (three letters or digits in a row, or a word boundary inside the text), instead of a
-- scan of the whole table. pg_trgm is a trusted extension (PostgreSQL 13 and later): the owner of
-- the database may create it; PGlite loads it from @electric-sql/pglite/contrib/pg_trgm
-- (src/db/pglite.ts).
-- Prisma's schema cannot describe an index on an expression: these two, like the counters'
-- triggers, live in this migration only, and the schema engine's diff leaves them alone.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "Hero_name_trgm_idx" ON "Hero" USING gin (lower("name") gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Team_name_trgm_idx" ON "Team" USING gin (lower("name") gin_trgm_ops);
