-- DropIndex
DROP INDEX "Hero_age_idx";

-- DropIndex
DROP INDEX "Hero_name_idx";

-- DropIndex
DROP INDEX "Team_name_idx";

-- CreateIndex
CREATE INDEX "Hero_name_id_idx" ON "Hero"("name", "id");

-- CreateIndex
CREATE INDEX "Hero_age_id_idx" ON "Hero"("age", "id");

-- CreateIndex
CREATE INDEX "Team_name_id_idx" ON "Team"("name", "id");
